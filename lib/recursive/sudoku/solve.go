package sudoku

import (
	"errors"
	"math/bits"
	"math/rand/v2"
)

// Stats is the effort a search took: a difficulty measure. A puzzle solved
// by propagation alone (naked and hidden singles) has zero guesses.
type Stats struct {
	// Guesses counts the digits tried at branching cells (search nodes).
	Guesses int
	// Backtracks counts the guesses that led to a contradiction right away
	// (dead ends), like tdoku's backtrack count.
	Backtracks int
}

// Add returns the sum of two Stats.
func (s Stats) Add(o Stats) Stats {
	return Stats{s.Guesses + o.Guesses, s.Backtracks + o.Backtracks}
}

// Result is what [Analyze] finds out about a puzzle.
type Result struct {
	// Solutions is the number of solutions, counted up to 2.
	Solutions int
	// Solution is the first solution found (valid when Solutions > 0).
	Solution Grid
	// Stats is the effort of the exhaustive search (see the package doc).
	Stats Stats
}

// Unique reports whether the puzzle has exactly one solution.
func (r Result) Unique() bool { return r.Solutions == 1 }

// state is the solver's state: candidates per cell (a single bit once the
// cell is placed), the placed digits and the number of empty cells.
type state struct {
	cand [MaxCells]uint16
	val  [MaxCells]uint8
	// placed[u] is the set of digits placed in unit u.
	placed [27]uint16
	left   int
}

// move is a pending placement of digit d at cell c.
type move struct{ c, d uint8 }

type search struct {
	stk   [MaxCells + 1]move
	t     *tables
	limit int
	count int
	sol   Grid
	stats Stats
	rng   *rand.Rand
}

// place puts digit d at cell c and propagates naked singles. It returns
// false on a contradiction.
func (sr *search) place(st *state, c0 uint8, d0 uint8) bool {
	t := sr.t
	stk := &sr.stk
	stk[0] = move{c0, d0}
	n := 1
	for n > 0 {
		n--
		c, d := stk[n].c, stk[n].d
		if v := st.val[c]; v != 0 {
			if v == d {
				continue
			}
			return false
		}
		bit := uint16(1) << (d - 1)
		if st.cand[c]&bit == 0 {
			return false
		}
		st.val[c] = d
		st.cand[c] = bit
		st.left--
		cu := &t.cellUnits[c]
		st.placed[cu[0]] |= bit
		st.placed[cu[1]] |= bit
		st.placed[cu[2]] |= bit
		for _, p := range t.peers[c][:t.npeers] {
			m := st.cand[p]
			if m&bit == 0 {
				continue
			}
			// A placed peer holds only its own digit: if that is d, its
			// mask becomes empty, a contradiction.
			m &^= bit
			st.cand[p] = m
			if m == 0 {
				return false
			}
			if m&(m-1) == 0 {
				stk[n] = move{p, uint8(bits.TrailingZeros16(m)) + 1}
				n++
			}
		}
	}
	return true
}

// hidden places hidden singles (a digit with one possible cell in a unit)
// until none is left. It returns false on a contradiction.
func (sr *search) hidden(st *state) bool {
	t := sr.t
	N := t.s.N
	for {
		changed := false
		for u := range t.nunits {
			unit := &t.units[u]
			placed := st.placed[u]
			// Placed cells hold a single bit that no other cell of the unit
			// still has, so they never count twice.
			var once, twice uint16
			if N == 9 {
				for _, c := range unit {
					m := st.cand[c]
					twice |= once & m
					once |= m
				}
			} else {
				for _, c := range unit[:N] {
					m := st.cand[c]
					twice |= once & m
					once |= m
				}
			}
			if once != t.full {
				return false
			}
			exactly := once &^ twice &^ placed
			for exactly != 0 {
				bit := exactly & -exactly
				exactly ^= bit
				d := uint8(bits.TrailingZeros16(bit)) + 1
				found := false
				for _, c := range unit[:N] {
					if st.cand[c]&bit != 0 {
						if st.val[c] == 0 && !sr.place(st, c, d) {
							return false
						}
						found = true
						break
					}
				}
				if !found {
					return false
				}
				changed = true
			}
		}
		if changed {
			continue
		}
		ok, changed := sr.locked(st)
		if !ok {
			return false
		}
		if !changed {
			return true
		}
	}
}

// locked applies locked candidates (pointing and claiming): a digit whose
// candidates in a box lie in one row segment is removed from the rest of
// that row, and one whose candidates in a row lie in one box is removed from
// the rest of that box (likewise for columns).
func (sr *search) locked(st *state) (ok, changed bool) {
	t := sr.t
	var u [54]uint16
	for i := range t.nsegs {
		var m uint16
		for _, c := range t.segs[i][:t.segLen[i]] {
			m |= st.cand[c]
		}
		u[i] = m
	}
	for i := range t.nsegs {
		var lineOthers, boxOthers uint16
		for _, j := range t.segLinePeer[i][:t.nLinePeer[i]] {
			lineOthers |= u[j]
		}
		for _, j := range t.segBoxPeer[i][:t.nBoxPeer[i]] {
			boxOthers |= u[j]
		}
		// Pointing: only here within the box -> not elsewhere in the line.
		if rm := u[i] &^ boxOthers & lineOthers; rm != 0 {
			for _, j := range t.segLinePeer[i][:t.nLinePeer[i]] {
				if !sr.eliminate(st, j, rm) {
					return false, true
				}
				u[j] &^= rm
			}
			changed = true
		}
		// Claiming: only here within the line -> not elsewhere in the box.
		if rm := u[i] &^ lineOthers & boxOthers; rm != 0 {
			for _, j := range t.segBoxPeer[i][:t.nBoxPeer[i]] {
				if !sr.eliminate(st, j, rm) {
					return false, true
				}
				u[j] &^= rm
			}
			changed = true
		}
	}
	return true, changed
}

// eliminate removes the digits rm from the empty cells of segment j.
func (sr *search) eliminate(st *state, j uint8, rm uint16) bool {
	t := sr.t
	for _, c := range t.segs[j][:t.segLen[j]] {
		m := st.cand[c]
		if st.val[c] != 0 {
			if m&rm != 0 {
				return false
			}
			continue
		}
		if m&rm == 0 {
			continue
		}
		m &^= rm
		st.cand[c] = m
		if m == 0 {
			return false
		}
		if m&(m-1) == 0 && !sr.place(st, c, uint8(bits.TrailingZeros16(m))+1) {
			return false
		}
	}
	return true
}

func (sr *search) dfs(st *state) {
	if st.left == 0 {
		sr.count++
		if sr.count == 1 {
			sr.sol = Grid{Shape: sr.t.s}
			copy(sr.sol.Cells[:], st.val[:sr.t.n])
		}
		return
	}
	best, bc := -1, 99
	for c := range sr.t.n {
		if st.val[c] != 0 {
			continue
		}
		if k := bits.OnesCount16(st.cand[c]); k < bc {
			best, bc = c, k
			if k <= 2 {
				break
			}
		}
	}
	m := st.cand[best]
	if sr.rng != nil && bc > 1 {
		// Try the candidates in a random order.
		ds := make([]uint8, 0, 9)
		for mm := m; mm != 0; mm &= mm - 1 {
			ds = append(ds, uint8(bits.TrailingZeros16(mm))+1)
		}
		sr.rng.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
		for _, d := range ds {
			if sr.try(st, uint8(best), d) {
				return
			}
		}
		return
	}
	for ; m != 0; m &= m - 1 {
		if sr.try(st, uint8(best), uint8(bits.TrailingZeros16(m))+1) {
			return
		}
	}
}

// try explores the branch c = d and reports whether the search is done.
func (sr *search) try(st *state, c, d uint8) bool {
	sr.stats.Guesses++
	child := *st
	if sr.place(&child, c, d) && sr.hidden(&child) {
		sr.dfs(&child)
	} else {
		sr.stats.Backtracks++
	}
	return sr.count >= sr.limit
}

// run searches g for up to sr.limit solutions.
func (sr *search) run(g *Grid) {
	t := sr.t
	var st state
	for i := range t.n {
		st.cand[i] = t.full
	}
	st.left = t.n
	for i, d := range g.Cells[:t.n] {
		if d == 0 {
			continue
		}
		if int(d) > t.s.N || !sr.place(&st, uint8(i), d) {
			return
		}
	}
	if !sr.hidden(&st) {
		return
	}
	sr.dfs(&st)
}

func newSearch(g *Grid, limit int, rng *rand.Rand) *search {
	t := tablesFor(g.Shape)
	if t == nil {
		return nil
	}
	return &search{t: t, limit: limit, rng: rng}
}

// Solve returns the first solution of g found by the (deterministic)
// search, the effort it took, and false if g has no solution or an
// unsupported shape. It does not check that the solution is unique.
func Solve(g Grid) (Grid, Stats, bool) {
	sr := newSearch(&g, 1, nil)
	if sr == nil {
		return Grid{}, Stats{}, false
	}
	sr.run(&g)
	return sr.sol, sr.stats, sr.count > 0
}

// Count counts the solutions of g up to limit (limit >= 1) and returns the
// effort of the search.
func Count(g Grid, limit int) (int, Stats) {
	sr := newSearch(&g, max(limit, 1), nil)
	if sr == nil {
		return 0, Stats{}
	}
	sr.run(&g)
	return sr.count, sr.stats
}

// Analyze counts the solutions of g up to 2 and keeps the first one.
func Analyze(g Grid) Result {
	sr := newSearch(&g, 2, nil)
	if sr == nil {
		return Result{}
	}
	sr.run(&g)
	return Result{Solutions: sr.count, Solution: sr.sol, Stats: sr.stats}
}

// RandomSolution returns a random valid solution grid of shape s: the
// first complete grid found by a search that tries digits in random order.
func RandomSolution(s Shape, rng *rand.Rand) Grid {
	g := Grid{Shape: s}
	sr := newSearch(&g, 1, rng)
	sr.run(&g)
	return sr.sol
}

// Errors returned by [Check].
var (
	// ErrUnsolvable: the puzzle has no solution (or breaks a rule).
	ErrUnsolvable = errors.New("unsolvable puzzle")
	// ErrMultiple: the puzzle has two or more solutions.
	ErrMultiple = errors.New("puzzle has more than one solution")
	// ErrMismatch: the given answer is not the puzzle's unique solution.
	ErrMismatch = errors.New("answer is not the puzzle's solution")
)

// Check verifies that puzzle has exactly one solution and, if answer is not
// nil, that answer is that solution.
func Check(puzzle Grid, answer *Grid) error {
	if c := puzzle.Conflict(); c != "" {
		return errors.Join(ErrUnsolvable, errors.New(c))
	}
	r := Analyze(puzzle)
	switch {
	case r.Solutions == 0:
		return ErrUnsolvable
	case r.Solutions > 1:
		return ErrMultiple
	case answer != nil && r.Solution != *answer:
		return ErrMismatch
	}
	return nil
}
