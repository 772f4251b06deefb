package datasets

import (
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

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

// LoadFashionMNIST loads the "train" (60,000) or "test" (10,000) split of
// Fashion-MNIST from dir (if empty: Path("fashion-mnist")), reading
// <prefix>-images-idx3-ubyte.gz and <prefix>-labels-idx1-ubyte.gz (or the
// same names without ".gz"), with prefix "train" or "t10k". Errors name the
// offending file.
func LoadFashionMNIST(dir, split string) (*Images, error) {
	if dir == "" {
		var err error
		if dir, err = Path("fashion-mnist"); err != nil {
			return nil, err
		}
	}
	var prefix string
	switch split {
	case "train":
		prefix = "train"
	case "test":
		prefix = "t10k"
	default:
		return nil, errors.Errorf("datasets: unknown Fashion-MNIST split %q (want \"train\" or \"test\")", split)
	}
	find := func(name string) (string, error) {
		for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		return "", errors.Errorf("datasets: Fashion-MNIST file %s(.gz) not found (`%s` gets it)",
			filepath.Join(dir, name), FetchCommand("fashion-mnist"))
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
		return nil, errors.Errorf("datasets: %s: images must have 3 dimensions, got %v", imgPath, imgs.Dims)
	}
	lbls, err := ReadIDXFile(lblPath)
	if err != nil {
		return nil, err
	}
	if len(lbls.Dims) != 1 {
		return nil, errors.Errorf("datasets: %s: labels must have 1 dimension, got %v", lblPath, lbls.Dims)
	}
	if lbls.Dims[0] != imgs.Dims[0] {
		return nil, errors.Errorf("datasets: %s has %d labels but %s has %d images", lblPath, lbls.Dims[0], imgPath, imgs.Dims[0])
	}
	for i, l := range lbls.Data {
		if l >= 10 {
			return nil, errors.Errorf("datasets: %s: label %d of example %d is not in 0..9", lblPath, l, i)
		}
	}
	return &Images{Rows: imgs.Dims[1], Cols: imgs.Dims[2], Pixels: imgs.Data, Labels: lbls.Data}, nil
}
