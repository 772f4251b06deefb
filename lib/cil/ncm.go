package cil

import (
	"math"

	"github.com/pkg/errors"
)

// Extractor maps examples to features: for x of N examples it returns the
// [N, dim] features, row-major. A frozen network ("algorithm bytes": it
// exists before any data arrives) or nil for the raw inputs.
type Extractor func(x *Data) (features []float32, dim int, err error)

// extract applies e to x, or returns x's own features when e is nil.
func extract(e Extractor, x *Data) ([]float32, int, error) {
	if e == nil {
		return x.X, x.Dim, nil
	}
	f, dim, err := e(x)
	if err != nil {
		return nil, 0, err
	}
	if dim <= 0 || len(f) != x.Len()*dim {
		return nil, 0, errors.Errorf("cil: extractor returned %d values of width %d for %d examples, want %d x width", len(f), dim, x.Len(), x.Len())
	}
	return f, dim, nil
}

// learnFeatures returns the features of a learner's training data d (e
// applied, or d's own) and their width, which must equal the earlier
// tasks' (*dim; the first Learn sets it). name labels the errors.
func learnFeatures(name string, e Extractor, d *Data, dim *int) ([]float32, int, error) {
	f, w, err := extract(e, d)
	if err != nil {
		return nil, 0, err
	}
	if *dim != 0 && w != *dim {
		return nil, 0, errors.Errorf("cil: %s: features of width %d, earlier tasks had %d", name, w, *dim)
	}
	*dim = w
	return f, w, nil
}

// predictFeatures returns the features of the examples to predict, x, and
// their width, which must equal the learned one (dim); learned says the
// learner has learned something. name labels the errors.
func predictFeatures(name string, e Extractor, x *Data, learned bool, dim int) ([]float32, int, error) {
	if !learned {
		return nil, 0, errors.Errorf("cil: %s: Predict before any Learn", name)
	}
	f, w, err := extract(e, x)
	if err != nil {
		return nil, 0, err
	}
	if w != dim {
		return nil, 0, errors.Errorf("cil: %s: features of width %d, learned %d", name, w, dim)
	}
	return f, w, nil
}

// growClasses adds zero rows of width dim to rows and zero counts up to
// the task's seen classes, and checks that its labels are below them
// (NCM's sums and SLDA's means). name labels the errors.
func growClasses(name string, task Task, dim int, rows *[][]float64, counts *[]int64) error {
	for len(*rows) < task.Seen() {
		*rows = append(*rows, make([]float64, dim))
		*counts = append(*counts, 0)
	}
	for i, y := range task.Train.Y {
		if int(y) >= len(*rows) {
			return errors.Errorf("cil: %s: label %d of example %d is not below the %d classes seen", name, y, i, task.Seen())
		}
	}
	return nil
}

// predict returns the argmax of s's scores of x.
func predict(s Scorer, x *Data) ([]int32, error) {
	scores, k, err := s.Scores(x)
	if err != nil {
		return nil, err
	}
	return Argmax(scores, k), nil
}

// scoreRows returns the [n, k] scores score(q, c) of the n feature rows q
// of f (width dim) for the classes c in [0, k), rows in parallel.
func scoreRows(f []float32, n, dim, k int, score func(q []float32, c int) float32) []float32 {
	out := make([]float32, n*k)
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			q := f[i*dim : (i+1)*dim]
			for c := range k {
				out[i*k+c] = score(q, c)
			}
		}
	})
	return out
}

// NCM is the nearest-class-mean classifier: it keeps the running mean of the
// features of each class and predicts the class whose mean is closest. It
// sees every training example once, in any order, and stores no example:
// its predictions do not depend on the order of the stream (up to float
// rounding), so it does not forget.
type NCM struct {
	// Features is applied to every example first; nil means the raw inputs.
	Features Extractor
	// FeatureParams is the number of parameters of Features (counted in
	// Memory.Parameters at 4 bytes each); 0 for nil.
	FeatureParams int64
	// Cosine L2-normalizes features and means before comparing (iCaRL's
	// nearest-mean-of-exemplars rule); otherwise distances are Euclidean.
	Cosine bool

	sums                 [][]float64 // [classes][dim]: feature sums.
	counts               []int64
	dim                  int
	learnOps, predictOps int64
}

// Name is "NCM".
func (m *NCM) Name() string { return "NCM" }

// Learn adds the examples of task.Train to their class means, one at a time.
func (m *NCM) Learn(task Task) error {
	f, dim, err := learnFeatures(m.Name(), m.Features, task.Train, &m.dim)
	if err != nil {
		return err
	}
	if err := growClasses(m.Name(), task, dim, &m.sums, &m.counts); err != nil {
		return err
	}
	if m.Cosine {
		f = cloneNormalized(f, dim)
	}
	for i, y := range task.Train.Y {
		s := m.sums[y]
		for j, v := range f[i*dim : (i+1)*dim] {
			s[j] += float64(v)
		}
		m.counts[y]++
	}
	m.learnOps += int64(task.Train.Len()) * int64(dim)
	return nil
}

// Means returns the [classes, dim] class means (L2-normalized if Cosine);
// classes never seen get a NaN row.
func (m *NCM) Means() []float32 {
	out := make([]float32, len(m.sums)*m.dim)
	for c, s := range m.sums {
		row := out[c*m.dim : (c+1)*m.dim]
		for j := range row {
			row[j] = float32(s[j] / float64(m.counts[c]))
		}
	}
	if m.Cosine {
		Normalize(out, m.dim)
	}
	return out
}

// Predict returns the class of the nearest mean for each example of x.
func (m *NCM) Predict(x *Data) ([]int32, error) { return predict(m, x) }

// Scores returns [N, classes] negative squared distances of the examples of
// x to the class means (cosine: of the normalized features and means).
func (m *NCM) Scores(x *Data) ([]float32, int, error) {
	f, dim, err := predictFeatures(m.Name(), m.Features, x, len(m.sums) > 0, m.dim)
	if err != nil {
		return nil, 0, err
	}
	if m.Cosine {
		f = cloneNormalized(f, dim)
	}
	k := len(m.sums)
	m.predictOps += int64(x.Len()) * int64(k) * int64(3*dim)
	means := m.Means()
	return scoreRows(f, x.Len(), dim, k, func(q []float32, c int) float32 { return -sqDist(q, means[c*dim:(c+1)*dim]) }), k, nil
}

// FLOPs counts one add per feature to learn an example and a subtraction,
// multiply and add per feature and class to predict one.
func (m *NCM) FLOPs() (learn, predict int64) { return m.learnOps, m.predictOps }

// Memory counts the class means and counts as Other (4 bytes per value).
func (m *NCM) Memory() Memory {
	return Memory{Parameters: 4 * m.FeatureParams, Other: int64(len(m.sums)) * int64(m.dim+1) * 4}
}

// Argmax returns, for each row of scores ([N, k]), the index of its largest
// entry (the first one on ties; NaN never wins).
func Argmax(scores []float32, k int) []int32 {
	n := len(scores) / k
	out := make([]int32, n)
	for i := range n {
		best, bestS := int32(0), float32(math.Inf(-1))
		for c, v := range scores[i*k : (i+1)*k] {
			if v > bestS {
				best, bestS = int32(c), v
			}
		}
		out[i] = best
	}
	return out
}

// cloneNormalized returns a copy of f with unit-norm rows.
func cloneNormalized(f []float32, dim int) []float32 {
	g := append([]float32(nil), f...)
	Normalize(g, dim)
	return g
}
