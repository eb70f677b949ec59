package scoring

import (
	"errors"
	"fmt"
)

// maxLevels bounds every categorical table: the longest enumeration (12)
// plus the slot for a missing value, rounded up so that masking an index
// with maxLevels-1 keeps it in range without a bounds check.
const maxLevels = 16

// Scorer is a compiled Model: every categorical field is one table lookup
// and every numeric field a clamp and a table lookup (or, off its table, a
// multiply-add and a bin search). It is immutable and safe for concurrent
// use.
type Scorer struct {
	model     *Model
	intercept float64
	cat       [numCategorical][maxLevels]float64
	num       [numNumeric]numTerm
	// Averages of each field's contribution over the training rows: the
	// reference lead explanations are relative to.
	catAvg [numCategorical]float64
	numAvg [numNumeric]float64
	inter  []interTerm
}

// Compile checks m and builds its Scorer. It returns ErrInvalidModel
// (wrapped) when m fails Validate.
func (m *Model) Compile() (*Scorer, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	s := &Scorer{model: m, intercept: m.Intercept}
	coef := m.Coefficients
	off := 0
	for i := range m.Encoding.Categorical {
		ce := &m.Encoding.Categorical[i]
		w := coef[off : off+len(ce.Levels)]
		off += len(ce.Levels)
		var sum float64
		var n int
		for l, c := range ce.Counts {
			sum += float64(c) * w[l]
			n += c
		}
		if n > 0 {
			s.catAvg[i] = sum / float64(n)
		}
		for l := range s.cat[i] {
			s.cat[i][l] = s.catAvg[i]
		}
		// A level training never saw has no learnt effect; it is scored as
		// the average rather than as the regulariser's zero.
		for l, c := range ce.Counts {
			if c > 0 {
				s.cat[i][l] = w[l]
			}
		}
	}
	for j := range m.Encoding.Numeric {
		ne := &m.Encoding.Numeric[j]
		i := numFieldIndex(ne.Field)
		t := &s.num[i]
		t.enc = ne
		t.slope = coef[off] / ne.Std
		t.offset = -coef[off] * ne.Mean / ne.Std
		off++
		total := ne.Known + ne.Missing + ne.Never
		var sum float64
		if len(ne.Cuts) > 0 {
			t.bins = coef[off : off+len(ne.Cuts)+1]
			for k, c := range ne.BinCounts {
				sum += float64(c) * t.bins[k]
			}
			off += len(ne.Cuts) + 1
		}
		var absentCoef float64
		hasAbsent := false
		if ne.Missing > 0 {
			absentCoef, hasAbsent = coef[off], true
			sum += float64(ne.Missing) * coef[off]
			off++
		}
		if ne.Never > 0 {
			absentCoef, hasAbsent = coef[off], true
			sum += float64(ne.Never) * coef[off]
			off++
		}
		// The linear column is centred on the known rows, so it adds
		// nothing to the average.
		if total > 0 {
			s.numAvg[i] = sum / float64(total)
		}
		t.absent = s.numAvg[i]
		if hasAbsent {
			t.absent = absentCoef
		}
		t.fillTable()
	}
	s.inter = make([]interTerm, len(m.Encoding.Interactions))
	for j := range m.Encoding.Interactions {
		ie := &m.Encoding.Interactions[j]
		t := &s.inter[j]
		var errA, errB error
		t.a, errA = keyOf(&m.Encoding, ie.A)
		t.b, errB = keyOf(&m.Encoding, ie.B)
		if err := errors.Join(errA, errB); err != nil { // Validate checked them: a bug here
			return nil, fmt.Errorf("%w: %w", ErrInvalidModel, err)
		}
		t.table = make([]float64, t.a.count*t.b.count)
		var sum float64
		for k, c := range ie.Cells {
			t.table[c] = coef[off+k]
			sum += float64(ie.Counts[k]) * coef[off+k]
		}
		// Every training row falls in some cell; those without a column
		// contribute zero.
		if n := trainingRows(&m.Encoding); n > 0 {
			t.avg = sum / float64(n)
		}
		t.fillUnseen(&m.Encoding, ie, coef[off:off+len(ie.Cells)])
		off += len(ie.Cells)
	}
	return s, nil
}

// Model returns the model s was compiled from; callers must not modify it.
func (s *Scorer) Model() *Model { return s.model }

// Encode is Encode; it is a method so callers holding a Scorer need nothing
// else.
func (s *Scorer) Encode(f *Features, dst *Encoded) { Encode(f, dst) }

// ScoreEncoded returns the conversion probability of an encoded lead. It
// does not allocate.
func (s *Scorer) ScoreEncoded(e *Encoded) float64 { return sigmoid(s.LogitEncoded(e)) }

// LogitEncoded returns the log-odds of conversion of an encoded lead.
func (s *Scorer) LogitEncoded(e *Encoded) float64 {
	z := s.intercept
	for i := range numCategorical {
		z += s.cat[i][e.Levels[i]&(maxLevels-1)]
	}
	// The numeric fields' bins (or their nil level), for the interactions.
	var bins [numNumeric]int
	for i := range numNumeric {
		t := &s.num[i]
		switch {
		case t.enc == nil:
		case e.Known&(1<<i) != 0:
			var c float64
			c, bins[i] = t.contributionBin(e.Values[i])
			z += c
		default:
			z += t.absent
			bins[i] = len(t.enc.Cuts) + 1
		}
	}
	for j := range s.inter {
		t := &s.inter[j]
		a, b := t.a.fastLevel(e, &bins), t.b.fastLevel(e, &bins)
		if k := a*t.b.count + b; uint(k) < uint(len(t.table)) && b < t.b.count {
			z += t.table[k]
		}
	}
	return z
}

// trainingRows is the number of rows the encoding was fitted on.
func trainingRows(e *Encoding) int {
	n := 0
	for _, c := range e.Categorical[0].Counts {
		n += c
	}
	return n
}

// Probability returns the conversion probability of f without allocating.
func (s *Scorer) Probability(f *Features) float64 {
	var e Encoded
	Encode(f, &e)
	return s.ScoreEncoded(&e)
}

// Logit returns the log-odds of conversion of f.
func (s *Scorer) Logit(f *Features) float64 {
	var e Encoded
	Encode(f, &e)
	return s.LogitEncoded(&e)
}
