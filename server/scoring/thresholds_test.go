package scoring

import (
	"errors"
	"testing"
)

func TestThresholdsCategory(t *testing.T) {
	t.Parallel()
	th := DefaultThresholds
	for _, tc := range []struct {
		p    float64
		want string
	}{
		{0, CategoryCold}, {0.39999, CategoryCold}, {0.40, CategoryWarm}, {0.6999, CategoryWarm},
		{0.70, CategoryHot}, {1, CategoryHot},
	} {
		if got := th.Category(tc.p); got != tc.want {
			t.Errorf("Category(%g) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestThresholdsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		th   Thresholds
		ok   bool
	}{
		{"OK", Thresholds{Hot: 0.7, Warm: 0.4}, true},
		{"Default", DefaultThresholds, true},
		{"ErrEqual", Thresholds{Hot: 0.5, Warm: 0.5}, false},
		{"ErrSwapped", Thresholds{Hot: 0.4, Warm: 0.7}, false},
		{"ErrZeroWarm", Thresholds{Hot: 0.7, Warm: 0}, false},
		{"ErrHotOne", Thresholds{Hot: 1, Warm: 0.4}, false},
		{"ErrZero", Thresholds{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.th.Validate()
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidThresholds)) {
				t.Errorf("Validate(%+v) = %v", tc.th, err)
			}
		})
	}
}
