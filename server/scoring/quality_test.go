package scoring

import (
	"bytes"
	"encoding/json"
	"math"
	"sync"
	"testing"
	"time"
)

// The quality bar on the UCI Bank Marketing data, call duration excluded.
const (
	minAUC             = 0.79
	maxBrier           = 0.078
	maxCalibrationErr  = 0.02
	calibrationMinBin  = 200
	minAUCWithDuration = 0.93
	repeatedSeeds      = 5
)

// TestQualityUCI holds the model to the bar on stratified 80/20 holdouts.
//
// One split is too noisy to judge Brier and calibration: over seeds 1-8 the
// holdout Brier ranges from 0.0753 to 0.0788 and the top decile's observed
// rate has a standard error of about 0.017 (about 820 leads near 50%), so a
// 0.02 bound on a single split passes or fails largely by luck. The bar is
// therefore applied to the first five seeds together: mean AUC and Brier,
// and calibration over their pooled holdout predictions. Seed 1 alone (the
// default, stored with the model) must still clear the AUC bar.
func TestQualityUCI(t *testing.T) {
	t.Parallel()
	ex := mustUCI(t)
	if len(ex) != 41188 {
		t.Fatalf("%d examples, want 41188", len(ex))
	}

	seeds := repeatedSeeds
	if raceDetector {
		seeds = 1
	}
	results := make([]*TrainResult, seeds)
	var wg sync.WaitGroup
	errs := make([]error, seeds)
	for i := range results {
		wg.Go(func() {
			start := time.Now()
			results[i], errs[i] = Train(ex, Options{Seed: int64(i + 1)})
			if i == 0 {
				t.Logf("training on %d rows took %v", len(ex), time.Since(start))
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("Seed1", func(t *testing.T) {
		m := results[0].Model.Metrics
		logQuality(t, "stratified seed 1", m)
		if m.AUC < minAUC {
			t.Errorf("AUC %.4f < %.2f", m.AUC, minAUC)
		}
		if m.NTest != 8238 || m.NTrain != 32950 || math.Abs(m.PositiveRate-0.1127) > 1e-3 {
			t.Errorf("sizes %d/%d, positive rate %.4f", m.NTrain, m.NTest, m.PositiveRate)
		}
	})

	t.Run("RepeatedHoldout", func(t *testing.T) {
		if raceDetector {
			t.Skip("five trainings are too slow under -race; checked without it")
		}
		var auc, brier float64
		var pooled []Prediction
		for i, r := range results {
			m := r.Model.Metrics
			logQuality(t, "stratified seed "+formatNum(float64(i+1)), m)
			auc += m.AUC / repeatedSeeds
			brier += m.Brier / repeatedSeeds
			pooled = append(pooled, r.Holdout...)
		}
		cal := CalibrationTable(pooled, 10)
		calErr := MaxCalibrationError(cal, calibrationMinBin)
		t.Logf("mean of %d seeds: AUC %.4f, Brier %.5f; pooled calibration max error %.4f", repeatedSeeds, auc, brier, calErr)
		for _, b := range cal {
			t.Logf("  bin %2d [%.3f, %.3f] n=%d predicted %.4f observed %.4f", b.Bin, b.Lower, b.Upper, b.Count, b.MeanPredicted, b.ObservedRate)
		}
		if auc < minAUC {
			t.Errorf("mean AUC %.4f < %.2f", auc, minAUC)
		}
		if brier > maxBrier {
			t.Errorf("mean Brier %.5f > %.3f", brier, maxBrier)
		}
		if calErr > maxCalibrationErr {
			t.Errorf("calibration error %.4f > %.2f", calErr, maxCalibrationErr)
		}
	})

	t.Run("WithCallDuration", func(t *testing.T) {
		t.Parallel()
		if raceDetector {
			t.Skip("too slow under -race; checked without it")
		}
		res, err := Train(ex, Options{IncludeCallDuration: true})
		if err != nil {
			t.Fatal(err)
		}
		m := res.Model.Metrics
		logQuality(t, "stratified seed 1 with duration", m)
		if m.AUC < minAUCWithDuration {
			t.Errorf("AUC %.4f < %.2f", m.AUC, minAUCWithDuration)
		}
	})

	// The newest fifth of the calls (late 2009-2010) converted at 3-4 times
	// the rate of the rest, so out of time the ranking holds up better than
	// the calibration. Logged, not asserted.
	t.Run("TimeSplit", func(t *testing.T) {
		t.Parallel()
		if raceDetector {
			t.Skip("too slow under -race; logged without it")
		}
		for _, o := range []Options{{Split: SplitTime}, {Split: SplitTime, IncludeCallDuration: true}} {
			res, err := Train(ex, o)
			if err != nil {
				t.Fatal(err)
			}
			name := "time split"
			if o.IncludeCallDuration {
				name += " with duration"
			}
			logQuality(t, name, res.Model.Metrics)
		}
	})

	t.Run("Deterministic", func(t *testing.T) {
		t.Parallel()
		again, err := Train(ex, Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(results[0].Model)
		b, _ := json.Marshal(again.Model)
		if !bytes.Equal(a, b) {
			t.Error("training twice on the same data gave different models")
		}
	})
}

func logQuality(t *testing.T, name string, m Metrics) {
	t.Helper()
	t.Logf("%-32s AUC %.4f  Brier %.5f  log loss %.4f  lift@10%% %.2f  calibration max error (bins >= %d) %.4f  test rate %.4f",
		name, m.AUC, m.Brier, m.LogLoss, m.LiftTopDecile, calibrationMinBin,
		MaxCalibrationError(m.Calibration, calibrationMinBin), testRate(m))
}

func testRate(m Metrics) float64 {
	var pos, n float64
	for _, c := range m.Categories {
		pos += c.ObservedRate * float64(c.Count)
		n += float64(c.Count)
	}
	return pos / n
}

func BenchmarkTrain(b *testing.B) {
	ex := mustUCI(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Train(ex, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
