package performer

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// randTensor returns a deterministic pseudo-random float32 tensor N(0, sigma²).
func randTensor(seed uint64, sigma float64, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	w := Projection{NumFeatures: n, Dim: 1}.DrawFloat64(seed)
	flat := make([]float32, n)
	for i, v := range w {
		flat[i] = float32(v * sigma)
	}
	return tensors.FromFlatDataAndDimensions(flat, dims...)
}

func flat32(t *tensors.Tensor) []float32 {
	return slices.Clone(tensors.MustCopyFlatData[float32](t))
}

func TestVariableNamesMatchGoMLX(t *testing.T) {
	b := testutil.Backend(t)
	names := func(build func(scope *model.Scope, x *graph.Node) *graph.Node) []string {
		store := model.NewStore()
		e := model.MustNewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return build(scope.In("layer_0"), x)
		})
		e.MustExec(randTensor(1, 1, 2, 5, 12))
		var out []string
		for v := range store.IterVariables() {
			if v.Trainable {
				out = append(out, v.Path()+" "+v.Shape().String())
			}
		}
		slices.Sort(out)
		return out
	}
	want := names(func(scope *model.Scope, x *graph.Node) *graph.Node {
		return attention.SelfAttention(scope, x, 3, 4).Done()
	})
	for _, k := range []Kernel{KernelSoftmax, KernelReLU, KernelExact} {
		got := names(func(scope *model.Scope, x *graph.Node) *graph.Node {
			return SelfAttention(scope, x, 3, 4).WithKernel(k).WithNumFeatures(8).Done()
		})
		if !slices.Equal(got, want) {
			t.Errorf("kernel %s: variables\n%v\nwant (GoMLX)\n%v", k, got, want)
		}
	}
	if len(want) != 8 {
		t.Errorf("expected 8 variables, got %v", want)
	}
}

// layerCase is a layer configuration checked against the naive reference.
type layerCase struct {
	name   string
	kernel Kernel
	causal bool
	masked bool
	m      int
}

// TestLayerAgainstNaiveReference: the layer's output and its gradient with
// respect to the input equal a naive computation from the layer's own
// variables (explicit projections, the quadratic kernel attention with the
// same features, or the plain exact softmax).
func TestLayerAgainstNaiveReference(t *testing.T) {
	const batch, l, e, heads, dh = 2, 10, 12, 3, 4
	b := testutil.Backend(t)
	x := randTensor(71, 1, batch, l, e)
	r := randTensor(72, 1, batch, l, e)
	maskV := make([]bool, batch*l)
	for i := range maskV {
		maskV[i] = i%l < l-3 || i < l // second sequence has 3 padded tokens
	}
	mask := tensors.FromFlatDataAndDimensions(maskV, batch, l)
	for _, c := range []layerCase{
		{"softmax", KernelSoftmax, false, false, 16},
		{"softmax/causal/masked", KernelSoftmax, true, true, 16},
		{"softmax/masked", KernelSoftmax, false, true, 20},
		{"relu/causal", KernelReLU, true, false, 0},
		{"hyperbolic", KernelSoftmaxHyperbolic, false, true, 8},
		{"exact/masked", KernelExact, false, true, 0},
		{"exact/causal", KernelExact, true, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			store := model.NewStore()
			layerExec := model.MustNewExec(b, store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
				scope = scope.In("layer_0")
				bl := SelfAttention(scope, in[0], heads, dh).WithKernel(c.kernel).WithCausalMask(c.causal).WithChunkSize(3).WithSeed(5)
				if c.m > 0 {
					bl.WithNumFeatures(c.m)
				}
				if c.masked {
					bl.WithMask(in[2])
				}
				out := bl.Done()
				return []*graph.Node{out, graph.Gradient(graph.ReduceAllSum(graph.Mul(out, in[1])), in[0])[0]}
			})
			got := layerExec.MustExec(x, r, mask)
			vars := map[string]*tensors.Tensor{}
			for v := range store.IterVariables() {
				vars[v.Path()] = v.MustValue()
			}
			prefix := "/layer_0/MultiHeadAttention/"
			args := []any{x, r, mask}
			for _, n := range []string{"query", "key", "value", "output"} {
				args = append(args, vars[prefix+n+"/dense/weights"], vars[prefix+n+"/dense/biases"])
			}
			var w *tensors.Tensor
			if c.kernel.IsRandom() {
				w = Projection{NumFeatures: c.m, Dim: dh, Orthogonal: true, Norms: RowNormsChi}.Draw(LayerSeed(5, "/layer_0/MultiHeadAttention"))
			} else {
				w = tensors.FromFlatDataAndDimensions([]float32{0}, 1, 1)
			}
			args = append(args, w)
			want := graph.MustNewExec(b, func(in []*graph.Node) []*graph.Node {
				xx := in[0]
				dense := func(x, w, bias *graph.Node, outDims ...int) *graph.Node {
					w = graph.Reshape(w, x.Shape().Dim(-1), -1)
					y := graph.Add(graph.Einsum("bli,io->blo", x, w), graph.Reshape(bias, 1, 1, -1))
					return graph.Reshape(y, append([]int{batch, l}, outDims...)...)
				}
				toBHLD := func(x *graph.Node) *graph.Node { return graph.TransposeAllAxes(x, 0, 2, 1, 3) }
				q := toBHLD(dense(xx, in[3], in[4], heads, dh))
				k := toBHLD(dense(xx, in[5], in[6], heads, dh))
				v := toBHLD(dense(xx, in[7], in[8], heads, dh))
				cfg := Config{Kernel: c.kernel, Causal: c.causal}
				if c.masked {
					cfg.KeyMask, cfg.QueryMask = in[2], in[2]
				}
				var att *graph.Node
				if c.kernel == KernelExact {
					att = ExactAttention(q, k, v, cfg)
				} else {
					fm := cfg.featureMap(in[11])
					if !c.kernel.IsRandom() {
						fm.Projection = nil
					}
					att = applyQueryMask(refAttention(fm, cfg, q, k, v), cfg.QueryMask)
				}
				att = graph.Reshape(graph.TransposeAllAxes(att, 0, 2, 1, 3), batch, l, heads*dh)
				out := dense(att, in[9], in[10], e)
				return []*graph.Node{out, graph.Gradient(graph.ReduceAllSum(graph.Mul(out, in[1])), xx)[0]}
			}).MustExec(args...)
			if d := maxRelDiff(flat32(got[0]), flat32(want[0])); d > 1e-5 {
				t.Errorf("output: max relative difference %.3g vs naive reference", d)
			}
			if d := maxRelDiff(flat32(got[1]), flat32(want[1])); d > 1e-4 {
				t.Errorf("gradient: max relative difference %.3g vs naive reference", d)
			}
		})
	}
}

// TestExactKernelLoadsGoMLXWeights: a store built by GoMLX's exact attention
// runs unchanged in this layer; with KernelExact the output is identical,
// with FAVOR+ and many features it is close.
func TestExactKernelLoadsGoMLXWeights(t *testing.T) {
	b := testutil.Backend(t)
	x := randTensor(81, 0.25, 2, 16, 8)
	store := model.NewStore()
	ref := model.MustNewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return attention.SelfAttention(scope.In("layer_0"), x, 2, 4).WithCausalMask(true).Done()
	}).MustExec1(x)
	n := store.NumVariables()
	for _, c := range []struct {
		kernel Kernel
		tol    float64
	}{{KernelExact, 1e-6}, {KernelSoftmax, 0.1}} {
		got := model.MustNewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return SelfAttention(scope.In("layer_0"), x, 2, 4).WithCausalMask(true).WithKernel(c.kernel).WithNumFeatures(2048).Done()
		}).MustExec1(x)
		if store.NumVariables() != n {
			t.Errorf("kernel %s created variables: %d -> %d", c.kernel, n, store.NumVariables())
		}
		if d := relL2(flat32(got), flat32(ref)); d > c.tol {
			t.Errorf("kernel %s vs GoMLX exact attention on the same weights: relative L2 %.3g > %g", c.kernel, d, c.tol)
		}
	}
}

// TestProjections: orthogonal blocks are orthogonal with the requested
// norms (host and graph versions), and the same seed gives the same matrix.
func TestProjections(t *testing.T) {
	b := testutil.Backend(t)
	const d = 8
	for _, c := range []Projection{
		{NumFeatures: 20, Dim: d, Orthogonal: true, Norms: RowNormsSqrtD},
		{NumFeatures: 20, Dim: d, Orthogonal: true, Norms: RowNormsChi},
		{NumFeatures: 20, Dim: d},
	} {
		host := c.DrawFloat64(3)
		gw := graph.MustNewExec(b, func(g *graph.Graph) *graph.Node {
			_, w := c.Graph(graph.RNGStateFromSeedForGraph(g, 3), dtypes.Float64)
			return w
		}).MustExec1()
		for name, w := range map[string][]float64{"host": host, "graph": tensors.MustCopyFlatData[float64](gw)} {
			for i := range c.NumFeatures {
				for j := range c.NumFeatures {
					dij := 0.0
					for k := range d {
						dij += w[i*d+k] * w[j*d+k]
					}
					sameBlock := i/d == j/d
					if c.Orthogonal && sameBlock && i != j && math.Abs(dij) > 1e-9 {
						t.Errorf("%s %+v: rows %d, %d not orthogonal (%g)", name, c, i, j, dij)
					}
					if c.Norms == RowNormsSqrtD && i == j && math.Abs(dij-d) > 1e-9 {
						t.Errorf("%s %+v: row %d norm² %g, want %d", name, c, i, dij, d)
					}
				}
			}
		}
		if !slices.Equal(host, c.DrawFloat64(3)) || slices.Equal(host, c.DrawFloat64(4)) {
			t.Errorf("%+v: same seed must give the same matrix, another seed another", c)
		}
	}
}

// TestRedrawPolicies: fixed features give the same output at every call and
// for the same seed in another store, a different seed differs; "call"
// redraws at every call (deterministically from the store's RNG seed);
// "steps" changes exactly when the global step crosses a multiple of N.
func TestRedrawPolicies(t *testing.T) {
	b := testutil.Backend(t)
	x := randTensor(91, 1, 1, 6, 8)
	outputs := func(policy Redraw, seed int64, steps []int64) [][]float32 {
		store := model.NewStore()
		store.SetParams(map[string]any{model.ParamInitialSeed: int64(42)})
		e := model.MustNewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			// In training graphs variables (the global step) are parameters; in
			// inference graphs the Go backend bakes their values in as constants.
			scope.SetTraining(x.Graph(), true)
			return SelfAttention(scope.In("layer_0"), x, 2, 4).WithNumFeatures(8).WithRedraw(policy, 10).WithSeed(seed).Done()
		})
		var res [][]float32
		for _, s := range steps {
			optimizer.GetGlobalStepVar(store).MustSetValue(tensors.FromScalar(s))
			res = append(res, flat32(e.MustExec1(x)))
		}
		return res
	}
	steps := []int64{0, 5, 9, 10, 19, 20}
	fixed := outputs(RedrawFixed, 1, steps)
	for i := range fixed {
		if !slices.Equal(fixed[i], fixed[0]) {
			t.Errorf("fixed: call %d differs", i)
		}
	}
	if !slices.Equal(outputs(RedrawFixed, 1, steps[:1])[0], fixed[0]) {
		t.Errorf("fixed: same seed, another store: different output")
	}
	if slices.Equal(outputs(RedrawFixed, 2, steps[:1])[0], fixed[0]) {
		t.Errorf("fixed: another seed gave the same output")
	}
	st := outputs(RedrawEverySteps, 1, steps)
	for i, want := range []bool{true, true, true, false, false, false} { // same as step 0?
		if slices.Equal(st[i], st[0]) != want {
			t.Errorf("steps: output at step %d equal to step 0's: %v, want %v", steps[i], !want, want)
		}
	}
	if !slices.Equal(st[3], st[4]) || slices.Equal(st[4], st[5]) {
		t.Errorf("steps: steps 10 and 19 must agree, 19 and 20 differ")
	}
	// Inference graphs use the features of the last training step: after K steps, step K-1's.
	infer := func(step int64) []float32 {
		store := model.NewStore()
		store.SetParams(map[string]any{model.ParamInitialSeed: int64(42)})
		optimizer.GetGlobalStepVar(store).MustSetValue(tensors.FromScalar(step))
		e := model.MustNewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			scope.SetTraining(x.Graph(), false)
			return SelfAttention(scope.In("layer_0"), x, 2, 4).WithNumFeatures(8).WithRedraw(RedrawEverySteps, 10).WithSeed(1).Done()
		})
		return flat32(e.MustExec1(x))
	}
	for _, tc := range []struct {
		after int64 // training steps done
		want  int   // index in steps of the training step whose features inference must use
	}{{0, 0}, {10, 2}, {20, 4}, {21, 5}} {
		if got := infer(tc.after); !slices.Equal(got, st[tc.want]) {
			t.Errorf("steps: inference after %d training steps does not use the features of step %d", tc.after, steps[tc.want])
		}
	}
	call := outputs(RedrawEveryCall, 1, []int64{0, 0, 0})
	if slices.Equal(call[0], call[1]) || slices.Equal(call[1], call[2]) {
		t.Errorf("call: features not redrawn between calls")
	}
	if again := outputs(RedrawEveryCall, 1, []int64{0, 0, 0}); !slices.Equal(again[2], call[2]) {
		t.Errorf("call: not deterministic for a seeded store")
	}
}

// TestLayerErrors: invalid options panic with the "performer: " prefix.
func TestLayerErrors(t *testing.T) {
	b := testutil.Backend(t)
	for name, build := range map[string]func(scope *model.Scope, x *graph.Node){
		"kernel":   func(s *model.Scope, x *graph.Node) { SelfAttention(s, x, 2, 4).WithKernel("nope") },
		"features": func(s *model.Scope, x *graph.Node) { SelfAttention(s, x, 2, 4).WithNumFeatures(0) },
		"redraw":   func(s *model.Scope, x *graph.Node) { SelfAttention(s, x, 2, 4).WithRedraw(RedrawEverySteps, 0) },
		"mask":     func(s *model.Scope, x *graph.Node) { SelfAttention(s, x, 2, 4).WithKeyMask(x) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), "performer: ") {
					t.Errorf("want a panic prefixed \"performer: \", got %v", r)
				}
			}()
			model.MustNewExec(b, model.NewStore(), func(scope *model.Scope, x *graph.Node) *graph.Node {
				build(scope, x)
				return x
			}).MustExec1(randTensor(1, 1, 1, 3, 8))
		})
	}
}
