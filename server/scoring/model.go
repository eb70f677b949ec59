package scoring

import (
	"errors"
	"fmt"
	"slices"
)

// Algorithm names the only model family this package trains.
const Algorithm = "logistic_regression_l2"

// ErrInvalidModel is returned (wrapped) by Model.Validate and Model.Compile.
var ErrInvalidModel = errors.New("invalid scoring model")

// Model is a trained scoring model, self-contained and JSON-serialisable:
// what it takes to score a lead, explain the score and judge the model.
//
// The stored model is the one fitted on the training split only, so its
// Metrics are honest: they come from rows the model never saw. Refitting on
// all rows would gain a quarter more data but leave no honest figure to
// show for the model actually used.
type Model struct {
	Algorithm string   `json:"algorithm"`
	Options   Options  `json:"options"`
	Encoding  Encoding `json:"encoding"`
	// FeatureNames and Coefficients are aligned column by column.
	FeatureNames []string   `json:"feature_names"`
	Intercept    float64    `json:"intercept"`
	Coefficients []float64  `json:"coefficients"`
	Thresholds   Thresholds `json:"thresholds"`
	Metrics      Metrics    `json:"metrics"`
}

// Validate checks a model, typically one read back from JSON, for
// everything scoring relies on. It returns ErrInvalidModel, wrapped with the
// first problem found.
func (m *Model) Validate() error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidModel, err)
	}
	return nil
}

func (m *Model) validate() error {
	if m.Algorithm != Algorithm {
		return fmt.Errorf("algorithm %q, want %q", m.Algorithm, Algorithm)
	}
	if err := m.Thresholds.Validate(); err != nil {
		return err
	}
	if err := m.Encoding.validate(); err != nil {
		return err
	}
	if !m.Options.IncludeCallDuration && numFieldIndexIn(&m.Encoding, numLastCallDuration) {
		return errors.New("encoding uses last_call_duration_sec but the options exclude it")
	}
	if cols := m.Encoding.Columns(); len(m.Coefficients) != cols {
		return fmt.Errorf("%d coefficients for %d columns", len(m.Coefficients), cols)
	}
	if !slices.Equal(m.FeatureNames, m.Encoding.FeatureNames()) {
		return errors.New("feature names do not match the encoding")
	}
	if !finite(m.Intercept) || !finite(m.Coefficients...) {
		return errors.New("coefficients must be finite")
	}
	return nil
}

func numFieldIndexIn(enc *Encoding, field int) bool {
	for _, ne := range enc.Numeric {
		if ne.Field == numFields[field].name {
			return true
		}
	}
	return false
}
