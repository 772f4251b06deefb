package maze

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Cell characters of the text format. HRM's token for a character is its
// index in [Chars] plus one (0 is padding).
const (
	Wall  = '#' // a wall (token 1)
	Open  = ' ' // an open cell (token 2)
	Start = 'S' // the start (token 3)
	Goal  = 'G' // the goal (token 4)
	Path  = 'o' // a cell of the answer's path (token 5)
	// Chars lists the cell characters in token order.
	Chars = "# SGo"
)

// MaxN is the largest supported side (HRM's mazes are 30x30).
const MaxN = 64

// Maze is an N x N grid of cell characters (see [Chars]), row-major. A
// puzzle has no Path cells; a solution marks a shortest path with them.
type Maze struct {
	N     int
	Cells []byte
}

// Point is a cell position.
type Point struct{ R, C int }

// New returns an N x N maze of walls.
func New(n int) Maze {
	return Maze{N: n, Cells: []byte(strings.Repeat(string(Wall), n*n))}
}

// At returns the character at p.
func (m Maze) At(p Point) byte { return m.Cells[p.R*m.N+p.C] }

// Set sets the character at p.
func (m Maze) Set(p Point, ch byte) { m.Cells[p.R*m.N+p.C] = ch }

// Clone returns a copy of m.
func (m Maze) Clone() Maze { return Maze{N: m.N, Cells: append([]byte(nil), m.Cells...)} }

// String returns the cells as one string (the text format).
func (m Maze) String() string { return string(m.Cells) }

// Pretty returns the maze as N lines.
func (m Maze) Pretty() string {
	var b strings.Builder
	for r := range m.N {
		b.Write(m.Cells[r*m.N : (r+1)*m.N])
		b.WriteByte('\n')
	}
	return b.String()
}

// Parse parses the text format: a square number of characters from
// [Chars], row-major.
func Parse(s string) (Maze, error) {
	n := int(math.Sqrt(float64(len(s))))
	for n*n < len(s) {
		n++
	}
	if n*n != len(s) || n < 2 || n > MaxN {
		return Maze{}, fmt.Errorf("wrong length %d (want N*N characters, 2 <= N <= %d)", len(s), MaxN)
	}
	m := Maze{N: n, Cells: []byte(s)}
	for i, ch := range m.Cells {
		if strings.IndexByte(Chars, ch) < 0 {
			return Maze{}, fmt.Errorf("invalid character %q at row %d, column %d", ch, i/n+1, i%n+1)
		}
	}
	return m, nil
}

// Endpoints returns the start and goal, or an error unless there is exactly
// one of each.
func (m Maze) Endpoints() (s, g Point, err error) {
	ns, ng := 0, 0
	for i, ch := range m.Cells {
		switch ch {
		case Start:
			s, ns = Point{i / m.N, i % m.N}, ns+1
		case Goal:
			g, ng = Point{i / m.N, i % m.N}, ng+1
		}
	}
	if ns != 1 || ng != 1 {
		return s, g, fmt.Errorf("%d starts and %d goals (want one of each)", ns, ng)
	}
	return s, g, nil
}

// Puzzle returns m with Path cells turned back into Open cells.
func (m Maze) Puzzle() Maze {
	p := m.Clone()
	for i, ch := range p.Cells {
		if ch == Path {
			p.Cells[i] = Open
		}
	}
	return p
}

var dirs = [4]Point{{-1, 0}, {0, 1}, {1, 0}, {0, -1}}

func (m Maze) in(p Point) bool { return p.R >= 0 && p.C >= 0 && p.R < m.N && p.C < m.N }

// Distances returns the BFS distance (in steps) from p to every cell
// (-1 where unreachable); walls are not entered.
func (m Maze) Distances(p Point) []int {
	dist := make([]int, m.N*m.N)
	for i := range dist {
		dist[i] = -1
	}
	queue := make([]int, 0, m.N*m.N)
	dist[p.R*m.N+p.C] = 0
	queue = append(queue, p.R*m.N+p.C)
	for h := 0; h < len(queue); h++ {
		i := queue[h]
		q := Point{i / m.N, i % m.N}
		for _, d := range dirs {
			n := Point{q.R + d.R, q.C + d.C}
			if !m.in(n) {
				continue
			}
			j := n.R*m.N + n.C
			if dist[j] < 0 && m.Cells[j] != Wall {
				dist[j] = dist[i] + 1
				queue = append(queue, j)
			}
		}
	}
	return dist
}

// ErrNoPath is returned when the goal cannot be reached.
var ErrNoPath = errors.New("goal not reachable from start")

// ShortestPath returns a shortest path from S to G, both included (its
// length in steps is len(path)-1). Among shortest paths it takes the one
// that prefers up, right, down, left at every step from S.
func ShortestPath(m Maze) ([]Point, error) {
	s, g, err := m.Endpoints()
	if err != nil {
		return nil, err
	}
	dist := m.Distances(g)
	if dist[s.R*m.N+s.C] < 0 {
		return nil, ErrNoPath
	}
	path := []Point{s}
	for p := s; p != g; {
		for _, d := range dirs {
			n := Point{p.R + d.R, p.C + d.C}
			if m.in(n) && dist[n.R*m.N+n.C] == dist[p.R*m.N+p.C]-1 {
				p = n
				break
			}
		}
		path = append(path, p)
	}
	return path, nil
}

// Solve returns m's solution: a shortest path marked with Path cells
// (S and G keep their characters), and the path's length in steps.
func Solve(m Maze) (Maze, int, error) {
	path, err := ShortestPath(m.Puzzle())
	if err != nil {
		return Maze{}, 0, err
	}
	out := m.Puzzle()
	for _, p := range path[1 : len(path)-1] {
		out.Set(p, Path)
	}
	return out, len(path) - 1, nil
}

// Steps returns the length in steps of the shortest S->G path.
func Steps(m Maze) (int, error) {
	s, g, err := m.Endpoints()
	if err != nil {
		return 0, err
	}
	d := m.Puzzle().Distances(s)[g.R*m.N+g.C]
	if d < 0 {
		return 0, ErrNoPath
	}
	return d, nil
}

// CheckPath reports whether predicted is a correct answer for puzzle: the
// same walls, start and goal, and Path cells that form one simple
// 4-connected path from S to G through open cells whose length is the
// shortest possible. (Any shortest path is accepted, not only the one
// [Solve] picks.) The error says what is wrong.
func CheckPath(puzzle, predicted Maze) error {
	if puzzle.N != predicted.N || len(predicted.Cells) != len(puzzle.Cells) {
		return fmt.Errorf("predicted maze is %dx%d, puzzle is %dx%d", predicted.N, predicted.N, puzzle.N, puzzle.N)
	}
	want, err := Steps(puzzle)
	if err != nil {
		return err
	}
	n := puzzle.N
	onPath := 0
	for i, ch := range predicted.Cells {
		pc := puzzle.Cells[i]
		if pc == Path {
			pc = Open
		}
		switch {
		case ch == Path && pc == Open:
			onPath++
		case ch == Path:
			return fmt.Errorf("path goes through %q at row %d, column %d", pc, i/n+1, i%n+1)
		case ch != pc:
			return fmt.Errorf("cell at row %d, column %d is %q, puzzle has %q", i/n+1, i%n+1, ch, pc)
		}
	}
	s, g, _ := puzzle.Endpoints()
	// Walk from S along path cells; each must continue uniquely.
	prev, cur := Point{-1, -1}, s
	steps := 0
	for cur != g {
		var next []Point
		for _, d := range dirs {
			q := Point{cur.R + d.R, cur.C + d.C}
			if q == prev || !predicted.in(q) {
				continue
			}
			if q == g || predicted.At(q) == Path {
				next = append(next, q)
			}
		}
		if len(next) != 1 {
			if len(next) == 0 {
				return fmt.Errorf("path breaks off at row %d, column %d after %d steps", cur.R+1, cur.C+1, steps)
			}
			return fmt.Errorf("path branches at row %d, column %d", cur.R+1, cur.C+1)
		}
		prev, cur = cur, next[0]
		steps++
		if steps > n*n {
			return errors.New("path loops")
		}
	}
	if steps-1 != onPath {
		return fmt.Errorf("%d path cells are off the S->G path", onPath-(steps-1))
	}
	if steps != want {
		return fmt.Errorf("path has %d steps, the shortest has %d", steps, want)
	}
	return nil
}

// Tokens appends m's cells as HRM tokens (index in [Chars] + 1).
func (m Maze) Tokens(dst []uint8) []uint8 {
	for _, ch := range m.Cells {
		dst = append(dst, uint8(strings.IndexByte(Chars, ch)+1))
	}
	return dst
}

// FromTokens decodes n*n tokens (1..5) into a maze.
func FromTokens(n int, toks []uint8) (Maze, error) {
	if len(toks) != n*n {
		return Maze{}, fmt.Errorf("wrong length %d (want %d tokens)", len(toks), n*n)
	}
	m := Maze{N: n, Cells: make([]byte, n*n)}
	for i, t := range toks {
		if t < 1 || int(t) > len(Chars) {
			return Maze{}, fmt.Errorf("invalid token %d at row %d, column %d (want 1..%d)", t, i/n+1, i%n+1, len(Chars))
		}
		m.Cells[i] = Chars[t-1]
	}
	return m, nil
}
