package sudoku

// Canonical returns the canonical form of g: the lexicographically smallest
// grid among all augmentations of g (transposes, band/stack permutations,
// row/column permutations within them), with digits relabeled 1, 2, ... in
// order of first appearance (blanks sort first). Two grids have the same
// canonical form exactly when one is an augmentation of the other, so a
// dataset split that keeps canonical forms apart has no test puzzle that is a
// symmetry of a training puzzle.
//
// It enumerates column arrangements and, for each, builds the rows greedily
// with branch-and-bound; a 9x9 puzzle takes about a millisecond.
func Canonical(g Grid) Grid {
	s := g.Shape
	if !s.Valid() {
		return g
	}
	cn := &canon{s: s}
	transposes := []bool{false}
	if s.BoxRows == s.BoxCols {
		transposes = append(transposes, true)
	}
	for _, tr := range transposes {
		x := g
		if tr {
			for r := range s.N {
				for c := range s.N {
					x.Cells[r*s.N+c] = g.Cells[c*s.N+r]
				}
			}
		}
		cn.x = x
		var cols [9]uint8
		forEachGroupedPerm(s.N, s.BoxCols, cols[:s.N], func() {
			cn.cols = cols
			var relabel [10]uint8
			cn.rows(0, 0, -1, relabel, 1, false)
		})
	}
	out := Grid{Shape: s}
	copy(out.Cells[:], cn.best[:s.Cells()])
	return out
}

// CanonicalKey is Canonical(g).String(), a map key for grouping grids into
// symmetry classes.
func CanonicalKey(g Grid) string { return Canonical(g).String() }

type canon struct {
	s    Shape
	x    Grid
	cols [9]uint8
	cur  [MaxCells]uint8
	best [MaxCells]uint8
	have bool
}

// rows chooses the input row for output row pos. used marks used input
// rows, band is the band being filled (-1 at a band start), relabel maps
// input digits to output labels (0: not yet labeled) and next is the next
// label; less says the prefix built so far is already smaller than best.
func (cn *canon) rows(pos int, used uint16, band int, relabel [10]uint8, next uint8, less bool) {
	s := cn.s
	n := s.N
	if pos == n {
		if less || !cn.have {
			cn.best = cn.cur
			cn.have = true
		}
		return
	}
	lo, hi := 0, n
	if pos%s.BoxRows != 0 {
		lo, hi = band*s.BoxRows, (band+1)*s.BoxRows
	}
	// Find the candidate rows that give the smallest output row.
	var minRow [9]uint8
	var cands [9]uint8
	nc := 0
	for r := lo; r < hi; r++ {
		if used&(1<<r) != 0 {
			continue
		}
		if pos%s.BoxRows == 0 && used&(uint16(1<<s.BoxRows-1)<<(r/s.BoxRows*s.BoxRows)) != 0 {
			continue // band already used
		}
		var row [9]uint8
		rl, nx := relabel, next
		for c := range n {
			d := cn.x.Cells[r*n+int(cn.cols[c])]
			if d != 0 {
				if rl[d] == 0 {
					rl[d] = nx
					nx++
				}
				d = rl[d]
			}
			row[c] = d
		}
		cmp := 0
		if nc > 0 {
			cmp = compareRows(row[:n], minRow[:n])
		}
		switch {
		case nc == 0 || cmp < 0:
			minRow = row
			cands[0] = uint8(r)
			nc = 1
		case cmp == 0:
			cands[nc] = uint8(r)
			nc++
		}
	}
	if nc == 0 {
		return
	}
	// Bound: compare with the best grid's row at pos.
	if cn.have && !less {
		switch compareRows(minRow[:n], cn.best[pos*n:pos*n+n]) {
		case 1:
			return
		case -1:
			less = true
		}
	}
	copy(cn.cur[pos*n:], minRow[:n])
	for _, r := range cands[:nc] {
		rl, nx := relabel, next
		for c := range n {
			if d := cn.x.Cells[int(r)*n+int(cn.cols[c])]; d != 0 && rl[d] == 0 {
				rl[d] = nx
				nx++
			}
		}
		b := int(r) / s.BoxRows
		if pos%s.BoxRows == s.BoxRows-1 {
			b = -1
		}
		// A sibling may have improved best: re-check the bound.
		l := less
		if cn.have && !l {
			c := compareRows(cn.cur[:pos*n+n], cn.best[:pos*n+n])
			if c > 0 {
				continue
			}
			l = c < 0
		}
		cn.rows(pos+1, used|1<<r, b, rl, nx, l)
		copy(cn.cur[pos*n:], minRow[:n])
	}
}

func compareRows(a, b []uint8) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// forEachGroupedPerm calls f with dst set to each permutation of 0..n-1
// that permutes groups of size group and lines within groups.
func forEachGroupedPerm(n, group int, dst []uint8, f func()) {
	ng := n / group
	var rec func(pos int, usedGroups uint16, usedLines uint16)
	rec = func(pos int, usedGroups, usedLines uint16) {
		if pos == n {
			f()
			return
		}
		if pos%group == 0 {
			for g := range ng {
				if usedGroups&(1<<g) != 0 {
					continue
				}
				for l := g * group; l < (g+1)*group; l++ {
					dst[pos] = uint8(l)
					rec(pos+1, usedGroups|1<<g, usedLines|1<<l)
				}
			}
			return
		}
		g := int(dst[pos-1]) / group
		for l := g * group; l < (g+1)*group; l++ {
			if usedLines&(1<<l) == 0 {
				dst[pos] = uint8(l)
				rec(pos+1, usedGroups, usedLines|1<<l)
			}
		}
	}
	rec(0, 0, 0)
}
