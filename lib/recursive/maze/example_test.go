package maze_test

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/recursive/maze"
)

func Example() {
	m, _ := maze.Parse("" +
		"S   #" +
		" ## #" +
		" #  #" +
		"   ##" +
		"##  G")
	sol, steps, _ := maze.Solve(m)
	fmt.Print(sol.Pretty())
	fmt.Println(steps, "steps;", maze.CheckPath(m, sol))
	// Output:
	// S   #
	// o## #
	// o#  #
	// ooo##
	// ##ooG
	// 8 steps; <nil>
}

func ExampleGenerate() {
	g, _ := maze.Generate(maze.Options{N: 30, MinSteps: 111}, 1, 0)
	fmt.Println(g.Puzzle.N, g.Steps > 110, maze.CheckPath(g.Puzzle, g.Solution))
	// Output: 30 true <nil>
}
