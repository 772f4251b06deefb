package study

import (
	"fmt"
	"sort"

	"github.com/labnotes/labnotes/lib/recursive"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

// AnswerGrid decodes a model's answer (tokens, [shape.Cells()]) to a grid;
// tokens that are no digit (padding, out of range) become blanks.
func AnswerGrid(shape sudoku.Shape, toks []uint8) (sudoku.Grid, error) {
	t := append([]uint8(nil), toks...)
	for i, v := range t {
		if v < 1 || int(v) > shape.N+1 {
			t[i] = sudoku.BlankToken
		}
	}
	g, err := sudoku.FromTokens(shape, t)
	if err != nil {
		return g, fmt.Errorf("study: AnswerGrid: %w", err)
	}
	return g, nil
}

// ExactByStep returns, for each supervision step of pred, the fraction of
// its puzzles answered exactly.
func ExactByStep(pred recursive.Predictions) []float64 {
	out := make([]float64, len(pred.Exact))
	for s, ex := range pred.Exact {
		n := 0.0
		for _, ok := range ex {
			if ok {
				n++
			}
		}
		out[s] = n / float64(len(ex))
	}
	return out
}

// SolvedLast returns the puzzles of pred that are wrong after the first
// supervision step and right after the last, latest solved first (by the
// step at which they first become right; ties in puzzle order), at most n
// of them, and how many such puzzles there are in all.
func SolvedLast(pred recursive.Predictions, n int) (pick []int, total int) {
	steps := len(pred.Exact)
	if steps == 0 {
		return nil, 0
	}
	first := func(i int) int {
		for k := range steps {
			if pred.Exact[k][i] {
				return k
			}
		}
		return steps
	}
	for i := range pred.Exact[0] {
		if !pred.Exact[0][i] && pred.Exact[steps-1][i] {
			pick = append(pick, i)
		}
	}
	total = len(pick)
	sort.SliceStable(pick, func(a, b int) bool { return first(pick[a]) > first(pick[b]) })
	return pick[:min(len(pick), n)], total
}
