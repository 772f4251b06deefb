package cil

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/datasets"
)

// FromImages converts the first n grey-scale images of im (all if n <= 0 or
// larger) to Data: pixels scaled to [0, 1], Shape [Rows/pool, Cols/pool, 1],
// ExampleBytes one byte per (pooled) pixel, labels as they are. pool > 1
// averages pool x pool blocks first (2 turns 28x28 Fashion-MNIST into 14x14,
// a quarter of the features). It panics if pool does not divide the image size.
//
//	im, err := datasets.LoadFashionMNIST("", "train")
//	train := cil.FromImages(im, 0, 1) // [60000, 784], ExampleBytes 784
func FromImages(im *datasets.Images, n, pool int) *Data {
	if n <= 0 || n > im.Len() {
		n = im.Len()
	}
	pool = max(pool, 1)
	if im.Rows%pool != 0 || im.Cols%pool != 0 {
		panic(fmt.Sprintf("cil: FromImages: pool %d does not divide the %dx%d images", pool, im.Rows, im.Cols))
	}
	rows, cols := im.Rows/pool, im.Cols/pool
	dim := rows * cols
	d := &Data{X: make([]float32, n*dim), Y: make([]int32, n), Dim: dim, Shape: []int{rows, cols, 1}, ExampleBytes: dim}
	scale := 1 / float32(255*pool*pool)
	sums := make([]int, dim)
	for i := range n {
		im.BlockSums(i, pool, sums)
		x := d.Row(i)
		for k, sum := range sums {
			x[k] = float32(sum) * scale
		}
		d.Y[i] = int32(im.Labels[i])
	}
	return d
}

// FashionMNIST loads both Fashion-MNIST splits (datasets.LoadFashionMNIST:
// dir, else the "fashion-mnist" dataset's folder) as
// Data, pooled as in [FromImages]: train [60000, 784/pool²], test [10000, ...].
func FashionMNIST(dir string, pool int) (train, test *Data, err error) {
	tr, err := datasets.LoadFashionMNIST(dir, "train")
	if err != nil {
		return nil, nil, err
	}
	te, err := datasets.LoadFashionMNIST(dir, "test")
	if err != nil {
		return nil, nil, err
	}
	return FromImages(tr, 0, pool), FromImages(te, 0, pool), nil
}
