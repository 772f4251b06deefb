package blocks_test

import (
	"fmt"
	"os"
	"slices"

	"github.com/labnotes/labnotes/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/recursive/blocks"
)

// The examples run on the Go backend, created (and announced) before they
// run, so their output does not depend on their order.
func init() {
	os.Setenv(backend.ConfigEnv, testutil.BackendName())
	backend.MustNew()
}

// A TRM-style step with one shared network f (the package overview's
// snippet): f is called three times, its variables exist once.
func Example() {
	cfg := blocks.Config{Hidden: 64, Heads: 4, Mixer: blocks.MixAttention}
	store := model.NewStore()
	out := model.MustExecOnce(backend.MustNew(), store, func(scope *model.Scope, g *graph.Graph) *graph.Node {
		f := func(scope *model.Scope, h *graph.Node) *graph.Node {
			return blocks.Stack(scope.At("net"), h, cfg, 2) // Called again: same variables.
		}
		x := graph.Ones(g, shapes.Make(dtypes.Float32, 2, 9, 64)) // [batch, seq, Hidden]
		y, z := graph.ZerosLike(x), graph.ZerosLike(x)
		for range 2 { // n = 2 latent updates
			z = f(scope, graph.Add(graph.Add(z, y), x))
		}
		y = f(scope, graph.Add(y, z))
		return y
	})
	var paths []string
	for v := range store.IterVariables() {
		if v.Trainable {
			paths = append(paths, fmt.Sprint(v.Path(), v.Shape().Dimensions))
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		fmt.Println(p)
	}
	fmt.Println("output:", out.Shape().Dimensions)
	// Output:
	// /net/layer_0/mix/o[64 64]
	// /net/layer_0/mix/qkv[64 192]
	// /net/layer_0/mlp/down[176 64]
	// /net/layer_0/mlp/gate_up[64 352]
	// /net/layer_1/mix/o[64 64]
	// /net/layer_1/mix/qkv[64 192]
	// /net/layer_1/mlp/down[176 64]
	// /net/layer_1/mlp/gate_up[64 352]
	// output: [2 9 64]
}

// A model's hyperparameters can be scope parameters: set them on the store
// (Config.Params) and read them with NewConfig.
func ExampleNewConfig() {
	store := model.NewStore()
	store.SetParams(blocks.Config{Hidden: 128, Heads: 4, Mixer: blocks.MixMLP}.Params())
	cfg := blocks.NewConfig(store.RootScope().In("L_level"))
	fmt.Println(cfg.Hidden, cfg.Heads, cfg.HeadDim, cfg.Expansion, cfg.Mixer, cfg.RopeTheta, cfg.NormEps)
	// Output:
	// 128 4 32 4 mlp 10000 1e-05
}

func ExampleSwiGLUInter() {
	fmt.Println(blocks.SwiGLUInter(512, 4)) // HRM / TRM hidden 512: multiple of 256
	fmt.Println(blocks.SwiGLUInter(64, 4))  // tiny width: multiple of 8
	fmt.Println(blocks.SwiGLUInter(97, 4))  // TRM-MLP Sudoku token mixer (seq 81 + 16)
	// Output:
	// 1536
	// 176
	// 264
}

// HRM's and TRM's optimizer setup: AdamATan2 for the network, SignSGD for
// the puzzle embeddings.
func ExampleRouted() {
	opt := blocks.Routed(&blocks.AdamATan2{LR: 1e-4, WeightDecay: 1, Warmup: 2000},
		map[string]blocks.VariableOptimizer{"puzzle_emb": &blocks.SignSGD{LR: 1e-2, WeightDecay: 0.1}})
	for _, p := range []string{"/puzzle_emb/table", "/net/layer_0/mix/qkv", "/puzzle_emb_bias"} {
		fmt.Println(p, "->", opt.Route(p).StateScope())
	}
	// Output:
	// /puzzle_emb/table -> /SignSGD
	// /net/layer_0/mix/qkv -> /AdamATan2
	// /puzzle_emb_bias -> /AdamATan2
}

func ExampleStablemaxCrossEntropy() {
	logits := tensors.FromValue([][][]float32{{{2, 0, -1}, {1e4, 0, -1e4}}}) // [1, 2, 3]
	labels := tensors.FromValue([][]int32{{0, 2}})
	mask := tensors.FromValue([][]bool{{true, true}})
	loss := graph.MustExecOnce(backend.MustNew(), blocks.StablemaxCrossEntropy, logits, labels, mask)
	// s(2)=3, s(0)=1, s(-1)=1/2: -log(3/4.5) = 0.4055; the ±1e4 row stays finite.
	fmt.Printf("%.4f\n", tensors.MustCopyFlatData[float32](loss))
	// Output:
	// [0.4055 18.4210]
}

// EMA weights for evaluation: update them after each optimizer step
// (WithEMA), evaluate on a copy of the store holding them (EvalStore).
func ExampleEMA() {
	ema := &blocks.EMA{Rate: 0.5}
	opt := blocks.WithEMA(&blocks.SignSGD{LR: 1}, ema)
	store := model.NewStore()
	step := model.MustNewExec(backend.MustNew(), store, func(scope *model.Scope, g *graph.Graph) {
		scope.SetTraining(g, true) // EMA.UpdateGraph needs the variables as graph parameters.
		w := scope.VariableWithValue("w", []float32{0}).NodeValue(g)
		opt.UpdateGraph(scope, g, graph.ReduceAllSum(graph.Neg(w))) // w += 1 per step.
	})
	for range 3 {
		step.MustExec()
	}
	evalStore, _ := ema.EvalStore(store)
	fmt.Println("weights:", store.GetVariable("/w").MustValue())
	fmt.Println("shadow: ", store.GetVariable(ema.ShadowPath("/w")).MustValue())
	// shadow = ½·(½·(½·0 + ½·1) + ½·2) + ½·3 = 2.125
	fmt.Println("eval:   ", evalStore.GetVariable("/w").MustValue())
	// Output:
	// weights: [1]float32{3}
	// shadow:  [1]float32{2.125}
	// eval:    [1]float32{2.125}
}
