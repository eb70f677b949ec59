package scoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestModelJSONRoundTrip(t *testing.T) {
	t.Parallel()
	m, s := mustScorer(t)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatalf("Validate after round trip: %v", err)
	}
	b2, _ := json.Marshal(&back)
	if !bytes.Equal(b, b2) {
		t.Error("JSON round trip changed the model")
	}
	s2, err := back.Compile()
	if err != nil {
		t.Fatal(err)
	}
	f := fullFeatures()
	if a, b := s.Probability(&f), s2.Probability(&f); a != b {
		t.Errorf("probability %g after round trip, want %g", b, a)
	}
	for _, key := range []string{`"algorithm":"logistic_regression_l2"`, `"auc":`, `"lift_top_decile":`,
		`"calibration":[{"bin":1,`, `"categories":[{"category":"hot"`, `"n_train":`, `"thresholds":{"hot":0.7,"warm":0.4}`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestModelValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(m *Model)
	}{
		{"ErrAlgorithm", func(m *Model) { m.Algorithm = "xgboost" }},
		{"ErrThresholds", func(m *Model) { m.Thresholds = Thresholds{Hot: 0.3, Warm: 0.5} }},
		{"ErrCoefficientCount", func(m *Model) { m.Coefficients = m.Coefficients[1:] }},
		{"ErrNaN", func(m *Model) { m.Coefficients[3] = m.Coefficients[3] / 0 * 0 }},
		{"ErrLevels", func(m *Model) { m.Encoding.Categorical[0].Levels[0] = "boss" }},
		{"ErrFieldOrder", func(m *Model) {
			n := m.Encoding.Numeric
			n[0], n[1] = n[1], n[0]
		}},
		{"ErrStd", func(m *Model) { m.Encoding.Numeric[0].Std = 0 }},
		{"ErrCuts", func(m *Model) { m.Encoding.Numeric[0].Cuts[0] = 1e9 }},
		{"ErrNames", func(m *Model) { m.FeatureNames[0] = "x" }},
		{"ErrDuration", func(m *Model) { m.Options.IncludeCallDuration = false }},
		{"ErrMissingCategorical", func(m *Model) { m.Encoding.Categorical = m.Encoding.Categorical[1:] }},
		{"ErrInteractionField", func(m *Model) { m.Encoding.Interactions[0].A = "shoe_size" }},
		{"ErrInteractionUnbinned", func(m *Model) { m.Encoding.Interactions[0].B = "cons_conf_idx" }},
		{"ErrInteractionCellRange", func(m *Model) {
			c := m.Encoding.Interactions[0].Cells
			c[len(c)-1] = 1 << 20
		}},
		{"ErrInteractionCellOrder", func(m *Model) {
			c := m.Encoding.Interactions[0].Cells
			c[0], c[1] = c[1], c[0]
		}},
		{"ErrInteractionCounts", func(m *Model) { m.Encoding.Interactions[0].Counts = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := cloneModel(t)
			tc.mutate(m)
			if err := m.Validate(); !errors.Is(err, ErrInvalidModel) {
				t.Errorf("Validate = %v, want ErrInvalidModel", err)
			}
			if _, err := m.Compile(); !errors.Is(err, ErrInvalidModel) {
				t.Errorf("Compile = %v, want ErrInvalidModel", err)
			}
		})
	}
}

// cloneModel returns a deep copy of the shared synthetic model to break.
func cloneModel(t *testing.T) *Model {
	t.Helper()
	m, _ := mustScorer(t)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var c Model
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}
