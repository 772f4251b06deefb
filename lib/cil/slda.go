package cil

import (
	"math"

	"github.com/pkg/errors"
)

// DefaultShrinkage is the covariance shrinkage of streaming LDA (Hayes &
// Kanan, 2020): Λ = ((1-ε) Σ + ε I)^-1 with ε = 1e-4.
const DefaultShrinkage = 1e-4

// SLDA is streaming linear discriminant analysis: running class means and
// one covariance shared by all classes, updated one example at a time;
// prediction is argmax_c (Λ μ_c)ᵀ x - ½ μ_cᵀ Λ μ_c with Λ the shrunk
// inverse covariance. The covariance is the exact pooled within-class
// scatter (Welford's update per class) divided by the examples seen, so
// the model, and its predictions, do not depend on the order of the stream
// up to float rounding (Hayes & Kanan's update is an order-dependent
// approximation of it). Memory is dim² + classes·dim values, whatever the
// length of the stream; an update costs about dim² multiply-adds.
type SLDA struct {
	// Features is applied to every example first; nil means the raw inputs.
	Features Extractor
	// FeatureParams is the number of parameters of Features (Memory.Parameters, 4 bytes each).
	FeatureParams int64
	// Shrinkage is ε; 0 means DefaultShrinkage.
	Shrinkage float64

	mu                   [][]float64 // [classes][dim] running means.
	counts               []int64
	s                    []float64 // [dim, dim] pooled within-class scatter, upper triangle filled.
	n                    int64
	dim                  int
	w                    []float32 // [classes, dim] cached Λ μ_c; nil when stale.
	b                    []float32 // [classes] cached -½ μ_cᵀ Λ μ_c.
	learnOps, predictOps int64
}

// Name is "SLDA".
func (m *SLDA) Name() string { return "SLDA" }

// Learn updates the means and the covariance with each example of
// task.Train, one at a time.
func (m *SLDA) Learn(task Task) error {
	f, dim, err := learnFeatures(m.Name(), m.Features, task.Train, &m.dim)
	if err != nil {
		return err
	}
	if m.s == nil {
		m.s = make([]float64, dim*dim)
	}
	if err := growClasses(m.Name(), task, dim, &m.mu, &m.counts); err != nil {
		return err
	}
	delta := make([]float64, dim)
	for i, y := range task.Train.Y {
		mu, c := m.mu[y], float64(m.counts[y])
		for j, v := range f[i*dim : (i+1)*dim] {
			delta[j] = float64(v) - mu[j]
		}
		// Welford: scatter += c/(c+1) δδᵀ; mean += δ/(c+1).
		w := c / (c + 1)
		if w > 0 {
			for a := range dim {
				da := w * delta[a]
				if da == 0 {
					continue
				}
				row := m.s[a*dim+a : (a+1)*dim]
				for j, db := range delta[a:] {
					row[j] += da * db
				}
			}
		}
		for j := range mu {
			mu[j] += delta[j] / (c + 1)
		}
		m.counts[y]++
		m.n++
	}
	// Per example: δ (dim), the upper triangle of δδᵀ (dim(dim+1)/2
	// multiply-adds), the mean update (2·dim).
	m.learnOps += int64(task.Train.Len()) * (3*int64(dim) + int64(dim)*int64(dim+1))
	m.w, m.b = nil, nil
	return nil
}

// Covariance returns the [dim, dim] pooled within-class covariance Σ (the
// scatter divided by the examples seen), before shrinkage.
func (m *SLDA) Covariance() []float64 {
	d := m.dim
	out := make([]float64, d*d)
	if m.n == 0 {
		return out
	}
	for a := range d {
		for b := a; b < d; b++ {
			v := m.s[a*d+b] / float64(m.n)
			out[a*d+b], out[b*d+a] = v, v
		}
	}
	return out
}

// fit computes the linear classifier from the means and covariance.
func (m *SLDA) fit() error {
	eps := m.Shrinkage
	if eps == 0 {
		eps = DefaultShrinkage
	}
	d, k := m.dim, len(m.mu)
	a := m.Covariance()
	for i := range a {
		a[i] *= 1 - eps
	}
	for i := range d {
		a[i*d+i] += eps
	}
	l, err := cholesky(a, d)
	if err != nil {
		return errors.Errorf("cil: SLDA: %v (raise Shrinkage)", err)
	}
	// Cholesky (d³/3 multiply-adds) and two triangular solves and a dot per class.
	m.learnOps += 2*int64(d)*int64(d)*int64(d)/3 + int64(k)*(4*int64(d)*int64(d)+2*int64(d))
	m.w, m.b = make([]float32, k*d), make([]float32, k)
	x := make([]float64, d)
	for c, mu := range m.mu {
		if m.counts[c] == 0 {
			m.b[c] = float32(math.Inf(-1)) // never predicted.
			continue
		}
		copy(x, mu)
		cholSolve(l, d, x)
		var q float64
		for j := range d {
			m.w[c*d+j] = float32(x[j])
			q += x[j] * mu[j]
		}
		m.b[c] = float32(-q / 2)
	}
	return nil
}

// Predict returns argmax_c of the discriminant for each example of x.
func (m *SLDA) Predict(x *Data) ([]int32, error) { return predict(m, x) }

// Scores returns the [N, classes] discriminants (Λ μ_c)ᵀ x - ½ μ_cᵀ Λ μ_c
// (-Inf for a class with no example).
func (m *SLDA) Scores(x *Data) ([]float32, int, error) {
	f, dim, err := predictFeatures(m.Name(), m.Features, x, m.n > 0, m.dim)
	if err != nil {
		return nil, 0, err
	}
	if m.w == nil {
		if err := m.fit(); err != nil {
			return nil, 0, err
		}
	}
	k := len(m.b)
	m.predictOps += int64(x.Len()) * int64(k) * int64(2*dim)
	return scoreRows(f, x.Len(), dim, k, func(q []float32, c int) float32 { return m.b[c] + dot(m.w[c*dim:(c+1)*dim], q) }), k, nil
}

// FLOPs counts the streaming updates and, in learn, the solve that turns
// means and covariance into the classifier (done at the first Predict after
// a Learn); predicting costs 2·dim per class and example.
func (m *SLDA) FLOPs() (learn, predict int64) { return m.learnOps, m.predictOps }

// Memory counts the means, counts and covariance as Other, 4 bytes per value
// (the float32 size of the model; it computes in float64).
func (m *SLDA) Memory() Memory {
	k, d := int64(len(m.mu)), int64(m.dim)
	return Memory{Parameters: 4 * m.FeatureParams, Other: 4 * (k*(d+1) + d*d)}
}

// cholesky returns the lower-triangular L with L Lᵀ = a ([d, d], symmetric
// positive definite), or an error naming the failing pivot.
func cholesky(a []float64, d int) ([]float64, error) {
	l := make([]float64, d*d)
	for i := range d {
		for j := 0; j <= i; j++ {
			s := a[i*d+j]
			li, lj := l[i*d:i*d+j], l[j*d:j*d+j]
			for p := range li {
				s -= li[p] * lj[p]
			}
			if i == j {
				if s <= 0 {
					return nil, errors.Errorf("covariance is not positive definite (pivot %d = %g)", i, s)
				}
				l[i*d+i] = math.Sqrt(s)
			} else {
				l[i*d+j] = s / l[j*d+j]
			}
		}
	}
	return l, nil
}

// cholSolve overwrites x with the solution of L Lᵀ z = x.
func cholSolve(l []float64, d int, x []float64) {
	for i := range d { // L y = x
		s := x[i]
		for p := range i {
			s -= l[i*d+p] * x[p]
		}
		x[i] = s / l[i*d+i]
	}
	for i := d - 1; i >= 0; i-- { // Lᵀ z = y
		s := x[i]
		for p := i + 1; p < d; p++ {
			s -= l[p*d+i] * x[p]
		}
		x[i] = s / l[i*d+i]
	}
}
