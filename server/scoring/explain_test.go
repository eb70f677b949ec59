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
			// The synthetic model includes the call duration; the five
			// economic indicators are one factor.
			if want := numCategorical + numNumeric - 4; len(seen) != want || !seen[ClimateFeature] {
				t.Errorf("%d factors (%v), want %d with %s", len(seen), seen, want, ClimateFeature)
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
		"last_contact_month":          {"oct", "Campaign's last contact in October"},
		"days_since_previous_contact": {"6", "Last contacted 6 days ago in a previous campaign"},
		"campaign_contacts":           {"2", "Called twice in this campaign"},
		"last_call_duration_sec":      {"261", "Last call lasted 4 min 21 s"},
	}
	for _, fc := range ex.Factors {
		if w, ok := want[fc.Feature]; ok && (fc.Value != w[0] || fc.Description != w[1]) {
			t.Errorf("%s: %q / %q, want %q / %q", fc.Feature, fc.Value, fc.Description, w[0], w[1])
		}
	}
	i := slices.IndexFunc(ex.Factors, func(fc Factor) bool { return fc.Feature == ClimateFeature })
	if fc := ex.Factors[i]; fc.Description != "Economic climate when contacted (Euribor 3-month rate 1.299%)" ||
		fc.Value != "emp_var_rate -1.8, cons_price_idx 92.893, cons_conf_idx -46.2, euribor_3m 1.299, nr_employed 5099.1" {
		t.Errorf("climate factor %+v", fc)
	}
	if !slices.Equal(ex.NotGiven, []string{"marital"}) {
		t.Errorf("not given %v, want marital", ex.NotGiven)
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

// Every input the model uses and the lead lacks is named, and the climate
// factor says what it rests on.
func TestExplainNotGiven(t *testing.T) {
	t.Parallel()
	_, s := mustScorer(t)

	ex := s.Explain(&Features{}, DefaultThresholds)
	var all []string
	for i := range numCategorical {
		all = append(all, catFields[i].name)
	}
	for i := range numNumeric {
		if i != numDaysSincePrevious { // missing means never contacted
			all = append(all, numFields[i].name)
		}
	}
	if !slices.Equal(ex.NotGiven, all) {
		t.Errorf("empty lead: not given %v\nwant %v", ex.NotGiven, all)
	}
	i := slices.IndexFunc(ex.Factors, func(fc Factor) bool { return fc.Feature == ClimateFeature })
	if fc := ex.Factors[i]; fc.Value != imputedValue || fc.Description != "Economic climate when contacted unknown (not given, imputed)" {
		t.Errorf("empty lead's climate factor %+v", fc)
	}

	f := fullFeatures()
	f.EmpVarRate, f.ConsPriceIdx, f.ConsConfIdx, f.Euribor3m = nil, nil, nil, nil
	ex = s.Explain(&f, DefaultThresholds)
	if want := []string{"emp_var_rate", "cons_price_idx", "cons_conf_idx", "euribor_3m"}; !slices.Equal(ex.NotGiven, want) {
		t.Errorf("not given %v, want %v", ex.NotGiven, want)
	}
	i = slices.IndexFunc(ex.Factors, func(fc Factor) bool { return fc.Feature == ClimateFeature })
	if fc := ex.Factors[i]; fc.Value != "nr_employed 5099.1" || fc.Description != "Economic climate when contacted (5099.1 thousand people employed)" {
		t.Errorf("climate factor on one indicator %+v", fc)
	}
}
