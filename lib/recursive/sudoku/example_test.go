package sudoku_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

func Example() {
	p := sudoku.MustParse("4...3.......6..8..........1....5..9..8....6...7.2........1.27..5.3....4.9........")
	r := sudoku.Analyze(p)
	fmt.Println(r.Solutions, r.Solution)
	fmt.Println(r.Solution.IsSolutionOf(&p))
	// Output:
	// 1 468931527751624839392578461134756298289413675675289314846192753513867942927345186
	// true
}

func ExampleGenerate() {
	g, err := sudoku.Generate(sudoku.GenOptions{Shape: sudoku.Shape4, MaxGivens: 5}, 42, 0)
	if err != nil {
		panic(err)
	}
	fmt.Print(g.Puzzle.Pretty())
	fmt.Println("givens:", g.Puzzle.Givens(), "unique:", sudoku.Analyze(g.Puzzle).Unique())
	// Output:
	// . 4 | . .
	// . . | 3 .
	// ----+----
	// . . | . .
	// 1 3 | . .
	// givens: 4 unique: true
}

func ExampleAug() {
	p := sudoku.MustParse("1...............")
	a := sudoku.RandomAug(sudoku.Shape4, rand.New(rand.NewPCG(1, 1)))
	q := a.Apply(p)
	fmt.Println(a.Inverse().Apply(q) == p, sudoku.CanonicalKey(q) == sudoku.CanonicalKey(p))
	// Output: true true
}

func ExampleGrid_Tokens() {
	g := sudoku.MustParse("12.." + "34.." + "...." + "....")
	fmt.Println(g.Tokens(nil))
	// Output: [2 3 1 1 4 5 1 1 1 1 1 1 1 1 1 1]
}
