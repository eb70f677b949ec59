package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/logbuf"
)

// The problem types the server sends are the spec's enum, which clients
// switch on: one added on either side alone fails here.
func TestProblemTypesInSpec(t *testing.T) {
	t.Parallel()
	spec, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	var inSpec []string
	for _, v := range spec.Components.Schemas["Problem"].Value.Properties["type"].Value.Enum {
		inSpec = append(inSpec, v.(string))
	}
	sent := []string{"about:blank", problemTypeBase + "invalid-token"}
	for _, name := range problemTypes {
		sent = append(sent, problemTypeBase+name)
	}
	slices.Sort(inSpec)
	slices.Sort(sent)
	if !slices.Equal(inSpec, sent) {
		t.Errorf("the spec's problem types %v\nthe server's %v", inSpec, sent)
	}
}

// An expected 5xx's cause is logged once, with the request it failed: a
// 503 at WARN, another 5xx at ERROR; /readyz logs its own, and a 4xx is
// the client's to know.
func TestServerProblemLogged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, path string
		err        error
		want       string // the line's start; "" for none
	}{
		{"Unavailable", "/x", &apperr.Error{Status: 503, Detail: "every slot is taken"},
			`level=WARN msg="every slot is taken" method=GET route=/x path=/x`},
		{"Wrapped", "/x", fmt.Errorf("import: %w", &apperr.Error{Status: 503, Detail: "a backup holds the tables"}),
			`level=WARN msg="a backup holds the tables" method=GET route=/x path=/x err="import: a backup holds the tables"`},
		{"Internal", "/x", &apperr.Error{Status: 500, Detail: "broken"}, `level=ERROR msg=broken method=GET route=/x`},
		{"Readyz", "/readyz", &apperr.Error{Status: 503, Detail: "the database is not reachable"}, ""},
		{"ClientError", "/x", &apperr.Error{Status: 429, Detail: "slow down"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs logbuf.Buffer
			e := echo.New()
			e.HTTPErrorHandler = errorHandler(slog.New(slog.NewTextHandler(&logs, nil)))
			e.GET(tc.path, func(echo.Context) error { return tc.err })
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if rec.Code != apperr.StatusOf(tc.err) {
				t.Fatalf("status %d", rec.Code)
			}
			out := logs.String()
			_, line, _ := strings.Cut(out, " ") // past the time
			if tc.want == "" && out != "" || tc.want != "" && (!strings.HasPrefix(line, tc.want) || strings.Count(out, "\n") != 1) {
				t.Errorf("log:\n%s\nwant one line starting %q", out, tc.want)
			}
		})
	}
}
