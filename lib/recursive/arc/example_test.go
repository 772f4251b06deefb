package arc_test

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/recursive/arc"
)

func Example() {
	task, err := arc.LoadTask("testdata/tiny.json")
	if err != nil {
		panic(err)
	}
	in := task.Test[0].Input
	// Rotate a quarter turn and swap colours 3 and 5; the inverse undoes it.
	a := arc.IdentityAug()
	a.Dihedral = 1
	a.Colors[3], a.Colors[5] = 5, 3
	aug := a.Apply(in)
	fmt.Println(aug, a.Inverse().Apply(aug).Equal(in))
	// On the canvas and back.
	canvas := make([]uint8, arc.CanvasLen)
	arc.Encode(canvas, aug, 10, 4)
	back, _ := arc.Decode(canvas)
	fmt.Println(back.Equal(aug))
	// Output:
	// [[0 5] [0 0] [0 0]] true
	// true
}

func ExampleVote() {
	truth := arc.Grid{{1, 2}}
	a := arc.IdentityAug()
	a.Dihedral = 2 // half turn
	preds := []arc.Prediction{
		{Aug: arc.IdentityAug(), Output: arc.Grid{{1, 2}}},
		{Aug: a, Output: arc.Grid{{2, 1}}}, // the same answer in the rotated frame
		{Aug: arc.IdentityAug(), Output: arc.Grid{{2, 2}}},
	}
	c := arc.Vote(preds)
	fmt.Println(c[0].Output, c[0].Votes, arc.PassAtK(c, truth, 2))
	// Output: [[1 2]] 2 true
}
