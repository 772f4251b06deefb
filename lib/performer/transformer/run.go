package transformer

import (
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/labnotes/labnotes/lib/measure"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/distributed"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/nb"
	"github.com/labnotes/labnotes/lib/parallel"
)

// Task says what a [Run] trains: a language model (NumClasses == 0) or a
// sequence classifier.
type Task struct {
	VocabSize  int
	NumClasses int
}

// Point is one evaluation during training.
type Point struct {
	Step           int
	TrainLoss      float64 // Moving average of the training loss.
	EvalLoss       float64
	EvalAccuracy   float64
	ElapsedSeconds float64 // Training time so far (without evaluations).
}

// Run is one model being trained and evaluated: the notebooks' unit of
// experiment. Its variables live in Store; its config is set on the store's
// root scope as parameters (Config.Params), so a checkpoint records it.
type Run struct {
	Name    string
	Config  Config
	Task    Task
	Backend compute.Backend
	Store   *model.Store
	Trainer *train.Trainer

	// Quiet turns off the progress display of Train.
	Quiet bool
	// History holds the evaluations made by Train, in order.
	History []Point
	// StepTimes are the wall times of the training steps run so far.
	StepTimes []time.Duration
	// PeakMemory is the largest growth of the process' resident memory over
	// its level before a Train call, in bytes (Linux only; 0 if unknown).
	// It measures host memory: meaningful for the Go backend, not for a GPU.
	PeakMemory int64

	steps        int
	trainSeconds float64
	modelFn      func(scope *model.Scope, spec any, inputs []*Node) []*Node
	plan         *parallel.Plan // Built by Plan.
}

// NewRun creates a run with a fresh store holding cfg's parameters and the
// initialization seed, trained with Adam at learningRate. It computes in
// cfg.Precision (default by backend: bfloat16 on XLA on a GPU, float32 on
// the Go backend); variables, gradients and Adam's state are float32 in
// every precision. It trains and evaluates on cfg.Devices devices of the
// backend (default DefaultDevices: every one), data-parallel; see [Run.Train].
func NewRun(backend compute.Backend, name string, cfg Config, task Task, learningRate float64, seed int64) *Run {
	cfg = cfg.withDefaults()
	store := model.NewStore()
	store.SetParams(cfg.Params())
	store.SetParam(initializer.ParamInitialSeed, seed)
	store.SetParam(optimizer.ParamLearningRate, learningRate)
	r := &Run{Name: name, Config: cfg, Task: task, Backend: backend, Store: store}
	if task.NumClasses == 0 {
		r.modelFn = LMModelFn(task.VocabSize)
	} else {
		r.modelFn = ClassifierModelFn(task.VocabSize, task.NumClasses)
	}
	r.Trainer = train.NewTrainer(backend, store, r.modelFn, loss.SparseCategoricalCrossEntropyLogits,
		optimizer.Adam().LearningRate(learningRate).Done(), nil, nil)
	return r
}

// Steps returns the number of training steps run.
func (r *Run) Steps() int { return r.steps }

// TrainSeconds returns the total wall time of the training steps.
func (r *Run) TrainSeconds() float64 { return r.trainSeconds }

// MedianStepTime returns the median training step time, leaving out the
// first step (graph compilation and first-touch of memory) when there are
// more.
func (r *Run) MedianStepTime() time.Duration {
	t := r.StepTimes
	if len(t) > 1 {
		t = t[1:]
	}
	if len(t) == 0 {
		return 0
	}
	s := slices.Clone(t)
	slices.Sort(s)
	return s[len(s)/2]
}

// Train runs steps training steps on batches of ds (restarting its Iter
// when it runs out), evaluating on eval (if not nil) every evalEvery steps
// (if > 0) and at the end, appending to History. It shows a progress bar
// labelled with the run's name unless Quiet.
//
// On several devices ([Run.Plan]) each batch is split along axis 0 over
// them (its size must be a multiple of the device count), the variables and
// Adam's state are replicated and XLA reduces the gradients
// (Trainer.DistributedTrainStep with AutoSharding); on one device it is
// Trainer.TrainStep.
func (r *Run) Train(ds, eval train.Dataset, steps, evalEvery int) error {
	plan, err := r.Plan()
	if err != nil {
		return err
	}
	var p *nb.Progress
	if !r.Quiet {
		p = nb.NewProgress(steps, r.Name)
	}
	peak := measure.StartPeak()
	next, stop := iterPull(ds)
	defer func() { stop() }()
	var lastLoss float64
	for i := range steps {
		batch, ok, err := next()
		if err != nil {
			return errors.WithMessagef(err, "transformer: run %s: dataset %s", r.Name, ds.Name())
		}
		if !ok {
			stop()
			next, stop = iterPull(ds)
			if batch, ok, err = next(); err != nil || !ok {
				return errors.Errorf("transformer: run %s: dataset %s yields no batches (%v)", r.Name, ds.Name(), err)
			}
		}
		start := time.Now()
		metrics, err := r.trainStep(plan, batch)
		if err != nil {
			return errors.WithMessagef(err, "transformer: run %s: training step %d", r.Name, r.steps+1)
		}
		lastLoss = tensorFloat(metrics[1]) // Moving average of the loss; reading it waits for the step.
		d := time.Since(start)
		r.StepTimes = append(r.StepTimes, d)
		r.trainSeconds += d.Seconds()
		r.steps++
		if p != nil {
			p.Update(i+1, "loss", lastLoss)
		}
		if eval != nil && ((evalEvery > 0 && (i+1)%evalEvery == 0 && i+1 < steps) || i+1 == steps) {
			if err := r.evalPoint(eval, lastLoss); err != nil {
				return err
			}
		}
	}
	if p != nil {
		p.Done()
	}
	if grown := peak.Growth(); grown > r.PeakMemory {
		r.PeakMemory = grown
	}
	return nil
}

// trainStep runs one training step on batch (whose tensors it finalizes)
// and returns the trainer's metrics.
func (r *Run) trainStep(plan *parallel.Plan, batch train.Batch) ([]*tensors.Tensor, error) {
	if !plan.Distributed() {
		return r.Trainer.TrainStep(batch)
	}
	db, err := distribute(plan, batch)
	if err != nil {
		return nil, err
	}
	return r.Trainer.DistributedTrainStep(distributed.AutoSharding, nil, db)
}

// evalPoint evaluates and records a Point.
func (r *Run) evalPoint(eval train.Dataset, trainLoss float64) error {
	l, acc, err := r.Evaluate(eval)
	if err != nil {
		return err
	}
	r.History = append(r.History, Point{Step: r.steps, TrainLoss: trainLoss, EvalLoss: l, EvalAccuracy: acc,
		ElapsedSeconds: r.trainSeconds})
	return nil
}

// Evaluate returns the mean loss and accuracy over ds (for a language model:
// next-token accuracy over every position), averaged over batches.
//
// It builds its own evaluation graph at every call: train.Trainer.Eval on
// GoMLX v0.28.16 kept returning the values of its first call once the
// model had been trained before it (variables changed later were not seen).
// On several devices ([Run.Plan]) each batch is split along axis 0 over
// them, as in [Run.Train].
func (r *Run) Evaluate(ds train.Dataset) (meanLoss, accuracy float64, err error) {
	plan, err := r.Plan()
	if err != nil {
		return 0, 0, err
	}
	exec, err := plan.NewExec(r.Backend, r.Store, func(scope *model.Scope, inputs []*Node) []*Node {
		g := inputs[0].Graph()
		r.Store.SetTraining(g, false)
		labels := inputs[len(inputs)-1]
		logits := r.modelFn(scope, nil, inputs[:len(inputs)-1])[0]
		l := loss.SparseCategoricalCrossEntropyLogits([]*Node{labels}, []*Node{logits})
		if !l.IsScalar() {
			l = graph.ReduceAllMean(l)
		}
		acc := metric.SparseCategoricalAccuracyGraph(scope, []*Node{labels}, []*Node{logits})
		return []*Node{l, acc}
	}, evalInputLayouts, evalOutputLayouts)
	if err != nil {
		return 0, 0, errors.WithMessagef(err, "transformer: run %s: evaluation graph", r.Name)
	}
	defer exec.Finalize()
	n := 0
	for batch, err := range ds.Iter() {
		if err != nil {
			return 0, 0, errors.WithMessagef(err, "transformer: run %s: evaluating on %s", r.Name, ds.Name())
		}
		args := make([]any, 0, len(batch.Inputs)+1)
		for _, t := range batch.Inputs {
			args = append(args, t)
		}
		args = append(args, batch.Labels[0])
		l, acc, err := evalStep(plan, exec, args)
		if err != nil {
			return 0, 0, errors.WithMessagef(err, "transformer: run %s: evaluating on %s", r.Name, ds.Name())
		}
		meanLoss += l
		accuracy += acc
		n++
	}
	if n == 0 {
		return 0, 0, errors.Errorf("transformer: run %s: evaluation dataset %s yields no batches", r.Name, ds.Name())
	}
	return meanLoss / float64(n), accuracy / float64(n), nil
}

// evalStep runs the evaluation exec of plan on one batch's host tensors
// (inputs, then labels) and returns its loss and accuracy.
func evalStep(plan *parallel.Plan, exec *model.Exec, args []any) (l, acc float64, err error) {
	if plan.Distributed() {
		ts := make([]*tensors.Tensor, len(args))
		for i, a := range args {
			ts[i] = a.(*tensors.Tensor)
		}
		layouts, err := batchLayouts(plan, ts...)
		if err != nil {
			return 0, 0, err
		}
		for i, t := range ts {
			if args[i], err = plan.Put(layouts[i], t); err != nil {
				parallel.Release(args[:i]...)
				return 0, 0, err
			}
		}
	}
	out, err := plan.Call(exec, args...)
	if plan.Distributed() {
		parallel.Release(args...)
	}
	if err != nil {
		return 0, 0, err
	}
	var vals [2]float64
	for i := range vals {
		t, err := parallel.Local(out[i])
		if err != nil {
			return 0, 0, err
		}
		vals[i] = tensorFloat(t)
	}
	return vals[0], vals[1], nil
}

// Record appends an evaluation on eval at the current step to History (e.g.
// before any fine-tuning).
func (r *Run) Record(eval train.Dataset) error {
	return r.evalPoint(eval, 0)
}

// LastAccuracy returns the last evaluation accuracy recorded (0 if none).
func (r *Run) LastAccuracy() float64 {
	if len(r.History) == 0 {
		return 0
	}
	return r.History[len(r.History)-1].EvalAccuracy
}

// Curve returns the steps and evaluation accuracies of History, for plots.
func (r *Run) Curve() (steps, accuracy []float64) {
	for _, p := range r.History {
		steps = append(steps, float64(p.Step))
		accuracy = append(accuracy, p.EvalAccuracy)
	}
	return
}

// Save writes a checkpoint of the run's store (variables, optimizer state
// and parameters) into dir.
func (r *Run) Save(dir string) error {
	h, err := checkpoint.Build(r.Store).Dir(dir).Keep(1).Done()
	if err != nil {
		return errors.WithMessagef(err, "transformer: checkpoint %s", dir)
	}
	return errors.WithMessagef(h.Save(), "transformer: saving checkpoint %s", dir)
}

// LoadWeights loads the model variables of the latest checkpoint in dir
// (written by Save, e.g. by a run with exact attention) into the run,
// leaving out the optimizer's state and the checkpoint's parameters: the
// run keeps its own config (e.g. FAVOR attention) and starts a fresh
// optimizer. It returns the number of variables loaded.
func (r *Run) LoadWeights(dir string) (int, error) {
	tmp := model.NewStore()
	h, err := checkpoint.Build(tmp).Dir(dir).ExcludeAllParams().Done()
	if err != nil {
		return 0, errors.WithMessagef(err, "transformer: loading checkpoint %s", dir)
	}
	n := 0
	for key, value := range h.LoadedVariables() {
		path := strings.TrimPrefix(key, "var:")
		if !IsModelVariable(path) {
			continue
		}
		if v := r.Store.GetVariable(path); v != nil {
			if err := v.SetValue(value); err != nil {
				return n, errors.WithMessagef(err, "transformer: setting %s", path)
			}
		} else if _, err := r.Store.CreateVariable(path, value); err != nil {
			return n, errors.WithMessagef(err, "transformer: creating %s", path)
		}
		n++
	}
	if n == 0 {
		return 0, errors.Errorf("transformer: no model variables in checkpoint %s", dir)
	}
	return n, nil
}

// VariablePaths returns the sorted paths of the run's model variables
// (without the optimizer's), once the model was built (after a training or
// evaluation step).
func (r *Run) VariablePaths() []string {
	var paths []string
	for v := range r.Store.IterVariables() {
		if p := v.Path(); IsModelVariable(p) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	return paths
}

// IsModelVariable reports whether a variable path (e.g. "/layer_0/ffn_norm/gain")
// holds a model weight rather than training state: the optimizer's
// (/AdamOptimizer/..., /optimizers/..., global_step), the metrics'
// (/metrics/...) or the random number generator's (/#rngState).
func IsModelVariable(path string) bool {
	for _, prefix := range []string{"/AdamOptimizer/", "/" + optimizer.Scope + "/", "/metrics/", "/#"} {
		if strings.HasPrefix(path, prefix) {
			return false
		}
	}
	return model.BasePath(path) != optimizer.GlobalStepVariableName
}

func tensorFloat(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

// iterPull returns a pull iterator over ds.Iter().
func iterPull(ds train.Dataset) (next func() (train.Batch, bool, error), stop func()) {
	n, s := iter.Pull2(ds.Iter())
	return func() (train.Batch, bool, error) {
		b, err, ok := n()
		return b, ok, err
	}, s
}
