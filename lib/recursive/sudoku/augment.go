package sudoku

import (
	"math/rand/v2"
)

// Aug is a validity-preserving transformation of a grid: an optional
// transpose, then a permutation of rows (bands, and rows within bands) and
// of columns (stacks, and columns within stacks), then a relabeling of the
// digits. Output cell (r, c) is input cell (Rows[r], Cols[c]) — of the
// transposed input when Transpose — with its digit d replaced by Digits[d].
// Transpose is only valid for square boxes (4x4 and 9x9).
type Aug struct {
	Shape     Shape
	Transpose bool
	Rows      [9]uint8
	Cols      [9]uint8
	Digits    [10]uint8 // Digits[0] must be 0 (blanks stay blank)
}

// Identity returns the augmentation that changes nothing.
func Identity(s Shape) Aug {
	a := Aug{Shape: s}
	for i := range 9 {
		a.Rows[i], a.Cols[i] = uint8(i), uint8(i)
	}
	for d := range 10 {
		a.Digits[d] = uint8(d)
	}
	return a
}

// RandomAug draws an augmentation as HRM does: a random digit permutation,
// a transpose with probability 1/2 (square boxes only), a random order of
// bands and of the rows within each band, and likewise for stacks and
// columns.
func RandomAug(s Shape, rng *rand.Rand) Aug {
	a := Identity(s)
	p := rng.Perm(s.N)
	for d := range s.N {
		a.Digits[d+1] = uint8(p[d] + 1)
	}
	if s.BoxRows == s.BoxCols {
		a.Transpose = rng.IntN(2) == 1
	}
	permLines(a.Rows[:s.N], s.BoxRows, rng)
	// After a transpose, columns are grouped like the input's rows.
	permLines(a.Cols[:s.N], s.BoxCols, rng)
	return a
}

// permLines fills dst with a permutation of 0..len(dst)-1 that moves groups
// of size group as blocks and permutes lines within each group.
func permLines(dst []uint8, group int, rng *rand.Rand) {
	groups := rng.Perm(len(dst) / group)
	for g, src := range groups {
		within := rng.Perm(group)
		for i, w := range within {
			dst[g*group+i] = uint8(src*group + w)
		}
	}
}

// Valid reports whether a is a validity-preserving transformation of its
// shape: permutations that keep bands and stacks together, a digit
// permutation fixing 0, and a transpose only for square boxes.
func (a Aug) Valid() bool {
	s := a.Shape
	if !s.Valid() || (a.Transpose && s.BoxRows != s.BoxCols) || a.Digits[0] != 0 {
		return false
	}
	return isGroupedPerm(a.Rows[:s.N], s.BoxRows) && isGroupedPerm(a.Cols[:s.N], s.BoxCols) &&
		isPerm(a.Digits[1:s.N+1], 1)
}

func isPerm(p []uint8, base int) bool {
	var seen uint32
	for _, v := range p {
		i := int(v) - base
		if i < 0 || i >= len(p) || seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
	}
	return true
}

func isGroupedPerm(p []uint8, group int) bool {
	if !isPerm(p, 0) {
		return false
	}
	for g := 0; g < len(p); g += group {
		for i := g; i < g+group; i++ {
			if int(p[i])/group != int(p[g])/group {
				return false
			}
		}
	}
	return true
}

// Apply returns the transformed grid.
func (a Aug) Apply(g Grid) Grid {
	n := g.Shape.N
	out := Grid{Shape: g.Shape}
	for r := range n {
		for c := range n {
			var d uint8
			if a.Transpose {
				d = g.Cells[int(a.Cols[c])*n+int(a.Rows[r])]
			} else {
				d = g.Cells[int(a.Rows[r])*n+int(a.Cols[c])]
			}
			out.Cells[r*n+c] = a.Digits[d]
		}
	}
	return out
}

// ApplyTokens transforms a sequence of model tokens (see [Tokens]) in place
// of dst, which must have len(src) elements: digits are relabeled, pad and
// blank tokens kept.
func (a Aug) ApplyTokens(dst, src []uint8) {
	n := a.Shape.N
	var lut [256]uint8
	for i := range lut {
		lut[i] = uint8(i)
	}
	for d := 1; d <= n; d++ {
		lut[d+1] = a.Digits[d] + 1
	}
	for r := range n {
		for c := range n {
			var v uint8
			if a.Transpose {
				v = src[int(a.Cols[c])*n+int(a.Rows[r])]
			} else {
				v = src[int(a.Rows[r])*n+int(a.Cols[c])]
			}
			dst[r*n+c] = lut[v]
		}
	}
}

// Inverse returns the augmentation that undoes a: a.Inverse().Apply(a.Apply(g)) == g.
func (a Aug) Inverse() Aug {
	inv := Aug{Shape: a.Shape, Transpose: a.Transpose}
	var ir, ic [9]uint8
	for i := range a.Shape.N {
		ir[a.Rows[i]] = uint8(i)
		ic[a.Cols[i]] = uint8(i)
	}
	for i := a.Shape.N; i < 9; i++ {
		ir[i], ic[i] = uint8(i), uint8(i)
	}
	if a.Transpose {
		inv.Rows, inv.Cols = ic, ir
	} else {
		inv.Rows, inv.Cols = ir, ic
	}
	for d := range 10 {
		inv.Digits[a.Digits[d]] = uint8(d)
	}
	return inv
}
