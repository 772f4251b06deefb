package maze

import (
	"fmt"
	"math/rand/v2"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// Options controls generated mazes.
type Options struct {
	// N is the side, 10..30 for HRM-like mazes (default 30; 4..MaxN accepted).
	N int
	// MinSteps is the minimum length in steps of the shortest S->G path
	// (Maze-Hard: 111, i.e. more than 110). Default 0.
	MinSteps int
	// Loops is the fraction of the walls between two open corridor cells
	// that are knocked down after carving a perfect maze, creating loops
	// and several routes (default 0: a perfect maze, one route).
	Loops float64
	// WallDensity, if > 0, switches to random obstacles like Maze-Hard's
	// (about 39% walls there): each cell is a wall with this probability,
	// and no corridors are carved. Long paths are rare in such grids: at
	// 30x30 with MinSteps 111, density 0.35 needed ~160 tries (~170 ms) per
	// maze and 0.30 or 0.39 found none in 1000 tries, so for hard 30x30
	// mazes prefer the default carved mazes.
	WallDensity float64
	// MaxTries bounds the attempts per maze (default 1000).
	MaxTries int
}

// Generated is a generated maze and its solution.
type Generated struct {
	Puzzle, Solution Maze
	Steps            int
	Tries            int
}

// Generate returns maze number index of the stream (opts, seed): a
// depth-first ("recursive backtracker") maze carved on the odd cells, with
// opts.Loops of its inner walls removed — or, with opts.WallDensity > 0,
// random obstacles — and S and G placed on open cells at least
// opts.MinSteps apart (G is drawn among the cells far enough from a random
// S). The result depends only on (opts, seed, index).
func Generate(opts Options, seed uint64, index int) (Generated, error) {
	n := opts.N
	if n == 0 {
		n = 30
	}
	if n < 4 || n > MaxN {
		return Generated{}, fmt.Errorf("maze: side %d out of range 4..%d", n, MaxN)
	}
	tries := opts.MaxTries
	if tries <= 0 {
		tries = 1000
	}
	rng := rand.New(rand.NewPCG(seed, uint64(index)*0x9E3779B97F4A7C15+7))
	for try := 1; try <= tries; try++ {
		var m Maze
		if opts.WallDensity > 0 {
			m = obstacles(n, rng, opts.WallDensity)
		} else {
			m = carve(n, rng, opts.Loops)
		}
		var open []int
		for i, ch := range m.Cells {
			if ch == Open {
				open = append(open, i)
			}
		}
		if len(open) < 2 {
			continue
		}
		// Try a few starts per grid: with obstacles, a random start may lie
		// in a small region.
		var si int
		var far []int
		for range 16 {
			si = open[rng.IntN(len(open))]
			dist := m.Distances(Point{si / n, si % n})
			far = far[:0]
			for _, i := range open {
				if dist[i] >= max(opts.MinSteps, 1) {
					far = append(far, i)
				}
			}
			if len(far) > 0 || opts.WallDensity == 0 {
				break
			}
		}
		if len(far) == 0 {
			continue
		}
		gi := far[rng.IntN(len(far))]
		m.Cells[si], m.Cells[gi] = Start, Goal
		sol, steps, err := Solve(m)
		if err != nil {
			return Generated{}, err
		}
		return Generated{Puzzle: m, Solution: sol, Steps: steps, Tries: try}, nil
	}
	return Generated{}, fmt.Errorf("maze: no %dx%d maze with a %d-step path in %d tries", n, n, opts.MinSteps, tries)
}

// obstacles makes an n x n grid where each cell is a wall with probability p.
func obstacles(n int, rng *rand.Rand, p float64) Maze {
	m := New(n)
	for i := range m.Cells {
		if rng.Float64() >= p {
			m.Cells[i] = Open
		}
	}
	return m
}

// carve makes a perfect maze on the cells with odd coordinates, then
// removes a fraction loops of the remaining walls between two cells.
func carve(n int, rng *rand.Rand, loops float64) Maze {
	m := New(n)
	k := n / 2 // lattice cells at 2i+1 < n
	if 2*k+1 > n {
		k--
	}
	k = max(k, 1)
	visited := make([]bool, k*k)
	type cell struct{ r, c int }
	stack := []cell{{rng.IntN(k), rng.IntN(k)}}
	visited[stack[0].r*k+stack[0].c] = true
	m.Set(Point{2*stack[0].r + 1, 2*stack[0].c + 1}, Open)
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		var nbrs [4]cell
		nn := 0
		for _, d := range dirs {
			r, c := cur.r+d.R, cur.c+d.C
			if r >= 0 && c >= 0 && r < k && c < k && !visited[r*k+c] {
				nbrs[nn] = cell{r, c}
				nn++
			}
		}
		if nn == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		nx := nbrs[rng.IntN(nn)]
		visited[nx.r*k+nx.c] = true
		m.Set(Point{cur.r + nx.r + 1, cur.c + nx.c + 1}, Open)
		m.Set(Point{2*nx.r + 1, 2*nx.c + 1}, Open)
		stack = append(stack, nx)
	}
	if loops > 0 {
		for r := 1; r < n-1; r++ {
			for c := 1; c < n-1; c++ {
				p := Point{r, c}
				if m.At(p) != Wall {
					continue
				}
				horiz := m.At(Point{r, c - 1}) == Open && m.At(Point{r, c + 1}) == Open
				vert := m.At(Point{r - 1, c}) == Open && m.At(Point{r + 1, c}) == Open
				if (horiz != vert) && rng.Float64() < loops {
					m.Set(p, Open)
				}
			}
		}
	}
	return m
}

// GenerateN returns mazes 0..n-1 of the stream (opts, seed) using workers
// goroutines (0: GOMAXPROCS); the result does not depend on workers.
func GenerateN(opts Options, seed uint64, n, workers int) ([]Generated, error) {
	return puzzle.ParallelN(n, workers, func(i int) (Generated, error) { return Generate(opts, seed, i) })
}
