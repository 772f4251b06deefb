package plastic

import (
	"bytes"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Axes places a learner on the four axes of a learning algorithm: compute,
// trainable state, algorithm size and accuracy.
type Axes struct {
	Learner string `json:"learner"`
	// LearnFLOPs and PredictFLOPs are the arithmetic (a multiply-add counts
	// 2) spent learning the whole stream and predicting the test set,
	// a feature extractor's included.
	LearnFLOPs   int64 `json:"learn_flops"`
	PredictFLOPs int64 `json:"predict_flops"`
	// StateBytes is what learning changes: parameters, optimizer state,
	// stored examples, class statistics.
	StateBytes int64 `json:"state_bytes"`
	// AlgorithmBytes is what exists before any data arrives and is not
	// shared by all learners: a pretrained network's weights (4 bytes
	// each). The code itself is not counted.
	AlgorithmBytes int64   `json:"algorithm_bytes"`
	Accuracy       float64 `json:"accuracy"`
}

// Scatter renders one point per learner, labelled, as an inline SVG
// fragment (for nb.Row): y against x, x on a log scale when logX (points
// with x <= 0 are drawn at the smallest positive x divided by 10 and their
// label says "0").
func Scatter(title, xLabel, yLabel string, names []string, xs, ys []float64, logX bool) (string, error) {
	if len(names) != len(xs) || len(xs) != len(ys) || len(xs) == 0 {
		return "", fmt.Errorf("plastic: Scatter of %d names, %d x and %d y values, want as many and > 0", len(names), len(xs), len(ys))
	}
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	floor := math.Inf(1)
	for _, x := range xs {
		if x > 0 {
			floor = min(floor, x)
		}
	}
	if math.IsInf(floor, 1) {
		floor = 1
	}
	pts := make(plotter.XYs, len(xs))
	labels := make([]string, len(xs))
	for i := range xs {
		pts[i].X, pts[i].Y, labels[i] = xs[i], ys[i], names[i]
		if logX && xs[i] <= 0 {
			pts[i].X = floor / 10
			labels[i] += " (0)"
		}
	}
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return "", fmt.Errorf("plastic: Scatter: %w", err)
	}
	sc.GlyphStyle.Radius = vg.Points(3.5)
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	p.Add(sc)
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
	if err != nil {
		return "", fmt.Errorf("plastic: Scatter: %w", err)
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].XAlign = draw.XLeft
		lb.TextStyle[i].Font.Size = vg.Points(8)
	}
	lb.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(2)}
	p.Add(lb)
	c := vgsvg.New(vg.Points(420), vg.Points(300))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("plastic: Scatter: %w", err)
	}
	svg := buf.Bytes()
	if i := bytes.Index(svg, []byte("<svg")); i > 0 {
		svg = svg[i:]
	}
	return string(svg), nil
}
