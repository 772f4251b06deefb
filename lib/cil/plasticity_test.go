package cil

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDormant(t *testing.T) {
	// 4 inputs x 3 units: unit 0 always active, unit 1 active once, unit 2 never.
	act := []float32{
		1, 0, 0,
		2, 0, -1,
		3, 5, 0,
		1, 0, 0,
	}
	tests := []struct {
		frac float64
		want float64
	}{
		{0.01, 1.0 / 3}, // < 0.04 inputs: only unit 2.
		{0.5, 2.0 / 3},  // < 2 inputs: units 1 and 2.
		{1.01, 1},       // < 4.04 inputs: all.
	}
	for _, tc := range tests {
		if got := Dormant(act, 4, 3, tc.frac); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Dormant(frac %v) = %v, want %v", tc.frac, got, tc.want)
		}
	}
}

// orthonormal returns k orthonormal vectors of length n (Gram-Schmidt), [k][n].
func orthonormal(rng *rand.Rand, k, n int) [][]float64 {
	var out [][]float64
	for len(out) < k {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		for _, u := range out {
			var dot float64
			for i := range v {
				dot += v[i] * u[i]
			}
			for i := range v {
				v[i] -= dot * u[i]
			}
		}
		var norm float64
		for _, x := range v {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for i := range v {
			v[i] /= norm
		}
		out = append(out, v)
	}
	return out
}

func TestSingularValues(t *testing.T) {
	tests := []struct {
		name string
		n, d int
		s    []float64 // singular values to plant (rank = len(s)).
		rank int       // StableRank of the result.
	}{
		{"full", 30, 6, []float64{10, 5, 3, 2, 1, 0.5}, 6},
		{"low rank", 40, 8, []float64{7, 7, 1}, 3},
		{"dominant", 20, 5, []float64{1000, 1, 1}, 1},
		{"wide", 3, 5, []float64{4, 2, 1}, 3},
		{"bigger", 100, 40, []float64{50, 40, 30, 20, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5, 0.25}, 13},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			u, v := orthonormal(rng, len(tc.s), tc.n), orthonormal(rng, len(tc.s), tc.d)
			m := make([]float32, tc.n*tc.d)
			for k, s := range tc.s {
				for i := range tc.n {
					for j := range tc.d {
						m[i*tc.d+j] += float32(s * u[k][i] * v[k][j])
					}
				}
			}
			sv := SingularValues(m, tc.n, tc.d)
			if len(sv) != tc.d {
				t.Fatalf("%d singular values, want %d", len(sv), tc.d)
			}
			for i := range tc.d {
				want := 0.0
				if i < len(tc.s) {
					want = tc.s[i]
				}
				if math.Abs(sv[i]-want) > 1e-3*max(1, want) {
					t.Errorf("sv = %v, want %v (then zeros)", sv, tc.s)
					break
				}
			}
			if r := StableRank(sv); r != tc.rank {
				t.Errorf("StableRank = %d, want %d", r, tc.rank)
			}
		})
	}
	if r := StableRank([]float64{0, 0}); r != 0 {
		t.Errorf("StableRank of zeros = %d", r)
	}
}
