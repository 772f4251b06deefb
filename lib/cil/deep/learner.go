package deep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/cil"
	"github.com/labnotes/labnotes/lib/cil/plastic"
	"github.com/labnotes/labnotes/lib/parallel"
)

// Optimizer selects the weight update.
type Optimizer string

const (
	// Adam is PyTorch's Adam (betas 0.9, 0.999, eps 1e-8; weight decay
	// added to the gradient).
	Adam Optimizer = "adam"
	// SGD is PyTorch's SGD with momentum (buf = μ·buf + g; θ -= lr·buf),
	// PyCIL's optimizer.
	SGD Optimizer = "sgd"
)

// Defaults of [Options], PyCIL's where it has one; [Options.WithDefaults]
// reads them.
const (
	DefaultBackbone  = MLP
	DefaultHiddenMLP = 256 // the MLP's feature width (784-256-256)
	DefaultHiddenCNN = 128 // the CNN's feature width
	DefaultEpochs    = 5
	DefaultBatch     = 128 // PyCIL's
	DefaultOptimizer = Adam
	DefaultLRAdam    = 1e-3
	DefaultLRSGD     = 0.1 // PyCIL's
	DefaultMomentum  = 0.9
	DefaultMemory    = cil.DefaultBudget // 2000 exemplars, PyCIL's
	DefaultT         = 2                 // distillation temperature
	DefaultLwFLambda = 3
	DefaultEWCLambda = 1000 // PyCIL's
	DefaultFisherMax = 1e-4 // PyCIL's fishermax
	DefaultAuxWeight = 1
	DefaultEvalBatch = 512
)

// Options configure a learner. A zero field means its default (the
// Default... constants; [Options.WithDefaults] fills them in), so fields
// whose zero is a setting of its own (WeightDecay, AlignAlways, PerClass,
// Seed) default to zero.
type Options struct {
	Backbone  Backbone  // MLP (DefaultBackbone) or CNN
	Hidden    int       // feature width per backbone: DefaultHiddenMLP or DefaultHiddenCNN
	Epochs    int       // epochs per task: DefaultEpochs
	Batch     int       // minibatch size: DefaultBatch
	Optimizer Optimizer // DefaultOptimizer (Adam)
	// LR is the learning rate: DefaultLRAdam (Adam) or DefaultLRSGD (SGD).
	LR          float64
	Momentum    float64 // SGD momentum: DefaultMomentum
	WeightDecay float64 // L2 on the gradient: 0 (PyCIL: 5e-4 with SGD)
	// Memory is the exemplar budget shared by the seen classes (Replay,
	// iCaRL, WA, DER, MEMO, GDumb): DefaultMemory. PerClass > 0 fixes the
	// exemplars per class instead (Memory is then ignored).
	Memory, PerClass int
	// Selection chooses exemplars: cil.Herding (the zero value) or cil.Random.
	Selection cil.Selection
	T         float64 // distillation temperature: DefaultT
	LwFLambda float64 // LwF's KD weight: DefaultLwFLambda
	// EWCLambda is EWC's penalty weight (DefaultEWCLambda); FisherMax
	// clamps the Fisher entries (DefaultFisherMax).
	EWCLambda, FisherMax float64
	AuxWeight            float64 // DER/MEMO auxiliary loss weight: DefaultAuxWeight
	// AlignAlways applies weight aligning (WA, DER, MEMO) also when it
	// would enlarge the new classes' weights (gamma > 1), as PyCIL does;
	// by default it only shrinks them (see [WA]).
	AlignAlways bool
	EvalBatch   int    // batch of Predict and feature extraction: DefaultEvalBatch
	Seed        uint64 // weights, shuffling and random exemplars
	// Plasticity are the remedies for loss of plasticity (shrink &
	// perturb, L2 towards the initial weights, continual backprop) and
	// the per-task measures; the zero value is off (see [Plasticity]).
	Plasticity Plasticity
	// Precision is the network's number format: backend.Float32, or
	// backend.BFloat16 mixed precision (the layers compute in bfloat16 on
	// bfloat16 casts of the float32 weights; the weights, optimizer state,
	// EWC's Fisher and anchor, the logits and everything after them, and
	// the features for herding and iCaRL's class means stay float32);
	// backend.Auto (the zero value) means the backend's, which [New] fills
	// in (WithDefaults does not know the backend).
	Precision backend.Precision
	// Devices is the number of devices of the backend each training step,
	// Fisher and evaluation batch is spread over (data parallelism through
	// lib/parallel: every batch split by example, the weights replicated);
	// 0 (the zero value) means every device the backend has, which [New]
	// resolves into the learner's plan ([Learner.Devices]) while the
	// options keep 0, so that no device count travels with them to another
	// machine. Batch must then be a multiple of the device count; the
	// evaluation batches (EvalBatch) are padded up to one.
	Devices int
}

// WithDefaults returns o with its zero fields set to the defaults: the one
// place that reads the Default... constants.
func (o Options) WithDefaults() Options {
	def := Options{Backbone: DefaultBackbone, Hidden: DefaultHiddenMLP, Epochs: DefaultEpochs, Batch: DefaultBatch,
		Optimizer: DefaultOptimizer, LR: DefaultLRAdam, Momentum: DefaultMomentum, Memory: DefaultMemory,
		T: DefaultT, LwFLambda: DefaultLwFLambda, EWCLambda: DefaultEWCLambda, FisherMax: DefaultFisherMax,
		AuxWeight: DefaultAuxWeight, EvalBatch: DefaultEvalBatch}
	if o.Backbone == CNN {
		def.Hidden = DefaultHiddenCNN
	}
	if o.Optimizer == SGD {
		def.LR = DefaultLRSGD
	}
	ov, dv := reflect.ValueOf(&o).Elem(), reflect.ValueOf(def)
	for i := range ov.NumField() {
		if f := ov.Field(i); f.IsZero() {
			f.Set(dv.Field(i))
		}
	}
	o.Plasticity = o.Plasticity.withDefaults()
	return o
}

func (o Options) check() error {
	if _, err := backend.ParsePrecision(string(o.Precision)); err != nil {
		return errors.Wrap(err, "deep: Options.Precision")
	}
	if o.Devices < 0 {
		return errors.Errorf("deep: Options.Devices %d: want 0 (every device) or a positive count", o.Devices)
	}
	switch {
	case o.Backbone != MLP && o.Backbone != CNN:
		return errors.Errorf("deep: unknown Backbone %q (want %q or %q)", o.Backbone, MLP, CNN)
	case o.Optimizer != Adam && o.Optimizer != SGD:
		return errors.Errorf("deep: unknown Optimizer %q (want %q or %q)", o.Optimizer, Adam, SGD)
	case o.Hidden < 1 || o.Epochs < 0 || o.Batch < 1 || o.EvalBatch < 1 || o.LR < 0 || o.Memory < 0 || o.PerClass < 0 || o.T <= 0:
		return errors.Errorf("deep: invalid Options %+v", o)
	}
	return nil
}

// Learner is a class-incremental learner of one [Method] on a GoMLX
// network; it implements cil.Learner.
type Learner struct {
	recipe recipe
	be     compute.Backend
	opts   Options
	net    *net
	rng    *rand.Rand
	seen   int // classes learned
	tasks  int // tasks learned
	dim    int
	shape  []int
	bytes  int // ExampleBytes of the data

	buf     *cil.Buffer // keepsExemplars: Replay, iCaRL, WA, DER, MEMO
	all     *cil.Data   // keepsAll (Joint): every training example seen
	gdumb   *greedy     // keepsGreedy: GDumb's memory
	means   []float32   // iCaRL: [seen, feat] normalized class means
	fisherN int64       // EWC: Fisher entries kept
	params  int64       // parameters kept after the last Learn

	plast *plasticState  // Options.Plasticity's host state
	plan  *parallel.Plan // the devices of Options.Devices

	// Gammas records the weight-aligning factor of every task after the
	// first (WA, DER, MEMO), applied or not.
	Gammas []float64
	// Epochs records every training epoch, in order.
	Epochs []EpochInfo
	// OnEpoch, if set, is called after every training epoch.
	OnEpoch func(EpochInfo)
	// Plasticity records [Learner.Measure] after every task when
	// Options.Plasticity.Probe > 0.
	Plasticity []plastic.Stats
}

var _ cil.Learner = (*Learner)(nil)

// New returns a learner of method m on backend be with options o (zero
// fields take the defaults). Each [Method]'s constant describes its data,
// loss and after-task steps, on a task that brings classes [K, S) (K known
// before), with z the logits over the S seen classes, z_old the previous
// model's logits over the K old ones, CE the cross-entropy and
// KD_T(z, z_old) = −Σ softmax(z_old/T)·log softmax(z/T).
//
// Training is Epochs epochs of minibatch Adam (or SGD) per task with a
// fresh optimizer per task and a constant learning rate.
func New(be compute.Backend, m Method, o Options) (*Learner, error) {
	i := slices.Index(Methods, m)
	if i < 0 {
		return nil, errors.Errorf("deep: unknown method %q (want one of %v)", m, Methods)
	}
	o = o.WithDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	if err := o.Plasticity.check(m, o.Backbone); err != nil {
		return nil, err
	}
	o.Precision = o.Precision.Resolve(be)
	plan, err := parallel.New(be, o.Devices)
	if err != nil {
		return nil, errors.WithMessage(err, "deep: Options.Devices")
	}
	if err := checkBatch(o.Batch, plan); err != nil {
		return nil, err
	}
	l := &Learner{recipe: recipes[i], be: be, opts: o, plan: plan, rng: rand.New(rand.NewPCG(o.Seed, 0xda7a))}
	switch l.recipe.keeps {
	case keepsExemplars:
		l.buf = cil.NewBuffer(o.Memory, o.PerClass, o.Selection)
	case keepsGreedy:
		l.gdumb = &greedy{budget: o.Memory, rng: rand.New(rand.NewPCG(o.Seed, 0x6d))}
	}
	return l, nil
}

// Name implements cil.Learner: the method's name.
func (l *Learner) Name() string { return string(l.recipe.method) }

// Method returns the learner's method.
func (l *Learner) Method() Method { return l.recipe.method }

// Options returns the learner's options, defaults filled in (Devices as
// given: 0 stays 0; see [Learner.Devices]).
func (l *Learner) Options() Options { return l.opts }

// Devices returns the number of devices the learner spreads its batches
// over (Options.Devices resolved on its backend).
func (l *Learner) Devices() int { return l.plan.Devices() }

// checkBatch returns an error unless training batches of batch examples
// (Options.Batch) split evenly over the devices of plan p.
func checkBatch(batch int, p *parallel.Plan) error {
	if batch%p.Devices() != 0 {
		return errors.Errorf("deep: Options.Batch %d does not split evenly over %d devices (Options.Devices): want a multiple of %d",
			batch, p.Devices(), p.Devices())
	}
	return nil
}

// Buffer returns the exemplar memory (nil for methods without one), e.g.
// to Grow it for a memory-aligned comparison.
func (l *Learner) Buffer() *cil.Buffer { return l.buf }

// Store returns the GoMLX store of the current network (nil before the
// first Learn); its variable paths are listed in the package doc.
func (l *Learner) Store() *model.Store {
	if l.net == nil {
		return nil
	}
	return l.net.store
}

// Parameters returns the number of parameters the model holds now (all
// backbones, frozen ones included, and the head).
func (l *Learner) Parameters() int64 {
	if l.net == nil {
		return 0
	}
	return l.net.params()
}

// Memory implements cil.Learner. Exemplars: the stored examples' bytes
// (Joint: all training data seen; GDumb: its memory). Parameters: 4 bytes
// per parameter of the network kept for prediction (every backbone of DER
// and MEMO, frozen ones included; the head; not the auxiliary head, dropped
// after each task). Other: iCaRL's class means, EWC's Fisher and anchor
// weights θ* (4 bytes each). The previous model used for distillation
// (iCaRL, LwF, WA) is not kept between tasks: its logits are computed at
// the start of the next task from the current model, which is that model.
func (l *Learner) Memory() cil.Memory {
	m := cil.Memory{Parameters: 4 * l.params}
	switch {
	case l.buf != nil:
		m.Exemplars = l.buf.Bytes()
	case l.all != nil:
		m.Exemplars = l.all.Bytes()
	case l.gdumb != nil:
		m.Exemplars = int64(l.gdumb.len()) * int64(l.bytes)
	}
	m.Other = 4*int64(len(l.means)) + 4*2*l.fisherN + l.plasticBytes()
	return m
}

// Learn implements cil.Learner: it runs the method's recipe (see
// [Method]) on the task.
func (l *Learner) Learn(task cil.Task) (err error) {
	defer catch(&err)
	if err := l.checkTask(task); err != nil {
		return err
	}
	r, o, known, seen := l.recipe, l.opts, task.Known, task.Seen()
	if l.net == nil || r.fresh {
		l.net = newNet(l.be, o.Backbone, l.dim, l.shape, o.Hidden, o.Seed+uint64(l.tasks)*0x9e37)
		l.net.dtype = o.Precision.DType(l.be)
		l.net.plan = l.plan
		l.net.addBase()
		l.net.addTop()
	}
	n := l.net
	data := l.trainingData(task.Train, seen)
	var old []float32
	if r.distill && known > 0 {
		old = n.logits(data.X, o.EvalBatch) // the previous model's logits [N, known]
	}
	trainable := []*model.Scope{n.scope(ScopeNet), n.scope(ScopeHead)}
	grown := r.grow != nil && known > 0
	if grown {
		trainable = r.grow(n, task.New)
	}
	n.resizeHead(seen)
	obj := r.loss(o, known, seen)
	obj.Known, obj.T = known, o.T
	l.fit(trainSet{X: data.X, Y: data.Y, Old: old}, obj, trainable, o.Epochs)
	if grown { // the auxiliary head lives for one task
		if err := n.scope(ScopeAux).DeleteVariablesInScope(); err != nil {
			return errors.WithMessage(err, "deep: dropping the auxiliary head")
		}
		n.dropExecs()
	}
	for _, after := range r.after {
		if err := after(l, task); err != nil {
			return err
		}
	}
	l.seen, l.tasks = seen, l.tasks+1
	l.params = n.params()
	return l.measureTask(task.Train)
}

// trainingData returns what the method trains on for a task with training
// data train, remembering train as the method keeps it.
func (l *Learner) trainingData(train *cil.Data, seen int) *cil.Data {
	switch l.recipe.keeps {
	case keepsAll:
		l.all = cil.Concat(l.all, train)
		return l.all
	case keepsExemplars:
		return cil.Concat(train, l.buf.Data())
	case keepsGreedy:
		l.gdumb.add(train, seen)
		return l.gdumb.data()
	}
	return train
}

// selectExemplars updates the exemplar buffer with the task's classes,
// selected on the current model's features.
func (l *Learner) selectExemplars(task cil.Task) error {
	n, o := l.net, l.opts
	feats := func(d *cil.Data) ([]float32, int, error) { return n.featuresOf(d.X, o.EvalBatch), n.feat(), nil }
	if err := l.buf.Update(task.Train, task.Seen(), feats, o.Seed+uint64(l.tasks)); err != nil {
		return errors.WithMessagef(err, "deep: updating the exemplars after task %d", task.Index)
	}
	return nil
}

func (l *Learner) checkTask(task cil.Task) error {
	d := task.Train
	switch {
	case d == nil || d.Len() == 0:
		return errors.Errorf("deep: task %d has no training data", task.Index)
	case task.Known != l.seen:
		return errors.Errorf("deep: task %d says %d classes are known, the learner has learned %d", task.Index, task.Known, l.seen)
	case task.New < 1:
		return errors.Errorf("deep: task %d brings %d classes, want >= 1", task.Index, task.New)
	case len(d.X) != d.Len()*d.Dim:
		return errors.Errorf("deep: task %d's training data has %d values for %d examples of Dim %d", task.Index, len(d.X), d.Len(), d.Dim)
	case l.dim != 0 && d.Dim != l.dim:
		return errors.Errorf("deep: task %d's examples have Dim %d, earlier tasks %d", task.Index, d.Dim, l.dim)
	}
	for i, y := range d.Y {
		if int(y) < task.Known || int(y) >= task.Seen() {
			return errors.Errorf("deep: task %d's training example %d has label %d, want one in [%d, %d)", task.Index, i, y, task.Known, task.Seen())
		}
	}
	if l.dim == 0 {
		l.dim, l.shape, l.bytes = d.Dim, slices.Clone(d.Shape), d.ExampleBytes
		if l.opts.Backbone == CNN && len(l.shape) == 2 {
			l.shape = append(l.shape, 1)
		}
	}
	return nil
}

// alignWeights multiplies the head's weight vectors of the classes
// [known, seen) by gamma = mean‖w_c‖ over old classes / mean‖w_c‖ over new
// ones (w_c: column c of head/w), if gamma <= 1 or Options.AlignAlways;
// it does nothing before any class is known.
func (l *Learner) alignWeights(known int) {
	if known == 0 {
		return
	}
	n, head := l.net, l.net.scope(ScopeHead)
	w, dims := value(head, "w")
	f, c := dims[0], dims[1]
	norm := func(j int) float64 {
		s := 0.0
		for i := range f {
			s += float64(w[i*c+j]) * float64(w[i*c+j])
		}
		return math.Sqrt(s)
	}
	var oldN, newN float64
	for j := range c {
		if j < known {
			oldN += norm(j)
		} else {
			newN += norm(j)
		}
	}
	oldN /= float64(known)
	newN /= float64(c - known)
	if newN == 0 {
		return
	}
	gamma := float32(oldN / newN)
	l.Gammas = append(l.Gammas, float64(gamma))
	if gamma > 1 && !l.opts.AlignAlways {
		return
	}
	for i := range f {
		for j := known; j < c; j++ {
			w[i*c+j] *= gamma
		}
	}
	n.set(head, "w", tensors.FromFlatDataAndDimensions(w, f, c))
}

// updateFisher computes the Fisher on the task's data, clamps it, merges
// it with the previous one and stores it with the current weights under
// /ewc.
func (l *Learner) updateFisher(train *cil.Data, known, seen int) {
	n := l.net
	vs := vars(n.scope(ScopeNet), n.scope(ScopeHead))
	fs := l.fisher0(train, vs)
	alpha := float32(known) / float32(seen)
	fishers, means := n.scope(scopeEWC).At("fisher"), n.scope(scopeEWC).At("mean")
	var count int64
	for i, v := range vs {
		vals, dims := values(v)
		f, fs := fs[i], n.mirror(fishers, v)
		if oldV := fs.GetVariable(v.Name()); oldV != nil {
			of, od := values(oldV)
			forBlock(dims, od, func(at, oat int) { f[at] = alpha*of[oat] + (1-alpha)*f[at] })
		}
		n.set(fs, v.Name(), tensors.FromFlatDataAndDimensions(f, dims...))
		n.set(n.mirror(means, v), v.Name(), tensors.FromFlatDataAndDimensions(vals, dims...))
		count += int64(len(f))
	}
	l.fisherN = count
}

// fisher0 is the clamped Fisher of the task's data.
func (l *Learner) fisher0(train *cil.Data, vs []*model.Variable) [][]float32 {
	fs := l.fisher(train, vs)
	for _, f := range fs {
		for j := range f {
			f[j] = min(f[j], float32(l.opts.FisherMax))
		}
	}
	return fs
}

// forBlock calls fn with the flat offsets in a [dims] array and in an
// [od] array of every index inside od (od <= dims axis by axis, same
// rank).
func forBlock(dims, od []int, fn func(at, oat int)) {
	idx := make([]int, len(od))
	total := prod(od)
	for k := range total {
		rem := k
		for a := len(od) - 1; a >= 0; a-- {
			idx[a] = rem % od[a]
			rem /= od[a]
		}
		at := 0
		for a := range dims {
			at = at*dims[a] + idx[a]
		}
		fn(at, k)
	}
}

// classMeans sets iCaRL's class means: for each class, the L2-normalized
// mean of its exemplars' L2-normalized features.
func (l *Learner) classMeans(seen int) {
	f := l.net.feat()
	l.means = make([]float32, seen*f)
	for c := range seen {
		d := l.buf.Class(c)
		if d == nil || d.Len() == 0 {
			continue
		}
		feats := l.net.featuresOf(d.X, l.opts.EvalBatch)
		cil.Normalize(feats, f)
		m := l.means[c*f : (c+1)*f]
		for i := range d.Len() {
			for j := range f {
				m[j] += feats[i*f+j]
			}
		}
		cil.Normalize(m, f)
	}
}

// Predict implements cil.Learner: the argmax of the head's logits over
// the seen classes (iCaRL: the nearest class mean).
func (l *Learner) Predict(x *cil.Data) (pred []int32, err error) {
	defer catch(&err)
	if l.net == nil {
		return nil, errors.New("deep: Predict before any Learn")
	}
	if x.Dim != l.dim || len(x.X) != x.Len()*x.Dim {
		return nil, errors.Errorf("deep: Predict needs examples of Dim %d, got Dim %d with %d values for %d examples", l.dim, x.Dim, len(x.X), x.Len())
	}
	if x.Len() == 0 {
		return []int32{}, nil
	}
	if l.recipe.nme {
		f := l.net.feat()
		feats := l.net.featuresOf(x.X, l.opts.EvalBatch)
		cil.Normalize(feats, f)
		scores := make([]float32, x.Len()*l.seen)
		for i := range x.Len() {
			for c := range l.seen {
				s := float32(0)
				for j := range f {
					s += feats[i*f+j] * l.means[c*f+j]
				}
				scores[i*l.seen+c] = s // max cosine = min distance between unit vectors
			}
		}
		return cil.Argmax(scores, l.seen), nil
	}
	return cil.Argmax(l.net.logits(x.X, l.opts.EvalBatch), l.net.classes), nil
}

// String describes the learner.
func (l *Learner) String() string {
	return fmt.Sprintf("%s (%s, hidden %d, %d epochs, batch %d, %s lr %g)", l.recipe.method, l.opts.Backbone, l.opts.Hidden,
		l.opts.Epochs, l.opts.Batch, l.opts.Optimizer, l.opts.LR)
}
