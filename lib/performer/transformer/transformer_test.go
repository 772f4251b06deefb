package transformer

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/labnotes/labnotes/lib/performer"
	"github.com/labnotes/labnotes/lib/performer/lra"
)

// Sizes of the reference block.
const (
	rB, rL, rE, rH, rD, rF = 2, 5, 8, 2, 4, 16
)

// vars holds a block's variables as float64 slices by path (relative to the block).
type vars map[string][]float64

// refLayerNorm normalizes each row of x [n, e].
func refLayerNorm(x []float64, e int, gain, offset []float64) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < len(x)/e; r++ {
		row := x[r*e : (r+1)*e]
		mean, v := 0.0, 0.0
		for _, a := range row {
			mean += a
		}
		mean /= float64(e)
		for _, a := range row {
			v += (a - mean) * (a - mean)
		}
		v /= float64(e)
		for i, a := range row {
			out[r*e+i] = (a-mean)/math.Sqrt(v+NormEpsilon)*gain[i] + offset[i]
		}
	}
	return out
}

// refDense computes x [n, in] W [in, out] + b.
func refDense(x []float64, in int, w, b []float64) []float64 {
	out := len(b)
	n := len(x) / in
	y := make([]float64, n*out)
	for r := range n {
		for o := range out {
			s := b[o]
			for i := range in {
				s += x[r*in+i] * w[i*out+o]
			}
			y[r*out+o] = s
		}
	}
	return y
}

func gelu(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}

// refBlock computes a block by hand: x [rB, rL, rE], mask [rB, rL] (nil: all
// valid); kernel "" is exact softmax attention, performer.KernelReLU the
// ReLU kernel.
func refBlock(v vars, x []float64, mask []bool, causal bool, kernel performer.Kernel) []float64 {
	valid := func(b, l int) bool { return mask == nil || mask[b*rL+l] }
	const mha = "attention/MultiHeadAttention/"
	h := refLayerNorm(x, rE, v["attention_norm/gain"], v["attention_norm/offset"])
	q := refDense(h, rE, v[mha+"query/dense/weights"], v[mha+"query/dense/biases"])
	k := refDense(h, rE, v[mha+"key/dense/weights"], v[mha+"key/dense/biases"])
	val := refDense(h, rE, v[mha+"value/dense/weights"], v[mha+"value/dense/biases"])
	att := make([]float64, rB*rL*rH*rD)
	idx := func(b, l, hd, d int) int { return ((b*rL+l)*rH+hd)*rD + d }
	for b := range rB {
		for hd := range rH {
			for i := range rL {
				w := make([]float64, rL)
				for j := range rL {
					if !valid(b, j) || (causal && j > i) {
						continue
					}
					if kernel == "" {
						s := 0.0
						for d := range rD {
							s += q[idx(b, i, hd, d)] * k[idx(b, j, hd, d)]
						}
						w[j] = math.Exp(s / math.Sqrt(rD))
					} else {
						s := 0.0
						c := math.Pow(rD, -0.25)
						for d := range rD {
							s += (math.Max(q[idx(b, i, hd, d)]*c, 0) + 1e-3) * (math.Max(k[idx(b, j, hd, d)]*c, 0) + 1e-3)
						}
						w[j] = s
					}
				}
				sum := 0.0
				for _, a := range w {
					sum += a
				}
				for d := range rD {
					o := 0.0
					for j := range rL {
						o += w[j] * val[idx(b, j, hd, d)]
					}
					att[idx(b, i, hd, d)] = o / sum
				}
			}
		}
	}
	ao := refDense(att, rH*rD, v[mha+"output/dense/weights"], v[mha+"output/dense/biases"])
	x1 := make([]float64, len(x))
	for b := range rB {
		for l := range rL {
			for e := range rE {
				i := (b*rL+l)*rE + e
				x1[i] = x[i]
				if valid(b, l) {
					x1[i] += ao[i]
				}
			}
		}
	}
	h2 := refLayerNorm(x1, rE, v["ffn_norm/gain"], v["ffn_norm/offset"])
	f := refDense(h2, rE, v["ffn/hidden/dense/weights"], v["ffn/hidden/dense/biases"])
	for i := range f {
		f[i] = gelu(f[i])
	}
	f = refDense(f, rF, v["ffn/output/dense/weights"], v["ffn/output/dense/biases"])
	for i := range f {
		f[i] += x1[i]
	}
	return f
}

// TestBlockAgainstReference checks encoder/decoder blocks, exact and FAVOR
// (ReLU kernel, deterministic), with and without padding, against refBlock,
// and their gradients (input and a weight) against central finite
// differences of refBlock.
func TestBlockAgainstReference(t *testing.T) {
	be := testutil.Backend(t)
	rng := rand.New(rand.NewPCG(1, 2))
	mask := []bool{true, true, true, true, true, true, true, true, false, false}
	for _, tc := range []struct {
		name   string
		kernel performer.Kernel // "" = exact
		causal bool
		mask   []bool
	}{
		{"encoder exact", "", false, nil},
		{"encoder exact masked", "", false, mask},
		{"decoder exact", "", true, nil},
		{"encoder favor-relu", performer.KernelReLU, false, nil},
		{"encoder favor-relu masked", performer.KernelReLU, false, mask},
		{"decoder favor-relu", performer.KernelReLU, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Attention: Exact, EmbedDim: rE, NumHeads: rH, HeadDim: rD, FFNDim: rF}
			if tc.kernel != "" {
				cfg.Attention, cfg.Kernel = FAVOR, tc.kernel
			}
			store := model.NewStore()
			const wqPath = "/block/attention/MultiHeadAttention/query/dense/weights"
			exec := model.MustNewExec(be, store, func(scope *model.Scope, x, m, r *graph.Node) (out, gx, gw *graph.Node) {
				var bb *BlockBuilder
				if tc.causal {
					bb = DecoderBlock(scope.In("block"), x)
				} else {
					bb = EncoderBlock(scope.In("block"), x)
				}
				if tc.mask != nil {
					bb = bb.WithMask(m)
				}
				out = bb.WithConfig(cfg).Done()
				loss := graph.ReduceAllSum(graph.Mul(out, r))
				grads := graph.Gradient(loss, x, store.GetVariable(wqPath).NodeValue(x.Graph()))
				return out, grads[0], grads[1]
			})
			x := testutil.Normal(rng, rB*rL*rE, 1)
			r := testutil.Normal(rng, rB*rL*rE, 1)
			m := tc.mask
			if m == nil {
				m = slices.Repeat([]bool{true}, rB*rL)
			}
			args := []any{tensors.FromFlatDataAndDimensions(testutil.Float32s(x), rB, rL, rE),
				tensors.FromFlatDataAndDimensions(m, rB, rL), tensors.FromFlatDataAndDimensions(testutil.Float32s(r), rB, rL, rE)}
			exec.MustExec(args...) // Creates the variables; now give them all random values.
			v := vars{}
			for variable := range store.IterVariables() {
				if !strings.HasPrefix(variable.Path(), "/block/") {
					continue
				}
				vals := testutil.Normal(rng, variable.Shape().Size(), 0.5)
				if strings.HasSuffix(variable.Path(), "gain") {
					for i := range vals {
						vals[i] += 1
					}
				}
				variable.MustSetValue(tensors.FromFlatDataAndDimensions(testutil.Float32s(vals), variable.Shape().Dimensions...))
				v[strings.TrimPrefix(variable.Path(), "/block/")] = vals
			}
			if len(v) != 16 {
				t.Fatalf("block has %d variables, want 16: %v", len(v), slices.Sorted(maps.Keys(v)))
			}
			outs := exec.MustExec(args...)
			got, gx, gw := testutil.Float64s(outs[0]), testutil.Float64s(outs[1]), testutil.Float64s(outs[2])
			want := refBlock(v, x, tc.mask, tc.causal, tc.kernel)
			testutil.AssertClose(t, "output", got, want, 1e-4)

			// Finite differences of sum(ref * r).
			f := func() float64 { return testutil.Dot(refBlock(v, x, tc.mask, tc.causal, tc.kernel), r) }
			testutil.AssertClose(t, "d/dx", gx, testutil.NumGrad(f, x), 2e-3)
			testutil.AssertClose(t, "d/dWq", gw, testutil.NumGrad(f, v["attention/MultiHeadAttention/query/dense/weights"]), 2e-3)
		})
	}
}

func maxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// buildVars builds a model with cfg on tokens [2, 16] and returns its
// variable paths and logits.
func buildModel(t *testing.T, be compute.Backend, store *model.Store, classifier bool, tokens [][]int32, mask [][]bool) *tensors.Tensor {
	t.Helper()
	exec := model.MustNewExec(be, store, func(scope *model.Scope, tok, m *graph.Node) *graph.Node {
		if classifier {
			return Classifier(scope, tok, 10).WithVocabSize(16).WithMask(m).Done()
		}
		return LanguageModel(scope, tok).WithVocabSize(16).Done()
	})
	return exec.MustExec(tensors.FromValue(tokens), tensors.FromValue(mask))[0]
}

func paths(store *model.Store) []string {
	var p []string
	for v := range store.IterVariables() {
		if IsModelVariable(v.Path()) {
			p = append(p, v.Path())
		}
	}
	slices.Sort(p)
	return p
}

// TestExactAndFAVORShareVariables: identical variable paths and shapes, and
// exact weights loaded into FAVOR models give logits close to exact ones
// (softmax with many features) or at least finite (ReLU).
func TestExactAndFAVORShareVariables(t *testing.T) {
	be := testutil.Backend(t)
	tokens := [][]int32{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1}, {3, 3, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}
	mask := [][]bool{slices.Repeat([]bool{true}, 16), append(slices.Repeat([]bool{true}, 5), slices.Repeat([]bool{false}, 11)...)}
	for _, classifier := range []bool{false, true} {
		name := map[bool]string{false: "lm", true: "classifier"}[classifier]
		t.Run(name, func(t *testing.T) {
			exact := model.NewStore()
			exact.SetParams(Config{Attention: Exact, EmbedDim: 16, NumLayers: 2, NumHeads: 2, MaxLen: 16}.Params())
			exact.SetParam(initializer.ParamInitialSeed, int64(5))
			buildModel(t, be, exact, classifier, tokens, mask)
			// Scale the query and key weights down into the regime where 512
			// random features approximate softmax well (the error grows like
			// exp(|q+k|^2)).
			for v := range exact.IterVariables() {
				if strings.Contains(v.Path(), "/query/dense/weights") || strings.Contains(v.Path(), "/key/dense/weights") {
					w := testutil.Float64s(v.MustValue())
					for i := range w {
						w[i] *= 0.2
					}
					v.MustSetValue(tensors.FromFlatDataAndDimensions(testutil.Float32s(w), v.Shape().Dimensions...))
				}
			}
			want := testutil.Float64s(buildModel(t, be, exact, classifier, tokens, mask))
			errs := map[performer.Kernel]float64{}
			defer func() {
				if !(errs[performer.KernelSoftmax] < errs[performer.KernelReLU]/2) {
					t.Errorf("softmax FAVOR is not closer to exact attention than ReLU: errors %v", errs)
				}
			}()
			for _, tc := range []struct {
				kernel performer.Kernel
				tol    float64 // Relative to the largest exact logit; 0: only finite.
			}{
				{performer.KernelSoftmax, 0.1},
				{performer.KernelReLU, 0},
			} {
				favor := model.NewStore()
				favor.SetParams(Config{Attention: FAVOR, EmbedDim: 16, NumLayers: 2, NumHeads: 2, MaxLen: 16,
					Kernel: tc.kernel, NumFeatures: 512}.Params())
				for v := range exact.IterVariables() {
					if _, err := favor.CreateVariable(v.Path(), v.MustValue()); err != nil {
						t.Fatal(err)
					}
				}
				got := testutil.Float64s(buildModel(t, be, favor, classifier, tokens, mask))
				if pe, pf := paths(exact), paths(favor); !slices.Equal(pe, pf) {
					t.Fatalf("%s: variables differ:\nexact %v\nfavor %v", tc.kernel, pe, pf)
				}
				for v := range favor.IterVariables() {
					if ev := exact.GetVariable(v.Path()); !ev.Shape().Equal(v.Shape()) {
						t.Errorf("%s: %s shape %s vs exact %s", tc.kernel, v.Path(), v.Shape(), ev.Shape())
					}
				}
				for _, a := range got {
					if math.IsNaN(a) || math.IsInf(a, 0) {
						t.Fatalf("%s: non-finite logits", tc.kernel)
					}
				}
				errs[tc.kernel] = maxAbsDiff(got, want)
				if tc.tol > 0 {
					testutil.AssertClose(t, string(tc.kernel)+" logits vs exact", got, want, tc.tol)
				}
			}
		})
	}
}

// TestLMCausalAndClassifierPadding: a language model's logits at position i
// do not depend on later tokens; a classifier's logits do not depend on
// padded tokens; for exact and FAVOR attention.
func TestLMCausalAndClassifierPadding(t *testing.T) {
	be := testutil.Backend(t)
	for _, cfg := range []Config{
		{Attention: Exact, EmbedDim: 16, NumLayers: 2, NumHeads: 2, MaxLen: 16},
		{Attention: FAVOR, EmbedDim: 16, NumLayers: 2, NumHeads: 2, MaxLen: 16, NumFeatures: 32},
		{Attention: FAVOR, EmbedDim: 16, NumLayers: 2, NumHeads: 2, MaxLen: 16, Kernel: performer.KernelReLU, ChunkSize: 4},
	} {
		t.Run(cfg.String(), func(t *testing.T) {
			store := model.NewStore()
			store.SetParams(cfg.Params())
			a := [][]int32{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1}}
			b := [][]int32{{1, 2, 3, 4, 5, 6, 7, 8, 15, 15, 15, 15, 15, 15, 15, 15}} // Same first 8 tokens.
			all := [][]bool{slices.Repeat([]bool{true}, 16)}
			la, lb := testutil.Float64s(buildModel(t, be, store, false, a, all)), testutil.Float64s(buildModel(t, be, store, false, b, all))
			testutil.AssertClose(t, "logits of the first 8 positions", lb[:8*16], la[:8*16], 1e-5)
			if d := math.Abs(la[15*16] - lb[15*16]); d < 1e-6 {
				t.Errorf("the last position's logits do not depend on the tokens before it")
			}

			cs := model.NewStore()
			cs.SetParams(cfg.Params())
			half := [][]bool{append(slices.Repeat([]bool{true}, 8), slices.Repeat([]bool{false}, 8)...)}
			ca, cb := testutil.Float64s(buildModel(t, be, cs, true, a, half)), testutil.Float64s(buildModel(t, be, cs, true, b, half))
			testutil.AssertClose(t, "classifier logits with different padding", cb, ca, 1e-5)
			if cc := testutil.Float64s(buildModel(t, be, cs, true, b, all)); math.Abs(cc[0]-cb[0]) < 1e-6 {
				t.Errorf("classifier ignores unmasked tokens")
			}
		})
	}
}

// TestRunCheckpointAndLoadWeights trains a tiny exact LM, saves it, loads
// its weights into a fresh exact run (same evaluation) and into FAVOR runs
// (same variables, finite evaluation).
func TestRunCheckpointAndLoadWeights(t *testing.T) {
	be := testutil.Backend(t)
	text := []byte(strings.Repeat("func main() { fmt.Println(\"hello, world\") }\n", 200))
	cfg := Config{Attention: Exact, EmbedDim: 16, NumLayers: 1, NumHeads: 2, MaxLen: 32}
	trainDS := lra.NewWindowDataset("train", text, 32, 8).Seed(1)
	validDS := lra.NewWindowDataset("valid", text[:2000], 32, 8).Sequential().Steps(4)
	r := NewRun(be, "exact", cfg, Task{VocabSize: 256}, 1e-2, 1)
	r.Quiet = true
	if err := r.Record(validDS); err != nil {
		t.Fatal(err)
	}
	if err := r.Train(trainDS, validDS, 60, 30); err != nil {
		t.Fatal(err)
	}
	if len(r.History) != 3 || r.Steps() != 60 || len(r.StepTimes) != 60 || r.MedianStepTime() <= 0 {
		t.Fatalf("history %+v, %d steps", r.History, r.Steps())
	}
	first, last := r.History[0], r.History[2]
	if !(last.EvalLoss < first.EvalLoss-1 && last.EvalAccuracy > first.EvalAccuracy+0.2) {
		t.Errorf("training did not help: %+v -> %+v", first, last)
	}
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}

	again := NewRun(be, "reloaded", cfg, Task{VocabSize: 256}, 1e-2, 2)
	n, err := again.LoadWeights(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(r.VariablePaths()); n != want {
		t.Errorf("loaded %d variables, want %d", n, want)
	}
	l, acc, err := again.Evaluate(validDS)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(l-last.EvalLoss) > 1e-5 || acc != last.EvalAccuracy {
		t.Errorf("reloaded model: loss %g acc %g, want %g %g", l, acc, last.EvalLoss, last.EvalAccuracy)
	}
	if got := again.Store.GetVariable("/global_step"); got != nil {
		t.Errorf("LoadWeights loaded the optimizer's global step")
	}

	for _, k := range []performer.Kernel{performer.KernelSoftmax, performer.KernelReLU} {
		fc := cfg
		fc.Attention, fc.Kernel, fc.NumFeatures = FAVOR, k, 64
		f := NewRun(be, "favor", fc, Task{VocabSize: 256}, 1e-2, 3)
		f.Quiet = true
		if _, err := f.LoadWeights(dir); err != nil {
			t.Fatal(err)
		}
		if err := f.Train(trainDS, validDS, 5, 0); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(f.VariablePaths(), r.VariablePaths()) {
			t.Errorf("%s: variables %v, want %v", k, f.VariablePaths(), r.VariablePaths())
		}
		if p := f.History[0]; math.IsNaN(p.EvalLoss) || p.EvalAccuracy <= 0 {
			t.Errorf("%s after loading: %+v", k, p)
		}
	}
	if _, err := NewRun(be, "x", cfg, Task{VocabSize: 256}, 1e-2, 1).LoadWeights(t.TempDir()); err == nil {
		t.Errorf("loading from an empty directory succeeded")
	}
}

func TestConfigPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"unknown attention": func() { Config{Attention: "linear"}.withDefaults() },
		"dropout":           func() { Config{Dropout: 1}.withDefaults() },
		"classes":           func() { Classifier(model.NewStore().RootScope(), nil, 1) },
	} {
		func() {
			defer func() {
				if r, ok := recover().(error); !ok || !strings.HasPrefix(r.Error(), "transformer: ") {
					t.Errorf("%s: recovered %v, want a panic starting with \"transformer: \"", name, r)
				}
			}()
			f()
		}()
	}
}
