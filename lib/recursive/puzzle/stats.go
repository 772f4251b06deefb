package puzzle

import (
	"math"
	"slices"
)

// Quantile returns the q-quantile (0 <= q <= 1) of xs by linear
// interpolation between order statistics (NaN for no data).
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
}

// CDF returns the empirical distribution function of xs as a step curve:
// y[i] is the fraction of values <= x[i], for each distinct value x[i] in
// increasing order. Useful for comparing difficulty distributions.
func CDF(xs []float64) (x, y []float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	for i, v := range s {
		if i+1 < len(s) && s[i+1] == v {
			continue
		}
		x = append(x, v)
		y = append(y, float64(i+1)/float64(len(s)))
	}
	return x, y
}
