package puzzle_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// squares is a toy Source: puzzle i is the token i; its label is i*i mod 256;
// augmentation k adds k to both.
type squares struct{}

func (squares) Len() int    { return 4 }
func (squares) SeqLen() int { return 1 }
func (squares) Example(i, k int, _ *rand.Rand, in, lab []uint8) (int32, error) {
	in[0], lab[0] = uint8(i+k), uint8(i*i+k)
	return int32(i), nil
}

func ExampleStream() {
	n := 0
	for b, err := range puzzle.Stream(squares{}, puzzle.Config{Seed: 1, PerPuzzle: 3, BatchSize: 5}) {
		if err != nil {
			panic(err)
		}
		n += b.Size
		fmt.Println("batch", b.Index, "size", b.Size)
	}
	fmt.Println(n, "examples")
	// Output:
	// batch 0 size 5
	// batch 1 size 5
	// batch 2 size 2
	// 12 examples
}

func ExampleSplitGroups() {
	// Items 0 and 2 are symmetric (same key): they end up on the same side.
	keys := []string{"x", "y", "x", "z"}
	train, test := puzzle.SplitGroups(keys, 0.25, 3)
	fmt.Println(len(train)+len(test), puzzle.Leaks([]string{keys[train[0]]}, []string{keys[test[0]]}) == nil)
	// Output: 4 true
}
