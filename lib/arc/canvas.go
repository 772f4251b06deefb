package arc

import (
	"errors"
	"fmt"
)

// Canvas tokens: a grid is drawn on a 30x30 canvas of PadToken with colour
// c as token c+2, followed by a row and a column of EOSToken just below and
// just right of it (where they fit), as in HRM's ARC datasets.
const (
	// PadToken fills the canvas outside the grid.
	PadToken = 0
	// EOSToken marks the row below and the column right of the grid.
	EOSToken = 1
	// ColorBase is the token of colour 0.
	ColorBase = 2
	// Vocab is the number of canvas tokens (pad, end-of-grid, 10 colours).
	Vocab = 12
	// CanvasLen is the number of tokens of a canvas (30*30).
	CanvasLen = MaxSize * MaxSize
)

// Encode draws g on a canvas with its top-left cell at (dr, dc), writing
// CanvasLen tokens into dst.
func Encode(dst []uint8, g Grid, dr, dc int) error {
	h, w := g.Size()
	if len(dst) != CanvasLen {
		return fmt.Errorf("arc: canvas of %d tokens, want %d", len(dst), CanvasLen)
	}
	if h == 0 || dr < 0 || dc < 0 || dr+h > MaxSize || dc+w > MaxSize {
		return fmt.Errorf("arc: %dx%d grid at (%d, %d) does not fit the %dx%d canvas", h, w, dr, dc, MaxSize, MaxSize)
	}
	clear(dst)
	for r := range h {
		for c := range w {
			dst[(dr+r)*MaxSize+dc+c] = uint8(g[r][c] + ColorBase)
		}
	}
	if er := dr + h; er < MaxSize {
		for c := dc; c < dc+w; c++ {
			dst[er*MaxSize+c] = EOSToken
		}
	}
	if ec := dc + w; ec < MaxSize {
		for r := dr; r < dr+h; r++ {
			dst[r*MaxSize+ec] = EOSToken
		}
	}
	return nil
}

// ErrNoGrid is returned by [Decode] for a canvas without colour tokens.
var ErrNoGrid = errors.New("arc: canvas holds no grid")

// Decode crops the grid out of a canvas (a model's prediction): the
// rectangle of colour tokens starting at the top-left-most colour cell,
// extended right and down while colours continue. It fails if the
// rectangle is not all colours.
func Decode(canvas []uint8) (Grid, error) {
	if len(canvas) != CanvasLen {
		return nil, fmt.Errorf("arc: canvas of %d tokens, want %d", len(canvas), CanvasLen)
	}
	isColor := func(r, c int) bool {
		t := canvas[r*MaxSize+c]
		return t >= ColorBase && t < ColorBase+NumColors
	}
	r0, c0 := -1, MaxSize
	for r := 0; r < MaxSize && r0 < 0; r++ {
		for c := range MaxSize {
			if isColor(r, c) {
				r0 = r
				break
			}
		}
	}
	if r0 < 0 {
		return nil, ErrNoGrid
	}
	for r := r0; r < MaxSize; r++ {
		for c := 0; c < c0; c++ {
			if isColor(r, c) {
				c0 = c
				break
			}
		}
	}
	h, w := 0, 0
	for r0+h < MaxSize && isColor(r0+h, c0) {
		h++
	}
	for c0+w < MaxSize && isColor(r0, c0+w) {
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
			g[r][c] = int(canvas[(r0+r)*MaxSize+c0+c]) - ColorBase
		}
	}
	return g, nil
}
