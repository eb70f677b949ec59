package scoring

import (
	"errors"
	"fmt"
)

// InteractionEncoding one-hot encodes pairs of two fields' levels: a
// categorical field's levels, or a numeric field's bins plus one level for
// a nil value. Only the pairs seen at least a minimum number of times in
// training have a column (Cells and Counts, aligned); the others score
// zero and are left to the two fields' own terms. Cells are a*NB + b, where
// NB is the second field's number of levels.
type InteractionEncoding struct {
	A      string `json:"a"`
	B      string `json:"b"`
	Cells  []int  `json:"cells"`
	Counts []int  `json:"counts"`
}

// interactionSpec asks for an interaction between two fields, by name, with
// a column for every pair seen at least minCount times.
type interactionSpec struct {
	a, b     string
	minCount int
}

// levelKey reads a field's interaction level from an encoded lead.
type levelKey struct {
	cat   int              // categorical field index, or -1
	num   int              // numeric field index, when cat < 0
	enc   *NumericEncoding // the numeric field's encoding
	count int              // number of levels
}

// keyOf resolves a field name against an encoding. Numeric fields must be
// binned.
func keyOf(e *Encoding, name string) (levelKey, error) {
	for i := range e.Categorical {
		if e.Categorical[i].Field == name {
			return levelKey{cat: i, count: len(e.Categorical[i].Levels)}, nil
		}
	}
	for j := range e.Numeric {
		ne := &e.Numeric[j]
		if ne.Field == name {
			if len(ne.Cuts) == 0 {
				return levelKey{}, fmt.Errorf("interaction with unbinned field %s", name)
			}
			return levelKey{cat: -1, num: numFieldIndex(name), enc: ne, count: len(ne.Cuts) + 2}, nil
		}
	}
	return levelKey{}, fmt.Errorf("interaction with field %q the encoding lacks", name)
}

// fastLevel is level with the numeric fields' bins already computed.
func (k *levelKey) fastLevel(e *Encoded, bins *[numNumeric]int) int {
	if k.cat >= 0 {
		return int(e.Levels[k.cat])
	}
	return bins[k.num]
}

func (k *levelKey) level(e *Encoded) int {
	if k.cat >= 0 {
		return int(e.Levels[k.cat])
	}
	if !e.known(k.num) {
		return k.count - 1
	}
	return binOf(k.enc.Cuts, k.enc.clamp(e.Values[k.num]))
}

// fitInteractions computes the interactions' cells from the training rows,
// in ascending cell order.
func fitInteractions(e *Encoding, rows []Encoded, specs []interactionSpec) []InteractionEncoding {
	var out []InteractionEncoding
	for _, sp := range specs {
		ka, errA := keyOf(e, sp.a)
		kb, errB := keyOf(e, sp.b)
		if errA != nil || errB != nil {
			continue // the field is excluded or unbinned in this fit
		}
		counts := make([]int, ka.count*kb.count)
		for r := range rows {
			counts[ka.level(&rows[r])*kb.count+kb.level(&rows[r])]++
		}
		ie := InteractionEncoding{A: sp.a, B: sp.b, Cells: []int{}, Counts: []int{}}
		for c, n := range counts {
			if n >= sp.minCount {
				ie.Cells = append(ie.Cells, c)
				ie.Counts = append(ie.Counts, n)
			}
		}
		out = append(out, ie)
	}
	return out
}

// interTerm is a compiled interaction: a dense table over all pairs.
type interTerm struct {
	a, b  levelKey
	table []float64
	avg   float64 // over the training rows
}

// fillUnseen scores the pairs involving a level that training never saw (an
// unseen category, a nil value where training had none) as the training
// rows' average interaction given the other field's level, as a field's own
// unseen level is scored as its average: the cells are not centred, so the
// regulariser's zero would shift such leads. w are the cells' coefficients.
// Pairs of two seen levels without a column keep zero, as in training.
func (t *interTerm) fillUnseen(e *Encoding, ie *InteractionEncoding, w []float64) {
	na, nb := t.a.count, t.b.count
	sumA, sumB := make([]float64, na), make([]float64, nb)
	for k, c := range ie.Cells {
		v := float64(ie.Counts[k]) * w[k]
		sumA[c/nb] += v
		sumB[c%nb] += v
	}
	for a := range na {
		rowsA := t.a.trainingRows(e, a)
		for b := range nb {
			rowsB := t.b.trainingRows(e, b)
			cell := &t.table[a*nb+b]
			switch {
			case rowsA > 0 && rowsB > 0:
			case rowsA == 0 && rowsB == 0:
				*cell = t.avg
			case rowsA == 0:
				*cell = sumB[b] / float64(rowsB)
			default:
				*cell = sumA[a] / float64(rowsA)
			}
		}
	}
}

// trainingRows is how many training rows had level l.
func (k *levelKey) trainingRows(e *Encoding, l int) int {
	switch {
	case k.cat >= 0:
		return e.Categorical[k.cat].Counts[l]
	case l == k.count-1:
		return k.enc.Missing + k.enc.Never
	}
	return k.enc.BinCounts[l]
}

func (t *interTerm) contribution(e *Encoded) float64 {
	return t.table[t.a.level(e)*t.b.count+t.b.level(e)]
}

func (ie *InteractionEncoding) validate(e *Encoding) error {
	ka, err := keyOf(e, ie.A)
	if err != nil {
		return err
	}
	kb, err := keyOf(e, ie.B)
	if err != nil {
		return err
	}
	if ie.A == ie.B {
		return errors.New("interaction of a field with itself")
	}
	if len(ie.Cells) != len(ie.Counts) {
		return fmt.Errorf("interaction %s x %s: %d counts for %d cells", ie.A, ie.B, len(ie.Counts), len(ie.Cells))
	}
	for k, c := range ie.Cells {
		if c < 0 || c >= ka.count*kb.count || (k > 0 && c <= ie.Cells[k-1]) || ie.Counts[k] < 0 {
			return fmt.Errorf("interaction %s x %s: bad cells", ie.A, ie.B)
		}
	}
	return nil
}

// interactionName names a cell's column, e.g. "contact_channel=telephone x cons_price_idx[93.2,93.444)".
func interactionName(e *Encoding, ie *InteractionEncoding, cell int) string {
	ka, _ := keyOf(e, ie.A)
	kb, _ := keyOf(e, ie.B)
	return levelName(e, ka, cell/kb.count) + " x " + levelName(e, kb, cell%kb.count)
}

func levelName(e *Encoding, k levelKey, l int) string {
	if k.cat >= 0 {
		c := &e.Categorical[k.cat]
		return c.Field + "=" + c.Levels[l]
	}
	if l == k.count-1 {
		return k.enc.Field + ":absent"
	}
	return k.enc.Field + binName(k.enc.Cuts, l)
}

func binName(cuts []float64, k int) string {
	lo, hi := "-inf", "inf"
	if k > 0 {
		lo = formatNum(cuts[k-1])
	}
	if k < len(cuts) {
		hi = formatNum(cuts[k])
	}
	return "[" + lo + "," + hi + ")"
}

func (k *levelKey) name() string {
	if k.cat >= 0 {
		return catFields[k.cat].name
	}
	return numFields[k.num].name
}
