package server_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/leadrules"
	"github.com/jmksales/jmk/server/scoring"
)

// TestSpecValid: the contract is a valid OpenAPI document and every example
// in it (Swagger UI's prefilled bodies) matches its own schema.
func TestSpecValid(t *testing.T) {
	t.Parallel()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
}

// TestSpecDeclaresCommonAnswers: every API operation declares the answers
// any request may get, so that generated clients have a type for each: 400
// (an unknown query parameter, for one), 500 (a surprise, whose problem
// carries the request_id to quote), 503 (a busy or unreachable
// database), and, where a body is sent, 408 (a body that does not arrive
// in time) and 413.
func TestSpecDeclaresCommonAnswers(t *testing.T) {
	t.Parallel()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/") {
			continue // the probes ignore what a load balancer appends
		}
		for method, op := range item.Operations() {
			want := []string{"400", "500", "503"}
			if op.RequestBody != nil {
				want = append(want, "408", "413")
			}
			for _, code := range want {
				if op.Responses.Value(code) == nil {
					t.Errorf("%s %s does not declare %s", method, path, code)
				}
			}
		}
	}
}

// TestSpecAuditActions: the spec's AuditAction lists exactly the actions the
// code records, so that a filter's typo is a 400 and a client's switch over
// them is complete.
func TestSpecAuditActions(t *testing.T) {
	t.Parallel()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	inSpec := map[string]bool{}
	for _, v := range doc.Components.Schemas["AuditAction"].Value.Enum {
		inSpec[v.(string)] = true
	}
	written := regexp.MustCompile(`(?:Action:\s*|action\s*:?=\s*)"([a-z]+\.[a-z_]+)"`)
	inCode := map[string]bool{}
	for _, pattern := range []string{"*.go", "*/*.go", "../cmd/jmk/*.go"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range written.FindAllStringSubmatch(string(b), -1) {
				inCode[m[1]] = true
				if !inSpec[m[1]] {
					t.Errorf("%s records %q, which AuditAction does not list", f, m[1])
				}
			}
		}
	}
	for a := range inSpec {
		if !inCode[a] {
			t.Errorf("AuditAction lists %q, which no code records", a)
		}
	}
}

// TestSpecEnums: the enumerations the code accepts (the CSV import, the
// scorer's level tables, the workflow) are exactly the spec's, in its order.
func TestSpecEnums(t *testing.T) {
	t.Parallel()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	for schema, inCode := range map[string][]string{
		"Job":             scoring.Jobs,
		"Marital":         scoring.MaritalStatuses,
		"Education":       scoring.EducationLevels,
		"YesNoUnknown":    scoring.YesNoUnknown,
		"ContactChannel":  scoring.ContactChannels,
		"Month":           scoring.Months,
		"Weekday":         scoring.Weekdays,
		"PreviousOutcome": scoring.PreviousOutcomes,
		"Category":        scoring.Categories,
		"LeadStatus":      leadrules.Statuses,
	} {
		var inSpec []string
		for _, v := range doc.Components.Schemas[schema].Value.Enum {
			inSpec = append(inSpec, v.(string))
		}
		if !slices.Equal(inSpec, inCode) {
			t.Errorf("%s: the spec has %v, the code %v", schema, inSpec, inCode)
		}
	}
}

// TestSpecTrainingRanges: the training request's bounds in the spec are the
// ones training applies.
func TestSpecTrainingRanges(t *testing.T) {
	t.Parallel()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	props := doc.Components.Schemas["TrainRequest"].Value.Properties
	h, s := props["holdout_fraction"].Value, props["seed"].Value
	if *h.Min != scoring.MinHoldoutFraction || *h.Max != scoring.MaxHoldoutFraction || !h.ExclusiveMax.IsTrue() || h.ExclusiveMin.IsSet() {
		t.Errorf("holdout_fraction: spec [%v, %v) exclusiveMax %v", *h.Min, *h.Max, h.ExclusiveMax.IsTrue())
	}
	if *s.Min != 1 || *s.Max != scoring.MaxSeed {
		t.Errorf("seed: spec %v to %v", *s.Min, *s.Max)
	}
}
