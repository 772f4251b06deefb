package sudoku

import "fmt"

// Token values of the model encoding used by HRM and TRM: 0 is padding, 1
// a blank cell and 2..N+1 the digits 1..N (token = digit + 1).
const (
	// PadToken pads sequences (unused inside a grid).
	PadToken = 0
	// BlankToken is an empty cell.
	BlankToken = 1
)

// Vocab is the vocabulary size of the encoding for shape s: pad, blank and
// s.N digits (11 for 9x9).
func Vocab(s Shape) int { return s.N + 2 }

// Tokens appends g's cells to dst as tokens (see [PadToken]).
func (g Grid) Tokens(dst []uint8) []uint8 {
	for _, d := range g.Cells[:g.Shape.Cells()] {
		dst = append(dst, d+1)
	}
	return dst
}

// FromTokens decodes a token sequence of len s.Cells(): 1 is a blank and
// 2..N+1 a digit. Pad (0) and out-of-range tokens are errors.
func FromTokens(s Shape, toks []uint8) (Grid, error) {
	if len(toks) != s.Cells() {
		return Grid{}, fmt.Errorf("wrong length %d (want %d tokens for %v)", len(toks), s.Cells(), s)
	}
	g := Grid{Shape: s}
	for i, t := range toks {
		if t < 1 || int(t) > s.N+1 {
			return Grid{}, fmt.Errorf("invalid token %d at cell %d (want 1..%d)", t, i, s.N+1)
		}
		g.Cells[i] = t - 1
	}
	return g, nil
}
