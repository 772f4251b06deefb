package blocks

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/labnotes/labnotes/internal/testutil"
)

// TestPuzzleEmbedding: zero-initialized table [numIDs, prefixLen·D], rows
// looked up by id and reshaped, gradient only on the rows of the ids
// (summed over repeats).
func TestPuzzleEmbedding(t *testing.T) {
	be := testutil.Backend(t)
	const numIDs, prefix, d = 5, 2, 3
	store := model.NewStore()
	exec := model.MustNewExec(be, store, func(scope *model.Scope, ids, r *graph.Node) (out, grad *graph.Node) {
		scope.SetTraining(ids.Graph(), true)
		out = PuzzleEmbedding(scope.In("puzzle_emb"), ids, numIDs, prefix, d)
		table := store.GetVariable("/puzzle_emb/table").NodeValue(ids.Graph())
		return out, graph.Gradient(graph.ReduceAllSum(graph.Mul(out, r)), table)[0]
	})
	ids := tensors.FromValue([]int32{3, 0, 3})
	r := make([]float64, 3*prefix*d)
	for i := range r {
		r[i] = float64(i + 1)
	}
	outs := exec.MustExec(ids, tensorOf(r, 3, prefix, d))
	if got := outs[0].Shape(); !got.Equal(shapes.Make(dtypes.Float32, 3, prefix, d)) {
		t.Fatalf("output shape %s", got)
	}
	for _, a := range testutil.Float64s(outs[0]) {
		if a != 0 {
			t.Fatalf("table not zero-initialized: %v", testutil.Float64s(outs[0]))
		}
	}
	v := store.GetVariable("/puzzle_emb/table")
	if v == nil || !v.Shape().Equal(shapes.Make(dtypes.Float32, numIDs, prefix*d)) {
		t.Fatalf("table variable %v", v)
	}
	tab := make([]float64, numIDs*prefix*d)
	for i := range tab {
		tab[i] = float64(i) / 10
	}
	v.MustSetValue(tensorOf(tab, numIDs, prefix*d))
	outs = exec.MustExec(ids, tensorOf(r, 3, prefix, d))
	wantOut, wantGrad := make([]float64, 0, len(r)), make([]float64, len(tab))
	for k, id := range []int{3, 0, 3} {
		wantOut = append(wantOut, tab[id*prefix*d:(id+1)*prefix*d]...)
		for j := range prefix * d {
			wantGrad[id*prefix*d+j] += r[k*prefix*d+j]
		}
	}
	testutil.AssertClose(t, "lookup", testutil.Float64s(outs[0]), wantOut, 1e-6)
	testutil.AssertClose(t, "gradient", testutil.Float64s(outs[1]), wantGrad, 1e-6)
}

// TestInitializers: TruncatedNormal values lie within ±2 underlying std
// and have the requested std; LeCunNormal uses 1/sqrt(fanIn); the layers
// use it.
func TestInitializers(t *testing.T) {
	be := testutil.Backend(t)
	store := model.NewStore()
	store.SetParam(initializer.ParamInitialSeed, int64(42))
	exec := model.MustNewExec(be, store, func(scope *model.Scope, g *graph.Graph) (a, b *graph.Node) {
		a = TruncatedNormal(scope, 0.5)(g, shapes.Make(dtypes.Float32, 200, 100))
		b = LeCunNormal(scope)(g, shapes.Make(dtypes.Float32, 400, 50))
		return
	})
	outs := exec.MustExec()
	for i, c := range []struct{ std float64 }{{0.5}, {1 / math.Sqrt(400)}} {
		x := testutil.Float64s(outs[i])
		mean, sq, mx := 0.0, 0.0, 0.0
		for _, a := range x {
			mean += a
			sq += a * a
			mx = max(mx, math.Abs(a))
		}
		mean /= float64(len(x))
		std := math.Sqrt(sq/float64(len(x)) - mean*mean)
		bound := 2 * c.std / truncStdFactor
		if mx > bound*(1+1e-6) {
			t.Errorf("init %d: max |x| %g > bound %g", i, mx, bound)
		}
		if mx < 0.97*bound {
			t.Errorf("init %d: max |x| %g, far below the truncation %g: not a truncated normal?", i, mx, bound)
		}
		if math.Abs(std-c.std) > 0.02*c.std || math.Abs(mean) > 0.02*c.std {
			t.Errorf("init %d: mean %g std %g, want 0 and %g", i, mean, std, c.std)
		}
		// Clipping alone (no redraws) would put 4.6% of the values at ±bound.
		atBound := 0
		for _, a := range x {
			if math.Abs(a) > bound*(1-1e-4) {
				atBound++
			}
		}
		if atBound > len(x)/1000 {
			t.Errorf("init %d: %d of %d values at the truncation bound: clipped, not redrawn", i, atBound, len(x))
		}
	}
	if math.Abs(truncStdFactor-0.87962566) > 1e-7 {
		t.Errorf("truncStdFactor %.8f, want 0.87962566", truncStdFactor)
	}
}

func TestConfig(t *testing.T) {
	be := testutil.Backend(t)
	store := model.NewStore()
	store.SetParams(Config{Hidden: 64, Heads: 4, Mixer: MixMLP, Expansion: 2, NoRope: true}.WithDefaults().Params())
	got := NewConfig(store.RootScope().In("x"))
	want := Config{Hidden: 64, Heads: 4, HeadDim: 16, Expansion: 2, Mixer: MixMLP, RopeTheta: 10000, NoRope: true, NormEps: 1e-5}
	if got != want {
		t.Errorf("NewConfig = %+v, want %+v", got, want)
	}
	if d := NewConfig(model.NewStore().RootScope()); d != (Config{Hidden: 512, Heads: 8, HeadDim: 64, Expansion: 4, Mixer: MixAttention,
		RopeTheta: 10000, NormEps: 1e-5}) {
		t.Errorf("default config %+v", d)
	}
	for name, f := range map[string]func(){
		"mixer":        func() { Config{Mixer: "conv"}.WithDefaults() },
		"odd head dim": func() { Config{Hidden: 6, Heads: 2}.WithDefaults() },
		// Graphs built directly: GoMLX v0.28.16's MustExecOnce deadlocks when its graph function panics.
		"input shape": func() {
			x := graph.Parameter(graph.NewGraph(be, "t"), "x", shapes.Make(dtypes.Float32, 1, 3, 6))
			Block(model.NewStore().RootScope(), x, Config{Hidden: 8, Heads: 2})
		},
		"puzzle ids": func() {
			ids := graph.Parameter(graph.NewGraph(be, "t"), "ids", shapes.Make(dtypes.Float32, 2))
			PuzzleEmbedding(model.NewStore().RootScope(), ids, 2, 1, 1)
		},
		"layers":      func() { Stack(nil, nil, Config{}, -1) },
		"adam beta":   func() { (&AdamATan2{Beta2: 1}).withDefaults() },
		"ema rate":    func() { (&EMA{Rate: 1}).withDefaults() },
		"route empty": func() { Routed(&AdamATan2{}, map[string]VariableOptimizer{"/": &SignSGD{}}) },
	} {
		func() {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if err, ok := r.(error); ok {
					msg = err.Error()
				}
				if !strings.Contains(msg, "blocks: ") {
					t.Errorf("%s: recovered %v, want a panic with \"blocks: \"", name, r)
				}
			}()
			f()
		}()
	}
}

// TestTrainerIntegration trains a tiny puzzle model (label = (token +
// puzzle id) mod V: solvable only through the puzzle embedding) with
// GoMLX's train.Trainer, WithEMA(Routed(AdamATan2, puzzle_emb: SignSGD)),
// and checks the loss falls, the optimizers' state is where documented,
// and the EMA weights evaluate to a finite, reduced loss.
func TestTrainerIntegration(t *testing.T) {
	be := testutil.Backend(t)
	const batch, l, v, numIDs, d = 16, 4, 5, 4, 16
	cfg := Config{Hidden: d, Heads: 2, Expansion: 2}
	modelFn := func(scope *model.Scope, _ any, in []*graph.Node) []*graph.Node {
		tokens, ids := in[0], in[1]
		embed := scope.WithInitializer(TruncatedNormal(scope, 1)).
			VariableWithShape("embed", shapes.Make(dtypes.Float32, v, d)).NodeValue(tokens.Graph())
		x := graph.Gather(embed, graph.InsertAxes(tokens, -1)) // [b, l, d]
		prefix := PuzzleEmbedding(scope.In("puzzle_emb"), ids, numIDs, 1, d)
		h := Stack(scope.In("net"), graph.Concatenate([]*graph.Node{prefix, x}, 1), cfg, 1)
		h = graph.Slice(h, graph.AxisRange(), graph.AxisRange(1, l+1))
		head := scope.WithInitializer(LeCunNormal(scope)).
			VariableWithShape("head", shapes.Make(dtypes.Float32, d, v)).NodeValue(tokens.Graph())
		return []*graph.Node{graph.Einsum("bld,dv->blv", h, head)}
	}
	lossFn := func(labels, pred []*graph.Node) *graph.Node {
		mask := graph.GreaterOrEqual(labels[0], graph.ZerosLike(labels[0])) // All true here.
		return graph.ReduceAllMean(StablemaxCrossEntropy(pred[0], labels[0], mask))
	}
	ema := &EMA{Rate: 0.9}
	opt := WithEMA(Routed(&AdamATan2{LR: 3e-3}, map[string]VariableOptimizer{"puzzle_emb": &SignSGD{LR: 3e-3}}), ema)
	store := model.NewStore()
	store.SetParam(initializer.ParamInitialSeed, int64(3))
	trainer := train.NewTrainer(be, store, modelFn, lossFn, opt, nil, nil)

	rng := rand.New(rand.NewPCG(5, 6))
	makeBatch := func() ([]*tensors.Tensor, []*tensors.Tensor) {
		tok, ids, lab := make([]int32, batch*l), make([]int32, batch), make([]int32, batch*l)
		for b := range batch {
			ids[b] = int32(rng.IntN(numIDs))
			for i := range l {
				tok[b*l+i] = int32(rng.IntN(v))
				lab[b*l+i] = (tok[b*l+i] + ids[b]) % v
			}
		}
		return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(tok, batch, l), tensors.FromFlatDataAndDimensions(ids, batch)},
			[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(lab, batch, l)}
	}
	evalIn, evalLab := makeBatch()
	evalLoss := func(s *model.Store) float64 {
		out := model.MustExecOnceN(be, s, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
			return []*graph.Node{lossFn(in[2:], modelFn(scope, nil, in[:2]))}
		}, evalIn[0], evalIn[1], evalLab[0])
		return testutil.Float64s(out[0])[0]
	}
	var first, last float64
	for step := range 300 {
		in, lab := makeBatch()
		metrics, err := trainer.TrainStep(train.Batch{Inputs: in, Labels: lab})
		if err != nil {
			t.Fatal(err)
		}
		loss := testutil.Float64s(metrics[0])[0]
		if step == 0 {
			first = loss
		}
		last = loss
	}
	t.Logf("train loss %.3f -> %.3f", first, last)
	if !(last < 0.5*first) {
		t.Errorf("training did not reduce the loss enough: %.3f -> %.3f", first, last)
	}
	for _, p := range []string{"/AdamATan2/net/layer_0/mix/qkv_1st_moment", "/AdamATan2/head_2nd_moment", "/SignSGD/step",
		"/ema/shadow/puzzle_emb/table", "/ema/shadow/net/layer_0/mlp/down", "/global_step"} {
		if store.GetVariable(p) == nil {
			t.Errorf("no variable %s", p)
		}
	}
	if store.GetVariable("/AdamATan2/puzzle_emb/table_1st_moment") != nil {
		t.Errorf("AdamATan2 also updated the puzzle embedding")
	}
	evalStore, err := ema.EvalStore(store)
	if err != nil {
		t.Fatal(err)
	}
	weightsLoss, emaLoss := evalLoss(store), evalLoss(evalStore)
	t.Logf("eval loss: weights %.3f, EMA weights %.3f", weightsLoss, emaLoss)
	if !(emaLoss < 0.5*first) || emaLoss == weightsLoss {
		t.Errorf("EMA evaluation loss %.3f (weights: %.3f, first train loss %.3f)", emaLoss, weightsLoss, first)
	}
}
