package scoring

import "math"

// Top keeps the strongest reasons each way, at most each up and each down,
// strongest first, of those that move the log-odds by at least min; the
// others' contributions are summed into other, so that kept and other
// still add up to the logit with the intercept.
func (ex *Explanation) Top(each int, min float64) (kept []Factor, other float64) {
	kept = []Factor{}
	up, down := 0, 0
	for _, f := range ex.Factors { // sorted by |contribution|, strongest first
		switch {
		case math.Abs(f.Contribution) < min:
		case f.Contribution > 0 && up < each:
			up++
			kept = append(kept, f)
			continue
		case f.Contribution < 0 && down < each:
			down++
			kept = append(kept, f)
			continue
		}
		other += f.Contribution
	}
	return kept, other
}
