package cil

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
)

// Synthetic returns a small labelled dataset for fast tests and smoke runs:
// classes Gaussian blobs in dim dimensions, perClass training and
// testPerClass test examples each ([N, dim] with N = classes*perClass).
// Class centres point in random directions with norm
// SyntheticRadius*sqrt(dim); every example is its centre plus
// N(0, SyntheticSpread^2) noise per coordinate, so classes overlap a little
// (a nearest-class-mean classifier gets most, not all, right). Examples are
// shuffled; ExampleBytes is 4*dim (float32 storage); Shape is nil. The same
// arguments give the same data.
func Synthetic(classes, dim, perClass, testPerClass int, seed uint64) (train, test *Data) {
	if classes <= 0 || dim <= 0 || perClass < 0 || testPerClass < 0 {
		panic(errors.Errorf("cil: Synthetic(classes %d, dim %d, perClass %d, testPerClass %d): want classes, dim > 0 and counts >= 0",
			classes, dim, perClass, testPerClass))
	}
	rng := rand.New(rand.NewPCG(seed, 0x73796e7468))
	centres := make([]float64, classes*dim)
	for c := range classes {
		row := centres[c*dim : (c+1)*dim]
		var s float64
		for j := range row {
			row[j] = rng.NormFloat64()
			s += row[j] * row[j]
		}
		scale := math.Sqrt(float64(dim)/s) * SyntheticRadius
		for j := range row {
			row[j] *= scale
		}
	}
	gen := func(per int) *Data {
		d := &Data{Dim: dim, ExampleBytes: 4 * dim}
		for _, i := range rng.Perm(classes * per) {
			c := i % classes
			for j := range dim {
				d.X = append(d.X, float32(centres[c*dim+j]+SyntheticSpread*rng.NormFloat64()))
			}
			d.Y = append(d.Y, int32(c))
		}
		return d
	}
	return gen(perClass), gen(testPerClass)
}

// SyntheticRadius and SyntheticSpread shape [Synthetic]: class centres have
// norm SyntheticRadius*sqrt(dim) and examples scatter around them with
// standard deviation SyntheticSpread per coordinate.
const (
	SyntheticRadius = 1.0
	SyntheticSpread = 1.0
)
