package cil

import (
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// CIFAR100Env names the environment variable holding the default folder of
// [LoadCIFAR100].
const CIFAR100Env = "LABNOTES_CIFAR100"

// cifarRecord is one record of the CIFAR-100 binary version: coarse label,
// fine label, 3072 pixels (1024 red, 1024 green, 1024 blue, row-major).
const cifarRecord = 2 + 3072

// LoadCIFAR100 reads split "train" (50,000 images) or "test" (10,000) of the
// binary version of CIFAR-100 (cifar-100-binary.tar.gz: train.bin,
// test.bin) from dir (if empty: $LABNOTES_CIFAR100). Labels are the 100
// fine classes; pixels are scaled to [0, 1] and stored channels-last, Shape
// [32, 32, 3]; ExampleBytes is 3072. Errors name the file and what is wrong.
func LoadCIFAR100(dir, split string) (*Data, error) {
	if dir == "" {
		dir = os.Getenv(CIFAR100Env)
	}
	if dir == "" {
		return nil, errors.Errorf("cil: LoadCIFAR100: no folder given and $%s is not set", CIFAR100Env)
	}
	if split != "train" && split != "test" {
		return nil, errors.Errorf("cil: LoadCIFAR100: unknown split %q (want \"train\" or \"test\")", split)
	}
	path := filepath.Join(dir, split+".bin")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.WithMessage(err, "cil: LoadCIFAR100")
	}
	return ParseCIFAR100(raw, path)
}

// ParseCIFAR100 decodes CIFAR-100 binary records (see [LoadCIFAR100]);
// name labels the errors.
func ParseCIFAR100(raw []byte, name string) (*Data, error) {
	if len(raw) == 0 || len(raw)%cifarRecord != 0 {
		return nil, errors.Errorf("cil: %s: %d bytes is not a whole number of %d-byte CIFAR-100 records", name, len(raw), cifarRecord)
	}
	n := len(raw) / cifarRecord
	d := &Data{X: make([]float32, n*3072), Y: make([]int32, n), Dim: 3072, Shape: []int{32, 32, 3}, ExampleBytes: 3072}
	for i := range n {
		rec := raw[i*cifarRecord : (i+1)*cifarRecord]
		if rec[1] >= 100 {
			return nil, errors.Errorf("cil: %s: record %d has fine label %d, want 0..99", name, i, rec[1])
		}
		d.Y[i] = int32(rec[1])
		x, px := d.Row(i), rec[2:]
		for c := range 3 {
			for p := range 1024 {
				x[p*3+c] = float32(px[c*1024+p]) / 255
			}
		}
	}
	return d, nil
}
