package scoring

import (
	"math"
	"math/rand/v2"
)

// split returns the indices of the training and holdout rows, each in
// ascending order.
func split(y []bool, o Options) (train, test []int) {
	n := len(y)
	if o.Split == SplitTime {
		cut := n - int(math.Round(o.HoldoutFraction*float64(n)))
		train, test = make([]int, 0, cut), make([]int, 0, n-cut)
		for i := range n {
			if i < cut {
				train = append(train, i)
			} else {
				test = append(test, i)
			}
		}
		return train, test
	}
	// A fixed generator (PCG seeded from Seed) makes the split, and so the
	// model, a pure function of the data and options.
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x6a6d6b))
	inTest := make([]bool, n)
	for _, class := range []bool{false, true} {
		var idx []int
		for i, v := range y {
			if v == class {
				idx = append(idx, i)
			}
		}
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		k := int(math.Round(o.HoldoutFraction * float64(len(idx))))
		for _, i := range idx[:k] {
			inTest[i] = true
		}
	}
	for i := range n {
		if inTest[i] {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	return train, test
}
