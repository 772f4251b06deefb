package cil_test

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/cil"
)

func Example() {
	train, _ := cil.Synthetic(4, 8, 50, 0, 1)
	b := cil.NewBuffer(20, 0, cil.Herding) // 20 exemplars shared by the seen classes
	identity := func(d *cil.Data) ([]float32, int, error) { return d.X, d.Dim, nil }
	_ = b.Update(train, 4, identity, 0) // 4 classes seen: 5 exemplars each
	fmt.Println(b.Len(), b.Class(3).Len(), b.Bytes())
	// Output: 20 5 640
}

func ExampleHerdingSelect() {
	// Three unit vectors; their mean is closest to the third, and the first
	// then brings the running mean closer than the second.
	f := []float32{1, 0, 0, 1, 0.6, 0.8}
	fmt.Println(cil.HerdingSelect(f, 3, 2, 3))
	// Output: [2 0 1]
}

func ExampleBuffer_Update() {
	train, _ := cil.Synthetic(6, 4, 30, 0, 1)
	first := train.Subset(train.Where(func(y int32) bool { return y < 3 }))
	second := train.Subset(train.Where(func(y int32) bool { return y >= 3 }))
	b := cil.NewBuffer(30, 0, cil.Random)
	_ = b.Update(first, 3, nil, 1)
	fmt.Println(b.Quota(3), b.Len())
	_ = b.Update(second, 6, nil, 2) // old classes are cut to the new quota
	fmt.Println(b.Quota(6), b.Len(), b.Class(0).Len())
	// Output:
	// 10 30
	// 5 30 5
}
