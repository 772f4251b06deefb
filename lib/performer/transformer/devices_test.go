package transformer

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/parallel"
	"github.com/labnotes/labnotes/lib/performer"
	"github.com/labnotes/labnotes/lib/performer/lra"
)

// plainEvaluate is Run.Evaluate as it was before Config.Devices: one
// model.NewExec on the run's store, called on each batch.
func plainEvaluate(t *testing.T, r *Run, ds train.Dataset) (meanLoss, accuracy float64) {
	t.Helper()
	exec, err := model.NewExec(r.Backend, r.Store, func(scope *model.Scope, inputs []*Node) []*Node {
		r.Store.SetTraining(inputs[0].Graph(), false)
		labels := inputs[len(inputs)-1]
		logits := r.modelFn(scope, nil, inputs[:len(inputs)-1])[0]
		l := loss.SparseCategoricalCrossEntropyLogits([]*Node{labels}, []*Node{logits})
		if !l.IsScalar() {
			l = graph.ReduceAllMean(l)
		}
		return []*Node{l, metric.SparseCategoricalAccuracyGraph(scope, []*Node{labels}, []*Node{logits})}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	n := 0
	for batch, err := range ds.Iter() {
		if err != nil {
			t.Fatal(err)
		}
		args := []any{}
		for _, x := range batch.Inputs {
			args = append(args, x)
		}
		out, err := exec.Exec(append(args, batch.Labels[0])...)
		if err != nil {
			t.Fatal(err)
		}
		meanLoss += tensorFloat(out[0])
		accuracy += tensorFloat(out[1])
		n++
	}
	return meanLoss / float64(n), accuracy / float64(n)
}

// plainTrain trains r with Trainer.TrainStep directly (the path before
// Config.Devices) for steps steps, evaluating every evalEvery, and returns
// its Points.
func plainTrain(t *testing.T, r *Run, ds, eval train.Dataset, steps, evalEvery int) []Point {
	t.Helper()
	next, stop := iter.Pull2(ds.Iter())
	defer stop()
	var points []Point
	for i := range steps {
		batch, err, ok := next()
		if err != nil || !ok {
			t.Fatalf("dataset: %v, %v", err, ok)
		}
		metrics, err := r.Trainer.TrainStep(batch)
		if err != nil {
			t.Fatal(err)
		}
		if (i+1)%evalEvery == 0 {
			l, acc := plainEvaluate(t, r, eval)
			points = append(points, Point{Step: i + 1, TrainLoss: tensorFloat(metrics[1]), EvalLoss: l, EvalAccuracy: acc})
		}
	}
	return points
}

// classifierExamples returns n examples of tokens in [1, 20) of lengths
// 4..11 labelled by their first token mod 3.
func classifierExamples(n int) []lra.Example {
	rng := rand.New(rand.NewPCG(7, 11))
	ex := make([]lra.Example, n)
	for i := range ex {
		toks := make([]int32, 4+rng.IntN(8))
		for j := range toks {
			toks[j] = 1 + int32(rng.IntN(19))
		}
		ex[i] = lra.Example{Tokens: toks, Label: toks[0] % 3}
	}
	return ex
}

// TestDevicesOneIsPlain: with Devices 0 (every device: one on the Go
// backend) and 1, Run.Train and Run.Evaluate give bit-identical training
// losses, evaluation losses and accuracies to Trainer.TrainStep and a plain
// model.Exec, for language models (exact and FAVOR+) and a classifier
// (tokens and mask inputs).
func TestDevicesOneIsPlain(t *testing.T) {
	be := testutil.Backend(t)
	if be.NumDevices() != 1 {
		t.Skipf("backend %s has %d devices: the plain path is the one-device path", be.Name(), be.NumDevices())
	}
	text := []byte(strings.Repeat("func main() { fmt.Println(\"hello, world\") }\n", 200))
	examples := classifierExamples(64)
	lm := Task{VocabSize: 256}
	cls := Task{VocabSize: 20, NumClasses: 3}
	lmData := func() (train.Dataset, train.Dataset) {
		return lra.NewWindowDataset("train", text, 32, 8).Seed(1),
			lra.NewWindowDataset("valid", text[:2000], 32, 8).Sequential().Steps(2)
	}
	clsData := func() (train.Dataset, train.Dataset) {
		return lra.NewSequenceDataset("train", examples[:48], 12, 8).Shuffle(3).Epochs(0),
			lra.NewSequenceDataset("valid", examples[48:], 12, 8)
	}
	base := Config{EmbedDim: 16, NumLayers: 1, NumHeads: 2, MaxLen: 32}
	favor := base
	favor.Attention, favor.Kernel, favor.NumFeatures = FAVOR, performer.KernelSoftmax, 16
	const steps, evalEvery = 6, 3
	for _, tc := range []struct {
		name string
		cfg  Config
		task Task
		data func() (train.Dataset, train.Dataset)
	}{
		{"lm exact", base, lm, lmData},
		{"lm favor", favor, lm, lmData},
		{"classifier", base, cls, clsData},
	} {
		ref := NewRun(be, "plain", tc.cfg, tc.task, 1e-2, 1)
		trainDS, evalDS := tc.data()
		want := plainTrain(t, ref, trainDS, evalDS, steps, evalEvery)
		for _, devices := range []int{0, 1} {
			t.Run(fmt.Sprintf("%s/devices=%d", tc.name, devices), func(t *testing.T) {
				cfg := tc.cfg
				cfg.Devices = devices
				r := NewRun(be, "run", cfg, tc.task, 1e-2, 1)
				r.Quiet = true
				trainDS, evalDS := tc.data()
				if err := r.Train(trainDS, evalDS, steps, evalEvery); err != nil {
					t.Fatal(err)
				}
				if p, err := r.Plan(); err != nil || p.Devices() != 1 || p.Distributed() {
					t.Errorf("plan %v, %v: want one device", p, err)
				}
				if len(r.History) != len(want) {
					t.Fatalf("%d evaluations, want %d", len(r.History), len(want))
				}
				for i, got := range r.History {
					w := want[i]
					if got.Step != w.Step || got.TrainLoss != w.TrainLoss || got.EvalLoss != w.EvalLoss || got.EvalAccuracy != w.EvalAccuracy {
						t.Errorf("step %d: train loss %v, eval loss %v, accuracy %v; plain path: step %d: %v, %v, %v",
							got.Step, got.TrainLoss, got.EvalLoss, got.EvalAccuracy, w.Step, w.TrainLoss, w.EvalLoss, w.EvalAccuracy)
					}
				}
			})
		}
	}
}

// TestDevicesTooMany: asking for more devices than the backend has is an
// error of Train and Evaluate naming the count; a negative count panics.
func TestDevicesTooMany(t *testing.T) {
	be := testutil.Backend(t)
	for _, extra := range []int{1, 7} {
		n := be.NumDevices() + extra
		cfg := Config{EmbedDim: 16, NumLayers: 1, NumHeads: 2, MaxLen: 32, Devices: n}
		r := NewRun(be, "many", cfg, Task{VocabSize: 256}, 1e-2, 1)
		r.Quiet = true
		text := []byte(strings.Repeat("hello, world\n", 50))
		ds := lra.NewWindowDataset("d", text, 32, 8).Sequential().Steps(1)
		errTrain := r.Train(ds, nil, 1, 0)
		_, _, errEval := r.Evaluate(ds)
		for name, err := range map[string]error{"Train": errTrain, "Evaluate": errEval} {
			if err == nil || !strings.HasPrefix(err.Error(), "transformer: ") ||
				!strings.Contains(err.Error(), fmt.Sprintf("Devices %d", n)) ||
				!strings.Contains(err.Error(), fmt.Sprintf("has %d", be.NumDevices())) {
				t.Errorf("%s with %d devices on %s: error %v, want one naming both counts", name, n, be.Name(), err)
			}
		}
		if r.Steps() != 0 {
			t.Errorf("%d steps run with too many devices", r.Steps())
		}
	}
	defer func() {
		if r, ok := recover().(error); !ok || !strings.HasPrefix(r.Error(), "transformer: ") || !strings.Contains(r.Error(), "Devices -1") {
			t.Errorf("Devices -1: recovered %v", r)
		}
	}()
	Config{Devices: -1}.withDefaults()
}

// zeros returns a zero int32 tensor of dims.
func zeros(dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return tensors.FromFlatDataAndDimensions(make([]int32, n), dims...)
}

// TestBatchLayouts: on a plan of 8 devices (no backend needed) every batch
// tensor is split along axis 0, a batch must be a multiple of 8 with one
// size for all tensors, and the evaluation's outputs are replicated.
func TestBatchLayouts(t *testing.T) {
	p8, err := parallel.ForDevices(8)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := parallel.ForDevices(1)
	if err != nil {
		t.Fatal(err)
	}
	b := parallel.Batch
	for _, tc := range []struct {
		name   string
		plan   *parallel.Plan
		shapes [][]int
		want   []parallel.Layout
		errHas []string
	}{
		{"lm 16 on 8", p8, [][]int{{16, 32}, {16, 32, 1}}, []parallel.Layout{b, b}, nil},
		{"classifier 64 on 8", p8, [][]int{{64, 12}, {64, 12}, {64, 1}}, []parallel.Layout{b, b, b}, nil},
		{"12 on 8", p8, [][]int{{12, 32}, {12, 32, 1}}, nil, []string{"batch size 12 on 8 devices", "multiple of 8"}},
		{"4 on 8", p8, [][]int{{4, 32}}, nil, []string{"batch size 4 on 8 devices"}},
		{"12 on 1", p1, [][]int{{12, 32}, {12, 1}}, []parallel.Layout{b, b}, nil},
		{"sizes differ", p8, [][]int{{16, 32}, {8, 1}}, nil, []string{"8 examples", "has 16"}},
		{"scalar", p8, [][]int{{16, 32}, {}}, nil, []string{"#1 is a scalar"}},
	} {
		ts := make([]*tensors.Tensor, len(tc.shapes))
		for i, dims := range tc.shapes {
			ts[i] = zeros(dims...)
		}
		got, err := batchLayouts(tc.plan, ts...)
		if tc.errHas != nil {
			if err == nil || !strings.HasPrefix(err.Error(), "transformer: ") {
				t.Errorf("%s: layouts %v, error %v: want an error", tc.name, got, err)
				continue
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%s: error %q does not say %q", tc.name, err, s)
				}
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: layouts %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if !slices.Equal(evalInputLayouts, []parallel.Layout{b}) || !slices.Equal(evalOutputLayouts, []parallel.Layout{parallel.Replicated}) {
		t.Errorf("evaluation layouts: inputs %v, outputs %v; want batch in, replicated out", evalInputLayouts, evalOutputLayouts)
	}
}

// TestDistribute: a classifier batch of 16 laid out on 8 devices (on the
// host, no backend needed) has its inputs and labels split into 8 shards of
// 2 rows each, in order; a batch of 12 is refused.
func TestDistribute(t *testing.T) {
	p8, err := parallel.ForDevices(8)
	if err != nil {
		t.Fatal(err)
	}
	batch := lra.NewSequenceDataset("d", classifierExamples(16), 12, 16).Iter()
	var b train.Batch
	for b = range batch {
		break
	}
	labels := slices.Clone(tensors.MustCopyFlatData[int32](b.Labels[0]))
	db, err := distribute(p8, b)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Finalize() }()
	if len(db.Inputs) != 2 || len(db.Labels) != 1 {
		t.Fatalf("%d inputs, %d labels: want 2 and 1", len(db.Inputs), len(db.Labels))
	}
	for i, d := range append(slices.Clone(db.Inputs), db.Labels...) {
		if d.NumShards() != 8 || d.ShardShape().Dimensions[0] != 2 || d.Shape().Dimensions[0] != 16 || d.ShardingSpec().IsReplicated() {
			t.Errorf("tensor #%d: %d shards of %s (logical %s): want 8 of 2 rows", i, d.NumShards(), d.ShardShape(), d.Shape())
		}
	}
	for dev, s := range db.Labels[0].Shards() {
		start, end := p8.Rows(16, dev)
		if got := tensors.MustCopyFlatData[int32](s); !slices.Equal(got, labels[start:end]) {
			t.Errorf("device %d labels %v, want rows %d..%d %v", dev, got, start, end, labels[start:end])
		}
	}
	if _, err := distribute(p8, train.Batch{Inputs: []*tensors.Tensor{zeros(12, 32)}, Labels: []*tensors.Tensor{zeros(12, 32, 1)}}); err == nil ||
		!strings.Contains(err.Error(), "batch size 12 on 8 devices") {
		t.Errorf("batch of 12 on 8 devices: error %v", err)
	}
}
