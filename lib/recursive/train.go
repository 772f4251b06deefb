package recursive

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/parallel"
	"github.com/labnotes/labnotes/lib/recursive/blocks"
	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// Scopes of the trainer's variables in its store.
const (
	// ScopeModel holds the model's variables (see [Step]).
	ScopeModel = "model"
	// ScopeEMA holds the exponential moving average of the trainable model
	// variables (blocks.EMA) at /ema/shadow<path>. The optimizers' state is
	// under /AdamATan2 and /SignSGD (blocks.AdamATan2, blocks.SignSGD).
	ScopeEMA = "ema"
)

// StepInfo describes one training step (one supervision step of every slot).
type StepInfo struct {
	// Step is the number of training steps done, this one included.
	Step int
	// Loss is the total loss: LMLoss + 0.5·(QHaltLoss + QContinueLoss).
	Loss, LMLoss, QHaltLoss, QContinueLoss float64
	// ExactAccuracy is the fraction of slots whose answer is entirely right
	// at this step; CellAccuracy the fraction of label cells right (all
	// label cells, given ones included). Slots are at different supervision
	// steps, so these are noisy training signals; see [Trainer.Evaluate].
	ExactAccuracy, CellAccuracy float64
	// Halted is the number of slots that halted after this step (they take
	// new examples at the next step); HaltedSteps their mean number of
	// supervision steps and HaltedExact the fraction of them solved exactly.
	Halted                   int
	HaltedSteps, HaltedExact float64
	// LearningRate is the network's learning rate at this step (warmup).
	LearningRate float64
	// Duration is the wall time of the step (data, graph execution, halting).
	Duration time.Duration
	// SupervisionStepsPerSecond is B / Duration: example-supervision-steps
	// processed per second.
	SupervisionStepsPerSecond float64
}

// slot is one row of the training batch: the example it holds and its
// halting state (the carried model state lives in Trainer.state).
type slot struct {
	Inputs, Labels []uint8
	PuzzleID       int32
	Steps          int  // supervision steps done on this example
	Halted         bool // take a new example (and reset the state) at the next step
}

// Trainer trains a model with deep supervision and adaptive halting on a
// stream of puzzles: it holds the store (weights, optimizer state, EMA), the
// batch's per-slot carry, the data position and the random generator, all
// of which [Trainer.Save] writes.
type Trainer struct {
	Config  Config
	Backend compute.Backend
	Store   *model.Store
	// OnStep, if set, is called after every training step (e.g. to update
	// a notebook's progress bar or plot).
	OnStep func(StepInfo)
	// History holds every training step's StepInfo, in order.
	History []StepInfo
	// Evals holds the held-out evaluations of TrainEvaluating, in order
	// (kept by checkpoints, like History).
	Evals []EvalPoint

	src   puzzle.Source
	steps int
	// Data position: epoch and examples taken from it.
	epoch, consumed int
	pending         []example
	nextBatch       func() (*puzzle.Batch, error, bool)
	stopBatch       func()
	pcg             *rand.PCG
	rng             *rand.Rand
	slots           []slot
	// state is the carry: NumStates values [Batch, Positions, Hidden],
	// host or device tensors (*tensors.Tensor), or sharded over the
	// plan's devices (*dtensor.Tensor).
	state        []any
	plan         *parallel.Plan
	trainSeconds float64
	finished     int // examples that halted

	trainExec, inferExec *model.Exec
}

// NewTrainer returns a trainer of a fresh model configured by cfg on the
// training puzzles of src (cfg.SeqLen must equal src.SeqLen()), its
// weights initialized from cfg.Seed. For example (ExampleNewTrainer):
//
//	cfg := recursive.Config{Kind: recursive.TRM, SeqLen: 16, Vocab: sudoku.Vocab(sudoku.Shape4),
//		Hidden: 16, Heads: 2, Layers: 1, Mixer: recursive.MixMLP, T: 2, SmallN: 2, NSup: 4, Batch: 8}
//	tr, err := recursive.NewTrainer(backend, cfg, train)
//	tr.OnStep = func(s recursive.StepInfo) { ... } // s.Loss, s.ExactAccuracy, s.Duration
//	err = tr.Train(10)
//	res, err := tr.Evaluate(test, cfg.NSup) // res.ExactAccuracy, res.CellAccuracy, res.ExactByStep
//
// An invalid cfg is an error (not a panic).
func NewTrainer(backend compute.Backend, cfg Config, src puzzle.Source) (t *Trainer, err error) {
	defer func() {
		if r := recover(); r != nil {
			t = nil
			var ok bool
			if err, ok = r.(error); !ok { // WithDefaults panics with "recursive: " errors.
				err = errors.Errorf("recursive: %v", r)
			}
		}
	}()
	cfg = cfg.WithDefaults()
	if src.SeqLen() != cfg.SeqLen {
		return nil, errors.Errorf("recursive: source has SeqLen %d, config %d", src.SeqLen(), cfg.SeqLen)
	}
	if src.Len() == 0 {
		return nil, errors.New("recursive: empty training source")
	}
	store, err := newStore(cfg, int64(cfg.Seed|1))
	if err != nil {
		return nil, err
	}
	plan, err := newPlan(backend, cfg)
	if err != nil {
		return nil, err
	}
	t = &Trainer{Config: cfg, Backend: backend, Store: store, src: src, plan: plan}
	t.pcg = rand.NewPCG(cfg.Seed, 0x5eed)
	t.rng = rand.New(t.pcg)
	t.slots = make([]slot, cfg.Batch)
	for i := range t.slots {
		t.slots[i].Halted = true
	}
	t.state = toAny(t.zeroState(cfg.Batch))
	return t, nil
}

// newPlan returns the data-parallel plan of cfg on backend: cfg.Devices
// devices (0: all of them), over which cfg.Batch must split evenly.
func newPlan(backend compute.Backend, cfg Config) (*parallel.Plan, error) {
	plan, err := parallel.New(backend, cfg.Devices)
	if err != nil {
		return nil, errors.WithMessage(err, "recursive: Config.Devices")
	}
	if err := plan.CheckBatch(cfg.Batch); err != nil {
		return nil, errors.WithMessagef(err, "recursive: Config.Batch %d on %d devices (set Config.Devices to a divisor of the batch)",
			cfg.Batch, plan.Devices())
	}
	return plan, nil
}

// Devices returns the number of devices the trainer spreads its batches over.
func (t *Trainer) Devices() int { return t.plan.Devices() }

// SetDevices makes the trainer spread its batches over n devices (0: all
// of the backend's; see Config.Devices) from its next step, e.g. after
// [Resume]. The carried state moves to the host and is split anew; the
// graphs are rebuilt. An n the backend or the batch does not allow is an
// error, and the trainer is left as it was.
func (t *Trainer) SetDevices(n int) error {
	cfg := t.Config
	cfg.Devices = n
	if n < 0 {
		return errors.Errorf("recursive: SetDevices(%d): want 0 (every device) or a positive count", n)
	}
	plan, err := newPlan(t.Backend, cfg)
	if err != nil {
		return err
	}
	state, err := t.hostState()
	if err != nil {
		return err
	}
	for i, s := range t.state {
		if s != any(state[i]) {
			parallel.Release(s)
		}
	}
	t.state = toAny(state)
	t.Config.Devices, t.plan = n, plan
	t.closeExecs()
	return nil
}

// hostState returns the carried state as host tensors: the trainer's own
// tensors with one device, merged copies of the shards with several.
func (t *Trainer) hostState() ([]*tensors.Tensor, error) {
	out := make([]*tensors.Tensor, len(t.state))
	for i, s := range t.state {
		h, err := parallel.Local(s)
		if err != nil {
			return nil, errors.WithMessagef(err, "recursive: carried state %d", i)
		}
		out[i] = h
	}
	return out, nil
}

// putBatch lays out per-example values (host tensors, or the sharded
// outputs of a previous step) over the plan's devices.
func (t *Trainer) putBatch(vs []any) ([]any, error) {
	out := make([]any, len(vs))
	for i, v := range vs {
		p, err := t.plan.Put(parallel.Batch, v)
		if err != nil {
			return nil, errors.WithMessagef(err, "recursive: argument %d", i)
		}
		out[i] = p
	}
	return out, nil
}

// hostTensors reads values returned by a step into tensors: a tensor as
// is, sharded values merged into a host tensor (their shards then freed).
func hostTensors(vs []any) ([]*tensors.Tensor, error) {
	out := make([]*tensors.Tensor, len(vs))
	for i, v := range vs {
		h, err := parallel.Local(v)
		if err != nil {
			release(vs...)
			return nil, errors.WithMessagef(err, "recursive: step output %d", i)
		}
		if any(h) != v {
			release(v)
		}
		out[i] = h
	}
	return out, nil
}

// outLayouts returns the output layouts of the training graph (nRepl 4
// losses, nBatch 5 per-slot values) or the inference graph (0, 7): the
// carry's NumStates tensors and the per-slot values sharded with the
// batch, the losses replicated. Every input of both is per-example
// (parallel.Batch).
func (t *Trainer) outLayouts(nRepl, nBatch int) []parallel.Layout {
	var out []parallel.Layout
	for range t.Config.NumStates() {
		out = append(out, parallel.Batch)
	}
	for range nRepl {
		out = append(out, parallel.Replicated)
	}
	for range nBatch {
		out = append(out, parallel.Batch)
	}
	return out
}

// SetPrecision sets the compute precision of the trainer's graphs
// (Config.Precision; empty: the backend's), rebuilt at their next use. The
// weights, optimizer state, EMA and carried state are float32 in every
// precision, so a run (e.g. one resumed from a checkpoint) can change it.
func (t *Trainer) SetPrecision(p backend.Precision) {
	if p == t.Config.Precision {
		return
	}
	t.Config.Precision = p
	t.Config = t.Config.WithDefaults() // Validates p.
	t.Store.SetParam(ParamPrecision, string(p))
	t.closeExecs()
}

// Precision returns the precision the trainer's graphs compute in on its
// backend: Config.Precision, or the backend's default when it is empty.
func (t *Trainer) Precision() backend.Precision {
	return t.Config.Precision.Resolve(t.Backend)
}

// newStore returns a store holding cfg's model hyperparameters (Params)
// whose initializers and random state are seeded with seed.
func newStore(cfg Config, seed int64) (*model.Store, error) {
	store := model.NewStore()
	store.SetParams(cfg.Params())
	store.SetParam(initializer.ParamInitialSeed, seed)
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		return nil, errors.WithMessage(err, "recursive: seeding the store")
	}
	return store, nil
}

// Steps returns the number of training steps done.
func (t *Trainer) Steps() int { return t.steps }

// TrainSeconds returns the total wall time of the training steps.
func (t *Trainer) TrainSeconds() float64 { return t.trainSeconds }

// Throughput returns the examples finished (halted) per second of training.
func (t *Trainer) Throughput() float64 {
	if t.trainSeconds == 0 {
		return 0
	}
	return float64(t.finished) / t.trainSeconds
}

// NumParameters returns the number of trainable model parameters (0 before
// the model's graph was first built by a training or evaluation step).
func (t *Trainer) NumParameters() int {
	n := 0
	for _, v := range modelVariables(t.Store, nil) {
		n += v.Shape().Size()
	}
	return n
}

// Close stops the data stream and frees the compiled graphs. The store stays
// usable.
func (t *Trainer) Close() {
	if t.stopBatch != nil {
		t.stopBatch()
		t.stopBatch, t.nextBatch = nil, nil
	}
	t.closeExecs()
}

// closeExecs frees the compiled graphs; they are rebuilt at their next use.
func (t *Trainer) closeExecs() {
	for _, e := range []**model.Exec{&t.trainExec, &t.inferExec} {
		if *e != nil {
			(*e).Finalize()
			*e = nil
		}
	}
}

// release frees the memory of tensors (host and device, sharded or not)
// now instead of when the Go garbage collector finalizes them. The
// collector does not see device memory, and a process with a large Go heap
// collects rarely: a run resumed from a checkpoint (whose bytes are on the
// heap) ran an H100 out of memory ~440 training steps after resuming, each
// step leaving its inputs, old state and metrics (~150 MB) on the device.
var release = parallel.Release

// toAny converts tensors to call arguments (or to release's arguments).
func toAny(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, x := range ts {
		out[i] = x
	}
	return out
}

// learningRate is the warmup schedule of the optimizer (blocks.AdamATan2):
// LearningRate·min(1, step/Warmup) at the 1-based step, for StepInfo.
func (t *Trainer) learningRate(step int) float64 {
	if t.Config.Warmup > 0 && step < t.Config.Warmup {
		return t.Config.LearningRate * float64(step) / float64(t.Config.Warmup)
	}
	return t.Config.LearningRate
}

// Train runs steps training steps.
func (t *Trainer) Train(steps int) error {
	for range steps {
		if _, err := t.TrainStep(); err != nil {
			return err
		}
	}
	return nil
}

// TrainStep runs one training step: halted slots take new examples (their
// state reset), every slot makes one supervision step, the weights are
// updated, and slots halt after NSup steps or when the halting head says so.
func (t *Trainer) TrainStep() (StepInfo, error) {
	start := time.Now()
	cfg := t.Config
	B, L := cfg.Batch, cfg.SeqLen
	tokens, labels := make([]int32, B*L), make([]int32, B*L)
	ids := make([]int32, B)
	reset, last := make([]bool, B), make([]bool, B)
	for i := range t.slots {
		s := &t.slots[i]
		if s.Halted {
			e, err := t.nextExample()
			if err != nil {
				return StepInfo{}, err
			}
			*s = slot{Inputs: e.inputs, Labels: e.labels, PuzzleID: e.id}
			reset[i] = true
		}
		for j := range L {
			tokens[i*L+j], labels[i*L+j] = int32(s.Inputs[j]), int32(s.Labels[j])
		}
		ids[i] = s.PuzzleID
		last[i] = s.Steps+1 >= cfg.NSup
	}
	if t.trainExec == nil {
		exec, err := t.plan.NewExec(t.Backend, t.Store, t.trainGraph, []parallel.Layout{parallel.Batch}, t.outLayouts(4, 5))
		if err != nil {
			return StepInfo{}, errors.WithMessage(err, "recursive: training graph")
		}
		t.trainExec = exec
	}
	step := t.steps + 1
	lr := t.learningRate(step)
	args, err := t.putBatch(append([]any{tensors.FromFlatDataAndDimensions(tokens, B, L), tensors.FromFlatDataAndDimensions(ids, B),
		tensors.FromFlatDataAndDimensions(labels, B, L), tensors.FromFlatDataAndDimensions(reset, B),
		tensors.FromFlatDataAndDimensions(last, B)}, t.state...))
	if err != nil {
		return StepInfo{}, err
	}
	out, err := t.plan.Call(t.trainExec, args...)
	if err != nil {
		return StepInfo{}, errors.WithMessagef(err, "recursive: training step %d", step)
	}
	k := cfg.NumStates()
	release(args...) // the inputs and the previous state
	t.state = out[:k]
	m, err := hostTensors(out[k:])
	if err != nil {
		return StepInfo{}, err
	}
	defer release(toAny(m)...)
	info := StepInfo{Step: step, Loss: scalar(m[0]), LMLoss: scalar(m[1]), QHaltLoss: scalar(m[2]),
		QContinueLoss: scalar(m[3]), LearningRate: lr}
	qHalt, qCont := tensors.MustCopyFlatData[float32](m[4]), tensors.MustCopyFlatData[float32](m[5])
	exact := tensors.MustCopyFlatData[bool](m[6])
	cellOK, cellN := tensors.MustCopyFlatData[int32](m[7]), tensors.MustCopyFlatData[int32](m[8])
	var nExact, nCellOK, nCell, haltedExact, haltedSteps int
	for i := range t.slots {
		s := &t.slots[i]
		s.Steps++
		halt := cfg.halts(s.Steps, qHalt[i], qCont[i], t.rng)
		s.Halted = halt
		if exact[i] {
			nExact++
		}
		nCellOK += int(cellOK[i])
		nCell += int(cellN[i])
		if halt {
			info.Halted++
			haltedSteps += s.Steps
			if exact[i] {
				haltedExact++
			}
		}
	}
	info.ExactAccuracy = float64(nExact) / float64(B)
	if nCell > 0 {
		info.CellAccuracy = float64(nCellOK) / float64(nCell)
	}
	if info.Halted > 0 {
		info.HaltedSteps = float64(haltedSteps) / float64(info.Halted)
		info.HaltedExact = float64(haltedExact) / float64(info.Halted)
	}
	t.finished += info.Halted
	t.steps = step
	info.Duration = time.Since(start)
	info.SupervisionStepsPerSecond = float64(B) / info.Duration.Seconds()
	t.trainSeconds += info.Duration.Seconds()
	t.History = append(t.History, info)
	if t.OnStep != nil {
		t.OnStep(info)
	}
	return info, nil
}

// haltSignal is the halting rule of training and evaluation: the halting
// head says halt when q_halt > 0 (TRM), or q_halt > q_continue with
// QContinue (HRM).
func (c Config) haltSignal(qHalt, qContinue float32) bool {
	if c.QContinue {
		return qHalt > qContinue
	}
	return qHalt > 0
}

// halts decides whether a training slot that has made steps supervision
// steps halts, given its halting logits: always at NSup steps; otherwise,
// with halting on, when haltSignal says so, unless exploration
// (probability ExploreProb, drawn from rng at every call) demands a minimum
// number of steps in [2, NSup] that is not reached yet.
func (c Config) halts(steps int, qHalt, qContinue float32, rng *rand.Rand) bool {
	if steps >= c.NSup {
		return true
	}
	if c.NoHalting || c.Kind == Direct {
		return false
	}
	signal := c.haltSignal(qHalt, qContinue)
	minSteps := 0
	if c.ExploreProb > 0 && rng.Float64() < c.ExploreProb {
		minSteps = 2 + rng.IntN(max(c.NSup-1, 1))
	}
	return signal && steps >= minSteps
}

// scalar returns a float32 scalar tensor's value.
func scalar(t *tensors.Tensor) float64 { return float64(tensors.ToScalar[float32](t)) }

// bceWithLogits is the binary cross-entropy of logits x against targets
// in [0, 1], elementwise: max(x, 0) - x·t + log(1 + exp(-|x|)).
func bceWithLogits(x, target *Node) *Node {
	return graph.Add(graph.Sub(graph.Max(x, graph.ZerosLike(x)), graph.Mul(x, target)),
		graph.Log1p(graph.Exp(graph.Neg(graph.Abs(x)))))
}

// trainGraph is the training step: inputs tokens [B, L], puzzle ids [B],
// labels [B, L], reset [B], last [B] (the slot's last allowed step) and
// the carried state; outputs the new
// state, the losses, q_halt, q_continue, exact [B], right cells [B] and
// label cells [B].
func (t *Trainer) trainGraph(root *model.Scope, in []*Node) []*Node {
	cfg := t.Config
	g := in[0].Graph()
	root.Store().SetTraining(g, true)
	tokens, ids, labels, reset, last := in[0], in[1], in[2], in[3], in[4]
	ms := root.At(ScopeModel)
	so := supervisionStep(ms, tokens, ids, reset, in[5:])

	// Answer loss: per-example mean stablemax cross-entropy over label cells.
	mask := graph.NotEqual(labels, graph.ScalarZero(g, dtypes.Int32))
	tokLoss := blocks.StablemaxCrossEntropy(so.Logits, labels, mask)
	count := graph.MaxScalar(graph.ReduceSum(graph.ConvertDType(mask, dtypes.Float32), -1), 1)
	lmLoss := graph.ReduceAllMean(graph.Div(graph.ReduceSum(tokLoss, -1), count))
	exact, cellOK, cellN := answerStats(graph.ArgMax(so.Logits, -1, dtypes.Int32), labels)

	zero := graph.ScalarZero(g, dtypes.Float32)
	qHaltLoss, qContLoss := zero, zero
	if !cfg.NoHalting && cfg.Kind != Direct {
		qHaltLoss = graph.ReduceAllMean(bceWithLogits(so.QHalt, graph.ConvertDType(exact, dtypes.Float32)))
		if cfg.QContinue {
			// Q-learning target from an extra forward pass on the new state.
			next := Step(ms, tokens, ids, so.State)
			target := graph.Where(last, graph.Sigmoid(next.QHalt), graph.Sigmoid(graph.Max(next.QHalt, next.QContinue)))
			qContLoss = graph.ReduceAllMean(bceWithLogits(so.QContinue, graph.StopGradient(target)))
		}
	}
	loss := graph.Add(lmLoss, graph.MulScalar(graph.Add(qHaltLoss, qContLoss), 0.5))
	t.optimize(root, loss)
	if cfg.EMA > 0 {
		cfg.ema().UpdateGraph(ms, g)
	}
	out := append([]*Node{}, so.State...)
	return append(out, loss, lmLoss, qHaltLoss, qContLoss, so.QHalt, so.QContinue, exact, cellOK, cellN)
}

// modelVariables returns the trainable model variables used in g, in
// creation order.
func modelVariables(store *model.Store, g *graph.Graph) []*model.Variable {
	var vars []*model.Variable
	prefix := "/" + ScopeModel + "/"
	for v := range store.IterVariables() {
		if v.Trainable && strings.HasPrefix(v.Path(), prefix) && (g == nil || v.InUseByGraph(g)) {
			vars = append(vars, v)
		}
	}
	return vars
}

// optimizer is the weight update: blocks.AdamATan2 (HRM/TRM: update
// atan2(m̂, sqrt(v̂)), decoupled weight decay, linear warmup then constant)
// for the network, blocks.SignSGD with its own learning rate and decay for
// the puzzle embedding. Its state lives under /AdamATan2 and /SignSGD.
func (c Config) optimizer() *blocks.RoutedOptimizer {
	return blocks.Routed(
		&blocks.AdamATan2{LR: c.LearningRate, Beta1: c.Beta1, Beta2: c.Beta2, WeightDecay: c.WeightDecay, Warmup: c.Warmup},
		map[string]blocks.VariableOptimizer{
			"/" + ScopeModel + "/" + ScopePuzzleEmb: &blocks.SignSGD{LR: c.PuzzleEmbLR, WeightDecay: c.PuzzleEmbDecay, Warmup: c.Warmup},
		})
}

// ema is the EMA of the weights (TRM's EMAHelper), under /ema/shadow; like
// TRM it leaves out the puzzle embedding.
func (c Config) ema() *blocks.EMA {
	return &blocks.EMA{Rate: c.EMA, Name: ScopeEMA, Skip: []string{"/" + ScopeModel + "/" + ScopePuzzleEmb}}
}

// optimize adds the gradient of loss and the update of the model's
// trainable variables.
func (t *Trainer) optimize(root *model.Scope, loss *Node) {
	g := loss.Graph()
	vars := modelVariables(root.Store(), g)
	nodes := make([]*Node, len(vars))
	for i, v := range vars {
		nodes[i] = v.NodeValue(g)
	}
	t.Config.optimizer().UpdateVariables(root, vars, graph.Gradient(loss, nodes...))
}

// String describes the trainer's model.
func (t *Trainer) String() string {
	c := t.Config
	s := fmt.Sprintf("%s D=%d layers=%d %s", c.Kind, c.Hidden, c.Layers, c.Mixer)
	switch c.Kind {
	case TRM:
		s += fmt.Sprintf(" T=%d n=%d", c.T, c.SmallN)
	case HRM:
		s += fmt.Sprintf(" N=%d T=%d", c.N, c.T)
	case Looped:
		s += fmt.Sprintf(" T=%d", c.T)
	}
	return s + fmt.Sprintf(" N_sup=%d %s", c.NSup, t.Precision())
}
