package sudoku

import (
	"fmt"
	"math/bits"
	"strings"
)

// MaxCells is the number of cells of the largest supported grid (9x9).
const MaxCells = 81

// Shape is a grid size with its box size: N rows, N columns and N boxes of
// BoxRows x BoxCols cells.
type Shape struct {
	N, BoxRows, BoxCols int
}

// The supported shapes.
var (
	Shape4 = Shape{4, 2, 2} // 4x4 with 2x2 boxes
	Shape6 = Shape{6, 2, 3} // 6x6 with boxes of 2 rows and 3 columns
	Shape9 = Shape{9, 3, 3} // classic 9x9 with 3x3 boxes
)

// Shapes lists the supported shapes, smallest first.
var Shapes = []Shape{Shape4, Shape6, Shape9}

// Cells is the number of cells, N*N.
func (s Shape) Cells() int { return s.N * s.N }

// Valid reports whether s is one of [Shapes].
func (s Shape) Valid() bool { return s == Shape4 || s == Shape6 || s == Shape9 }

// String returns e.g. "9x9".
func (s Shape) String() string { return fmt.Sprintf("%dx%d", s.N, s.N) }

// ShapeForCells returns the shape with n cells (16, 36 or 81).
func ShapeForCells(n int) (Shape, bool) {
	for _, s := range Shapes {
		if s.Cells() == n {
			return s, true
		}
	}
	return Shape{}, false
}

// Grid is a puzzle or a solution: Cells[r*N+c] is 0 for a blank or a digit
// 1..N. Only the first Shape.Cells() cells are used; the rest stay 0, so
// grids compare with ==.
type Grid struct {
	Shape Shape
	Cells [MaxCells]uint8
}

// NewGrid returns an empty grid of shape s.
func NewGrid(s Shape) Grid { return Grid{Shape: s} }

// At returns the digit at row r, column c (0 for blank).
func (g *Grid) At(r, c int) uint8 { return g.Cells[r*g.Shape.N+c] }

// Set sets row r, column c to d (0 for blank).
func (g *Grid) Set(r, c int, d uint8) { g.Cells[r*g.Shape.N+c] = d }

// Givens is the number of filled cells.
func (g *Grid) Givens() int {
	n := 0
	for _, d := range g.Cells[:g.Shape.Cells()] {
		if d != 0 {
			n++
		}
	}
	return n
}

// Complete reports whether every cell is filled.
func (g *Grid) Complete() bool { return g.Givens() == g.Shape.Cells() }

// String returns the grid as one line, a character per cell: '1'..'9' for
// digits and '.' for blanks (tdoku's and HRM's format).
func (g Grid) String() string {
	n := g.Shape.Cells()
	b := make([]byte, n)
	for i, d := range g.Cells[:n] {
		if d == 0 {
			b[i] = '.'
		} else {
			b[i] = '0' + d
		}
	}
	return string(b)
}

// Pretty returns the grid as N lines with box separators.
func (g Grid) Pretty() string {
	var sb strings.Builder
	s := g.Shape
	for r := range s.N {
		var line strings.Builder
		for c := range s.N {
			if c > 0 && c%s.BoxCols == 0 {
				line.WriteString("| ")
			}
			if d := g.At(r, c); d == 0 {
				line.WriteString(". ")
			} else {
				line.WriteByte('0' + d)
				line.WriteByte(' ')
			}
		}
		row := strings.TrimRight(line.String(), " ")
		if r > 0 && r%s.BoxRows == 0 {
			sep := []byte(row)
			for i := range sep {
				if sep[i] == '|' {
					sep[i] = '+'
				} else {
					sep[i] = '-'
				}
			}
			sb.Write(sep)
			sb.WriteByte('\n')
		}
		sb.WriteString(row)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// Parse parses a one-line grid of 16, 36 or 81 characters: '1'..'N' for
// digits, '.' or '0' for blanks. Surrounding whitespace is ignored.
func Parse(s string) (Grid, error) {
	s = strings.TrimSpace(s)
	shape, ok := ShapeForCells(len(s))
	if !ok {
		return Grid{}, fmt.Errorf("wrong length %d (want 16, 36 or 81 cells)", len(s))
	}
	return ParseShape(s, shape)
}

// ParseShape parses a one-line grid of shape s (see [Parse]).
func ParseShape(str string, s Shape) (Grid, error) {
	if !s.Valid() {
		return Grid{}, fmt.Errorf("unsupported shape %+v", s)
	}
	if len(str) != s.Cells() {
		return Grid{}, fmt.Errorf("wrong length %d (want %d cells for %v)", len(str), s.Cells(), s)
	}
	g := Grid{Shape: s}
	for i := range len(str) {
		ch := str[i]
		switch {
		case ch == '.' || ch == '0':
		case ch >= '1' && int(ch-'0') <= s.N:
			g.Cells[i] = ch - '0'
		default:
			return Grid{}, fmt.Errorf("invalid digit %q at cell %d (row %d, column %d)", ch, i, i/s.N+1, i%s.N+1)
		}
	}
	return g, nil
}

// MustParse is like [Parse] but panics on error; for tests and examples.
func MustParse(s string) Grid {
	g, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return g
}

// Conflict returns a description of the first rule violation among the
// filled cells (a digit repeated in a row, column or box), or "" if none.
// Blanks are allowed.
func (g *Grid) Conflict() string {
	t := tablesFor(g.Shape)
	if t == nil {
		return fmt.Sprintf("unsupported shape %+v", g.Shape)
	}
	for u, unit := range t.units[:t.nunits] {
		var seen uint16
		for _, c := range unit[:g.Shape.N] {
			d := g.Cells[c]
			if d == 0 {
				continue
			}
			if d > uint8(g.Shape.N) {
				return fmt.Sprintf("invalid digit %d at row %d, column %d", d, int(c)/g.Shape.N+1, int(c)%g.Shape.N+1)
			}
			if seen&(1<<(d-1)) != 0 {
				return fmt.Sprintf("digit %d repeated in %s", d, t.unitName(u))
			}
			seen |= 1 << (d - 1)
		}
	}
	return ""
}

// IsSolutionOf reports whether g is a complete valid grid that agrees with
// every given of puzzle p.
func (g *Grid) IsSolutionOf(p *Grid) bool {
	if g.Shape != p.Shape || !g.Complete() || g.Conflict() != "" {
		return false
	}
	for i, d := range p.Cells[:p.Shape.Cells()] {
		if d != 0 && g.Cells[i] != d {
			return false
		}
	}
	return true
}

// tables holds the precomputed units and peers of a shape.
type tables struct {
	s       Shape
	n       int // cells
	full    uint16
	units   [27][9]uint8 // rows, then columns, then boxes
	nunits  int
	peers   [MaxCells][20]uint8
	npeers  int
	cellBox [MaxCells]uint8
	// cellUnits lists the row, column and box unit of each cell.
	cellUnits [MaxCells][3]uint8
	// Row segments (a row inside a box) and column segments, for locked
	// candidates: segs[i] lists a segment's cells; segRowPeers[i] the other
	// segments of its row (or column), segBoxPeers[i] the other segments of
	// its box in the same direction.
	segs        [54][3]uint8
	segLen      [54]uint8
	nsegs       int
	segLinePeer [54][2]uint8
	nLinePeer   [54]uint8
	segBoxPeer  [54][2]uint8
	nBoxPeer    [54]uint8
}

func (t *tables) unitName(u int) string {
	switch n := t.s.N; {
	case u < n:
		return fmt.Sprintf("row %d", u+1)
	case u < 2*n:
		return fmt.Sprintf("column %d", u-n+1)
	default:
		return fmt.Sprintf("box %d", u-2*n+1)
	}
}

var allTables = func() map[Shape]*tables {
	m := map[Shape]*tables{}
	for _, s := range Shapes {
		m[s] = newTables(s)
	}
	return m
}()

var t4, t6, t9 = allTables[Shape4], allTables[Shape6], allTables[Shape9]

func tablesFor(s Shape) *tables {
	switch s {
	case Shape9:
		return t9
	case Shape6:
		return t6
	case Shape4:
		return t4
	}
	return nil
}

func newTables(s Shape) *tables {
	n := s.N
	t := &tables{s: s, n: n * n, full: uint16(1)<<n - 1, nunits: 3 * n}
	box := func(r, c int) int { return (r/s.BoxRows)*(n/s.BoxCols) + c/s.BoxCols }
	cnt := make([]int, 3*n)
	for r := range n {
		for c := range n {
			i := uint8(r*n + c)
			b := box(r, c)
			t.cellBox[i] = uint8(b)
			t.cellUnits[i] = [3]uint8{uint8(r), uint8(n + c), uint8(2*n + b)}
			for _, u := range []int{r, n + c, 2*n + b} {
				t.units[u][cnt[u]] = i
				cnt[u]++
			}
		}
	}
	for i := range n * n {
		r, c := i/n, i%n
		k := 0
		for j := range n * n {
			r2, c2 := j/n, j%n
			if j != i && (r2 == r || c2 == c || box(r2, c2) == box(r, c)) {
				t.peers[i][k] = uint8(j)
				k++
			}
		}
		t.npeers = k
	}
	// Row segments: row r, stack k; column segments: column c, band j.
	type seg struct{ dir, line, part int }
	var segs []seg
	for r := range n {
		for k := range n / s.BoxCols {
			segs = append(segs, seg{0, r, k})
		}
	}
	for c := range n {
		for j := range n / s.BoxRows {
			segs = append(segs, seg{1, c, j})
		}
	}
	t.nsegs = len(segs)
	boxOf := func(g seg) int {
		if g.dir == 0 {
			return box(g.line, g.part*s.BoxCols)
		}
		return box(g.part*s.BoxRows, g.line)
	}
	for i, g := range segs {
		if g.dir == 0 {
			for c := g.part * s.BoxCols; c < (g.part+1)*s.BoxCols; c++ {
				t.segs[i][t.segLen[i]] = uint8(g.line*n + c)
				t.segLen[i]++
			}
		} else {
			for r := g.part * s.BoxRows; r < (g.part+1)*s.BoxRows; r++ {
				t.segs[i][t.segLen[i]] = uint8(r*n + g.line)
				t.segLen[i]++
			}
		}
		for j, h := range segs {
			if j == i || h.dir != g.dir {
				continue
			}
			if h.line == g.line {
				t.segLinePeer[i][t.nLinePeer[i]] = uint8(j)
				t.nLinePeer[i]++
			} else if boxOf(h) == boxOf(g) {
				t.segBoxPeer[i][t.nBoxPeer[i]] = uint8(j)
				t.nBoxPeer[i]++
			}
		}
	}
	return t
}

// popcount of a candidate mask.
func popcount(m uint16) int { return bits.OnesCount16(m) }
