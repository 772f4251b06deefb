package study

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/labnotes/labnotes/lib/recursive/maze"
)

// MazeSeed seeds [MazeSplit]'s generated mazes.
const MazeSeed = 3

// MazeSplit generates mazes perfect n x n mazes (maze.GenerateN, seeded by
// MazeSeed: every call gets the same ones) and splits them: the first
// mazes-heldOut train (with dihedral augmentation), the rest are held out
// except those that are a rotation, reflection or duplicate of an earlier
// maze, so that no held-out maze is a symmetry of a training one.
func MazeSplit(n, mazes, heldOut int) (train, test *maze.Dataset, err error) {
	if heldOut < 0 || heldOut > mazes {
		return nil, nil, fmt.Errorf("study: MazeSplit: %d held out of %d mazes, want 0..%d", heldOut, mazes, mazes)
	}
	gen, err := maze.GenerateN(maze.Options{N: n}, MazeSeed, mazes, runtime.NumCPU())
	if err != nil {
		return nil, nil, fmt.Errorf("study: MazeSplit: %w", err)
	}
	train, test = &maze.Dataset{Augment: true}, &maze.Dataset{}
	seen := map[string]bool{}
	for i, g := range gen {
		k := canonical(g.Puzzle)
		p := maze.Pair{Puzzle: g.Puzzle, Solution: g.Solution}
		switch {
		case i < mazes-heldOut:
			seen[k] = true
			train.Pairs = append(train.Pairs, p)
		case !seen[k]:
			seen[k] = true
			test.Pairs = append(test.Pairs, p)
		}
	}
	return train, test, nil
}

// canonical is a key shared by a maze and its 8 dihedral transforms.
func canonical(m maze.Maze) string {
	key := ""
	for t := range 8 {
		if k := m.Transform(t).String(); t == 0 || k < key {
			key = k
		}
	}
	return key
}

// PathCells is the number of path cells of a solution.
func PathCells(m maze.Maze) int { return strings.Count(m.String(), string(rune(maze.Path))) }
