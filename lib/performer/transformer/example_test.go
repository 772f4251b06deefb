package transformer_test

import (
	"fmt"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/lib/performer"
	"github.com/labnotes/labnotes/lib/performer/transformer"
)

// A model's hyperparameters are scope parameters: set them on the store
// (Config.Params) and every builder reads them with NewConfig.
func ExampleNewConfig() {
	store := model.NewStore()
	store.SetParams(transformer.Config{Attention: transformer.FAVOR, EmbedDim: 32, NumLayers: 2,
		Kernel: performer.KernelReLU}.Params())
	cfg := transformer.NewConfig(store.RootScope().In("layer_0"))
	fmt.Println(cfg.Attention, cfg.EmbedDim, cfg.NumHeads, cfg.HeadDim, cfg.FFNDim)
	fmt.Println(store.RootScope().Scope(), model.GetParamOr(store.RootScope(), performer.ParamKernel, ""))
	// Output:
	// favor 32 4 8 128
	// / relu
}

func ExampleConfig_String() {
	fmt.Println(transformer.Config{Attention: transformer.Exact})
	fmt.Println(transformer.Config{Attention: transformer.FAVOR, Kernel: performer.KernelSoftmax, NumFeatures: 64,
		Redraw: performer.RedrawEverySteps, RedrawEvery: 100})
	// Output:
	// exact
	// favor(softmax, m=64, redraw steps 100)
}

func ExampleIsModelVariable() {
	for _, p := range []string{"/layer_0/attention/MultiHeadAttention/query/dense/weights",
		"/AdamOptimizer/final_norm/gain_1st_moment", "/global_step", "/#rngState"} {
		fmt.Println(transformer.IsModelVariable(p), p)
	}
	// Output:
	// true /layer_0/attention/MultiHeadAttention/query/dense/weights
	// false /AdamOptimizer/final_norm/gain_1st_moment
	// false /global_step
	// false /#rngState
}
