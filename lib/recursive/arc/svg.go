package arc

import (
	"fmt"
	"strings"
)

// Palette is ARC's standard colour palette (the colours of the ARC web
// interface), indexed by colour 0..9.
var Palette = [NumColors]string{
	"#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00",
	"#AAAAAA", "#F012BE", "#FF851B", "#7FDBFF", "#870C25",
}

// SVG renders a grid in ARC colours with cells of cell pixels (default 12)
// and thin grey grid lines.
func SVG(g Grid, cell int) string {
	if cell <= 0 {
		cell = 12
	}
	h, w := g.Size()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, w*cell+1, h*cell+1, w*cell+1, h*cell+1)
	for r := range h {
		for c := range w {
			v := g[r][c]
			if v < 0 || v >= NumColors {
				v = 0
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#555" stroke-width="0.5"/>`, c*cell, r*cell, cell, cell, Palette[v])
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// TaskHTML renders a task's pairs side by side (input -> output), as HTML
// with inline SVG, for notebooks.
func TaskHTML(t *Task, cell int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<div style="font-family:sans-serif"><b>%s</b><div style="display:flex;flex-wrap:wrap;gap:16px;align-items:center">`, t.ID)
	pair := func(label string, p Pair) {
		fmt.Fprintf(&b, `<div style="text-align:center"><div style="font-size:11px">%s</div>%s <span>&rarr;</span> `, label, SVG(p.Input, cell))
		if p.Output != nil {
			b.WriteString(SVG(p.Output, cell))
		} else {
			b.WriteString("?")
		}
		b.WriteString(`</div>`)
	}
	for i, p := range t.Train {
		pair(fmt.Sprintf("demo %d", i+1), p)
	}
	for i, p := range t.Test {
		pair(fmt.Sprintf("test %d", i+1), p)
	}
	b.WriteString(`</div></div>`)
	return b.String()
}
