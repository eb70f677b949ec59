package scoring

import (
	"math"
	"testing"
)

func preds(ps []float64, ys ...int) []Prediction {
	out := make([]Prediction, len(ps))
	for i := range ps {
		out[i] = Prediction{P: ps[i], Y: ys[i] == 1}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestAUC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		preds []Prediction
		want  float64
	}{
		{"Perfect", preds([]float64{0.1, 0.2, 0.8, 0.9}, 0, 0, 1, 1), 1},
		{"Reversed", preds([]float64{0.9, 0.8, 0.2, 0.1}, 0, 0, 1, 1), 0},
		{"AllTied", preds([]float64{0.5, 0.5, 0.5, 0.5}, 0, 1, 0, 1), 0.5},
		// Pairs (pos, neg): (0.4 vs 0.1) win, (0.4 vs 0.6) lose, (0.8 vs both) win: 3/4.
		{"Mixed", preds([]float64{0.1, 0.4, 0.6, 0.8}, 0, 1, 0, 1), 0.75},
		// One tie between a positive and a negative counts half: (1 + 0.5) / 2.
		{"Tie", preds([]float64{0.1, 0.5, 0.5}, 0, 0, 1), 0.75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := AUC(tc.preds); !near(got, tc.want) {
				t.Errorf("AUC = %g, want %g", got, tc.want)
			}
		})
	}
	t.Run("OneClass", func(t *testing.T) {
		t.Parallel()
		if got := AUC(preds([]float64{0.1, 0.2}, 1, 1)); !math.IsNaN(got) {
			t.Errorf("AUC = %g, want NaN", got)
		}
	})
}

func TestBrierLogLoss(t *testing.T) {
	t.Parallel()
	p := preds([]float64{0.8, 0.3}, 1, 0)
	if got, want := Brier(p), (0.04+0.09)/2; !near(got, want) {
		t.Errorf("Brier = %g, want %g", got, want)
	}
	if got, want := LogLoss(p), -(math.Log(0.8)+math.Log(0.7))/2; !near(got, want) {
		t.Errorf("LogLoss = %g, want %g", got, want)
	}
	if got := LogLoss(preds([]float64{0}, 1)); math.IsInf(got, 0) || got < 30 {
		t.Errorf("LogLoss of a confident miss = %g, want large and finite", got)
	}
}

func TestLiftTopDecile(t *testing.T) {
	t.Parallel()
	// 20 leads, 4 converted; the top 2 by score are both converted:
	// rate 1 over base 0.2 is a lift of 5.
	ps := make([]float64, 20)
	ys := make([]int, 20)
	for i := range ps {
		ps[i] = float64(i) / 20
	}
	ys[19], ys[18], ys[3], ys[7] = 1, 1, 1, 1
	if got := LiftTopDecile(preds(ps, ys...)); !near(got, 5) {
		t.Errorf("LiftTopDecile = %g, want 5", got)
	}
}

func TestCalibrationTable(t *testing.T) {
	t.Parallel()
	// 10 leads in 5 bins of 2, in score order.
	p := preds([]float64{0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.05}, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0)
	bins := CalibrationTable(p, 5)
	if len(bins) != 5 {
		t.Fatalf("%d bins, want 5", len(bins))
	}
	first, last := bins[0], bins[4]
	if first.Bin != 1 || first.Count != 2 || !near(first.Lower, 0.05) || !near(first.Upper, 0.1) ||
		!near(first.MeanPredicted, 0.075) || first.ObservedRate != 0 {
		t.Errorf("first bin = %+v", first)
	}
	if !near(last.MeanPredicted, 0.85) || last.ObservedRate != 1 {
		t.Errorf("last bin = %+v", last)
	}
	// Bin 2 holds 0.2 (no) and 0.3 (yes): |0.25 - 0.5| is the worst.
	if got := MaxCalibrationError(bins, 2); !near(got, 0.25) {
		t.Errorf("MaxCalibrationError = %g, want 0.25", got)
	}
	if got := MaxCalibrationError(bins, 3); got != 0 {
		t.Errorf("MaxCalibrationError over no qualifying bin = %g, want 0", got)
	}
}

func TestCategoryTable(t *testing.T) {
	t.Parallel()
	got := CategoryTable(preds([]float64{0.9, 0.75, 0.5, 0.1, 0.2}, 1, 0, 1, 0, 0), DefaultThresholds)
	want := []CategoryStat{
		{Category: CategoryHot, Count: 2, ObservedRate: 0.5, MeanPredicted: 0.825},
		{Category: CategoryWarm, Count: 1, ObservedRate: 1, MeanPredicted: 0.5},
		{Category: CategoryCold, Count: 2, ObservedRate: 0, MeanPredicted: 0.15},
	}
	for i := range want {
		if got[i].Category != want[i].Category || got[i].Count != want[i].Count ||
			!near(got[i].ObservedRate, want[i].ObservedRate) || !near(got[i].MeanPredicted, want[i].MeanPredicted) {
			t.Errorf("category %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestROCCurve(t *testing.T) {
	t.Parallel()
	got := ROCCurve(preds([]float64{0.1, 0.4, 0.6, 0.8}, 0, 1, 0, 1))
	want := []ROCPoint{{0, 0}, {0, 0.5}, {0.5, 0.5}, {0.5, 1}, {1, 1}}
	if len(got) != len(want) {
		t.Fatalf("ROCCurve = %v, want %v", got, want)
	}
	for i := range want {
		if !near(got[i].FPR, want[i].FPR) || !near(got[i].TPR, want[i].TPR) {
			t.Errorf("point %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestCutoffTable(t *testing.T) {
	t.Parallel()
	// Ten leads, p = 0.05, 0.15, ..., 0.95; the top three converted, and
	// the one at 0.35.
	var preds []Prediction
	for i := range 10 {
		preds = append(preds, Prediction{P: 0.05 + 0.1*float64(i), Y: i >= 7 || i == 3})
	}
	got := CutoffTable(preds)
	if len(got) != 19 || got[0].Cutoff != 0.05 || got[18].Cutoff != 0.95 {
		t.Fatalf("cut-offs %+v", got)
	}
	for _, tc := range []struct {
		i    int
		want CutoffStat
	}{
		{0, CutoffStat{Cutoff: 0.05, Count: 10, ShareOfLeads: 1, ObservedRate: 0.4, ShareOfConversions: 1}},
		{13, CutoffStat{Cutoff: 0.7, Count: 3, ShareOfLeads: 0.3, ObservedRate: 1, ShareOfConversions: 0.75}},
		{18, CutoffStat{Cutoff: 0.95, Count: 1, ShareOfLeads: 0.1, ObservedRate: 1, ShareOfConversions: 0.25}},
	} {
		g := got[tc.i]
		if g.Count != tc.want.Count || !near(g.Cutoff, tc.want.Cutoff) || !near(g.ShareOfLeads, tc.want.ShareOfLeads) ||
			!near(g.ObservedRate, tc.want.ObservedRate) || !near(g.ShareOfConversions, tc.want.ShareOfConversions) {
			t.Errorf("cut-off %d: %+v, want %+v", tc.i, g, tc.want)
		}
	}
	if empty := CutoffTable(nil); len(empty) != 19 || empty[0].Count != 0 || empty[0].ObservedRate != 0 {
		t.Errorf("no predictions: %+v", empty[0])
	}
}
