package scoring

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/optimize"
)

// fitBlocks is how many row ranges the objective is evaluated in, side by
// side. A fixed number rather than one per CPU: every floating-point sum
// then runs in the same order on any machine, and so training stays
// deterministic (the same data gives the same model) while it uses every
// core.
const fitBlocks = 8

// logistic is the L2-regularised mean log loss of a design and its labels,
// with the intercept (w[0]) not penalised so the fitted mean prediction
// matches the training base rate.
type logistic struct {
	d  *design
	y  []float64
	l2 float64
	// The optimiser asks for the gradient at the point whose value it just
	// took; keeping that pass's residuals halves the work.
	at     []float64 // where resid was computed
	resid  []float64 // sigmoid(z) - y per row
	blocks [fitBlocks]fitBlock
}

// fitBlock is one range of rows and its share of the loss and gradient.
type fitBlock struct {
	lo, hi int
	loss   float64
	grad   []float64
}

func newLogistic(d *design, y []float64, l2 float64) *logistic {
	o := &logistic{d: d, y: y, l2: l2, resid: make([]float64, len(y))}
	for b := range o.blocks {
		o.blocks[b] = fitBlock{lo: len(y) * b / fitBlocks, hi: len(y) * (b + 1) / fitBlocks, grad: make([]float64, 1+d.cols)}
	}
	return o
}

// each runs fn on every block concurrently and waits for them all.
func (o *logistic) each(fn func(b *fitBlock)) {
	var wg sync.WaitGroup
	for b := range o.blocks {
		wg.Go(func() { fn(&o.blocks[b]) })
	}
	wg.Wait()
}

// value evaluates the objective at w and keeps the residuals for gradient.
func (o *logistic) value(w []float64) float64 {
	o.each(func(b *fitBlock) { b.loss = o.blockLoss(w, b.lo, b.hi) })
	var loss float64
	for b := range o.blocks {
		loss += o.blocks[b].loss
	}
	o.at = append(o.at[:0], w...)
	n := float64(len(o.resid))
	var pen float64
	for _, v := range w[1:] {
		pen += v * v
	}
	return loss/n + 0.5*o.l2*pen
}

// blockLoss sums the log loss of rows lo to hi and sets their residuals.
func (o *logistic) blockLoss(w []float64, lo, hi int) float64 {
	var loss float64
	for r := lo; r < hi; r++ {
		z := w[0]
		for k := o.d.start[r]; k < o.d.start[r+1]; k++ {
			z += w[1+o.d.col[k]] * o.d.val[k]
		}
		// log(1+e^z) - y*z and sigmoid(z) share e^-|z| and stay finite.
		e := math.Exp(-math.Abs(z))
		sp := math.Log1p(e)
		p := 1 / (1 + e)
		if z > 0 {
			sp += z
		} else {
			p = e / (1 + e)
		}
		loss += sp - o.y[r]*z
		o.resid[r] = p - o.y[r]
	}
	return loss
}

func (o *logistic) gradient(grad, w []float64) {
	if !slices.Equal(o.at, w) {
		o.value(w)
	}
	o.each(func(b *fitBlock) {
		g := b.grad
		clear(g)
		for r := b.lo; r < b.hi; r++ {
			e := o.resid[r]
			g[0] += e
			for k := o.d.start[r]; k < o.d.start[r+1]; k++ {
				g[1+o.d.col[k]] += e * o.d.val[k]
			}
		}
	})
	clear(grad)
	for b := range o.blocks {
		for j, v := range o.blocks[b].grad {
			grad[j] += v
		}
	}
	n := float64(len(o.resid))
	for j := range grad {
		grad[j] /= n
	}
	for j := 1; j < len(grad); j++ {
		grad[j] += o.l2 * w[j]
	}
}

// fitLogistic minimises the objective with gonum's L-BFGS. It is
// deterministic: fixed blocks (see fitBlocks), no randomness, a fixed start.
// It gives up with ctx's error once ctx is done.
func fitLogistic(ctx context.Context, d *design, y []bool, l2 float64) (intercept float64, coef []float64, err error) {
	labels := make([]float64, len(y))
	pos := 0
	for i, v := range y {
		if v {
			labels[i] = 1
			pos++
		}
	}
	o := newLogistic(d, labels, l2)
	w := make([]float64, 1+d.cols)
	// Starting at the base rate's logit saves the first iterations.
	rate := float64(pos) / float64(len(y))
	w[0] = math.Log(rate / (1 - rate))
	p := optimize.Problem{Func: o.value, Grad: o.gradient, Status: func() (optimize.Status, error) {
		if err := ctx.Err(); err != nil {
			return optimize.Failure, err
		}
		return optimize.NotTerminated, nil
	}}
	settings := &optimize.Settings{
		// The gradient is of the mean loss: at 1e-6 the holdout metrics agree
		// with a 1e-7 fit to four decimals, in two thirds of the iterations.
		GradientThreshold: 1e-6,
		MajorIterations:   1000,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-12, Iterations: 20},
	}
	res, err := optimize.Minimize(p, w, settings, &optimize.LBFGS{})
	if err != nil && !errors.Is(err, optimize.ErrLinesearcherFailure) {
		return 0, nil, fmt.Errorf("fit logistic regression: %w", err)
	}
	if res == nil || !finite(res.X...) {
		return 0, nil, errors.New("fit logistic regression: no finite solution")
	}
	return res.X[0], res.X[1:], nil
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
