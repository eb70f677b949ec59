package scoring

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Encoding is how a model turns a lead into the columns its coefficients
// multiply, with the training statistics it was fitted on. Fields appear in
// the registry's order; a field the model does not use (call duration by
// default) is absent.
type Encoding struct {
	Categorical []CategoricalEncoding `json:"categorical"`
	Numeric     []NumericEncoding     `json:"numeric"`
	// Interactions follow the numeric columns.
	Interactions []InteractionEncoding `json:"interactions,omitempty"`
}

// CategoricalEncoding one-hot encodes a field, one column per level.
// Missing and unrecognised values share the "unknown" level. A level with no
// training rows is scored as the field's training-average effect.
type CategoricalEncoding struct {
	Field  string   `json:"field"`
	Levels []string `json:"levels"`
	Counts []int    `json:"counts"` // training rows per level
}

// NumericEncoding turns a number into a standardised linear column
// (optionally on log1p(x)) plus an optional one-hot of bins. Values are
// clamped into the training range first so a typo cannot dominate a score.
//
// A missing value gets a column of its own when training saw missing values;
// otherwise it is scored as the field's training-average effect, which for
// the linear term is exactly imputation by the training mean.
// days_since_previous_contact is the exception: its nil means "never
// contacted" and has the Never column.
type NumericEncoding struct {
	Field string  `json:"field"`
	Log   bool    `json:"log,omitempty"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	// Mean and Std are of the clamped, transformed value over known rows.
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	// Cuts are ascending bin edges on the raw value: bin k holds
	// Cuts[k-1] <= x < Cuts[k]. No cuts means no bin columns.
	Cuts      []float64 `json:"cuts,omitempty"`
	BinCounts []int     `json:"bin_counts,omitempty"`
	Known     int       `json:"known"`
	Missing   int       `json:"missing"`
	Never     int       `json:"never,omitempty"`
}

// numericSpec is the feature engineering chosen for one numeric field.
type numericSpec struct {
	log  bool
	bins int // quantile bins on the training values; < 2 means none
	// levelMin, when positive, replaces quantile bins by one bin per
	// distinct value seen at least levelMin times. The macro indicators take
	// a few dozen values, one per month of the campaign, so this amounts to
	// a period effect.
	levelMin int
	// rareBins, with levelMin, gives the values between two common ones a
	// bin of their own instead of the common value's below them.
	rareBins bool
}

// fitEncoding computes the encoding from the training rows. excluded lists
// numeric fields the model must not use.
func fitEncoding(rows []Encoded, specs [numNumeric]numericSpec, excluded [numNumeric]bool) Encoding {
	var enc Encoding
	for i := range catFields {
		f := &catFields[i]
		ce := CategoricalEncoding{Field: f.name, Levels: f.modelLevels()}
		ce.Counts = make([]int, len(ce.Levels))
		for r := range rows {
			ce.Counts[rows[r].Levels[i]]++
		}
		enc.Categorical = append(enc.Categorical, ce)
	}
	vals := make([]float64, 0, len(rows))
	for i := range numFields {
		if excluded[i] {
			continue
		}
		f := &numFields[i]
		ne := NumericEncoding{Field: f.name, Log: specs[i].log}
		vals = vals[:0]
		for r := range rows {
			if rows[r].known(i) {
				vals = append(vals, rows[r].Values[i])
			} else if f.nilIsNever {
				ne.Never++
			} else {
				ne.Missing++
			}
		}
		ne.Known = len(vals)
		if len(vals) > 0 {
			slices.Sort(vals)
			ne.Min, ne.Max = vals[0], vals[len(vals)-1]
			if specs[i].levelMin > 0 {
				ne.Cuts = levelCuts(vals, specs[i].levelMin, specs[i].rareBins)
			} else {
				ne.Cuts = quantileCuts(vals, specs[i].bins)
			}
			var sum float64
			for _, v := range vals {
				sum += ne.transform(v)
			}
			ne.Mean = sum / float64(len(vals))
			var ss float64
			for _, v := range vals {
				d := ne.transform(v) - ne.Mean
				ss += d * d
			}
			ne.Std = math.Sqrt(ss / float64(len(vals)))
			if len(ne.Cuts) > 0 {
				ne.BinCounts = make([]int, len(ne.Cuts)+1)
				for _, v := range vals {
					ne.BinCounts[binOf(ne.Cuts, v)]++
				}
			}
		}
		if ne.Std <= 1e-12 {
			// A constant column carries no information; a unit scale keeps
			// the arithmetic finite and its value at zero.
			ne.Std = 1
		}
		enc.Numeric = append(enc.Numeric, ne)
	}
	return enc
}

// quantileCuts returns up to bins-1 distinct edges at the training quantiles
// of sorted, so that every bin holds training rows.
func quantileCuts(sorted []float64, bins int) []float64 {
	if bins < 2 {
		return nil
	}
	var cuts []float64
	for k := 1; k < bins; k++ {
		c := sorted[k*len(sorted)/bins]
		if c > sorted[0] && (len(cuts) == 0 || c > cuts[len(cuts)-1]) {
			cuts = append(cuts, c)
		}
	}
	return cuts
}

// levelCuts returns an edge at every distinct value of sorted (past the
// first) that occurs at least minCount times; rarer values share the bin
// below them.
func levelCuts(sorted []float64, minCount int, rareBins bool) []float64 {
	var cuts []float64
	prevCommon := false
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		common := j-i >= minCount
		if i > 0 && (common || (rareBins && prevCommon)) {
			cuts = append(cuts, sorted[i])
		}
		prevCommon = common
		i = j
	}
	return cuts
}

// binOf returns the bin of x: the number of cuts at or below it. Short
// lists are scanned; the macro indicators' long ones are bisected.
func binOf(cuts []float64, x float64) int {
	if len(cuts) <= 8 {
		k := 0
		for k < len(cuts) && x >= cuts[k] {
			k++
		}
		return k
	}
	lo, hi := 0, len(cuts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x >= cuts[mid] {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (ne *NumericEncoding) clamp(x float64) float64 {
	return min(max(x, ne.Min), ne.Max)
}

// transform is the value the linear column standardises; x is clamped.
func (ne *NumericEncoding) transform(x float64) float64 {
	if ne.Log {
		return log1pNonNeg(x)
	}
	return x
}

func log1pNonNeg(x float64) float64 { return math.Log1p(max(x, 0)) }

// standardised is the linear column's value for a raw x.
func (ne *NumericEncoding) standardised(x float64) float64 {
	return (ne.transform(ne.clamp(x)) - ne.Mean) / ne.Std
}

// columns is the number of columns the field contributes.
func (ne *NumericEncoding) columns() int {
	n := 1
	if len(ne.Cuts) > 0 {
		n += len(ne.Cuts) + 1
	}
	if ne.Missing > 0 {
		n++
	}
	if ne.Never > 0 {
		n++
	}
	return n
}

// Columns is the number of model columns the encoding produces, excluding
// the intercept.
func (e *Encoding) Columns() int {
	n := 0
	for i := range e.Categorical {
		n += len(e.Categorical[i].Levels)
	}
	for i := range e.Numeric {
		n += e.Numeric[i].columns()
	}
	for i := range e.Interactions {
		n += len(e.Interactions[i].Cells)
	}
	return n
}

// FeatureNames names the columns in order, e.g. "job=retired", "age",
// "age[40,47)", "campaign_contacts:log1p", "days_since_previous_contact:never".
func (e *Encoding) FeatureNames() []string {
	var names []string
	for _, c := range e.Categorical {
		for _, l := range c.Levels {
			names = append(names, c.Field+"="+l)
		}
	}
	for _, ne := range e.Numeric {
		if ne.Log {
			names = append(names, ne.Field+":log1p")
		} else {
			names = append(names, ne.Field)
		}
		if len(ne.Cuts) > 0 {
			for k := 0; k <= len(ne.Cuts); k++ {
				names = append(names, ne.Field+binName(ne.Cuts, k))
			}
		}
		if ne.Missing > 0 {
			names = append(names, ne.Field+":missing")
		}
		if ne.Never > 0 {
			names = append(names, ne.Field+":never")
		}
	}
	for i := range e.Interactions {
		for _, c := range e.Interactions[i].Cells {
			names = append(names, interactionName(e, &e.Interactions[i], c))
		}
	}
	return names
}

func formatNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// validate checks an encoding read from JSON against the field registry.
func (e *Encoding) validate() error {
	if len(e.Categorical) != numCategorical {
		return fmt.Errorf("encoding has %d categorical fields, want %d", len(e.Categorical), numCategorical)
	}
	for i, c := range e.Categorical {
		f := &catFields[i]
		if c.Field != f.name {
			return fmt.Errorf("categorical field %d is %q, want %q", i, c.Field, f.name)
		}
		if !slices.Equal(c.Levels, f.modelLevels()) {
			return fmt.Errorf("field %s: levels %v do not match the enumeration", c.Field, c.Levels)
		}
		if len(c.Counts) != len(c.Levels) {
			return fmt.Errorf("field %s: %d counts for %d levels", c.Field, len(c.Counts), len(c.Levels))
		}
	}
	next := 0
	for _, ne := range e.Numeric {
		i := numFieldIndex(ne.Field)
		if i < next {
			return fmt.Errorf("numeric field %q unknown, repeated or out of order", ne.Field)
		}
		next = i + 1
		if !finite(ne.Min, ne.Max, ne.Mean, ne.Std) || ne.Min > ne.Max || ne.Std <= 0 {
			return fmt.Errorf("field %s: bad statistics", ne.Field)
		}
		for k, c := range ne.Cuts {
			if !finite(c) || (k > 0 && c <= ne.Cuts[k-1]) {
				return fmt.Errorf("field %s: cuts must be finite and ascending", ne.Field)
			}
		}
		if len(ne.Cuts) > 0 && len(ne.BinCounts) != len(ne.Cuts)+1 {
			return fmt.Errorf("field %s: %d bin counts for %d cuts", ne.Field, len(ne.BinCounts), len(ne.Cuts))
		}
		if ne.Known < 0 || ne.Missing < 0 || ne.Never < 0 || (ne.Never > 0 && !numFields[i].nilIsNever) {
			return fmt.Errorf("field %s: bad counts", ne.Field)
		}
		if numFields[i].nilIsNever && ne.Missing > 0 {
			return fmt.Errorf("field %s: nil means never contacted, so nothing is missing", ne.Field)
		}
	}
	for i := range e.Interactions {
		if err := e.Interactions[i].validate(e); err != nil {
			return err
		}
	}
	return nil
}

// numFieldIndex returns the registry index of a numeric field, or -1.
func numFieldIndex(name string) int {
	for i := range numFields {
		if numFields[i].name == name {
			return i
		}
	}
	return -1
}

func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
