package scoring

import (
	"cmp"
	"math"
	"slices"
)

// Prediction is a predicted probability and the outcome that followed.
type Prediction struct {
	P float64 `json:"p"`
	Y bool    `json:"y"`
}

// Metrics describe a model on rows it was not trained on.
type Metrics struct {
	AUC           float64 `json:"auc"`
	Brier         float64 `json:"brier"`
	LogLoss       float64 `json:"log_loss"`
	LiftTopDecile float64 `json:"lift_top_decile"`
	// Calibration holds ten equal-frequency bins of the predicted
	// probability, lowest first.
	Calibration []CalibrationBin `json:"calibration"`
	Categories  []CategoryStat   `json:"categories"`
	// Cutoffs shows, for each possible cut-off, what a category starting
	// there would hold, so an admin can choose the thresholds without
	// training again. Models stored before it have none.
	Cutoffs []CutoffStat `json:"cutoffs"`
	NTrain  int          `json:"n_train"`
	NTest   int          `json:"n_test"`
	// PositiveRate is the conversion rate of all examples, train and test.
	PositiveRate float64 `json:"positive_rate"`
}

// CalibrationBin compares predicted and observed rates over one bin; Lower
// and Upper are the smallest and largest prediction in it.
type CalibrationBin struct {
	Bin           int     `json:"bin"`
	Lower         float64 `json:"lower"`
	Upper         float64 `json:"upper"`
	Count         int     `json:"count"`
	MeanPredicted float64 `json:"mean_predicted"`
	ObservedRate  float64 `json:"observed_rate"`
}

// CategoryStat is how the leads of one category turned out.
type CategoryStat struct {
	Category      string  `json:"category"`
	Count         int     `json:"count"`
	ObservedRate  float64 `json:"observed_rate"`
	MeanPredicted float64 `json:"mean_predicted"`
}

// CutoffStat is how the holdout leads predicted at or above a cut-off
// turned out: how many they are (and their share of the holdout), how often
// they converted, and what share of the holdout's conversions they hold.
type CutoffStat struct {
	Cutoff             float64 `json:"cutoff"`
	Count              int     `json:"count"`
	ShareOfLeads       float64 `json:"share_of_leads"`
	ObservedRate       float64 `json:"observed_rate"`
	ShareOfConversions float64 `json:"share_of_conversions"`
}

// CutoffTable evaluates the cut-offs 0.05, 0.10, ..., 0.95.
func CutoffTable(preds []Prediction) []CutoffStat {
	total := 0
	for _, p := range preds {
		if p.Y {
			total++
		}
	}
	out := make([]CutoffStat, 0, 19)
	for i := 1; i <= 19; i++ {
		c := CutoffStat{Cutoff: float64(i) / 20}
		pos := 0
		for _, p := range preds {
			if p.P >= c.Cutoff {
				c.Count++
				if p.Y {
					pos++
				}
			}
		}
		if len(preds) > 0 {
			c.ShareOfLeads = float64(c.Count) / float64(len(preds))
		}
		if c.Count > 0 {
			c.ObservedRate = float64(pos) / float64(c.Count)
		}
		if total > 0 {
			c.ShareOfConversions = float64(pos) / float64(total)
		}
		out = append(out, c)
	}
	return out
}

// Evaluate computes the holdout metrics of preds; the caller fills in the
// sizes and the overall positive rate, which preds cannot know.
func Evaluate(preds []Prediction, th Thresholds) Metrics {
	return Metrics{
		AUC:           AUC(preds),
		Brier:         Brier(preds),
		LogLoss:       LogLoss(preds),
		LiftTopDecile: LiftTopDecile(preds),
		Calibration:   CalibrationTable(preds, 10),
		Categories:    CategoryTable(preds, th),
		Cutoffs:       CutoffTable(preds),
	}
}

// AUC is the area under the ROC curve: the probability that a random
// positive is ranked above a random negative, ties counting half. It is NaN
// when either class is absent.
func AUC(preds []Prediction) float64 {
	sorted := sortedByP(preds)
	var pos, neg, rankSum float64
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].P == sorted[i].P {
			j++
		}
		// Ties share the average of the 1-based ranks i+1..j.
		avg := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			if sorted[k].Y {
				pos++
				rankSum += avg
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// Brier is the mean squared difference between prediction and outcome.
func Brier(preds []Prediction) float64 {
	var s float64
	for _, p := range preds {
		d := p.P - outcome(p.Y)
		s += d * d
	}
	return s / float64(len(preds))
}

// LogLoss is the mean negative log-likelihood, with predictions clipped to
// [1e-15, 1-1e-15] so one confident mistake stays finite.
func LogLoss(preds []Prediction) float64 {
	const eps = 1e-15
	var s float64
	for _, p := range preds {
		q := min(max(p.P, eps), 1-eps)
		if p.Y {
			s -= math.Log(q)
		} else {
			s -= math.Log1p(-q)
		}
	}
	return s / float64(len(preds))
}

// LiftTopDecile is the conversion rate of the highest-scored tenth
// (rounded up) over the overall rate: how much better than random the
// first calls of the day are.
func LiftTopDecile(preds []Prediction) float64 {
	n := len(preds)
	if n == 0 {
		return math.NaN()
	}
	sorted := sortedByP(preds)
	top := (n + 9) / 10
	return rate(sorted[n-top:]) / rate(sorted)
}

// CalibrationTable splits preds, ordered by prediction, into bins of equal
// count (differing by at most one when n does not divide) and compares
// mean prediction with observed rate in each. Equal frequency rather than
// equal width because most leads sit below 10%, where equal-width bins would
// lump 80% of them together.
func CalibrationTable(preds []Prediction, bins int) []CalibrationBin {
	sorted := sortedByP(preds)
	n := len(sorted)
	out := make([]CalibrationBin, 0, bins)
	for b := range bins {
		lo, hi := b*n/bins, (b+1)*n/bins
		part := sorted[lo:hi]
		if len(part) == 0 {
			continue
		}
		out = append(out, CalibrationBin{
			Bin:           b + 1,
			Lower:         part[0].P,
			Upper:         part[len(part)-1].P,
			Count:         len(part),
			MeanPredicted: meanP(part),
			ObservedRate:  rate(part),
		})
	}
	return out
}

// CalibrationMinLeads is the fewest predictions a calibration bin needs to
// be judged: the quality bar counts deciles of at least 200 leads, since a
// smaller one's observed rate is mostly noise.
const CalibrationMinLeads = 200

// CalibrationGap is MaxCalibrationError over the bins of at least
// CalibrationMinLeads; ok is false when no bin has that many.
func CalibrationGap(bins []CalibrationBin) (gap float64, ok bool) {
	ok = slices.ContainsFunc(bins, func(b CalibrationBin) bool { return b.Count >= CalibrationMinLeads })
	return MaxCalibrationError(bins, CalibrationMinLeads), ok
}

// MaxCalibrationError is the largest |mean predicted - observed rate| over
// the bins holding at least minCount predictions; smaller bins are too noisy
// to judge.
func MaxCalibrationError(bins []CalibrationBin, minCount int) float64 {
	var worst float64
	for _, b := range bins {
		if b.Count >= minCount {
			worst = max(worst, math.Abs(b.MeanPredicted-b.ObservedRate))
		}
	}
	return worst
}

// CategoryTable groups preds by the category th gives them, hot first. A
// category with no leads has zero rates.
func CategoryTable(preds []Prediction, th Thresholds) []CategoryStat {
	var groups [3][]Prediction
	for _, p := range preds {
		i := categoryIndex(th.Category(p.P))
		groups[i] = append(groups[i], p)
	}
	out := make([]CategoryStat, 0, len(Categories))
	for i, c := range Categories {
		s := CategoryStat{Category: c, Count: len(groups[i])}
		if s.Count > 0 {
			s.ObservedRate = rate(groups[i])
			s.MeanPredicted = meanP(groups[i])
		}
		out = append(out, s)
	}
	return out
}

// ROCPoint is one point of the ROC curve.
type ROCPoint struct {
	FPR float64 `json:"fpr"`
	TPR float64 `json:"tpr"`
}

// ROCCurve returns the curve from (0,0) to (1,1), one point per distinct
// prediction, lowering the threshold as it goes.
func ROCCurve(preds []Prediction) []ROCPoint {
	sorted := sortedByP(preds)
	var pos, neg float64
	for _, p := range sorted {
		if p.Y {
			pos++
		} else {
			neg++
		}
	}
	out := []ROCPoint{{0, 0}}
	if pos == 0 || neg == 0 {
		return append(out, ROCPoint{1, 1})
	}
	var tp, fp float64
	for i := len(sorted) - 1; i >= 0; {
		j := i
		for j >= 0 && sorted[j].P == sorted[i].P {
			if sorted[j].Y {
				tp++
			} else {
				fp++
			}
			j--
		}
		out = append(out, ROCPoint{FPR: fp / neg, TPR: tp / pos})
		i = j
	}
	return out
}

// sortedByP returns a copy ordered by prediction; the stable sort keeps
// the result independent of anything but the input order.
func sortedByP(preds []Prediction) []Prediction {
	s := slices.Clone(preds)
	slices.SortStableFunc(s, func(a, b Prediction) int { return cmp.Compare(a.P, b.P) })
	return s
}

func rate(preds []Prediction) float64 {
	var pos float64
	for _, p := range preds {
		pos += outcome(p.Y)
	}
	return pos / float64(len(preds))
}

func meanP(preds []Prediction) float64 {
	var s float64
	for _, p := range preds {
		s += p.P
	}
	return s / float64(len(preds))
}

func outcome(y bool) float64 {
	if y {
		return 1
	}
	return 0
}

func categoryIndex(c string) int {
	switch c {
	case CategoryHot:
		return 0
	case CategoryWarm:
		return 1
	}
	return 2
}
