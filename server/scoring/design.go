package scoring

// design is the training matrix in compressed sparse rows: every lead sets
// one column per categorical field and at most two per numeric field, so a
// dense matrix would be mostly zeros.
type design struct {
	cols  int // excluding the intercept
	start []int32
	col   []int32
	val   []float64
}

func (d *design) rows() int { return len(d.start) - 1 }

// buildDesign lays rows out as the encoding's columns. It is the single
// definition of what a column means; the scorer's tables are derived from
// the same encoding and a test checks they agree.
func buildDesign(enc *Encoding, rows []Encoded) *design {
	d := &design{cols: enc.Columns(), start: make([]int32, 1, len(rows)+1)}
	numIdx := make([]int, len(enc.Numeric))
	for j := range enc.Numeric {
		numIdx[j] = numFieldIndex(enc.Numeric[j].Field)
	}
	// Per interaction, its keys and the column of each cell (-1: none).
	type inter struct {
		a, b levelKey
		col  []int32
	}
	inters := make([]inter, len(enc.Interactions))
	for j := range enc.Interactions {
		ie := &enc.Interactions[j]
		a, _ := keyOf(enc, ie.A)
		b, _ := keyOf(enc, ie.B)
		col := make([]int32, a.count*b.count)
		for k := range col {
			col[k] = -1
		}
		inters[j] = inter{a: a, b: b, col: col}
	}
	interOff := 0
	for i := range enc.Categorical {
		interOff += len(enc.Categorical[i].Levels)
	}
	for j := range enc.Numeric {
		interOff += enc.Numeric[j].columns()
	}
	for j := range enc.Interactions {
		for _, c := range enc.Interactions[j].Cells {
			inters[j].col[c] = int32(interOff)
			interOff++
		}
	}
	for r := range rows {
		e := &rows[r]
		off := 0
		for i := range enc.Categorical {
			d.add(off+int(e.Levels[i]), 1)
			off += len(enc.Categorical[i].Levels)
		}
		for j := range enc.Numeric {
			ne := &enc.Numeric[j]
			i := numIdx[j]
			next := off + 1 // past the linear column
			binOff := next
			if len(ne.Cuts) > 0 {
				next += len(ne.Cuts) + 1
			}
			missingCol := -1
			if ne.Missing > 0 {
				missingCol = next
				next++
			}
			neverCol := -1
			if ne.Never > 0 {
				neverCol = next
				next++
			}
			switch {
			case e.known(i):
				x := ne.clamp(e.Values[i])
				if v := ne.standardised(x); v != 0 {
					d.add(off, v)
				}
				if len(ne.Cuts) > 0 {
					d.add(binOff+binOf(ne.Cuts, x), 1)
				}
			case numFields[i].nilIsNever && neverCol >= 0:
				d.add(neverCol, 1)
			case missingCol >= 0:
				d.add(missingCol, 1)
			}
			off = next
		}
		for j := range inters {
			it := &inters[j]
			if c := it.col[it.a.level(e)*it.b.count+it.b.level(e)]; c >= 0 {
				d.add(int(c), 1)
			}
		}
		d.start = append(d.start, int32(len(d.col)))
	}
	return d
}

func (d *design) add(col int, v float64) {
	d.col = append(d.col, int32(col))
	d.val = append(d.val, v)
}
