package performer

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// RowNorms selects how the rows of an orthogonal random projection are
// rescaled (orthogonalization leaves them with unit norm).
type RowNorms string

const (
	// RowNormsChi rescales each row by the norm of a fresh Gaussian vector
	// (chi(d) distributed), so each row is marginally N(0, I_d), as with iid
	// rows: the estimator of the softmax kernel stays unbiased. The reference
	// implementation's default.
	RowNormsChi RowNorms = "chi"
	// RowNormsSqrtD rescales each row to norm sqrt(d) ("SMREG"): a regularized
	// softmax kernel that lower-bounds softmax; lower variance, slightly biased.
	RowNormsSqrtD RowNorms = "sqrt_d"
)

// Projection describes the random projection matrix W, shaped
// [NumFeatures, Dim], whose rows are the w_i of the random features.
type Projection struct {
	// NumFeatures is m, the number of random features (rows).
	NumFeatures int
	// Dim is d, the dimension of queries and keys (columns).
	Dim int
	// Orthogonal makes rows orthogonal within each block of Dim rows (block
	// orthogonalization: independent d x d orthogonal blocks stacked to m rows).
	// If false, rows are iid N(0, I_d).
	Orthogonal bool
	// Norms rescales orthogonal rows; ignored for iid rows. Default RowNormsChi.
	Norms RowNorms
}

// check panics on invalid sizes.
func (p Projection) check() {
	if p.NumFeatures <= 0 || p.Dim <= 0 {
		panicf("projection needs NumFeatures > 0 and Dim > 0, got %d x %d", p.NumFeatures, p.Dim)
	}
	switch p.Norms {
	case "", RowNormsChi, RowNormsSqrtD:
	default:
		panicf("unknown row norms %q (want %q or %q)", p.Norms, RowNormsChi, RowNormsSqrtD)
	}
}

// Draw draws the projection on the host, deterministically from seed (the
// same seed gives the same matrix on every machine and backend), and returns
// it as a float32 tensor [NumFeatures, Dim].
func (p Projection) Draw(seed uint64) *tensors.Tensor {
	w := p.DrawFloat64(seed)
	flat := make([]float32, len(w))
	for i, v := range w {
		flat[i] = float32(v)
	}
	return tensors.FromFlatDataAndDimensions(flat, p.NumFeatures, p.Dim)
}

// DrawFloat64 is like [Projection.Draw] but returns the row-major
// [NumFeatures, Dim] matrix as a slice.
func (p Projection) DrawFloat64(seed uint64) []float64 {
	p.check()
	m, d := p.NumFeatures, p.Dim
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	w := make([]float64, m*d)
	if !p.Orthogonal {
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		return w
	}
	block := make([]float64, d*d)
	for start := 0; start < m; start += d {
		for i := range block {
			block[i] = rng.NormFloat64()
		}
		gramSchmidt(block, d)
		rows := min(d, m-start)
		copy(w[start*d:], block[:rows*d])
	}
	for i := range m {
		norm := math.Sqrt(float64(d))
		if p.Norms != RowNormsSqrtD {
			s := 0.0
			for range d {
				g := rng.NormFloat64()
				s += g * g
			}
			norm = math.Sqrt(s)
		}
		for j := range d {
			w[i*d+j] *= norm
		}
	}
	return w
}

// gramSchmidt orthonormalizes the rows of the d x d row-major matrix a in
// place (modified Gram-Schmidt, applied twice for accuracy).
func gramSchmidt(a []float64, d int) {
	for i := range d {
		row := a[i*d : (i+1)*d]
		for range 2 {
			for j := range i {
				prev := a[j*d : (j+1)*d]
				dot := 0.0
				for k := range d {
					dot += row[k] * prev[k]
				}
				for k := range d {
					row[k] -= dot * prev[k]
				}
			}
		}
		n := 0.0
		for _, v := range row {
			n += v * v
		}
		n = math.Sqrt(n)
		for k := range row {
			row[k] /= n
		}
	}
}

// Graph draws the projection inside a graph from the random number generator
// state rngState (see graph.RNGStateFromSeed), returning the new state and W
// shaped [NumFeatures, Dim] of the given dtype. Orthogonal blocks are built by
// Gram-Schmidt in the graph (no gradient flows through W). Use it to redraw
// features in every call or every few training steps without leaving the graph.
func (p Projection) Graph(rngState *graph.Node, dtype dtypes.DType) (newState, w *graph.Node) {
	w = p.GraphFrom(rngState.Graph(), func(shape shapes.Shape) *graph.Node {
		var values *graph.Node
		rngState, values = graph.RandomNormal(rngState, shape)
		return values
	}, dtype)
	return rngState, w
}

// GraphFrom is like [Projection.Graph] but takes its Gaussian noise from
// normal, which returns N(0, 1) values of the given shape (e.g. a
// model.Store's RandomNormal).
func (p Projection) GraphFrom(g *graph.Graph, normal func(shape shapes.Shape) *graph.Node, dtype dtypes.DType) *graph.Node {
	p.check()
	m, d := p.NumFeatures, p.Dim
	if !p.Orthogonal {
		return graph.StopGradient(normal(shapes.Make(dtype, m, d)))
	}
	numBlocks := (m + d - 1) / d
	q := orthonormalizeRowsGraph(normal(shapes.Make(dtype, numBlocks, d, d))) // [numBlocks, d, d]
	w := graph.Reshape(q, numBlocks*d, d)
	if numBlocks*d != m {
		w = graph.Slice(w, graph.AxisRange(0, m))
	}
	var norms *graph.Node
	if p.Norms == RowNormsSqrtD {
		norms = graph.Scalar(g, dtype, math.Sqrt(float64(d)))
	} else {
		fresh := normal(shapes.Make(dtype, m, d))
		norms = graph.Sqrt(graph.ReduceAndKeep(graph.Square(fresh), graph.ReduceSum, -1))
	}
	return graph.StopGradient(graph.Mul(w, norms))
}

// orthonormalizeRowsGraph orthonormalizes the rows of each [d, d] block of
// x [numBlocks, d, d] with classical Gram-Schmidt applied twice, vectorized
// over blocks.
func orthonormalizeRowsGraph(x *graph.Node) *graph.Node {
	g := x.Graph()
	dtype := x.DType()
	numBlocks, d := x.Shape().Dim(0), x.Shape().Dim(1)
	q := graph.Zeros(g, shapes.Make(dtype, numBlocks, d, d))
	rowIdx := graph.Iota(g, shapes.Make(dtypes.Int32, 1, d, 1), 1)
	for i := range d {
		v := graph.Reshape(graph.Slice(x, graph.AxisRange(), graph.AxisElem(i), graph.AxisRange()), numBlocks, d)
		for range 2 {
			// Rows >= i of q are still zero, so projecting on all of q is safe.
			coef := graph.Einsum("bij,bj->bi", q, v)
			v = graph.Sub(v, graph.Einsum("bi,bij->bj", coef, q))
		}
		v = graph.Div(v, graph.Sqrt(graph.ReduceAndKeep(graph.Square(v), graph.ReduceSum, -1)))
		sel := graph.ConvertDType(graph.Equal(rowIdx, graph.Const(g, int32(i))), dtype) // [1, d, 1]
		q = graph.Add(q, graph.Mul(sel, graph.Reshape(v, numBlocks, 1, d)))
	}
	return q
}

// LayerSeed mixes a base seed with a scope path (and an optional epoch), so
// each layer of a model draws different features from one model-wide seed.
func LayerSeed(seed int64, scopePath string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(scopePath))
	return uint64(seed)*0x9e3779b97f4a7c15 ^ h.Sum64()
}
