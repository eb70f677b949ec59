package scoring

import (
	"context"
	"math"
	"sync"
	"testing"
)

// synthModel is a model trained on synthetic leads, shared read-only by
// the tests that need any valid model.
var synthModel = sync.OnceValues(func() (*TrainResult, error) {
	return Train(context.Background(), synthExamples(3000, 42), Options{IncludeCallDuration: true})
})

func mustScorer(tb testing.TB) (*Model, *Scorer) {
	tb.Helper()
	res, err := synthModel()
	if err != nil {
		tb.Fatal(err)
	}
	s, err := res.Model.Compile()
	if err != nil {
		tb.Fatal(err)
	}
	return res.Model, s
}

// The scorer's tables must reproduce the training design exactly, or the
// stored metrics would describe a different model from the one that scores.
func TestScorerMatchesDesign(t *testing.T) {
	t.Parallel()
	m, s := mustScorer(t)
	if len(m.Encoding.Interactions) != len(featureInteractions) {
		t.Fatalf("%d interactions in the synthetic model, want %d", len(m.Encoding.Interactions), len(featureInteractions))
	}
	for _, ie := range m.Encoding.Interactions {
		if len(ie.Cells) < 2 {
			t.Fatalf("interaction %s x %s has %d cells", ie.A, ie.B, len(ie.Cells))
		}
	}
	// Only levels training never saw could differ (they score as the
	// average); the synthetic data has none in its training rows except
	// weekend days, which it never draws.
	matchesDesign(t, m, s, synthExamples(3000, 42))
}

// matchesDesign checks that s scores every example as the design matrix
// and m's coefficients do.
func matchesDesign(t *testing.T, m *Model, s *Scorer, ex []Example) {
	t.Helper()
	rows := make([]Encoded, len(ex))
	for i := range ex {
		Encode(&ex[i].Features, &rows[i])
	}
	d := buildDesign(&m.Encoding, rows)
	for r := range rows {
		z := m.Intercept
		for k := d.start[r]; k < d.start[r+1]; k++ {
			z += m.Coefficients[d.col[k]] * d.val[k]
		}
		if got := s.LogitEncoded(&rows[r]); math.Abs(got-z) > 1e-9 {
			t.Fatalf("row %d: scorer logit %g, design logit %g", r, got, z)
		}
		if got, want := s.Probability(&ex[r].Features), sigmoid(z); math.Abs(got-want) > 1e-9 {
			t.Fatalf("row %d: probability %g, want %g", r, got, want)
		}
	}
}

func TestScorerUnseenAndMissing(t *testing.T) {
	t.Parallel()
	_, s := mustScorer(t)
	f := fullFeatures()
	f.LastContactWeekday = ptr("sat") // never in the synthetic training data
	f.ContactChannel = nil            // training had missing channels: a learnt level
	ex := s.Explain(&f, DefaultThresholds)
	for _, fc := range ex.Factors {
		if fc.Feature == "last_contact_weekday" && math.Abs(fc.Contribution) > 1e-12 {
			t.Errorf("%s: contribution %g, want 0 (imputed as average)", fc.Feature, fc.Contribution)
		}
		if fc.Feature == "contact_channel" && (fc.Value != notGivenLearnt || fc.Contribution == 0) {
			t.Errorf("%s: %+v, want the learnt unknown level", fc.Feature, fc)
		}
	}
	// Extreme values are clamped to the training range.
	f = fullFeatures()
	f.CampaignContacts = ptr[int32](1 << 30)
	g := fullFeatures()
	g.CampaignContacts = ptr[int32](1000)
	if a, b := s.Probability(&f), s.Probability(&g); a != b || math.IsNaN(a) {
		t.Errorf("clamped probabilities differ: %g vs %g", a, b)
	}
	var empty Features
	if p := s.Probability(&empty); !(p > 0 && p < 1) {
		t.Errorf("probability of an empty lead = %g", p)
	}
}

// An integer field with more bins than a byte counts still finds its bin
// through the scorer's lookup table, for its interactions too.
func TestScorerManyBins(t *testing.T) {
	t.Parallel()
	specs := featureSpecs
	specs[numLastCallDuration] = numericSpec{levelMin: 1} // ~1,000 distinct durations
	cfg := trainConfig{specs: specs, interactions: []interactionSpec{{"last_call_duration_sec", "contact_channel", 1}}}
	ex := synthExamples(3000, 44)
	res, err := train(context.Background(), ex, Options{IncludeCallDuration: true}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	for _, ne := range m.Encoding.Numeric {
		if ne.Field == "last_call_duration_sec" && len(ne.Cuts) < 300 {
			t.Fatalf("%d duration cuts, want hundreds", len(ne.Cuts))
		}
	}
	s, err := m.Compile()
	if err != nil {
		t.Fatal(err)
	}
	matchesDesign(t, m, s, ex)
}

// A field training always saw filled in is imputed as its average effect,
// in its interactions too: over the training rows, blanking it moves the
// mean logit by nothing, and the explanation still adds up. (Scoring the
// interaction's unlearnt pairs as zero once shifted such leads by +0.13
// logit on the UCI model, the cells not being centred.)
func TestScorerImputesInteractions(t *testing.T) {
	t.Parallel()
	ex := synthExamples(3000, 43)
	for i := range ex {
		f := &ex[i].Features
		if f.ContactChannel == nil {
			f.ContactChannel = ptr("cellular")
		}
	}
	res, err := Train(context.Background(), ex, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := res.Model.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Model.Encoding.Interactions) != len(featureInteractions) {
		t.Fatalf("%d interactions, want %d", len(res.Model.Encoding.Interactions), len(featureInteractions))
	}
	blank := map[string]func(*Features){
		"contact_channel":   func(f *Features) { f.ContactChannel = nil },
		"cons_price_idx":    func(f *Features) { f.ConsPriceIdx = nil },
		"campaign_contacts": func(f *Features) { f.CampaignContacts = nil },
		"nr_employed":       func(f *Features) { f.NrEmployed = nil },
		"both of a pair":    func(f *Features) { f.ContactChannel, f.ConsPriceIdx = nil, nil },
	}
	for name, clear := range blank {
		var shift float64
		for i := range ex {
			f := ex[i].Features
			before := s.Logit(&f)
			clear(&f)
			shift += s.Logit(&f) - before
			e := s.Explain(&f, DefaultThresholds)
			sum := e.Intercept
			for _, fc := range e.Factors {
				sum += fc.Contribution
			}
			if math.Abs(sum-e.Logit) > 1e-9 || math.Abs(e.Logit-s.Logit(&f)) > 1e-9 {
				t.Fatalf("%s blank: factors add up to %g, logit %g, scorer %g", name, sum, e.Logit, s.Logit(&f))
			}
		}
		// Only the training rows average out exactly; these are all the
		// examples, holdout included, so allow a little.
		if mean := shift / float64(len(ex)); math.Abs(mean) > 0.01 {
			t.Errorf("%s blank: mean logit shift %+.4f, want about 0", name, mean)
		}
	}
}

// Not parallel: AllocsPerRun refuses to run alongside other tests.
func TestScoreAllocations(t *testing.T) {
	_, s := mustScorer(t)
	f := fullFeatures()
	var e Encoded
	var sink float64
	if n := testing.AllocsPerRun(200, func() { sink += s.Probability(&f) }); n != 0 {
		t.Errorf("Probability allocates %g times per lead", n)
	}
	if n := testing.AllocsPerRun(200, func() { s.Encode(&f, &e); sink += s.ScoreEncoded(&e) }); n != 0 {
		t.Errorf("Encode+ScoreEncoded allocates %g times per lead", n)
	}
	_ = sink
}

// BenchmarkScore measures the bulk re-score path: every lead's stored
// fields encoded and scored with the UCI model.
func BenchmarkScore(b *testing.B) {
	ex := mustUCI(b)
	res, err := Train(context.Background(), ex, Options{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := res.Model.Compile()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sink float64
	for i := 0; b.Loop(); i++ {
		sink += s.Probability(&ex[i%len(ex)].Features)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leads/s")
	_ = sink
}

// BenchmarkScoreEncoded measures scoring alone, for callers that keep leads
// encoded (Encode is model-independent).
func BenchmarkScoreEncoded(b *testing.B) {
	ex := mustUCI(b)
	res, err := Train(context.Background(), ex, Options{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := res.Model.Compile()
	if err != nil {
		b.Fatal(err)
	}
	enc := make([]Encoded, len(ex))
	for i := range ex {
		Encode(&ex[i].Features, &enc[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sink float64
	for i := 0; b.Loop(); i++ {
		sink += s.ScoreEncoded(&enc[i%len(enc)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leads/s")
	_ = sink
}
