package nb

import (
	"iter"
	"strings"
	"testing"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// constDataset yields the batch y = 2x forever.
type constDataset struct{}

func (constDataset) Name() string { return "const" }

func (constDataset) Iter() iter.Seq2[train.Batch, error] {
	return func(yield func(train.Batch, error) bool) {
		for {
			b := train.Batch{
				Inputs: []*tensors.Tensor{tensors.MustFromAnyValue([]float32{1, 2, 3})},
				Labels: []*tensors.Tensor{tensors.MustFromAnyValue([]float32{2, 4, 6})},
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}

func TestAttachProgress(t *testing.T) {
	backend, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	modelFn := func(scope *model.Scope, x *graph.Node) *graph.Node {
		w := scope.VariableWithValue("w", float32(0)).NodeValue(x.Graph())
		return graph.Mul(x, w)
	}
	opt := optimizer.StochasticGradientDescent().WithDecay(false).WithLearningRate(0.05).Done()
	trainer := train.NewTrainer(backend, model.NewStore(), modelFn, loss.MeanSquaredError, opt, nil, nil)
	loop := train.NewLoop(trainer)

	c := newCapture(t, true)
	AttachProgress(loop, "fit")
	if _, err := loop.RunSteps(constDataset{}, 30); err != nil {
		t.Fatal(err)
	}
	if len(c.html) < 2 {
		t.Fatalf("got %d displays, want at least the first update and the final one", len(c.html))
	}
	last := c.html[len(c.html)-1]
	for _, want := range []string{"<b>fit</b>", "30/30 (100%)", "done in", "="} {
		if !strings.Contains(last, want) {
			t.Errorf("final display %q missing %q", last, want)
		}
	}
	t.Logf("final: %s", last)

	// A second run starts a new display.
	n := len(c.html)
	if _, err := loop.RunSteps(constDataset{}, 5); err != nil {
		t.Fatal(err)
	}
	if len(c.html) <= n || !strings.Contains(c.html[len(c.html)-1], "5/5") {
		t.Errorf("second run displays %q", c.html[n:])
	}
}
