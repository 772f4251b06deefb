package arc

import (
	"errors"
	"fmt"
)

// Canvas tokens: a grid is drawn on a square canvas (30x30 by default) of
// PadToken with colour c as token c+2, followed by a row and a column of
// EOSToken just below and just right of it (where they fit), as in HRM's
// ARC datasets.
const (
	// PadToken fills the canvas outside the grid.
	PadToken = 0
	// EOSToken marks the row below and the column right of the grid.
	EOSToken = 1
	// ColorBase is the token of colour 0.
	ColorBase = 2
	// Vocab is the number of canvas tokens (pad, end-of-grid, 10 colours).
	Vocab = 12
	// CanvasLen is the number of tokens of the default canvas (30*30).
	CanvasLen = MaxSize * MaxSize
)

// Canvas is the side of a square canvas, 1..MaxSize. The papers use
// Canvas(MaxSize) (900 tokens, what [Encode] and [Decode] use); a smaller
// canvas holds only grids up to its side, for small models on small tasks
// (a 10x10 canvas is 100 tokens).
type Canvas int

// Len is the number of tokens of the canvas, side*side.
func (s Canvas) Len() int { return int(s) * int(s) }

func (s Canvas) check(n int) error {
	if s < 1 || s > MaxSize {
		return fmt.Errorf("arc: canvas side %d, want 1..%d", int(s), MaxSize)
	}
	if n != s.Len() {
		return fmt.Errorf("arc: canvas of %d tokens, want %d (%dx%d)", n, s.Len(), int(s), int(s))
	}
	return nil
}

// Encode draws g on the canvas with its top-left cell at (dr, dc), writing
// s.Len() tokens into dst. A grid that does not fit is an error.
func (s Canvas) Encode(dst []uint8, g Grid, dr, dc int) error {
	if err := s.check(len(dst)); err != nil {
		return err
	}
	n := int(s)
	h, w := g.Size()
	if h == 0 || dr < 0 || dc < 0 || dr+h > n || dc+w > n {
		return fmt.Errorf("arc: %dx%d grid at (%d, %d) does not fit the %dx%d canvas", h, w, dr, dc, n, n)
	}
	clear(dst)
	for r := range h {
		for c := range w {
			dst[(dr+r)*n+dc+c] = uint8(g[r][c] + ColorBase)
		}
	}
	if er := dr + h; er < n {
		for c := dc; c < dc+w; c++ {
			dst[er*n+c] = EOSToken
		}
	}
	if ec := dc + w; ec < n {
		for r := dr; r < dr+h; r++ {
			dst[r*n+ec] = EOSToken
		}
	}
	return nil
}

// ErrNoGrid is returned by [Decode] for a canvas without colour tokens.
var ErrNoGrid = errors.New("arc: canvas holds no grid")

// Decode crops the grid out of a canvas of s.Len() tokens (a model's
// prediction): the rectangle of colour tokens starting at the
// top-left-most colour cell, extended right and down while colours
// continue. It fails if the rectangle is not all colours.
func (s Canvas) Decode(canvas []uint8) (Grid, error) {
	if err := s.check(len(canvas)); err != nil {
		return nil, err
	}
	n := int(s)
	isColor := func(r, c int) bool {
		t := canvas[r*n+c]
		return t >= ColorBase && t < ColorBase+NumColors
	}
	r0, c0 := -1, n
	for r := 0; r < n && r0 < 0; r++ {
		for c := range n {
			if isColor(r, c) {
				r0 = r
				break
			}
		}
	}
	if r0 < 0 {
		return nil, ErrNoGrid
	}
	for r := r0; r < n; r++ {
		for c := 0; c < c0; c++ {
			if isColor(r, c) {
				c0 = c
				break
			}
		}
	}
	h, w := 0, 0
	for r0+h < n && isColor(r0+h, c0) {
		h++
	}
	for c0+w < n && isColor(r0, c0+w) {
		w++
	}
	if h == 0 || w == 0 {
		return nil, fmt.Errorf("arc: no grid corner at row %d, column %d", r0, c0)
	}
	g := NewGrid(h, w)
	for r := range h {
		for c := range w {
			if !isColor(r0+r, c0+c) {
				return nil, fmt.Errorf("arc: predicted grid is not rectangular (hole at row %d, column %d)", r, c)
			}
			g[r][c] = int(canvas[(r0+r)*n+c0+c]) - ColorBase
		}
	}
	return g, nil
}

// Encode draws g on a 30x30 canvas with its top-left cell at (dr, dc),
// writing CanvasLen tokens into dst: Canvas(MaxSize).Encode.
func Encode(dst []uint8, g Grid, dr, dc int) error { return Canvas(MaxSize).Encode(dst, g, dr, dc) }

// Decode crops the grid out of a 30x30 canvas: Canvas(MaxSize).Decode.
func Decode(canvas []uint8) (Grid, error) { return Canvas(MaxSize).Decode(canvas) }
