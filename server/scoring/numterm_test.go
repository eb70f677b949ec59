package scoring

import "testing"

// The grid tables are only a faster way to the same numbers: on the grid,
// between its points and past its ends, a tabulated field scores exactly
// as the coefficients do.
func TestNumTermGrid(t *testing.T) {
	t.Parallel()
	_, s := mustScorer(t)
	scales := map[string]float64{}
	for i := range s.num {
		nt := &s.num[i]
		if nt.enc == nil {
			continue
		}
		scales[nt.enc.Field] = nt.gridScale
		step := 1.0
		if nt.grid != nil {
			step = 1 / nt.gridScale
		}
		for x := nt.min - 2*step; x <= nt.max+2*step; x += step / 4 {
			gotC, gotBin := nt.contributionBin(x)
			wantC, wantBin := nt.compute(min(max(x, nt.min), nt.max))
			if gotC != wantC || gotBin != wantBin {
				t.Fatalf("%s at %v: contribution %v in bin %d, want %v in bin %d", nt.enc.Field, x, gotC, gotBin, wantC, wantBin)
			}
		}
	}
	// The synthetic leads' ages are whole numbers, their price index has
	// two decimals and their euribor rates are random reals.
	for field, want := range map[string]float64{"age": 1, "cons_price_idx": 100, "euribor_3m": 0} {
		if got := scales[field]; got != want {
			t.Errorf("%s: grid scale %v, want %v", field, got, want)
		}
	}
}
