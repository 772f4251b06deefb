package blocks

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/internal/testutil"
)

func tensorOf(x []float64, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(testutil.Float32s(x), dims...)
}

// vals holds variable values by path relative to the layer's scope.
type vals map[string][]float64

// layerCase is a graph function of one float32 input with variables,
// checked against a naive float64 reference.
type layerCase struct {
	name     string
	dims     []int                                               // input shape
	build    func(scope *model.Scope, x *graph.Node) *graph.Node // built in scope "/l"
	ref      func(x []float64, v vals) []float64
	wantVars map[string][]int // variable paths (relative to /l) and shapes
	tol      float64          // output tolerance; gradients get 10x
}

// checkLayer runs c.build on random inputs and random variable values and
// compares the output with c.ref, and the gradients of sum(out·r) with
// respect to the input and every variable with central finite differences
// of the reference.
func checkLayer(t *testing.T, be compute.Backend, seed uint64, c layerCase) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	store := model.NewStore()
	var paths []string
	exec := model.MustNewExec(be, store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		x, r := in[0], in[1]
		scope.SetTraining(x.Graph(), true) // Variables as parameters: their values change between calls.
		out := c.build(scope.In("l"), x)
		loss := graph.ReduceAllSum(graph.Mul(out, r))
		paths = paths[:0]
		var nodes []*graph.Node
		for v := range store.IterVariables() {
			if strings.HasPrefix(v.Path(), "/l/") {
				paths = append(paths, v.Path())
			}
		}
		slices.Sort(paths)
		nodes = append(nodes, x)
		for _, p := range paths {
			nodes = append(nodes, store.GetVariable(p).NodeValue(x.Graph()))
		}
		return append([]*graph.Node{out}, graph.Gradient(loss, nodes...)...)
	})
	n := 1
	for _, d := range c.dims {
		n *= d
	}
	x := testutil.Normal(rng, n, 1)
	first := exec.MustExec(tensorOf(x, c.dims...), tensorOf(testutil.Normal(rng, n, 1), c.dims...))
	outN := first[0].Shape().Size()
	r := testutil.Normal(rng, outN, 1)
	if outN != n {
		// Output shape differs from the input's: rebuild r with the output shape.
		t.Fatalf("output %s, input dims %v: checkLayer needs same-size outputs", first[0].Shape(), c.dims)
	}
	got := map[string][]int{}
	v := vals{}
	for _, p := range paths {
		variable := store.GetVariable(p)
		rel := strings.TrimPrefix(p, "/l/")
		got[rel] = variable.Shape().Dimensions
		vs := testutil.Normal(rng, variable.Shape().Size(), 0.5)
		variable.MustSetValue(tensorOf(vs, variable.Shape().Dimensions...))
		v[rel] = vs
	}
	if len(got) != len(c.wantVars) {
		t.Errorf("variables %v, want %v", got, c.wantVars)
	}
	for p, dims := range c.wantVars {
		if !slices.Equal(got[p], dims) {
			t.Errorf("variable %s: shape %v, want %v (all: %v)", p, got[p], dims, got)
		}
	}
	outs := exec.MustExec(tensorOf(x, c.dims...), tensorOf(r, c.dims...))
	testutil.AssertClose(t, "output", testutil.Float64s(outs[0]), c.ref(x, v), c.tol)

	f := func() float64 {
		o := c.ref(x, v)
		s := 0.0
		for i := range o {
			s += o[i] * r[i]
		}
		return s
	}
	numGrad := func(p []float64) []float64 { return testutil.NumGrad(f, p) }
	testutil.AssertClose(t, "d/dx", testutil.Float64s(outs[1]), numGrad(x), 10*c.tol)
	for i, p := range paths {
		rel := strings.TrimPrefix(p, "/l/")
		testutil.AssertClose(t, "d/d"+rel, testutil.Float64s(outs[2+i]), numGrad(v[rel]), 10*c.tol)
	}
}

// Naive references, on flat row-major float64 slices.

func refRMSNorm(x []float64, d int, eps float64) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < len(x)/d; r++ {
		ms := 0.0
		for i := range d {
			ms += x[r*d+i] * x[r*d+i]
		}
		ms /= float64(d)
		for i := range d {
			out[r*d+i] = x[r*d+i] / math.Sqrt(ms+eps)
		}
	}
	return out
}

// refMatMul computes x [n, in] · w [in, out].
func refMatMul(x []float64, in int, w []float64, out int) []float64 {
	n := len(x) / in
	y := make([]float64, n*out)
	for r := range n {
		for o := range out {
			s := 0.0
			for i := range in {
				s += x[r*in+i] * w[i*out+o]
			}
			y[r*out+o] = s
		}
	}
	return y
}

func refSwiGLU(x []float64, d, inter int, gateUp, down []float64) []float64 {
	gu := refMatMul(x, d, gateUp, 2*inter)
	n := len(x) / d
	h := make([]float64, n*inter)
	for r := range n {
		for i := range inter {
			g, u := gu[r*2*inter+i], gu[r*2*inter+inter+i]
			h[r*inter+i] = g / (1 + math.Exp(-g)) * u
		}
	}
	return refMatMul(h, inter, down, d)
}

// refRotary applies RoPE to x [b, s, h, d].
func refRotary(x []float64, b, s, h, d int, theta float64) []float64 {
	out := make([]float64, len(x))
	half := d / 2
	for bi := range b {
		for p := range s {
			for hi := range h {
				base := ((bi*s+p)*h + hi) * d
				for i := range half {
					a := float64(p) / math.Pow(theta, float64(2*i)/float64(d))
					x1, x2 := x[base+i], x[base+i+half]
					out[base+i] = x1*math.Cos(a) - x2*math.Sin(a)
					out[base+i+half] = x2*math.Cos(a) + x1*math.Sin(a)
				}
			}
		}
	}
	return out
}

// refAttention is HRM's attention on x [b, s, dm].
func refAttention(x []float64, b, s, dm, nh, hd int, qkvW, oW []float64, rope bool, theta float64) []float64 {
	qkv := refMatMul(x, dm, qkvW, 3*nh*hd) // [b, s, 3, nh, hd]
	q, k, v := make([]float64, b*s*nh*hd), make([]float64, b*s*nh*hd), make([]float64, b*s*nh*hd)
	for bs := range b * s {
		for j := range nh * hd {
			q[bs*nh*hd+j] = qkv[bs*3*nh*hd+j]
			k[bs*nh*hd+j] = qkv[bs*3*nh*hd+nh*hd+j]
			v[bs*nh*hd+j] = qkv[bs*3*nh*hd+2*nh*hd+j]
		}
	}
	if rope {
		q, k = refRotary(q, b, s, nh, hd, theta), refRotary(k, b, s, nh, hd, theta)
	}
	idx := func(bi, p, hi, e int) int { return ((bi*s+p)*nh+hi)*hd + e }
	att := make([]float64, b*s*nh*hd)
	for bi := range b {
		for hi := range nh {
			for i := range s {
				w := make([]float64, s)
				mx := math.Inf(-1)
				for j := range s {
					dot := 0.0
					for e := range hd {
						dot += q[idx(bi, i, hi, e)] * k[idx(bi, j, hi, e)]
					}
					w[j] = dot / math.Sqrt(float64(hd))
					mx = max(mx, w[j])
				}
				sum := 0.0
				for j := range s {
					w[j] = math.Exp(w[j] - mx)
					sum += w[j]
				}
				for e := range hd {
					o := 0.0
					for j := range s {
						o += w[j] / sum * v[idx(bi, j, hi, e)]
					}
					att[idx(bi, i, hi, e)] = o
				}
			}
		}
	}
	return refMatMul(att, nh*hd, oW, dm)
}

// transpose12 swaps the last two axes of x [b, n, m].
func transpose12(x []float64, b, n, m int) []float64 {
	out := make([]float64, len(x))
	for bi := range b {
		for i := range n {
			for j := range m {
				out[(bi*m+j)*n+i] = x[(bi*n+i)*m+j]
			}
		}
	}
	return out
}

func add(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}
