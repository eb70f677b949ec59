package scoring

import (
	"slices"
	"testing"
)

func TestExplanationTop(t *testing.T) {
	t.Parallel()
	f := func(name string, c float64) Factor { return Factor{Feature: name, Contribution: c} }
	for _, tc := range []struct {
		name    string
		factors []Factor
		each    int
		kept    []string
		other   float64
	}{
		{"None", nil, 2, []string{}, 0},
		{"EachWay", []Factor{f("a", 0.9), f("b", -0.8), f("c", 0.7), f("d", 0.6), f("e", -0.5)}, 2,
			[]string{"a", "b", "c", "e"}, 0.6},
		{"BelowMinimum", []Factor{f("a", 0.9), f("b", 0.04), f("c", -0.049)}, 2, []string{"a"}, -0.009},
		{"AtMinimum", []Factor{f("a", -0.05)}, 2, []string{"a"}, 0},
		{"Zero", []Factor{f("a", 0)}, 2, []string{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ex := Explanation{Factors: tc.factors}
			kept, other := ex.Top(tc.each, 0.05)
			names := []string{}
			sum := other
			for _, k := range kept {
				names = append(names, k.Feature)
				sum += k.Contribution
			}
			var all float64
			for _, k := range tc.factors {
				all += k.Contribution
			}
			if !slices.Equal(names, tc.kept) || !near(other, tc.other) || !near(sum, all) {
				t.Errorf("kept %v other %v, want %v %v (parts summing to %v)", names, other, tc.kept, tc.other, all)
			}
		})
	}
}
