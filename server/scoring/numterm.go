package scoring

import "math"

// numTerm is a numeric field's contribution to the logit.
type numTerm struct {
	enc *NumericEncoding // nil when the model does not use the field
	// min and max are enc's, kept here so the hot path reads one struct.
	min, max      float64
	slope, offset float64 // of the linear column, standardisation folded in
	bins          []float64
	// absent is the contribution of a nil value: its learnt column, or the
	// field's average when training had no nil values.
	absent float64
	// A field whose training minimum, maximum and cuts (which are training
	// values) lie on a grid of step 1/gridScale has every grid point, its
	// contribution and its bin in grid: a lead's value, nearly always a
	// grid point, then costs one lookup instead of a log and a bisection.
	// The grids are the whole numbers of the integer fields and the one to
	// three decimals of the macro indicators.
	gridScale float64
	grid      []gridPoint
}

// gridPoint is a value of a tabulated field with its contribution and bin.
type gridPoint struct {
	x, c float64
	bin  int
}

// maxTable bounds a field's table (call durations reach ~5000 s; euribor
// with three decimals spans ~4,400 points).
const maxTable = 1 << 14

func (t *numTerm) contribution(x float64) float64 {
	c, _ := t.contributionBin(x)
	return c
}

// contributionBin is the contribution of x and its bin (0 without bins),
// which interactions with the field reuse.
func (t *numTerm) contributionBin(x float64) (float64, int) {
	x = min(max(x, t.min), t.max)
	// The nearest grid point, which is x unless x is off the grid. The
	// index is checked rather than trusted: NaN, or a range so far from
	// zero that rounding moves its end, falls back to compute.
	if k := int((x-t.min)*t.gridScale + 0.5); uint(k) < uint(len(t.grid)) {
		if p := &t.grid[k]; p.x == x {
			return p.c, p.bin
		}
	}
	return t.compute(x)
}

// compute is the contribution and bin of a clamped x from the
// coefficients.
func (t *numTerm) compute(x float64) (float64, int) {
	ne := t.enc
	v := x
	if ne.Log {
		v = log1pNonNeg(x)
	}
	c := t.slope*v + t.offset
	if len(t.bins) > 0 {
		b := binOf(ne.Cuts, x)
		return c + t.bins[b], b
	}
	return c, 0
}

// fillTable tabulates the field when its minimum, maximum and cuts lie on
// a grid of whole numbers, tenths, hundredths or thousandths of at most
// maxTable points. Each point holds what compute gives for it, so the
// table changes no result, only how fast a value on the grid is scored.
func (t *numTerm) fillTable() {
	ne := t.enc
	t.min, t.max = ne.Min, ne.Max
	for scale := 1.0; scale <= 1000; scale *= 10 {
		onGrid := func(v float64) bool { return math.Round(v*scale)/scale == v }
		if !onGrid(ne.Min) || !onGrid(ne.Max) || !allOf(ne.Cuts, onGrid) {
			continue
		}
		base := math.Round(ne.Min * scale)
		span := math.Round(ne.Max*scale) - base // compared as a float: it may exceed an int
		if span >= maxTable {
			return
		}
		t.gridScale = scale
		t.grid = make([]gridPoint, int(span)+1)
		for k := range t.grid {
			x := (base + float64(k)) / scale
			c, b := t.compute(x)
			t.grid[k] = gridPoint{x, c, b}
		}
		return
	}
}

func allOf(vs []float64, f func(float64) bool) bool {
	for _, v := range vs {
		if !f(v) {
			return false
		}
	}
	return true
}
