package maze

import (
	"fmt"
	"strings"
)

// SVG renders a maze as an SVG picture of the given width in pixels:
// walls dark, open cells white, the start green, the goal red, and path
// cells (of m, or of path if not nil) blue.
func SVG(m Maze, path *Maze, width int) string {
	if width <= 0 {
		width = 300
	}
	cell := float64(width) / float64(m.N)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, width, width, width, width)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>`)
	for i, ch := range m.Cells {
		if path != nil && i < len(path.Cells) && path.Cells[i] == Path && ch == Open {
			ch = Path
		}
		var color string
		switch ch {
		case Wall:
			color = "#2b2b2b"
		case Start:
			color = "#2ca02c"
		case Goal:
			color = "#d62728"
		case Path:
			color = "#4a90d9"
		default:
			continue
		}
		fmt.Fprintf(&b, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"/>`,
			float64(i%m.N)*cell, float64(i/m.N)*cell, cell+0.05, cell+0.05, color)
	}
	b.WriteString(`</svg>`)
	return b.String()
}
