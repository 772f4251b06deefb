package sudoku

import (
	"fmt"
	"math/rand/v2"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// Dataset is a base set of puzzles and their solutions, all of one shape.
// It is a [puzzle.Source]: augmentation 0 is the puzzle itself, others apply
// a [RandomAug] to puzzle and solution alike. Every example has puzzle
// identifier 0, as in HRM's Sudoku datasets.
type Dataset struct {
	Shape     Shape
	Puzzles   []Grid
	Solutions []Grid
}

var _ puzzle.Source = (*Dataset)(nil)

// NewDataset builds a Dataset from records, which must all have solutions
// and one shape.
func NewDataset(recs []Record) (*Dataset, error) {
	d := &Dataset{}
	for i, r := range recs {
		if !r.HasSolution() {
			return nil, fmt.Errorf("sudoku: record %d (line %d) has no solution", i, r.Line)
		}
		if i == 0 {
			d.Shape = r.Puzzle.Shape
		} else if r.Puzzle.Shape != d.Shape {
			return nil, fmt.Errorf("sudoku: record %d is %v, record 0 is %v", i, r.Puzzle.Shape, d.Shape)
		}
		d.Puzzles = append(d.Puzzles, r.Puzzle)
		d.Solutions = append(d.Solutions, r.Solution)
	}
	return d, nil
}

// Len is the number of base puzzles.
func (d *Dataset) Len() int { return len(d.Puzzles) }

// SeqLen is the number of cells.
func (d *Dataset) SeqLen() int { return d.Shape.Cells() }

// Example writes augmentation k of puzzle i as tokens.
func (d *Dataset) Example(i, k int, rng *rand.Rand, inputs, labels []uint8) (int32, error) {
	n := d.Shape.Cells()
	if k == 0 {
		d.Puzzles[i].Tokens(inputs[:0])
		d.Solutions[i].Tokens(labels[:0])
		return 0, nil
	}
	a := RandomAug(d.Shape, rng)
	var buf [MaxCells]uint8
	a.ApplyTokens(inputs, d.Puzzles[i].Tokens(buf[:0]))
	a.ApplyTokens(labels, d.Solutions[i].Tokens(buf[:0])[:n])
	return 0, nil
}

// SplitCanonical splits grids into train and test index sets (test about
// testFraction of them) with no test grid equal to an augmentation of a
// training grid: grids are grouped by [CanonicalKey].
func SplitCanonical(grids []Grid, testFraction float64, seed uint64) (train, test []int) {
	keys := make([]string, len(grids))
	for i, g := range grids {
		keys[i] = CanonicalKey(g)
	}
	return puzzle.SplitGroups(keys, testFraction, seed)
}
