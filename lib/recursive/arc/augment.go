package arc

import (
	"math/rand/v2"
)

// Aug is an augmentation of a task: dihedral transform Dihedral (0..7:
// Dihedral&3 clockwise quarter turns, then a horizontal flip if
// Dihedral&4), then colour c becomes Colors[c] (Colors[0] == 0: black, the
// background, stays black). Translation is not part of Aug: it is drawn per
// pair when encoding (see [Dataset]) and undone by [Decode].
type Aug struct {
	Dihedral int
	Colors   [NumColors]int
}

// IdentityAug changes nothing.
func IdentityAug() Aug {
	var a Aug
	for c := range a.Colors {
		a.Colors[c] = c
	}
	return a
}

// RandomAug draws a dihedral transform and a permutation of colours 1..9
// uniformly.
func RandomAug(rng *rand.Rand) Aug {
	a := Aug{Dihedral: rng.IntN(8)}
	p := rng.Perm(NumColors - 1)
	for c := 1; c < NumColors; c++ {
		a.Colors[c] = p[c-1] + 1
	}
	return a
}

// dihedral maps cell (r, c) of an h x w grid to its place under t, and
// returns the transformed grid's size.
func dihedral(t, r, c, h, w int) (int, int, int, int) {
	for range t & 3 {
		r, c, h, w = c, h-1-r, w, h
	}
	if t&4 != 0 {
		c = w - 1 - c
	}
	return r, c, h, w
}

// Apply returns the augmented grid.
func (a Aug) Apply(g Grid) Grid {
	h, w := g.Size()
	_, _, oh, ow := dihedral(a.Dihedral, 0, 0, h, w)
	out := NewGrid(oh, ow)
	for r := range h {
		for c := range w {
			rr, cc, _, _ := dihedral(a.Dihedral, r, c, h, w)
			out[rr][cc] = a.Colors[g[r][c]]
		}
	}
	return out
}

// Inverse returns the augmentation that undoes a.
func (a Aug) Inverse() Aug {
	inv := Aug{Dihedral: a.Dihedral}
	if a.Dihedral&4 == 0 {
		inv.Dihedral = (4 - a.Dihedral&3) & 3
	}
	for c, d := range a.Colors {
		inv.Colors[d] = c
	}
	return inv
}

// Valid reports whether a is a dihedral transform with a colour
// permutation fixing black.
func (a Aug) Valid() bool {
	if a.Dihedral < 0 || a.Dihedral > 7 || a.Colors[0] != 0 {
		return false
	}
	var seen [NumColors]bool
	for _, d := range a.Colors {
		if d < 0 || d >= NumColors || seen[d] {
			return false
		}
		seen[d] = true
	}
	return true
}

// ApplyTask returns the augmented task (every pair transformed alike).
func (a Aug) ApplyTask(t *Task) *Task {
	out := &Task{ID: t.ID}
	for _, p := range t.Train {
		out.Train = append(out.Train, Pair{a.Apply(p.Input), a.Apply(p.Output)})
	}
	for _, p := range t.Test {
		q := Pair{Input: a.Apply(p.Input)}
		if p.Output != nil {
			q.Output = a.Apply(p.Output)
		}
		out.Test = append(out.Test, q)
	}
	return out
}
