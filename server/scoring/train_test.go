package scoring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"testing"
)

func TestTrainErrors(t *testing.T) {
	t.Parallel()
	few := synthExamples(150, 3)
	enough := synthExamples(2000, 3)
	for _, tc := range []struct {
		name string
		ex   []Example
		opts Options
		want error
	}{
		{"ErrTooFewExamples", few, Options{}, ErrTooFewExamples},
		{"ErrTooFewExamplesEmpty", nil, Options{}, ErrTooFewExamples},
		{"ErrHoldoutHalf", enough, Options{HoldoutFraction: 0.5}, ErrInvalidOptions},
		{"ErrHoldoutNegative", enough, Options{HoldoutFraction: -0.1}, ErrInvalidOptions},
		{"ErrHoldoutTiny", enough, Options{HoldoutFraction: 0.04}, ErrInvalidOptions},
		{"ErrSeedNegative", enough, Options{Seed: -1}, ErrInvalidOptions},
		{"ErrSeedPastDoubles", enough, Options{Seed: MaxSeed + 1}, ErrInvalidOptions},
		{"ErrSplit", enough, Options{Split: "random"}, ErrInvalidOptions},
		{"ErrL2", enough, Options{L2: -1}, ErrInvalidOptions},
		{"ErrThresholds", enough, Options{Thresholds: Thresholds{Hot: 0.2, Warm: 0.4}}, ErrInvalidOptions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Train(context.Background(), tc.ex, tc.opts); !errors.Is(err, tc.want) {
				t.Errorf("Train = %v, want %v", err, tc.want)
			}
		})
	}
}

// doneAfter is a context that reports itself cancelled from its nth call
// of Err on, to stop a fit part way through without a timer.
type doneAfter struct {
	context.Context
	n int
}

func (c *doneAfter) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// A training nobody waits for stops: the fit checks its context at every
// iteration and gives up with the context's error.
func TestTrainStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	ex := synthExamples(2000, 3)
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"Before", &doneAfter{Context: context.Background()}},
		{"DuringFit", &doneAfter{Context: context.Background(), n: 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Train(tc.ctx, ex, Options{}); !errors.Is(err, context.Canceled) {
				t.Errorf("Train = %v, want context.Canceled", err)
			}
		})
	}
}

func TestTrainSynthetic(t *testing.T) {
	t.Parallel()
	ex := synthExamples(4000, 5)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"Stratified", Options{}},
		{"Time", Options{Split: SplitTime, HoldoutFraction: 0.25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Train(context.Background(), ex, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			m := res.Model
			if m.Metrics.NTrain+m.Metrics.NTest != len(ex) || len(res.Holdout) != m.Metrics.NTest {
				t.Errorf("sizes %d + %d, holdout %d", m.Metrics.NTrain, m.Metrics.NTest, len(res.Holdout))
			}
			if m.Metrics.AUC < 0.65 {
				t.Errorf("AUC %g on a learnable synthetic problem", m.Metrics.AUC)
			}
			wantSeed := int64(DefaultSeed)
			if m.Options.Split == SplitTime {
				wantSeed = 0 // it draws nothing
			}
			if m.Options.Split == "" || m.Options.L2 != DefaultL2 || m.Options.Seed != wantSeed {
				t.Errorf("options not resolved: %+v", m.Options)
			}
			for _, ne := range m.Encoding.Numeric {
				if ne.Field == "last_call_duration_sec" {
					t.Error("call duration used without IncludeCallDuration")
				}
			}
		})
	}
	t.Run("TimeSplitKeepsOrder", func(t *testing.T) {
		t.Parallel()
		y := make([]bool, 10)
		train, test := split(y, Options{Split: SplitTime, HoldoutFraction: 0.3})
		if len(train) != 7 || train[6] != 6 || len(test) != 3 || test[0] != 7 {
			t.Errorf("split = %v / %v", train, test)
		}
	})
	t.Run("StratifiedKeepsRate", func(t *testing.T) {
		t.Parallel()
		y := make([]bool, 1000)
		for i := range 100 {
			y[i*10] = true
		}
		_, test := split(y, Options{Split: SplitStratified, HoldoutFraction: 0.2, Seed: 3})
		pos := 0
		for _, i := range test {
			if y[i] {
				pos++
			}
		}
		if len(test) != 200 || pos != 20 {
			t.Errorf("holdout %d rows, %d positive; want 200 and 20", len(test), pos)
		}
	})
}

func TestTrainDeterministicSynthetic(t *testing.T) {
	t.Parallel()
	ex := synthExamples(3000, 11)
	var out [2][]byte
	for i := range out {
		res, err := Train(context.Background(), ex, Options{IncludeCallDuration: true, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		if out[i], err = json.Marshal(res.Model); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Error("same data and options gave different models")
	}
}

// The objective is summed in fixed blocks, so the number of CPUs that fit
// it in parallel cannot change the model.
func TestTrainSameModelOnAnyCPUCount(t *testing.T) {
	ex := synthExamples(3000, 11)
	var out [2][]byte
	for i, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		res, err := Train(context.Background(), ex, Options{Seed: 7})
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		if out[i], err = json.Marshal(res.Model); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Error("GOMAXPROCS 1 and 4 gave different models")
	}
}
