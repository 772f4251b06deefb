package study

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/cil/deep"
)

// PyCIL's CIFAR-100 B0 Inc10 training recipe (G-U-N/PyCIL, models/icarl.py;
// shared/docs/class-incremental.md): SGD with momentum 0.9 at lr 0.1,
// batch 128, 170 epochs per incremental task (200 for the first) with weight
// decay 2e-4 (5e-4 for the first), 2000 exemplars.
const (
	PyCILEpochs      = 170
	PyCILBatch       = 128
	PyCILLR          = 0.1
	PyCILMomentum    = 0.9
	PyCILWeightDecay = 2e-4
	PyCILMemory      = 2000
)

// Recipe is a paper's training recipe as notebook 10 runs it with its
// parameter recipe = "paper": the learners' options, where they come from
// and where they depart from it.
type Recipe struct {
	Name       string
	Options    deep.Options
	Source     string
	Departures string
}

// PyCIL returns PyCIL's recipe (the PyCIL... constants) for the backbone b
// at its default width, seed 1: every learner of lib/cil/deep trained with
// SGD (momentum 0.9) at lr 0.1, weight decay 2e-4, batch 128, 170 epochs per
// task, 2000 exemplars.
func PyCIL(b deep.Backbone) Recipe {
	o := deep.Options{Backbone: b, Epochs: PyCILEpochs, Batch: PyCILBatch, Optimizer: deep.SGD, LR: PyCILLR,
		Momentum: PyCILMomentum, WeightDecay: PyCILWeightDecay, Memory: PyCILMemory, Seed: 1}
	return Recipe{Name: fmt.Sprintf("PyCIL's recipe on the %s backbone", b), Options: o.WithDefaults(),
		Source: "PyCIL, models/icarl.py (CIFAR-100, ResNet32)",
		Departures: "one learning rate throughout (PyCIL divides it by 10 at epochs 80 and 120; lib/cil/deep has no schedule); " +
			"170 epochs and weight decay 2e-4 for the first task too (PyCIL: 200 and 5e-4); " +
			"Split Fashion-MNIST and lib/cil/deep's backbone instead of CIFAR-100 and ResNet32"}
}

// String returns the recipe's name and options in one line.
func (r Recipe) String() string {
	o := r.Options
	return fmt.Sprintf("%s: %d epochs per task, batch %d, %s lr %g (momentum %g, weight decay %g), %d exemplars (%s; differs: %s)",
		r.Name, o.Epochs, o.Batch, o.Optimizer, o.LR, o.Momentum, o.WeightDecay, o.Memory, r.Source, r.Departures)
}
