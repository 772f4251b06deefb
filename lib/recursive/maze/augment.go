package maze

import (
	"fmt"
	"math/rand/v2"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// Dihedral applies dihedral transform t (0..7) to an N x N row-major grid
// of any element type: t&3 rotations by 90 degrees clockwise, then a
// horizontal flip if t&4. Shortest paths map to shortest paths.
func Dihedral[T any](dst, src []T, n, t int) {
	for r := range n {
		for c := range n {
			rr, cc := r, c
			for range t & 3 {
				rr, cc = cc, n-1-rr
			}
			if t&4 != 0 {
				cc = n - 1 - cc
			}
			dst[rr*n+cc] = src[r*n+c]
		}
	}
}

// InverseDihedral returns the transform that undoes t.
func InverseDihedral(t int) int {
	if t&4 != 0 {
		return t // flips after rotation are involutions: (F R^k)^-1 = F R^k
	}
	return (4 - t&3) & 3
}

// Transform returns m under dihedral transform t.
func (m Maze) Transform(t int) Maze {
	out := Maze{N: m.N, Cells: make([]byte, len(m.Cells))}
	Dihedral(out.Cells, m.Cells, m.N, t)
	return out
}

// Dataset is a base set of mazes with solutions, a [puzzle.Source]:
// augmentation k > 0 applies a random dihedral transform (when Augment is
// set) — HRM trains Maze-Hard without augmentation, so by default every
// augmentation is the maze itself. Puzzle identifiers are 0.
type Dataset struct {
	Pairs   []Pair
	Augment bool
}

var _ puzzle.Source = (*Dataset)(nil)

// Len is the number of base mazes.
func (d *Dataset) Len() int { return len(d.Pairs) }

// SeqLen is N*N.
func (d *Dataset) SeqLen() int {
	if len(d.Pairs) == 0 {
		return 0
	}
	return d.Pairs[0].Puzzle.N * d.Pairs[0].Puzzle.N
}

// Example writes augmentation k of maze i as tokens.
func (d *Dataset) Example(i, k int, rng *rand.Rand, inputs, labels []uint8) (int32, error) {
	p := d.Pairs[i]
	if p.Puzzle.N*p.Puzzle.N != len(inputs) || p.Solution.N != p.Puzzle.N {
		return 0, fmt.Errorf("maze %d: size %d differs from the dataset's or has no solution", i, p.Puzzle.N)
	}
	t := 0
	if k > 0 && d.Augment {
		t = rng.IntN(8)
	}
	var buf [MaxN * MaxN]uint8
	n := p.Puzzle.N
	Dihedral(inputs, p.Puzzle.Tokens(buf[:0]), n, t)
	Dihedral(labels, p.Solution.Tokens(buf[:0]), n, t)
	return 0, nil
}
