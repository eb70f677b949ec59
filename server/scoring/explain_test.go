package scoring

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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
			// economic indicators are one factor, and so are the three
			// fields on the previous campaign.
			if want := numCategorical + numNumeric - 4 - 2; len(seen) != want || !seen[ClimateFeature] || !seen[PreviousCampaignFeature] {
				t.Errorf("%d factors (%v), want %d with %s and %s", len(seen), seen, want, ClimateFeature, PreviousCampaignFeature)
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
		"age":                    {"62", "Age 62"},
		"marital":                {notGivenUnknown, "Marital status unknown (not given)"},
		"job":                    {"blue_collar", "Blue-collar job"},
		"last_contact_month":     {"oct", "Campaign's last contact in October"},
		"campaign_contacts":      {"2", "Campaign record: called twice"},
		"last_call_duration_sec": {"261", "Last call lasted 4 min 21 s"},
		PreviousCampaignFeature: {"previous_outcome success, previous_contacts 1, days_since_previous_contact 6",
			"Previous campaign succeeded (contacted once before this campaign, last contacted 6 days before this campaign's call)"},
	}
	for _, fc := range ex.Factors {
		if w, ok := want[fc.Feature]; ok && (fc.Value != w[0] || fc.Description != w[1]) {
			t.Errorf("%s: %q / %q, want %q / %q", fc.Feature, fc.Value, fc.Description, w[0], w[1])
		}
	}
	i := slices.IndexFunc(ex.Factors, func(fc Factor) bool { return fc.Feature == ClimateFeature })
	if fc := ex.Factors[i]; fc.Description != "Economic climate at the campaign's last contact (Euribor 3-month rate 1.299%)" ||
		fc.Value != "emp_var_rate -1.8, cons_price_idx 92.893, cons_conf_idx -46.2, euribor_3m 1.299, nr_employed 5040" {
		t.Errorf("climate factor %+v", fc)
	}
	if !slices.Equal(ex.NotGiven, []string{"marital"}) {
		t.Errorf("not given %v, want marital", ex.NotGiven)
	}

	// The previous campaign, told once, whatever its three fields hold.
	none, failure, zero, two := ptr("none"), ptr("failure"), ptr[int32](0), ptr[int32](2)
	for _, tc := range []struct {
		outcome        *string
		contacts, days *int32
		want           string
	}{
		{none, zero, nil, "Not part of a previous campaign"},
		{failure, two, nil, "Previous campaign failed (contacted twice before this campaign, date of the last contact not on record)"},
		{failure, zero, ptr[int32](0), "Previous campaign failed (last contacted on the day of this campaign's call)"},
		{ptr("success"), zero, ptr[int32](1), "Previous campaign succeeded (last contacted 1 day before this campaign's call)"},
		{nil, nil, nil, "Outcome of a previous campaign unknown (earlier contacts not given)"},
		{none, two, nil, "No outcome of a previous campaign on record (contacted twice before this campaign, date of the last contact not on record)"},
		{ptr("unknown"), two, nil, "Outcome of a previous campaign unknown (contacted twice before this campaign, date of the last contact not on record)"},
	} {
		f.PreviousOutcome, f.PreviousContacts, f.DaysSincePreviousContact = tc.outcome, tc.contacts, tc.days
		ex := s.Explain(&f, DefaultThresholds)
		i := slices.IndexFunc(ex.Factors, func(fc Factor) bool { return fc.Feature == PreviousCampaignFeature })
		if i < 0 || ex.Factors[i].Description != tc.want {
			t.Errorf("previous campaign %v %v %v: %+v, want %q", tc.outcome, tc.contacts, tc.days, ex.Factors, tc.want)
		}
	}

	// The value agrees with the words: no date on record is not "never".
	f.PreviousOutcome, f.PreviousContacts, f.DaysSincePreviousContact = failure, two, nil
	ex = s.Explain(&f, DefaultThresholds)
	if i := slices.IndexFunc(ex.Factors, func(fc Factor) bool { return fc.Feature == PreviousCampaignFeature }); ex.Factors[i].Value !=
		"previous_outcome failure, previous_contacts 2, days_since_previous_contact not on record" {
		t.Errorf("previous campaign without a date: value %q", ex.Factors[i].Value)
	}

	f.PreviousOutcome, f.PreviousContacts, f.DaysSincePreviousContact = none, zero, nil
	f.CampaignContacts = zero
	// Its enumeration has no unknown level, and the synthetic leads lack
	// one now and then: the learnt effect of leads without one.
	f.ContactChannel = nil
	descriptions := map[string]bool{}
	for _, fc := range s.Explain(&f, DefaultThresholds).Factors {
		if fc.Feature == "contact_channel" && (fc.Value != notGivenLearnt || fc.Description != "Contact channel unknown (not given)") {
			t.Errorf("no channel: %+v", fc)
		}
		// The synthetic leads were all called at least once.
		if fc.Feature == "campaign_contacts" && fc.Description != "Campaign record: not called yet (outside the training data: scored as called once)" {
			t.Errorf("no call yet: %+v", fc)
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
	if fc := ex.Factors[i]; fc.Value != imputedValue || fc.Description != "Economic climate at the campaign's last contact unknown (not given: average assumed)" {
		t.Errorf("empty lead's climate factor %+v", fc)
	}

	f := fullFeatures()
	f.EmpVarRate, f.ConsPriceIdx, f.ConsConfIdx, f.Euribor3m = nil, nil, nil, nil
	ex = s.Explain(&f, DefaultThresholds)
	if want := []string{"emp_var_rate", "cons_price_idx", "cons_conf_idx", "euribor_3m"}; !slices.Equal(ex.NotGiven, want) {
		t.Errorf("not given %v, want %v", ex.NotGiven, want)
	}
	i = slices.IndexFunc(ex.Factors, func(fc Factor) bool { return fc.Feature == ClimateFeature })
	if fc := ex.Factors[i]; fc.Value != "nr_employed 5040" || fc.Description != "Economic climate at the campaign's last contact (5040 thousand people employed)" {
		t.Errorf("climate factor on one indicator %+v", fc)
	}
}

// A level no training lead had (the bank's data has no January calls) is
// scored as the field's average, and the explanation says so rather than
// offering January as a reason of no weight.
func TestExplainNotLearnt(t *testing.T) {
	t.Parallel()
	m, _ := mustScorer(t)
	// The synthetic data has every month: make January one it never saw.
	s := withoutLevel(t, m, catLastContactMonth, slices.Index(m.Encoding.Categorical[catLastContactMonth].Levels, "jan"))
	f := fullFeatures()
	f.LastContactMonth = ptr("jan")
	ex := s.Explain(&f, DefaultThresholds)
	if !slices.Equal(ex.NotLearnt, []string{"last_contact_month"}) || !slices.Equal(ex.NotGiven, []string{}) {
		t.Errorf("not learnt %v, not given %v", ex.NotLearnt, ex.NotGiven)
	}
	i := slices.IndexFunc(ex.Factors, func(fc Factor) bool { return fc.Feature == "last_contact_month" })
	if fc := ex.Factors[i]; fc.Contribution != 0 || fc.Description != "Campaign's last contact in January (not in the training data: average assumed)" {
		t.Errorf("January's factor %+v", fc)
	}
	oct := fullFeatures()
	if ex := s.Explain(&oct, DefaultThresholds); len(ex.NotLearnt) != 0 {
		t.Errorf("October not learnt: %v", ex.NotLearnt)
	}
}

// A number outside the training range is scored as the nearest end of it,
// and the explanation says so, for a factor of its own and for a shared
// one alike.
func TestExplainOutsideTraining(t *testing.T) {
	t.Parallel()
	_, s := mustScorer(t)
	top := s.num[numEuribor3m].max
	f := fullFeatures()
	f.Euribor3m, f.Age = ptr(top+5), ptr[int32](120)
	g := fullFeatures()
	g.Euribor3m, g.Age = ptr(top), ptr(int32(s.num[numAge].max))
	ex, at := s.Explain(&f, DefaultThresholds), s.Explain(&g, DefaultThresholds)
	if !slices.Equal(ex.NotLearnt, []string{"age", "euribor_3m"}) || len(at.NotLearnt) != 0 || ex.Logit != at.Logit {
		t.Fatalf("not learnt %v and %v, logits %v and %v", ex.NotLearnt, at.NotLearnt, ex.Logit, at.Logit)
	}
	want := map[string]string{
		"age": fmt.Sprintf("Age 120 (outside the training data: scored as age %v)", s.num[numAge].max),
		ClimateFeature: fmt.Sprintf("Economic climate at the campaign's last contact (Euribor 3-month rate %v%%) (outside the training data: scored as Euribor 3-month rate %v%%)",
			strconv.FormatFloat(top+5, 'f', -1, 64), strconv.FormatFloat(top, 'f', -1, 64)),
	}
	for _, fc := range ex.Factors {
		if w, ok := want[fc.Feature]; ok && fc.Description != w {
			t.Errorf("%s: %q, want %q", fc.Feature, fc.Description, w)
		}
	}
}

// TestNotGivenWords: a field the lead lacks reads "average assumed" only
// when it was filled in with its average, not when training had leads
// without it, whose effect it then takes.
func TestNotGivenWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		learnt      bool
		value, desc string
	}{
		{false, imputedValue, "Economic climate at the campaign's last contact unknown (not given: average assumed)"},
		{true, notGivenLearnt, "Economic climate at the campaign's last contact unknown (not given)"},
	} {
		if v, d := describeClimate(&Encoded{}, tc.learnt); v != tc.value || d != tc.desc {
			t.Errorf("climate, learnt %v: %q / %q", tc.learnt, v, d)
		}
	}
	for _, tc := range []struct {
		learnt      bool
		value, desc string
	}{
		{false, imputedValue, "Age unknown (not given: average assumed)"},
		{true, notGivenLearnt, "Age unknown (not given)"},
	} {
		if v, d := describeNumeric(numAge, false, tc.learnt, 0); v != tc.value || d != tc.desc {
			t.Errorf("age, learnt %v: %q / %q", tc.learnt, v, d)
		}
	}
}

// TestCallDurationWords: a call an hour or longer reads in hours, not as
// "1440 min".
func TestCallDurationWords(t *testing.T) {
	t.Parallel()
	for sec, want := range map[float64]string{
		0:     "Last call lasted 0 s",
		45:    "Last call lasted 45 s",
		60:    "Last call lasted 1 min 0 s",
		261:   "Last call lasted 4 min 21 s",
		3599:  "Last call lasted 59 min 59 s",
		3725:  "Last call lasted 1 h 2 min 5 s",
		86400: "Last call lasted 24 h 0 min 0 s",
	} {
		if _, got := describeNumeric(numLastCallDuration, true, true, sec); got != want {
			t.Errorf("%v s: %q, want %q", sec, got, want)
		}
	}
}

// Every number outside the training range says what it is scored as in
// the words of its factor, not as a column name and a bare number, and a
// negative zero reads as 0.
func TestExplainOutsideWords(t *testing.T) {
	t.Parallel()
	_, s := mustScorer(t)
	f := fullFeatures()
	f.PreviousContacts, f.DaysSincePreviousContact = ptr[int32](500), ptr[int32](900)
	f.LastCallDurationSec = ptr[int32](86400)
	f.EmpVarRate, f.NrEmployed = ptr(40.0), ptr(1.0)
	ex := s.Explain(&f, DefaultThresholds)
	maxDur := s.num[numLastCallDuration].max
	want := map[string]string{
		"last_call_duration_sec": "Last call lasted 24 h 0 min 0 s (outside the training data: scored as a call of " + duration(maxDur) + ")",
		PreviousCampaignFeature: fmt.Sprintf("Previous campaign succeeded (contacted 500 times before this campaign, last contacted 900 days before this campaign's call)"+
			" (outside the training data: scored as last contacted %v days before this campaign's call, contacted %s before)",
			s.num[numDaysSincePrevious].max, times(s.num[numPreviousContacts].max)),
		ClimateFeature: fmt.Sprintf("Economic climate at the campaign's last contact (Euribor 3-month rate 1.299%%)"+
			" (outside the training data: scored as employment variation rate %v, %v thousand people employed)",
			num(s.num[numEmpVarRate].max), num(s.num[numNrEmployed].min)),
	}
	for _, fc := range ex.Factors {
		if w, ok := want[fc.Feature]; ok {
			if fc.Description != w {
				t.Errorf("%s:\n got %q\nwant %q", fc.Feature, fc.Description, w)
			}
			delete(want, fc.Feature)
		}
	}
	if len(want) > 0 {
		t.Errorf("factors missing: %v", want)
	}
	g := fullFeatures()
	g.Euribor3m = ptr(math.Copysign(0, -1))
	for _, fc := range s.Explain(&g, DefaultThresholds).Factors {
		if fc.Feature == ClimateFeature && !strings.Contains(fc.Description, "(Euribor 3-month rate 0%)") {
			t.Errorf("negative zero: %q", fc.Description)
		}
	}
}

// A value filled in with its average moves nothing: its factor is 0, an
// interaction with another field included, and the explanation still adds
// up to the logit.
func TestExplainImputedMovesNothing(t *testing.T) {
	t.Parallel()
	m, _ := mustScorer(t)
	// The synthetic leads lack a contact channel now and then: make it a
	// field training always had, as in the bank's data.
	s := withoutLevel(t, m, catContactChannel, catFields[catContactChannel].missing)
	if len(s.inter) == 0 {
		t.Fatal("the synthetic model has no interactions")
	}
	for name, f := range map[string]Features{
		// contact_channel x cons_price_idx and campaign_contacts x
		// nr_employed each with one side filled in, then both.
		"OneSide": func() Features {
			f := fullFeatures()
			f.ContactChannel, f.CampaignContacts = nil, nil
			return f
		}(),
		"BothSides": {},
	} {
		t.Run(name, func(t *testing.T) {
			ex := s.Explain(&f, DefaultThresholds)
			sum := ex.Intercept
			for _, fc := range ex.Factors {
				sum += fc.Contribution
				if fc.Value == imputedValue && fc.Contribution != 0 {
					t.Errorf("%s filled in with its average moves the log-odds by %g", fc.Feature, fc.Contribution)
				}
			}
			if math.Abs(sum-ex.Logit) > 1e-9 {
				t.Errorf("intercept + contributions = %.15g, logit = %.15g", sum, ex.Logit)
			}
			if !slices.Contains(ex.NotGiven, "contact_channel") || !slices.Contains(ex.NotGiven, "campaign_contacts") {
				t.Errorf("not given %v", ex.NotGiven)
			}
		})
	}
}

// withoutLevel compiles a copy of m as if training had seen no lead with
// categorical field i's level l.
func withoutLevel(t *testing.T, m *Model, i, l int) *Scorer {
	t.Helper()
	cp := *m
	cp.Encoding.Categorical = slices.Clone(m.Encoding.Categorical)
	f := &cp.Encoding.Categorical[i]
	f.Counts = slices.Clone(f.Counts)
	f.Counts[l] = 0
	s, err := cp.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
