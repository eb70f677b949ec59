package scoring

import (
	"math"
	"slices"
	"testing"
)

func TestExplainAdditive(t *testing.T) {
	t.Parallel()
	_, s := mustScorer(t)
	empty := Features{}
	odd := fullFeatures()
	odd.Job, odd.Age, odd.DaysSincePreviousContact = ptr("astronaut"), nil, nil
	cases := map[string]Features{"Full": fullFeatures(), "Empty": empty, "Odd": odd}
	for i, e := range synthExamples(50, 9) {
		cases["Synth"+formatNum(float64(i))] = e.Features
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ex := s.Explain(&f, DefaultThresholds)
			sum := ex.Intercept
			for _, fc := range ex.Factors {
				sum += fc.Contribution
			}
			if math.Abs(sum-ex.Logit) > 1e-9 {
				t.Errorf("intercept + contributions = %.15g, logit = %.15g", sum, ex.Logit)
			}
			if got := s.Logit(&f); math.Abs(got-ex.Logit) > 1e-12 {
				t.Errorf("Explain logit %g, Logit %g", ex.Logit, got)
			}
			if got := s.Probability(&f); math.Abs(got-ex.Probability) > 1e-12 {
				t.Errorf("Explain probability %g, Probability %g", ex.Probability, got)
			}
			if ex.Category != DefaultThresholds.Category(ex.Probability) {
				t.Errorf("category %q for %g", ex.Category, ex.Probability)
			}
			seen := map[string]bool{}
			for k, fc := range ex.Factors {
				if seen[fc.Feature] {
					t.Errorf("field %s appears twice", fc.Feature)
				}
				seen[fc.Feature] = true
				if fc.Description == "" || fc.Value == "" {
					t.Errorf("factor %+v lacks words", fc)
				}
				if k > 0 && math.Abs(fc.Contribution) > math.Abs(ex.Factors[k-1].Contribution) {
					t.Errorf("factors not sorted at %d", k)
				}
			}
			if len(seen) != numCategorical+numNumeric { // the synthetic model includes the call duration
				t.Errorf("%d fields explained, want %d", len(seen), numCategorical+numNumeric)
			}
		})
	}
}

func TestExplainWords(t *testing.T) {
	t.Parallel()
	_, s := mustScorer(t)
	f := fullFeatures()
	f.Marital = nil
	f.Age = ptr[int32](62)
	f.Job = ptr("blue_collar")
	ex := s.Explain(&f, DefaultThresholds)
	want := map[string][2]string{
		"previous_outcome":            {"success", "Previous campaign succeeded"},
		"age":                         {"62", "Age 62 (retirement age)"},
		"marital":                     {notGivenUnknown, "Marital status unknown (not given)"},
		"job":                         {"blue_collar", "Job: blue collar"},
		"last_contact_month":          {"oct", "Last contacted in October"},
		"days_since_previous_contact": {"6", "Last contacted 6 days ago in a previous campaign"},
		"campaign_contacts":           {"2", "Called twice in this campaign"},
		"last_call_duration_sec":      {"261", "Last call lasted 4 min 21 s"},
	}
	for _, fc := range ex.Factors {
		if w, ok := want[fc.Feature]; ok && (fc.Value != w[0] || fc.Description != w[1]) {
			t.Errorf("%s: %q / %q, want %q / %q", fc.Feature, fc.Value, fc.Description, w[0], w[1])
		}
	}
	i := slices.IndexFunc(ex.Factors, func(fc Factor) bool { return fc.Feature == "euribor_3m" })
	if d := ex.Factors[i].Description; d != "Economic climate when contacted (Euribor 3-month rate 1.299%)" {
		t.Errorf("euribor description %q", d)
	}
	for days, want := range map[int32]string{0: "Last contacted the same day in a previous campaign",
		1: "Last contacted 1 day ago in a previous campaign"} {
		f.DaysSincePreviousContact = ptr(days)
		for _, fc := range s.Explain(&f, DefaultThresholds).Factors {
			if fc.Feature == "days_since_previous_contact" && fc.Description != want {
				t.Errorf("%d days: %q, want %q", days, fc.Description, want)
			}
		}
	}
	f.DaysSincePreviousContact = nil
	f.PreviousOutcome = ptr("none")
	f.ContactChannel = nil // its enumeration has no unknown level: imputed
	descriptions := map[string]bool{}
	for _, fc := range s.Explain(&f, DefaultThresholds).Factors {
		if fc.Feature == "days_since_previous_contact" && (fc.Value != "never" || fc.Description != "No contact in a previous campaign on record") {
			t.Errorf("never contacted: %+v", fc)
		}
		if fc.Feature == "contact_channel" && (fc.Value != imputedValue || fc.Description != "Contact channel unknown (not given, imputed)") {
			t.Errorf("no channel: %+v", fc)
		}
		// Two factors never read the same: a sales person could not tell
		// why one pushes up and the other down.
		if descriptions[fc.Description] {
			t.Errorf("two factors read %q", fc.Description)
		}
		descriptions[fc.Description] = true
	}
}
