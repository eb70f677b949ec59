package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	nethttpmw "github.com/oapi-codegen/nethttp-middleware"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/logbuf"
)

// Every pattern in the spec has words for a client who does not match it:
// a new pattern without them fails here.
func TestEveryPatternHasPlainWords(t *testing.T) {
	t.Parallel()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	patterns := map[string]bool{}
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || seen[r.Value] {
			return
		}
		s := r.Value
		seen[s] = true
		if s.Pattern != "" {
			patterns[s.Pattern] = true
		}
		for _, p := range s.Properties {
			walk(p)
		}
		for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, p := range list {
				walk(p)
			}
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
	}
	for _, s := range doc.Components.Schemas {
		walk(s)
	}
	params := func(ps openapi3.Parameters) {
		for _, p := range ps {
			if p.Value != nil {
				walk(p.Value.Schema)
			}
		}
	}
	for _, p := range doc.Components.Parameters {
		walk(p.Value.Schema)
	}
	for _, item := range doc.Paths.Map() {
		params(item.Parameters)
		for _, op := range item.Operations() {
			params(op.Parameters)
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(mt.Schema)
				}
			}
		}
	}
	if len(patterns) < 4 {
		t.Fatalf("found only %d patterns in the spec", len(patterns))
	}
	for p := range patterns {
		reason := `string doesn't match the regular expression "` + p + `"`
		if got := plainReason(reason); got == reason || strings.Contains(got, "regular expression") {
			t.Errorf("pattern %s: no plain message", p)
		}
	}
}

func TestPlainReasons(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"number must be at most 9.007199254740991e+15": "must be at most 9007199254740991",
		"number must be at least 0.05":                 "must be at least 0.05",
		"number must be less than 0.5":                 "must be less than 0.5",
		"number must be an integer":                    "number must be an integer", // not a bound: as it was
		"value must be an integer":                     "must be a whole number",
		"value must be an object":                      "must be a JSON object",
		"Value is not nullable":                        "must not be null",
	} {
		if got := plainReason(in); got != want {
			t.Errorf("plainReason(%q) = %q, want %q", in, got, want)
		}
	}
}

// A number past a double's range, or a parameter past its type's, is told
// the range: its field's bound on that side where the spec sets one, else
// its format's.
func TestOutOfRangeMessages(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	integer := func(format string, lo, hi *float64) *openapi3.Schema {
		s := openapi3.NewIntegerSchema()
		s.Format, s.Min, s.Max = format, lo, hi
		return s
	}
	number := func(lo, hi *float64) *openapi3.Schema {
		s := openapi3.NewFloat64Schema()
		s.Min, s.Max = lo, hi
		return s
	}
	exclusive := number(f(0), f(1))
	exclusive.ExclusiveMin, exclusive.ExclusiveMax = openapi3.ExclusiveBound{Bool: new(true)}, openapi3.ExclusiveBound{Bool: new(true)}
	for _, tc := range []struct {
		name   string
		schema *openapi3.Schema
		value  string
		want   string
	}{
		{"Max", integer("int32", f(17), f(120)), "1e400", "must be at most 120"},
		{"Min", integer("int32", f(17), f(120)), "-1e400", "must be at least 17"},
		{"ExclusiveMax", exclusive, "1e400", "must be less than 1"},
		{"ExclusiveMin", exclusive, "-1e400", "must be more than 0"},
		{"Int32", integer("int32", nil, nil), "1e400", "must be a whole number from -2147483648 to 2147483647"},
		{"Int64", integer("int64", f(0), nil), "1e400", "must be a whole number from -9223372036854775808 to 9223372036854775807"},
		{"Unbounded", number(nil, nil), "1e400", "is too large"},
		{"UnboundedNegative", number(nil, nil), "-1e400", "is too small"},
	} {
		if got := hugeNumberMessage(tc.schema, json.Number(tc.value)); got != tc.want {
			t.Errorf("%s: hugeNumberMessage = %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name   string
		schema *openapi3.Schema
		want   string
	}{
		{"Int32Min", integer("int32", f(1), nil), "must be a whole number from 1 to 2147483647"},
		{"Int64Min", integer("int64", f(0), nil), "must be a whole number from 0 to 9223372036854775807"},
		{"IntBounded", integer("int32", f(1), f(200)), "must be a whole number from 1 to 200"},
		{"IntUnbounded", integer("", nil, nil), "must be a whole number from -9223372036854775808 to 9223372036854775807"},
		{"IntMaxOnly", integer("int32", nil, f(9)), "must be a whole number from -2147483648 to 9"},
		{"Number", number(f(0), f(1)), "must be from 0 to 1"},
		{"NumberUnbounded", number(nil, f(1)), ""},
	} {
		if got := rangeMessage(tc.schema); got != tc.want {
			t.Errorf("%s: rangeMessage = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A validator failure that is no verdict on the request (a 500) logs its
// cause at ERROR with the request it failed, as every 5xx's cause is
// logged, the route as Echo and the access line name it.
func TestUnexpectedValidationErrorLogged(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	r := httptest.NewRequest(http.MethodGet, "/api/v1/leads/x1", nil)
	ctx := context.WithValue(r.Context(), loggerKey{}, slog.New(slog.NewTextHandler(&logs, nil)))
	r = r.WithContext(ctx)
	rec := httptest.NewRecorder()
	validationError(ctx, errors.New("error validating route: broken"), rec, r, nethttpmw.ErrorHandlerOpts{
		StatusCode:   http.StatusInternalServerError,
		MatchedRoute: &nethttpmw.ErrorHandlerOptsMatchedRoute{Route: &routers.Route{Path: "/api/v1/leads/{id}"}},
	})
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "broken") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	out := logs.String()
	_, line, _ := strings.Cut(out, " ") // past the time
	want := `level=ERROR msg="request validation failed unexpectedly" method=GET route=/api/v1/leads/:id path=/api/v1/leads/x1 err="error validating route: broken"`
	if strings.TrimSpace(line) != want || strings.Count(out, "\n") != 1 {
		t.Errorf("log:\n%s\nwant one line %q", out, want)
	}
}
