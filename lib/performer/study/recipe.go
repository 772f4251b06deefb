package study

import (
	"fmt"
	"time"

	"github.com/labnotes/labnotes/lib/nb"
	"github.com/labnotes/labnotes/lib/performer/lra"
	"github.com/labnotes/labnotes/lib/performer/transformer"
)

// LRARecipe is a Long Range Arena task's training recipe (Tay et al. 2020;
// the configs of google-research/long-range-arena), what notebook 04 runs
// with its parameter recipe = "paper": the model's sizes (each contender
// sets its own attention), the FAVOR+ features, the batch, the training
// steps and evaluation period, the data sizes and the learning rate of
// transformer.Run's constant-rate Adam.
type LRARecipe struct {
	Name         string
	Model        transformer.Config
	NumFeatures  int // m, Performer-softmax's random features
	Batch        int
	Steps        int
	EvalEvery    int
	Train, Test  int     // training and test examples
	LearningRate float64 // Adam, constant
	// ListOps is the expression generator's configuration (ListOps only).
	ListOps lra.ListOpsConfig
	// Source names the LRA config followed; Departures says where the recipe
	// differs from it and why.
	Source, Departures string
}

// The LRA numbers the recipes use (lra_benchmarks/listops/configs/
// base_listops_config.py and lra_benchmarks/data/listops.py;
// lra_benchmarks/image/configs/cifar10/base_cifar10_config.py and
// performer_base.py).
const (
	LRAListOpsSteps = 5000
	LRAListOpsBatch = 32
	LRAListOpsTrain = 96_000
	LRAListOpsTest  = 2000
	LRAImageEpochs  = 200
	LRAImageBatch   = 256
	// RecipeFeatures is the FAVOR+ feature count of the recipes: the
	// Performer paper's default m = 256 (LRA's configs leave it to the
	// attention's own default).
	RecipeFeatures = 256
)

// ListOpsRecipe is LRA's ListOps recipe: expressions of 500-2000 tokens
// (depth 10, up to 10 arguments), 96,000 for training and 2,000 for test;
// a 6-layer encoder of width 512 (8 heads of 64, feed-forward 2048); batch
// 32 for 5000 steps, evaluated every 500.
func ListOpsRecipe() LRARecipe {
	return LRARecipe{Name: "LRA ListOps",
		Model:       transformer.Config{EmbedDim: 512, NumLayers: 6, NumHeads: 8, FFNDim: 2048, MaxLen: 2000},
		NumFeatures: RecipeFeatures, Batch: LRAListOpsBatch, Steps: LRAListOpsSteps, EvalEvery: LRAListOpsSteps / 10,
		Train: LRAListOpsTrain, Test: LRAListOpsTest, LearningRate: 1e-3,
		ListOps: lra.ListOpsConfig{MinLength: 500, MaxLength: 2000, MaxDepth: 10, MaxArgs: 10, Seed: 1},
		Source:  "LRA's base_listops_config.py and data/listops.py",
		Departures: "Adam at a constant 1e-3 (LRA: 0.05 x linear warmup over 1000 steps x rsqrt decay, i.e. 1.6e-3 at step 1000 " +
			"falling to 7.1e-4 at 5000; transformer.Run takes one rate), no weight decay (LRA: 0.1), mean pooling instead of a CLS token"}
}

// ImageRecipe is LRA's Image recipe with its Performer model, applied to
// sequential Fashion-MNIST (trainImages training images of 784 pixels; all
// 10,000 test images): a 1-layer encoder of width 128 (8 heads of 8,
// feed-forward 128, dropout 0.3), batch 256 for 200 epochs, evaluated every
// 20 epochs, Adam at 5e-4.
func ImageRecipe(trainImages int) LRARecipe {
	perEpoch := trainImages / LRAImageBatch
	return LRARecipe{Name: "LRA Image (Performer config), sequential Fashion-MNIST",
		Model:       transformer.Config{EmbedDim: 128, NumLayers: 1, NumHeads: 8, HeadDim: 8, FFNDim: 128, MaxLen: 784, Dropout: 0.3},
		NumFeatures: RecipeFeatures, Batch: LRAImageBatch, Steps: perEpoch * LRAImageEpochs, EvalEvery: perEpoch * LRAImageEpochs / 10,
		Train: trainImages, Test: 10_000, LearningRate: 5e-4,
		Source: "LRA's cifar10/base_cifar10_config.py and cifar10/performer_base.py",
		Departures: "Fashion-MNIST's 60,000 images of 28x28 instead of CIFAR-10's 45,000 grey 32x32; Adam at a constant 5e-4 " +
			"(LRA: one warmup epoch, then cosine decay); no attention dropout (LRA: 0.2); mean pooling instead of a CLS token"}
}

// String returns the recipe in one line.
func (r LRARecipe) String() string {
	m := r.Model
	return fmt.Sprintf("%s: %d layers of width %d (%d heads), feed-forward %d, batch %d, %d steps, Adam %g, %d training and %d test examples (%s; differs: %s)",
		r.Name, m.NumLayers, m.EmbedDim, m.NumHeads, m.FFNDim, r.Batch, r.Steps, r.LearningRate, r.Train, r.Test, r.Source, r.Departures)
}

// Pace returns the measured speed of a run's training steps: its median
// step time (the first step, with the graph compilation, left out) over
// all its steps.
func Pace(r transformer.Result) nb.Pace {
	return nb.Pace{Unit: "training step", Done: r.Steps, Seconds: float64(r.Steps) * r.StepMs / 1000}
}

// ShowPaces prints each run's pace (Pace) and the time of a recipe of
// steps steps at it ([nb.Pace.Recipe]); with steps <= 0, the pace alone.
func ShowPaces(results []transformer.Result, recipe string, steps int) {
	for _, r := range results {
		p := Pace(r)
		if steps > 0 {
			fmt.Printf("%s: %s\n", r.Name, p.Recipe(recipe, steps))
		} else {
			fmt.Printf("%s: measured %s (%s of training)\n", r.Name, p, nb.Hours(time.Duration(r.TrainSecs*float64(time.Second))))
		}
	}
}
