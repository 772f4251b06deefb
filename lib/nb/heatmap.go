package nb

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// HeatMap is a matrix of numbers shown as a table whose cells are
// coloured by value (red for low, yellow for the middle, green for high):
// an accuracy matrix, a confusion matrix. In a notebook it is an HTML
// table with inline styles (no JavaScript); outside, aligned text. The
// zero value of the optional fields is ready to use:
//
//	(&nb.HeatMap{Title: "accuracy", Rows: []string{"after task 1", "after task 2"},
//		Cols: []string{"task 1", "task 2"}, Values: [][]float64{{0.98}, {0.61, 0.95}}, Max: 1}).Show()
type HeatMap struct {
	Title string
	// Rows and Cols label the rows and columns; missing labels are empty.
	Rows, Cols []string
	// Values[i][j] is the cell of row i, column j. Rows may be shorter
	// than Cols (a triangular matrix); NaN cells are shown empty and
	// uncoloured.
	Values [][]float64
	// Min and Max fix the colour scale (values outside are clamped); when
	// they are equal, the scale is the finite values' range.
	Min, Max float64
	// Format writes a cell's text; nil means [Format] (4 significant digits).
	Format func(v float64) string
}

// heatStops are the palette's colours at 0, 0.5 and 1 (ColorBrewer RdYlGn).
var heatStops = [3][3]float64{{215, 48, 39}, {254, 224, 139}, {26, 152, 80}}

// scale returns the colour range: Min and Max, or the finite values' range.
func (h *HeatMap) scale() (lo, hi float64) {
	if h.Min != h.Max {
		return h.Min, h.Max
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range h.Values {
		for _, v := range row {
			if finite(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	return lo, hi
}

// Color returns the background colour of value v as "#rrggbb" and whether
// text on it should be white; "" for a NaN.
func (h *HeatMap) Color(v float64) (bg string, whiteText bool) {
	if !finite(v) {
		return "", false
	}
	lo, hi := h.scale()
	t := 0.5
	if hi > lo {
		t = min(max((v-lo)/(hi-lo), 0), 1)
	}
	a, b, f := heatStops[0], heatStops[1], 2*t
	if t > 0.5 {
		a, b, f = heatStops[1], heatStops[2], 2*t-1
	}
	var c [3]float64
	for i := range c {
		c[i] = a[i] + f*(b[i]-a[i])
	}
	lum := (0.299*c[0] + 0.587*c[1] + 0.114*c[2]) / 255
	return fmt.Sprintf("#%02x%02x%02x", int(math.Round(c[0])), int(math.Round(c[1])), int(math.Round(c[2]))), lum < 0.5
}

// cols is the number of columns: the longest of Cols and the rows.
func (h *HeatMap) cols() int {
	n := len(h.Cols)
	for _, r := range h.Values {
		n = max(n, len(r))
	}
	return n
}

// text returns cell (i, j)'s text and value; ok is false for a missing or NaN cell.
func (h *HeatMap) text(i, j int) (s string, v float64, ok bool) {
	if j >= len(h.Values[i]) || !finite(h.Values[i][j]) {
		return "", math.NaN(), false
	}
	v = h.Values[i][j]
	if h.Format != nil {
		return h.Format(v), v, true
	}
	return Format(v), v, true
}

func label(labels []string, i int) string {
	if i < len(labels) {
		return labels[i]
	}
	return ""
}

// HTML renders the heat map as a self-contained HTML table: the title as
// its caption, column labels on top, row labels on the left.
func (h *HeatMap) HTML() string {
	const cell = "padding:3px 10px;text-align:right;font-variant-numeric:tabular-nums;"
	var sb strings.Builder
	sb.WriteString(`<table style="border-collapse:collapse;font-family:sans-serif;font-size:13px;margin:4px 0">`)
	if h.Title != "" {
		fmt.Fprintf(&sb, `<caption style="font-weight:bold;text-align:left;padding:2px 0">%s</caption>`, esc(h.Title))
	}
	nc := h.cols()
	sb.WriteString(`<thead><tr><th></th>`)
	for j := range nc {
		fmt.Fprintf(&sb, `<th style="padding:2px 10px;border-bottom:2px solid #888;">%s</th>`, esc(label(h.Cols, j)))
	}
	sb.WriteString(`</tr></thead><tbody>`)
	for i := range h.Values {
		fmt.Fprintf(&sb, `<tr><th style="padding:2px 10px;text-align:left;font-weight:normal;">%s</th>`, esc(label(h.Rows, i)))
		for j := range nc {
			s, v, ok := h.text(i, j)
			if !ok {
				fmt.Fprintf(&sb, `<td style="%s"></td>`, cell)
				continue
			}
			bg, white := h.Color(v)
			fg := "#000"
			if white {
				fg = "#fff"
			}
			fmt.Fprintf(&sb, `<td style="%sbackground:%s;color:%s;border:1px solid #fff">%s</td>`, cell, bg, fg, esc(s))
		}
		sb.WriteString(`</tr>`)
	}
	sb.WriteString(`</tbody></table>`)
	return sb.String()
}

// Text renders the heat map as aligned text: the title on its own line,
// the column labels, a dashed line, then a line per row with its label on
// the left and the cells aligned right; colours are left out.
func (h *HeatMap) Text() string {
	nc := h.cols()
	lines := make([][]string, 0, len(h.Values)+1)
	head := []string{""}
	for j := range nc {
		head = append(head, label(h.Cols, j))
	}
	lines = append(lines, head)
	for i := range h.Values {
		l := []string{label(h.Rows, i)}
		for j := range nc {
			s, _, _ := h.text(i, j)
			l = append(l, s)
		}
		lines = append(lines, l)
	}
	width := make([]int, nc+1)
	for _, l := range lines {
		for c, s := range l {
			width[c] = max(width[c], utf8.RuneCountInString(s))
		}
	}
	var sb strings.Builder
	if h.Title != "" {
		sb.WriteString(h.Title + "\n")
	}
	write := func(l []string) {
		var parts []string
		for c, s := range l {
			pad := strings.Repeat(" ", width[c]-utf8.RuneCountInString(s))
			if c == 0 {
				parts = append(parts, s+pad)
			} else {
				parts = append(parts, pad+s)
			}
		}
		sb.WriteString(strings.TrimRight(strings.Join(parts, "  "), " ") + "\n")
	}
	write(lines[0])
	dashes := make([]string, len(width))
	for c, w := range width {
		dashes[c] = strings.Repeat("-", w)
	}
	write(dashes)
	for _, l := range lines[1:] {
		write(l)
	}
	return sb.String()
}

// Show displays the heat map: the HTML table in a notebook, [HeatMap.Text] on stdout otherwise.
func (h *HeatMap) Show() {
	if inNotebook() {
		displayHTML(h.HTML())
		return
	}
	fmt.Fprint(outW(), h.Text())
}
