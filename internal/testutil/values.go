package testutil

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// Normal returns n values drawn from N(0, sigma²) by rng.
func Normal(rng *rand.Rand, n int, sigma float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64() * sigma
	}
	return s
}

// Float32s converts x to float32.
func Float32s(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, a := range x {
		y[i] = float32(a)
	}
	return y
}

// Float64s returns the values of a float32 or float64 tensor as float64
// (panics on other dtypes).
func Float64s(t *tensors.Tensor) []float64 {
	var out []float64
	t.MustConstFlatData(func(flat any) {
		switch f := flat.(type) {
		case []float32:
			for _, a := range f {
				out = append(out, float64(a))
			}
		case []float64:
			out = append(out, f...)
		default:
			panic("testutil: Float64s needs a float32 or float64 tensor, got " + t.Shape().String())
		}
	})
	return out
}

// NumGrad returns the gradient of f with respect to the values of p by
// central finite differences with step 1e-5, changing p in place and
// restoring it (f must read p).
func NumGrad(f func() float64, p []float64) []float64 {
	g := make([]float64, len(p))
	const h = 1e-5
	for i := range p {
		old := p[i]
		p[i] = old + h
		up := f()
		p[i] = old - h
		down := f()
		p[i] = old
		g[i] = (up - down) / (2 * h)
	}
	return g
}

// Dot returns sum_i a_i b_i.
func Dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// AssertClose fails t unless max|got - want| <= tol · max(1, max|want|)
// (and got has no NaN); what names the values in the message.
func AssertClose(t testing.TB, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale, diff := 1.0, 0.0
	for i := range got {
		scale = max(scale, math.Abs(want[i]))
		if math.IsNaN(got[i]) {
			t.Fatalf("%s: NaN at %d", what, i)
		}
		diff = max(diff, math.Abs(got[i]-want[i]))
	}
	if diff > tol*scale {
		t.Errorf("%s: max difference %.3g > %.3g (scale %.3g)", what, diff, tol*scale, scale)
	}
}
