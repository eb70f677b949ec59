package report

import (
	"bytes"
	"errors"
	"image"
	_ "image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jmksales/jmk/server/scoring"
)

// holdout draws predictions that are calibrated by construction.
func holdout(n int) []scoring.Prediction {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]scoring.Prediction, n)
	for i := range out {
		p := rng.Float64() * rng.Float64()
		out[i] = scoring.Prediction{P: p, Y: rng.Float64() < p}
	}
	return out
}

func TestWritePNG(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		m := &scoring.Model{Metrics: scoring.Metrics{NTest: 2000}}
		if err := WritePNG(&buf, "Model v1: a test", m, holdout(2000)); err != nil {
			t.Fatal(err)
		}
		img, format, err := image.Decode(&buf)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		b := img.Bounds()
		if format != "png" || b.Dx() < 1000 || b.Dy() < 300 || b.Dx() < 2*b.Dy() {
			t.Errorf("%s image of %dx%d, want a wide png", format, b.Dx(), b.Dy())
		}
	})
	t.Run("ErrNoHoldout", func(t *testing.T) {
		t.Parallel()
		one := []scoring.Prediction{{P: 0.3, Y: true}, {P: 0.4, Y: true}}
		for _, h := range [][]scoring.Prediction{nil, one} {
			if err := WritePNG(&bytes.Buffer{}, "", nil, h); !errors.Is(err, ErrNoHoldout) {
				t.Errorf("WritePNG = %v, want ErrNoHoldout", err)
			}
		}
	})
}

// TestCalibrationTitle: the plot's largest error is judged as the command
// line's, over bins of at least 200 leads; a small holdout has none.
func TestCalibrationTitle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int
		want string
	}{
		{100, "none of 200 leads to judge"},
		{4000, "max error 0.0"},
	} {
		bins := scoring.CalibrationTable(holdout(tc.n), 10)
		if got := calibrationTitle(bins); !strings.Contains(got, tc.want) {
			t.Errorf("%d leads: %q, want %q in it", tc.n, got, tc.want)
		}
	}
}
