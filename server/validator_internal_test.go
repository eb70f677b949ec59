package server

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/jmksales/jmk/gen/api"
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
