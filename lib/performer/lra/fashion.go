package lra

import "github.com/labnotes/labnotes/lib/datasets"

// Images is a set of labelled grey-scale images (datasets.Images) that
// also makes the Long Range Arena's sequential-image examples.
type Images struct{ *datasets.Images }

// LoadFashionMNIST loads the "train" (60,000) or "test" (10,000) split of
// Fashion-MNIST (datasets.LoadFashionMNIST: from dir, or the
// "fashion-mnist" dataset's folder when dir is empty).
func LoadFashionMNIST(dir, split string) (*Images, error) {
	im, err := datasets.LoadFashionMNIST(dir, split)
	if err != nil {
		return nil, err
	}
	return &Images{im}, nil
}

// SequentialExamples returns the first n images (all if n <= 0 or n is
// larger) as sequences of Rows*Cols pixel tokens in raster order (token =
// pixel intensity 0..255, vocabulary 256) with their labels: the "sequential
// image" task of the Long Range Arena. pool > 1 first averages pool x pool
// blocks (e.g. 2 gives 14x14 = 196 tokens), for quick runs.
func (im *Images) SequentialExamples(n, pool int) []Example {
	if n <= 0 || n > im.Len() {
		n = im.Len()
	}
	if pool < 1 {
		pool = 1
	}
	rows, cols := im.Rows/pool, im.Cols/pool
	out := make([]Example, n)
	sums := make([]int, rows*cols)
	for i := range n {
		im.BlockSums(i, pool, sums)
		toks := make([]int32, rows*cols)
		for k, sum := range sums {
			toks[k] = int32(sum / (pool * pool))
		}
		out[i] = Example{Tokens: toks, Label: int32(im.Labels[i])}
	}
	return out
}
