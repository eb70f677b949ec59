package scoring

import (
	"math"
	"testing"
)

// The grid tables are only a faster way to the same numbers: on the grid,
// between its points and past its ends, a tabulated field scores exactly
// as the coefficients do.
func TestNumTermGrid(t *testing.T) {
	t.Parallel()
	_, s := mustScorer(t)
	scales := map[string]float64{}
	for i := range s.num {
		if nt := &s.num[i]; nt.enc != nil {
			scales[nt.enc.Field] = nt.gridScale
			checkGrid(t, nt.enc.Field, nt)
		}
	}
	// The synthetic leads' ages are whole numbers, their price index has
	// two decimals and their euribor rates are random reals.
	for field, want := range map[string]float64{"age": 1, "cons_price_idx": 100, "euribor_3m": 0} {
		if got := scales[field]; got != want {
			t.Errorf("%s: grid scale %v, want %v", field, got, want)
		}
	}

	// Encodings like the bank's macro indicators (negative, tenths;
	// thousandths), and ranges that get no table or sit far from zero.
	for _, tc := range []struct {
		name       string
		min, max   float64
		cuts       []float64
		scale      float64
		gridPoints int
	}{
		{"cons_conf_idx", -50.8, -26.9, []float64{-46.2, -42, -36.4}, 10, 240},
		{"euribor_3m", 0.634, 5.045, []float64{1, 4.857, 4.96}, 1000, 4412},
		{"too many points", 0, 20, []float64{1.5, 7.125}, 0, 0},
		{"past an int", 0, 1e19, nil, 0, 0},
		{"far from zero", 4.40196372805656e12, 4.40196372805666e12, nil, 100, 11},
	} {
		nt := &numTerm{
			enc:   &NumericEncoding{Field: tc.name, Min: tc.min, Max: tc.max, Cuts: tc.cuts},
			slope: 0.37, offset: -1.1,
		}
		if len(tc.cuts) > 0 {
			nt.bins = []float64{0.1, -0.2, 0.3, 0.05}[:len(tc.cuts)+1]
		}
		nt.fillTable()
		if nt.gridScale != tc.scale || len(nt.grid) != tc.gridPoints {
			t.Errorf("%s: scale %v with %d points, want %v with %d", tc.name, nt.gridScale, len(nt.grid), tc.scale, tc.gridPoints)
		}
		checkGrid(t, tc.name, nt)
	}
}

// checkGrid compares contributionBin with compute at every quarter step
// of nt's grid (of 1 without one) from two steps below its range to two
// above, and at the values no grid holds.
func checkGrid(t *testing.T, name string, nt *numTerm) {
	t.Helper()
	scale := nt.gridScale
	if scale == 0 {
		scale = 1
	}
	base := math.Round(nt.min * scale)
	// Quarter steps counted in integers, so that every fourth probe is
	// exactly a grid point (a running sum would drift off the grid).
	points := min(math.Round(nt.max*scale)-base, 1e4)
	probes := []float64{math.Inf(-1), math.Inf(1), math.NaN(), nt.max}
	for k := -8.0; k <= 4*points+8; k++ {
		probes = append(probes, (4*base+k)/(4*scale))
	}
	for _, x := range probes {
		gotC, gotBin := nt.contributionBin(x)
		wantC, wantBin := nt.compute(min(max(x, nt.min), nt.max))
		if gotC != wantC && !(math.IsNaN(gotC) && math.IsNaN(wantC)) || gotBin != wantBin {
			t.Fatalf("%s at %v: contribution %v in bin %d, want %v in bin %d", name, x, gotC, gotBin, wantC, wantBin)
		}
	}
}
