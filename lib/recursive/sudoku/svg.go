package sudoku

import (
	"fmt"
	"strings"
)

// SVG renders a puzzle as an SVG picture of the given width in pixels.
// Givens are black; if solution is not nil, the remaining cells show its
// digits in blue (red where the digit contradicts a given's row, column or
// box — useful for showing a model's wrong answer).
func SVG(puzzle Grid, solution *Grid, width int) string {
	s := puzzle.Shape
	n := s.N
	if width <= 0 {
		width = 240
	}
	cell := float64(width) / float64(n)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`, width+4, width+4, width+4, width+4)
	b.WriteString(`<g transform="translate(2,2)"><rect width="100%" height="100%" fill="white"/>`)
	var bad [MaxCells]bool
	if solution != nil {
		full := puzzle
		for i, d := range solution.Cells[:s.Cells()] {
			if full.Cells[i] == 0 {
				full.Cells[i] = d
			}
		}
		t := tablesFor(s)
		for i := range s.Cells() {
			if puzzle.Cells[i] != 0 || full.Cells[i] == 0 {
				continue
			}
			for _, p := range t.peers[i][:t.npeers] {
				if full.Cells[p] == full.Cells[i] {
					bad[i] = true
				}
			}
		}
	}
	for r := range n {
		for c := range n {
			i := r*n + c
			d, color, weight := puzzle.Cells[i], "#111", "bold"
			if d == 0 && solution != nil {
				d, color, weight = solution.Cells[i], "#1f5fbf", "normal"
				if bad[i] {
					color = "#d62728"
				}
			}
			if d == 0 {
				continue
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-family="sans-serif" font-size="%.1f" font-weight="%s" fill="%s" text-anchor="middle" dominant-baseline="central">%d</text>`,
				(float64(c)+0.5)*cell, (float64(r)+0.5)*cell, cell*0.6, weight, color, d)
		}
	}
	for i := 0; i <= n; i++ {
		wr, wc := 0.5, 0.5
		if i%s.BoxRows == 0 {
			wr = 2
		}
		if i%s.BoxCols == 0 {
			wc = 2
		}
		x := float64(i) * cell
		fmt.Fprintf(&b, `<line x1="0" y1="%.1f" x2="%d" y2="%.1f" stroke="#333" stroke-width="%.1f"/>`, x, width, x, wr)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%d" stroke="#333" stroke-width="%.1f"/>`, x, x, width, wc)
	}
	b.WriteString(`</g></svg>`)
	return b.String()
}
