package nb

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// LinePlot is a line plot of one or more named series, rendered to SVG with
// gonum.org/v1/plot. The zero value is ready to use:
//
//	(&nb.LinePlot{Title: "Loss", XLabel: "step", LogY: true}).
//		Add("train", steps, trainLoss).
//		Add("eval", evalSteps, evalLoss).
//		Show()
type LinePlot struct {
	Title, XLabel, YLabel string
	// LogX and LogY use a logarithmic axis; points with a value <= 0 on
	// such an axis are left out.
	LogX, LogY bool
	// Width and Height are the size in points (1/72 inch); 0 means 480×300.
	Width, Height float64
	// EmbedFonts embeds the font files in the SVG (about 0.5 MB more). By
	// default text uses the font-family "Liberation Sans, Arial, Helvetica,
	// sans-serif" (Liberation Sans has Arial's metrics), which browsers
	// resolve locally: nothing is ever fetched either way.
	EmbedFonts bool

	series []series
}

type series struct {
	name   string
	xs, ys []float64
}

// Add adds a series named name (shown in the legend when there is more
// than one series or the name is not empty). If xs is nil the x values are
// 0, 1, 2, ...; otherwise xs and ys must have the same length. NaN and
// infinite points are left out. The slices are copied. It returns p.
func (p *LinePlot) Add(name string, xs, ys []float64) *LinePlot {
	if xs != nil && len(xs) != len(ys) {
		panic(fmt.Sprintf("nb: LinePlot.Add(%q): %d x values but %d y values", name, len(xs), len(ys)))
	}
	if xs == nil {
		xs = make([]float64, len(ys))
		for i := range xs {
			xs[i] = float64(i)
		}
	}
	p.series = append(p.series, series{name: name, xs: append([]float64(nil), xs...), ys: append([]float64(nil), ys...)})
	return p
}

// sansFont is the font used for all text: Liberation Sans, metric
// compatible with Arial and Helvetica.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// build creates the gonum plot.
func (p *LinePlot) build() (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	for _, ts := range []*font.Font{
		&pl.Title.TextStyle.Font, &pl.Legend.TextStyle.Font,
		&pl.X.Label.TextStyle.Font, &pl.X.Tick.Label.Font,
		&pl.Y.Label.TextStyle.Font, &pl.Y.Tick.Label.Font,
	} {
		*ts = font.From(sansFont, ts.Size)
	}
	pl.Title.TextStyle.Font.Size = vg.Points(13)
	pl.Title.Padding = vg.Points(6)
	if p.LogX {
		pl.X.Scale = plot.LogScale{}
		pl.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if p.LogY {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	pl.Legend.Top = true
	pl.Add(plotter.NewGrid())
	points := 0
	for i, s := range p.series {
		xys := make(plotter.XYs, 0, len(s.xs))
		for j := range s.xs {
			x, y := s.xs[j], s.ys[j]
			if !finite(x) || !finite(y) || (p.LogX && x <= 0) || (p.LogY && y <= 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
		if len(xys) == 0 {
			continue
		}
		points += len(xys)
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("nb: plot series %q: %w", s.name, err)
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(1.5)
		pl.Add(line)
		if s.name != "" {
			pl.Legend.Add(s.name, line)
		}
	}
	if points == 0 {
		// An empty plot still needs valid axis ranges.
		pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = 1, 10, 1, 10
	}
	return pl, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// size returns the plot size.
func (p *LinePlot) size() (w, h vg.Length) {
	w, h = vg.Points(p.Width), vg.Points(p.Height)
	if w <= 0 {
		w = vg.Points(480)
	}
	if h <= 0 {
		h = vg.Points(300)
	}
	return w, h
}

// SVG renders the plot as a standalone SVG document.
func (p *LinePlot) SVG() ([]byte, error) {
	pl, err := p.build()
	if err != nil {
		return nil, err
	}
	w, h := p.size()
	c := vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(p.EmbedFonts))
	pl.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("nb: rendering plot: %w", err)
	}
	out := buf.Bytes()
	if !p.EmbedFonts {
		out = bytes.ReplaceAll(out, []byte("font-family:Liberation Sans;"),
			[]byte("font-family:Liberation Sans,Arial,Helvetica,sans-serif;"))
	}
	return out, nil
}

// HTML returns the plot as an inline <svg> element (SVG without its XML
// prolog), for [Row] and other HTML; a plot that cannot be drawn gives a
// short note naming the error instead.
func (p *LinePlot) HTML() string {
	b, err := p.SVG()
	if err != nil {
		return "<pre>" + esc(err.Error()) + "</pre>"
	}
	s := string(b)
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	return s
}

// Save writes the plot to path, as SVG for a ".svg" path and otherwise in
// the format of the extension gonum/plot supports (".png", ".pdf", ...).
func (p *LinePlot) Save(path string) error {
	if strings.EqualFold(filepath.Ext(path), ".svg") {
		svg, err := p.SVG()
		if err != nil {
			return err
		}
		return os.WriteFile(path, svg, 0o644)
	}
	pl, err := p.build()
	if err != nil {
		return err
	}
	w, h := p.size()
	return pl.Save(w, h, path)
}

// Show displays the plot in a notebook (as inline SVG, which also shows in
// nbconvert HTML reports); outside a notebook it prints a one-line summary
// of the series to stdout. Errors are shown instead of the plot.
func (p *LinePlot) Show() {
	if !inNotebook() {
		fmt.Fprintln(outW(), p.summary())
		return
	}
	svg, err := p.SVG()
	if err != nil {
		displayHTML(`<pre style="color:#cf222e">` + esc(err.Error()) + `</pre>`)
		fmt.Fprintln(errW(), err)
		return
	}
	// Drop the XML prolog: the SVG is inlined in HTML.
	if i := bytes.Index(svg, []byte("<svg")); i > 0 {
		svg = svg[i:]
	}
	displayHTML("<div>" + string(svg) + "</div>")
}

// summary describes the plot in one line of text.
func (p *LinePlot) summary() string {
	var parts []string
	for _, s := range p.series {
		lo, hi, n := math.Inf(1), math.Inf(-1), 0
		for _, y := range s.ys {
			if finite(y) {
				lo, hi, n = min(lo, y), max(hi, y), n+1
			}
		}
		name := s.name
		if name == "" {
			name = "series"
		}
		if n == 0 {
			parts = append(parts, fmt.Sprintf("%s: no points", name))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %d points, y %s..%s, last %s",
			name, n, Format(lo), Format(hi), Format(s.ys[len(s.ys)-1])))
	}
	title := p.Title
	if title == "" {
		title = "plot"
	}
	return fmt.Sprintf("[plot %q: %s]", title, strings.Join(parts, "; "))
}
