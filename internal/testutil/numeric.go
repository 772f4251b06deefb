package testutil

// Float32s returns x converted to float32.
func Float32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// NumGrad returns the central finite-difference gradient (step 1e-5) of f
// with respect to the values of p, which f reads: p is perturbed in place
// and restored.
func NumGrad(f func() float64, p []float64) []float64 {
	const h = 1e-5
	g := make([]float64, len(p))
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
