package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jmksales/jmk/server/servertest"
)

// The scoring endpoints' refusals say what to send instead. (Focused tests
// beside TestScoringLifecycle, which covers the endpoints' behaviour.)
func TestScoringMessages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()

	// A seed draws the stratified split: with the time split it would be
	// stored and shown, having done nothing.
	t.Run("SeedWithTimeSplit", func(t *testing.T) {
		r, err := env.Admin.TrainModelWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"split": "time", "seed": 5}`))
		if err != nil {
			t.Fatal(err)
		}
		p := wantProblem(t, r.HTTPResponse, r.Body, http.StatusUnprocessableEntity)
		wantField(t, p, "seed")
		if want := "seed: is used only with split stratified: leave it out with split time"; p.Detail != want {
			t.Errorf("detail %q, want %q", p.Detail, want)
		}
	})
}
