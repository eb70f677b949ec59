package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jmksales/jmk/gen/client"
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
	// Asked for the active model (404) or for a score (409) before any
	// model is active, the answer says so in the same words.
	t.Run("NoActiveModel", func(t *testing.T) {
		const want = "no scoring model is active yet: an admin must train and activate one"
		r, err := env.Admin.GetActiveModelWithResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p := wantProblem(t, r.HTTPResponse, r.Body, http.StatusNotFound); p.Detail != want {
			t.Errorf("active model: %q, want %q", p.Detail, want)
		}
		s, err := env.Admin.PredictScoreWithResponse(ctx, client.ScoringInputs{Age: lref(int32(40))})
		if err != nil {
			t.Fatal(err)
		}
		if p := wantProblem(t, s.HTTPResponse, s.Body, http.StatusConflict); p.Detail != want {
			t.Errorf("predict: %q, want %q", p.Detail, want)
		}
	})
}
