package lra

import (
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist package installs
// the Fashion-MNIST IDX files.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTEnv names the environment variable that, when set, replaces
// FashionMNISTDir as the default folder of [LoadFashionMNIST] (e.g. files
// downloaded from github.com/zalandoresearch/fashion-mnist).
const FashionMNISTEnv = "LABNOTES_FASHION_MNIST"

// FashionMNISTClasses names the 10 Fashion-MNIST labels.
var FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// Images is a set of labelled grey-scale images.
type Images struct {
	Rows, Cols int
	Pixels     []byte // [N, Rows, Cols], row-major.
	Labels     []byte // [N].
}

// Len returns the number of images.
func (im *Images) Len() int { return len(im.Labels) }

// Image returns the pixels of image i, row-major.
func (im *Images) Image(i int) []byte {
	n := im.Rows * im.Cols
	return im.Pixels[i*n : (i+1)*n]
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

// BlockSums writes into dst, [Rows/pool, Cols/pool] row-major, the sum of
// the pixels of each pool x pool block of image i (average pooling before
// the division; rows and columns past a multiple of pool are dropped).
func (im *Images) BlockSums(i, pool int, dst []int) {
	img := im.Image(i)
	rows, cols := im.Rows/pool, im.Cols/pool
	for r := range rows {
		for c := range cols {
			sum := 0
			for dr := range pool {
				for dc := range pool {
					sum += int(img[(r*pool+dr)*im.Cols+c*pool+dc])
				}
			}
			dst[r*cols+c] = sum
		}
	}
}

// LoadFashionMNIST loads the "train" (60,000) or "test" (10,000) split from
// dir (if empty: $LABNOTES_FASHION_MNIST, else FashionMNISTDir), reading <prefix>-images-idx3-ubyte.gz and
// <prefix>-labels-idx1-ubyte.gz (or the same names without ".gz"), with
// prefix "train" or "t10k". Errors name the offending file.
func LoadFashionMNIST(dir, split string) (*Images, error) {
	if dir == "" {
		dir = os.Getenv(FashionMNISTEnv)
	}
	if dir == "" {
		dir = FashionMNISTDir
	}
	var prefix string
	switch split {
	case "train":
		prefix = "train"
	case "test":
		prefix = "t10k"
	default:
		return nil, errors.Errorf("lra: unknown Fashion-MNIST split %q (want \"train\" or \"test\")", split)
	}
	find := func(name string) (string, error) {
		for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		return "", errors.Errorf("lra: Fashion-MNIST file %s(.gz) not found (on Debian: apt-get install dataset-fashion-mnist; elsewhere: lra.DownloadFashionMNIST)",
			filepath.Join(dir, name))
	}
	imgPath, err := find(prefix + "-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	lblPath, err := find(prefix + "-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	imgs, err := ReadIDXFile(imgPath)
	if err != nil {
		return nil, err
	}
	if len(imgs.Dims) != 3 {
		return nil, errors.Errorf("lra: %s: images must have 3 dimensions, got %v", imgPath, imgs.Dims)
	}
	lbls, err := ReadIDXFile(lblPath)
	if err != nil {
		return nil, err
	}
	if len(lbls.Dims) != 1 {
		return nil, errors.Errorf("lra: %s: labels must have 1 dimension, got %v", lblPath, lbls.Dims)
	}
	if lbls.Dims[0] != imgs.Dims[0] {
		return nil, errors.Errorf("lra: %s has %d labels but %s has %d images", lblPath, lbls.Dims[0], imgPath, imgs.Dims[0])
	}
	for i, l := range lbls.Data {
		if l >= 10 {
			return nil, errors.Errorf("lra: %s: label %d of example %d is not in 0..9", lblPath, l, i)
		}
	}
	return &Images{Rows: imgs.Dims[1], Cols: imgs.Dims[2], Pixels: imgs.Data, Labels: lbls.Data}, nil
}
