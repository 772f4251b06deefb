package blocks

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/labnotes/labnotes/internal/testutil"
)

// TestEMAClosedForm trains w for 5 steps with WithEMA(AdamATan2) and checks
// the shadow after every step against Rate^k·w_0 + (1−Rate)·Σ Rate^(k−i)·w_i,
// the skipped variable has no shadow, and EvalStore and Swap give the
// shadow weights.
func TestEMAClosedForm(t *testing.T) {
	be := testutil.Backend(t)
	const rate = 0.8
	ema := &EMA{Rate: rate, Skip: []string{"skip"}}
	opt := WithEMA(&AdamATan2{LR: 0.1, WeightDecay: 0.1}, ema)
	store := model.NewStore()
	w0 := []float64{0.5, -1, 2}
	target := []float32{1, 2, -3}
	train := model.MustNewExec(be, store, func(scope *model.Scope, g *graph.Graph) *graph.Node {
		scope.SetTraining(g, true)
		w := scope.VariableWithValue("w", testutil.Float32s(w0)).NodeValue(g)
		b := scope.In("skip").VariableWithValue("b", []float32{1, 1}).NodeValue(g)
		loss := graph.Add(graph.ReduceAllSum(graph.Square(graph.Sub(w, graph.Const(g, target)))), graph.ReduceAllSum(graph.Square(b)))
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
	history := [][]float64{w0}
	for k := 1; k <= 5; k++ {
		train.MustExec()
		history = append(history, testutil.Float64s(store.GetVariable("/w").MustValue()))
		want := make([]float64, 3)
		for i := range want {
			want[i] = math.Pow(rate, float64(k)) * w0[i]
			for j := 1; j <= k; j++ {
				want[i] += (1 - rate) * math.Pow(rate, float64(k-j)) * history[j][i]
			}
		}
		shadow := store.GetVariable(ema.ShadowPath("/w"))
		if shadow == nil {
			t.Fatalf("no shadow variable %s", ema.ShadowPath("/w"))
		}
		testutil.AssertClose(t, "shadow", testutil.Float64s(shadow.MustValue()), want, 1e-6)
		if slices.Equal(want, history[k]) {
			t.Fatalf("degenerate test: shadow equals the weights")
		}
	}
	if ema.ShadowPath("/w") != "/ema/shadow/w" {
		t.Errorf("ShadowPath = %q", ema.ShadowPath("/w"))
	}
	if n := ema.Updates(store); n != 5 {
		t.Errorf("Updates = %d, want 5", n)
	}
	var shadows []string
	for v := range store.IterVariables() {
		if len(v.Path()) > 4 && v.Path()[:5] == "/ema/" {
			shadows = append(shadows, v.Path())
		}
	}
	slices.Sort(shadows)
	if want := []string{"/ema/shadow/w", "/ema/updates"}; !slices.Equal(shadows, want) {
		t.Errorf("EMA variables %v, want %v", shadows, want)
	}

	shadowVals := testutil.Float64s(store.GetVariable("/ema/shadow/w").MustValue())
	weights := history[5]
	evalFn := func(scope *model.Scope, g *graph.Graph) *graph.Node {
		return graph.MulScalar(scope.VariableWithValue("w", testutil.Float32s(w0)).NodeValue(g), 1)
	}
	evalStore, err := ema.EvalStore(store)
	if err != nil {
		t.Fatal(err)
	}
	testutil.AssertClose(t, "EvalStore weights", testutil.Float64s(model.MustExecOnce(be, evalStore, evalFn)), shadowVals, 0)
	testutil.AssertClose(t, "weights after EvalStore", testutil.Float64s(store.GetVariable("/w").MustValue()), weights, 0)
	if evalStore.GetVariable("/ema/shadow/w") != nil {
		t.Errorf("EvalStore keeps the shadows")
	}

	// Swap, with the Go backend caveat: an eval Exec compiled before the swap keeps the weights.
	before := model.MustNewExec(be, store, evalFn)
	testutil.AssertClose(t, "eval before swap", testutil.Float64s(before.MustExec()[0]), weights, 0)
	if n, err := ema.Swap(store); err != nil || n != 1 {
		t.Fatalf("Swap: %d, %v", n, err)
	}
	testutil.AssertClose(t, "swapped weights", testutil.Float64s(model.MustExecOnce(be, store, evalFn)), shadowVals, 0)
	testutil.AssertClose(t, "swapped shadow", testutil.Float64s(store.GetVariable("/ema/shadow/w").MustValue()), weights, 0)
	if be.Capabilities().PreferConstantsForVariables {
		testutil.AssertClose(t, "eval Exec compiled before the swap (the Go backend embeds eval variables as constants)",
			testutil.Float64s(before.MustExec()[0]), weights, 0)
	}
	if _, err := ema.Swap(store); err != nil {
		t.Fatal(err)
	}
	testutil.AssertClose(t, "weights swapped back", testutil.Float64s(store.GetVariable("/w").MustValue()), weights, 0)
	if _, err := (&EMA{Name: "other"}).Swap(store); err == nil {
		t.Errorf("Swap without updates succeeded")
	}
}
