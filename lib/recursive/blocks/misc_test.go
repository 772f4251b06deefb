package blocks

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
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
	for _, a := range toF64(outs[0]) {
		if a != 0 {
			t.Fatalf("table not zero-initialized: %v", toF64(outs[0]))
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
	assertClose(t, "lookup", toF64(outs[0]), wantOut, 1e-6)
	assertClose(t, "gradient", toF64(outs[1]), wantGrad, 1e-6)
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
		x := toF64(outs[i])
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
