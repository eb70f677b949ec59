// Package report draws a trained scoring model's holdout performance as one
// PNG: ROC curve, calibration and lift by decile, side by side. It is for
// people judging a model version; the numbers themselves live in
// scoring.Metrics.
package report

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/jmksales/jmk/server/scoring"
)

// Size of the image: a title line over three square-ish panels.
const (
	width       = 15 * vg.Inch
	height      = 5.4 * vg.Inch
	titleHeight = 0.4 * vg.Inch
)

// ErrNoHoldout is returned by WritePNG when there are no holdout
// predictions of both outcomes to draw.
var ErrNoHoldout = errors.New("report: holdout needs converted and not converted leads")

var (
	modelColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	refColor   = color.Gray{Y: 160}
)

// WritePNG draws the three panels for m's holdout predictions (as returned
// by scoring.Train) under title (which model this is) and writes a PNG to
// w. It returns ErrNoHoldout when the holdout lacks either outcome.
func WritePNG(w io.Writer, title string, m *scoring.Model, holdout []scoring.Prediction) error {
	var pos int
	for _, p := range holdout {
		if p.Y {
			pos++
		}
	}
	if pos == 0 || pos == len(holdout) {
		return ErrNoHoldout
	}
	roc, err := rocPlot(m, holdout)
	if err != nil {
		return err
	}
	cal, err := calibrationPlot(holdout)
	if err != nil {
		return err
	}
	lift, err := liftPlot(holdout, float64(pos)/float64(len(holdout)))
	if err != nil {
		return err
	}

	img := vgimg.New(width, height)
	dc := draw.New(img)
	drawTitle(dc, title)
	dc = draw.Crop(dc, 0, 0, 0, -titleHeight)
	tiles := draw.Tiles{Rows: 1, Cols: 3, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	plots := [][]*plot.Plot{{roc, cal, lift}}
	canvases := plot.Align(plots, tiles, dc)
	for j, p := range plots[0] {
		p.Draw(canvases[0][j])
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("report: write png: %w", err)
	}
	return nil
}

// drawTitle writes title centred along the top of c.
func drawTitle(c draw.Canvas, title string) {
	style := plot.New().Title.TextStyle
	style.XAlign, style.YAlign = draw.XCenter, draw.YCenter
	style.Font.Size = vg.Points(16)
	c.FillText(style, vg.Point{X: c.Center().X, Y: c.Max.Y - titleHeight/2}, title)
}

func rocPlot(m *scoring.Model, holdout []scoring.Prediction) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("ROC curve (AUC %.3f)", scoring.AUC(holdout))
	if m != nil {
		p.Title.Text += fmt.Sprintf(", n=%d", m.Metrics.NTest)
	}
	p.X.Label.Text = "False positive rate"
	p.Y.Label.Text = "True positive rate"
	square(p)
	curve := scoring.ROCCurve(holdout)
	xys := make(plotter.XYs, len(curve))
	for i, pt := range curve {
		xys[i] = plotter.XY{X: pt.FPR, Y: pt.TPR}
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return nil, fmt.Errorf("report: roc: %w", err)
	}
	line.Color = modelColor
	line.Width = vg.Points(1.5)
	ref := diagonal()
	p.Add(ref, line, plotter.NewGrid())
	p.Legend.Add("model", line)
	p.Legend.Add("random order", ref)
	p.Legend.Left, p.Legend.Top = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Millimeter*2, vg.Millimeter*2
	return p, nil
}

// calibrationTitle gives the largest error as `jmk model train` prints it:
// over the bins large enough to judge, not the noise of a small holdout's.
func calibrationTitle(bins []scoring.CalibrationBin) string {
	gap, ok := scoring.CalibrationGap(bins)
	if !ok {
		return fmt.Sprintf("Calibration (10 equal-count bins; none of %d leads to judge)", scoring.CalibrationMinLeads)
	}
	return fmt.Sprintf("Calibration (10 equal-count bins; max error %.3f in those of %d+ leads)", gap, scoring.CalibrationMinLeads)
}

func calibrationPlot(holdout []scoring.Prediction) (*plot.Plot, error) {
	p := plot.New()
	bins := scoring.CalibrationTable(holdout, 10)
	p.Title.Text = calibrationTitle(bins)
	p.X.Label.Text = "Mean predicted probability"
	p.Y.Label.Text = "Observed conversion rate"
	// Most leads sit at low probabilities: the axes end a little past the
	// largest rate (to the next tenth), not at 1, so the deciles are apart.
	xys := make(plotter.XYs, len(bins))
	top := 0.1
	for i, b := range bins {
		xys[i] = plotter.XY{X: b.MeanPredicted, Y: b.ObservedRate}
		top = max(top, b.MeanPredicted, b.ObservedRate)
	}
	top = min(1, math.Ceil(top*1.05*10)/10)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, top, 0, top
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, fmt.Errorf("report: calibration: %w", err)
	}
	line.Color, points.Color = modelColor, modelColor
	points.Shape = draw.CircleGlyph{}
	ref := diagonal()
	p.Add(ref, line, points, plotter.NewGrid())
	p.Legend.Add("model, one point per decile", line, points)
	p.Legend.Add("perfect calibration", ref)
	p.Legend.Left, p.Legend.Top = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Millimeter*2, -vg.Millimeter*2
	return p, nil
}

// liftPlot shows each decile's conversion rate over the base rate, best
// decile first, as a sales team works down the list.
func liftPlot(holdout []scoring.Prediction, base float64) (*plot.Plot, error) {
	bins := scoring.CalibrationTable(holdout, 10)
	lifts := make(plotter.Values, len(bins))
	labels := make([]string, len(bins))
	for i := range bins {
		b := bins[len(bins)-1-i]
		lifts[i] = b.ObservedRate / base
		labels[i] = fmt.Sprint(i + 1)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Lift by decile (top decile %.2f)", scoring.LiftTopDecile(holdout))
	p.X.Label.Text = "Decile (1 = highest scores)"
	p.Y.Label.Text = "Conversion rate / overall rate"
	bars, err := plotter.NewBarChart(lifts, vg.Points(18))
	if err != nil {
		return nil, fmt.Errorf("report: lift: %w", err)
	}
	bars.Color = modelColor
	bars.LineStyle.Width = 0
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Color = refColor
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(plotter.NewGrid(), bars, one)
	p.Legend.Add("decile's conversion rate / overall", bars)
	p.Legend.Add("overall rate (random order)", one)
	p.Legend.Top = true
	p.NominalX(labels...)
	p.Y.Min = 0
	p.Y.Max = 1.1 * max(lifts[0], 1)
	return p, nil
}

func square(p *plot.Plot) {
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
}

func diagonal() *plotter.Function {
	f := plotter.NewFunction(func(x float64) float64 { return x })
	f.Color = refColor
	f.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	return f
}
