package recursive

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/recursive/blocks"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// tinyConfig is a very small model for graph-level tests.
func tinyConfig(kind Kind) Config {
	return Config{Kind: kind, SeqLen: 4, Vocab: 6, Hidden: 16, Heads: 2, Layers: 1, Expansion: 2,
		T: 3, N: 2, SmallN: 2, NSup: 4, PuzzlePrefix: 1}
}

func newTestStore(cfg Config, seed int64) *model.Store {
	store, err := newStore(cfg, seed)
	if err != nil {
		panic(err)
	}
	return store
}

// testBatch returns tokens [b, L], puzzle ids [b] and labels [b, L].
func testBatch(cfg Config, b int) (tokens, ids, labels *tensors.Tensor) {
	tk := make([]int32, b*cfg.SeqLen)
	lb := make([]int32, b*cfg.SeqLen)
	for i := range tk {
		tk[i] = int32(1 + (i*7+3)%(cfg.Vocab-1))
		lb[i] = int32(2 + (i*5+1)%(cfg.Vocab-2))
	}
	return tensors.FromFlatDataAndDimensions(tk, b, cfg.SeqLen), tensors.FromFlatDataAndDimensions(make([]int32, b), b),
		tensors.FromFlatDataAndDimensions(lb, b, cfg.SeqLen)
}

func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func maxAbs(a []float64) float64 { return maxAbsDiff(a, make([]float64, len(a))) }

func TestStepShapes(t *testing.T) {
	backend := testutil.Backend(t)
	cases := []struct {
		name string
		mod  func(*Config)
	}{
		{"trm", nil},
		{"trm-mlp", func(c *Config) { c.Mixer = MixMLP }},
		{"trm-separate", func(c *Config) { c.SeparateNets = true }},
		{"trm-single", func(c *Config) { c.SingleLatent = true }},
		{"trm-1step", func(c *Config) { c.OneStepGrad = true }},
		{"trm-noprefix", func(c *Config) { c.NoPuzzleEmb = true }},
		{"hrm", func(c *Config) { c.Kind = HRM }},
		{"looped", func(c *Config) { c.Kind = Looped }},
		{"direct", func(c *Config) { c.Kind = Direct }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(TRM)
			if tc.mod != nil {
				tc.mod(&cfg)
			}
			cfg = cfg.WithDefaults()
			store := newTestStore(cfg, 1)
			const b = 3
			tokens, ids, _ := testBatch(cfg, b)
			out, err := model.CallOnceN(backend, store, func(scope *model.Scope, in []*Node) []*Node {
				st := InitialState(scope, in[0].Graph(), b)
				so := Step(scope, in[0], in[1], st)
				return append([]*Node{so.Logits, so.QHalt, so.QContinue}, so.State...)
			}, tokens, ids)
			if err != nil {
				t.Fatal(err)
			}
			s := cfg.Positions()
			want := []shapes.Shape{
				shapes.Make(dtypes.Float32, b, cfg.SeqLen, cfg.Vocab),
				shapes.Make(dtypes.Float32, b), shapes.Make(dtypes.Float32, b),
			}
			for range cfg.NumStates() {
				want = append(want, shapes.Make(dtypes.Float32, b, s, cfg.Hidden))
			}
			if len(out) != len(want) {
				t.Fatalf("%d outputs, want %d", len(out), len(want))
			}
			for i := range out {
				if !out[i].Shape().Equal(want[i]) {
					t.Errorf("output %d: shape %s, want %s", i, out[i].Shape(), want[i])
				}
			}
			// The halting head starts at q = -5.
			if q := testutil.Float64s(out[1]); q[0] != -5 {
				t.Errorf("initial q_halt = %v, want -5", q[0])
			}
		})
	}
}

// gradsGraph returns the gradients of loss w.r.t. the trainable variables
// with the given paths, flattened and concatenated.
func gradsGraph(store *model.Store, loss *Node, paths []string) *Node {
	g := loss.Graph()
	var nodes []*Node
	for _, p := range paths {
		nodes = append(nodes, store.GetVariable(p).NodeValue(g))
	}
	grads := graph.Gradient(loss, nodes...)
	for i := range grads {
		grads[i] = graph.Reshape(grads[i], -1)
	}
	return graph.Concatenate(grads, 0)
}

func trainablePaths(store *model.Store) []string {
	var paths []string
	for v := range store.IterVariables() {
		if v.Trainable {
			paths = append(paths, v.Path())
		}
	}
	slices.Sort(paths)
	return paths
}

func lossOf(cfg Config, logits, labels *Node) *Node {
	mask := graph.NotEqual(labels, graph.ScalarZero(labels.Graph(), dtypes.Int32))
	return graph.ReduceAllMean(blocks.StablemaxCrossEntropy(logits, labels, mask))
}

// TestStopGradient checks that the gradient of a TRM step with T recursions
// equals the gradient of a single recursion started from the state the
// first T-1 recursions reach (computed separately and fed in as data), and
// the same for HRM's 1-step gradient.
func TestStopGradient(t *testing.T) {
	backend := testutil.Backend(t)
	for _, kind := range []Kind{TRM, HRM} {
		t.Run(string(kind), func(t *testing.T) {
			cfg := tinyConfig(kind).WithDefaults()
			store := newTestStore(cfg, 2)
			const b = 2
			tokens, ids, labels := testBatch(cfg, b)
			var paths []string
			full := func(scope *model.Scope, in []*Node) []*Node {
				so := Step(scope, in[0], in[1], InitialState(scope, in[0].Graph(), b))
				if paths == nil {
					return []*Node{so.Logits}
				}
				return []*Node{so.Logits, gradsGraph(store, lossOf(cfg, so.Logits, in[2]), paths)}
			}
			if _, err := model.CallOnceN(backend, store, full, tokens, ids, labels); err != nil {
				t.Fatal(err)
			}
			paths = trainablePaths(store)
			outFull, err := model.CallOnceN(backend, store, full, tokens, ids, labels)
			if err != nil {
				t.Fatal(err)
			}
			// The no-gradient part alone: the state before the last recursion.
			pre, err := model.CallOnceN(backend, store, func(scope *model.Scope, in []*Node) []*Node {
				x := cfg.embed(scope, in[0], in[1])
				st := InitialState(scope, in[0].Graph(), b)
				if kind == TRM {
					y, z := st[0], st[1]
					f := cfg.net(scope, "f")
					for range cfg.T - 1 {
						for range cfg.SmallN {
							z = f(add(z, y, x))
						}
						y = f(add(y, z))
					}
					return []*Node{y, z}
				}
				zH, zL := st[0], st[1]
				fL, fH := cfg.net(scope, "f_L"), cfg.net(scope, "f_H")
				for i := range cfg.N*cfg.T - 1 {
					zL = fL(add(zL, zH, x))
					if (i+1)%cfg.T == 0 {
						zH = fH(add(zH, zL))
					}
				}
				return []*Node{zH, zL}
			}, tokens, ids)
			if err != nil {
				t.Fatal(err)
			}
			// Only the last recursion, from the state above as data.
			last, err := model.CallOnceN(backend, store, func(scope *model.Scope, in []*Node) []*Node {
				x := cfg.embed(scope, in[0], in[1])
				var out *Node
				if kind == TRM {
					one := cfg
					one.T = 1
					y, _ := one.trm(scope, x, in[3], in[4])
					out = y
				} else {
					zL := cfg.net(scope, "f_L")(add(in[4], in[3], x))
					out = cfg.net(scope, "f_H")(add(in[3], zL))
				}
				logits, _, _ := cfg.heads(scope, out)
				return []*Node{logits, gradsGraph(store, lossOf(cfg, logits, in[2]), paths)}
			}, tokens, ids, labels, pre[0], pre[1])
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(testutil.Float64s(outFull[0]), testutil.Float64s(last[0])); d > 1e-5 {
				t.Errorf("logits differ by %g", d)
			}
			gFull, gLast := testutil.Float64s(outFull[1]), testutil.Float64s(last[1])
			if maxAbs(gFull) == 0 {
				t.Fatal("gradient is all zeros")
			}
			if d := maxAbsDiff(gFull, gLast); d > 1e-5*max(1, maxAbs(gFull)) {
				t.Errorf("gradient of the step differs from the last recursion's by %g (max |g| %g)", d, maxAbs(gFull))
			}
		})
	}
}

// TestTRMReference compares TRM's step with an explicit unrolled
// computation written from the same network calls: equal logits; the
// gradient equals the unrolled one only where no recursion is stopped
// (T = 1), and the 1-step gradient differs from the full last recursion.
func TestTRMReference(t *testing.T) {
	backend := testutil.Backend(t)
	type result struct{ logits, grad []float64 }
	run := func(t *testing.T, cfg Config, store *model.Store, paths []string, stepFn bool) result {
		const b = 2
		tokens, ids, labels := testBatch(cfg, b)
		out, err := model.CallOnceN(backend, store, func(scope *model.Scope, in []*Node) []*Node {
			var logits *Node
			if stepFn {
				logits = Step(scope, in[0], in[1], InitialState(scope, in[0].Graph(), b)).Logits
			} else {
				// Naive TRM: every recursion with gradient.
				x := cfg.embed(scope, in[0], in[1])
				st := InitialState(scope, in[0].Graph(), b)
				y, z := st[0], st[1]
				f := func(h *Node) *Node { return stack(scope.At("f"), h, cfg) }
				for range cfg.T {
					for range cfg.SmallN {
						z = f(graph.Add(graph.Add(z, y), x))
					}
					y = f(graph.Add(y, z))
				}
				logits, _, _ = cfg.heads(scope, y)
			}
			if paths == nil {
				return []*Node{logits}
			}
			return []*Node{logits, gradsGraph(store, lossOf(cfg, logits, in[2]), paths)}
		}, tokens, ids, labels)
		if err != nil {
			t.Fatal(err)
		}
		r := result{logits: testutil.Float64s(out[0])}
		if len(out) > 1 {
			r.grad = testutil.Float64s(out[1])
		}
		return r
	}
	cases := []struct {
		name       string
		T          int
		oneStep    bool
		wantGradEq bool // Step's gradient equals the naive unrolled gradient.
	}{
		{"T=1 full", 1, false, true},
		{"T=3 stopped", 3, false, false},
		{"T=1 one-step", 1, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(TRM)
			cfg.T, cfg.OneStepGrad = tc.T, tc.oneStep
			cfg = cfg.WithDefaults()
			store := newTestStore(cfg, 3)
			run(t, cfg, store, nil, true)
			paths := trainablePaths(store)
			step, naive := run(t, cfg, store, paths, true), run(t, cfg, store, paths, false)
			if d := maxAbsDiff(step.logits, naive.logits); d > 1e-5 {
				t.Errorf("logits differ from the unrolled computation by %g", d)
			}
			d, scale := maxAbsDiff(step.grad, naive.grad), maxAbs(naive.grad)
			if tc.wantGradEq && d > 1e-5*max(1, scale) {
				t.Errorf("gradients differ by %g, want equal", d)
			}
			if !tc.wantGradEq && d < 1e-3*scale {
				t.Errorf("gradients differ by only %g (scale %g), want a truncated gradient", d, scale)
			}
		})
	}
}

func ExampleConfig_StateNames() {
	for _, k := range []Kind{TRM, HRM, Looped, Direct} {
		cfg := Config{Kind: k, SeqLen: 16, Vocab: 6}.WithDefaults()
		fmt.Println(k, cfg.StateNames(), "T:", cfg.T, "N_sup:", cfg.NSup)
	}
	// Output:
	// trm [y z] T: 3 N_sup: 16
	// hrm [zH zL] T: 2 N_sup: 16
	// looped [h] T: 2 N_sup: 16
	// direct [h] T: 2 N_sup: 1
}

// TestPaperParameterCounts builds the published models (graphs only, not
// run) on Sudoku (81 cells, 11 tokens) and checks their sizes against the
// papers: HRM 27.3M, TRM-MLP ~5M, the direct transformer ~27M.
func TestPaperParameterCounts(t *testing.T) {
	backend := testutil.Backend(t)
	cases := []struct {
		kind     Kind
		want     float64
		tolerant float64 // relative
	}{
		{HRM, 27.3e6, 0.01},
		{TRM, 5e6, 0.05},
		{Direct, 27e6, 0.05},
	}
	for _, tc := range cases {
		cfg := PaperConfig(tc.kind, 81, 11)
		store := model.NewStore()
		store.SetParams(cfg.Params())
		g := graph.NewGraph(backend, "count")
		model.SetStore(g, store)
		tokens := graph.Parameter(g, "tokens", shapes.Make(dtypes.Int32, 2, 81))
		ids := graph.Parameter(g, "ids", shapes.Make(dtypes.Int32, 2))
		scope := store.RootScope()
		Step(scope, tokens, ids, InitialState(scope, g, 2))
		n := 0
		for v := range store.IterVariables() {
			if v.Trainable {
				n += v.Shape().Size()
			}
		}
		if math.Abs(float64(n)-tc.want) > tc.tolerant*tc.want {
			t.Errorf("%s: %d trainable parameters, want %.3g ± %g%%", tc.kind, n, tc.want, 100*tc.tolerant)
		}
	}
}
