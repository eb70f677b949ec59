package scoring

import (
	"errors"
	"fmt"
)

// Thresholds split probabilities into categories: hot at or above Hot, warm
// at or above Warm, cold below.
type Thresholds struct {
	Hot  float64 `json:"hot"`
	Warm float64 `json:"warm"`
}

// DefaultThresholds are used when a caller sets none.
var DefaultThresholds = Thresholds{Hot: 0.70, Warm: 0.40}

// ErrInvalidThresholds is returned (wrapped) by Thresholds.Validate.
var ErrInvalidThresholds = errors.New("invalid thresholds")

// Validate returns ErrInvalidThresholds unless 0 < Warm < Hot < 1.
func (t Thresholds) Validate() error {
	if !(0 < t.Warm && t.Warm < t.Hot && t.Hot < 1) {
		return fmt.Errorf("%w: need 0 < warm (%g) < hot (%g) < 1", ErrInvalidThresholds, t.Warm, t.Hot)
	}
	return nil
}

// Category returns CategoryHot, CategoryWarm or CategoryCold for p.
func (t Thresholds) Category(p float64) string {
	switch {
	case p >= t.Hot:
		return CategoryHot
	case p >= t.Warm:
		return CategoryWarm
	}
	return CategoryCold
}
