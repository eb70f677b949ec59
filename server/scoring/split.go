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
	for _, idx := range shuffledByClass(y, rng) {
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

// shuffledByClass returns the indices of the rows not converted, then of
// those converted, each list shuffled by rng in that order.
func shuffledByClass(y []bool, rng *rand.Rand) [2][]int {
	var out [2][]int
	for c, class := range []bool{false, true} {
		for i, v := range y {
			if v == class {
				out[c] = append(out[c], i)
			}
		}
		rng.Shuffle(len(out[c]), func(a, b int) { out[c][a], out[c][b] = out[c][b], out[c][a] })
	}
	return out
}
