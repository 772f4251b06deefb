package deep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/cil"
)

// Method names a class-incremental learning method; see [New] for each
// one's loss and memory.
type Method string

// The methods. Names are as in the literature (and PyCIL).
const (
	Finetune Method = "Finetune"
	Joint    Method = "Joint"
	Replay   Method = "Replay"
	ICaRL    Method = "iCaRL"
	LwF      Method = "LwF"
	EWC      Method = "EWC"
	WA       Method = "WA"
	DER      Method = "DER"
	MEMO     Method = "MEMO"
	GDumb    Method = "GDumb"
)

// Methods lists every method, in the order of the survey's tables.
var Methods = []Method{Finetune, Joint, Replay, ICaRL, LwF, EWC, WA, DER, MEMO, GDumb}

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

// Options configure a learner. Zero fields take the defaults (see
// [Options.WithDefaults]).
type Options struct {
	Backbone  Backbone  // MLP (default) or CNN
	Hidden    int       // feature width per backbone: default 256 (MLP), 128 (CNN)
	Epochs    int       // epochs per task: default 5
	Batch     int       // minibatch size: default 128 (PyCIL)
	Optimizer Optimizer // default Adam
	// LR is the learning rate: default 1e-3 (Adam), 0.1 (SGD, PyCIL's).
	LR          float64
	Momentum    float64 // SGD momentum: default 0.9
	WeightDecay float64 // L2 on the gradient: default 0 (PyCIL: 5e-4 with SGD)
	// Memory is the exemplar budget shared by the seen classes (Replay,
	// iCaRL, WA, DER, MEMO, GDumb): default 2000 (PyCIL). PerClass > 0
	// fixes the exemplars per class instead (Memory is then ignored).
	Memory, PerClass int
	// Selection chooses exemplars: cil.Herding (default) or cil.Random.
	Selection cil.Selection
	T         float64 // distillation temperature: default 2
	LwFLambda float64 // LwF's KD weight: default 3
	// EWCLambda is EWC's penalty weight: default 1000 (PyCIL); FisherMax
	// clamps the Fisher entries: default 1e-4 (PyCIL's fishermax).
	EWCLambda, FisherMax float64
	AuxWeight            float64 // DER/MEMO auxiliary loss weight: default 1
	// AlignAlways applies weight aligning (WA, DER, MEMO) also when it
	// would enlarge the new classes' weights (gamma > 1), as PyCIL does;
	// by default it only shrinks them (see [New]).
	AlignAlways bool
	EvalBatch   int    // batch of Predict and feature extraction: default 512
	Seed        uint64 // weights, shuffling and random exemplars
}

// WithDefaults returns o with its zero fields set to the defaults.
func (o Options) WithDefaults() Options {
	if o.Backbone == "" {
		o.Backbone = MLP
	}
	if o.Hidden == 0 {
		o.Hidden = 256
		if o.Backbone == CNN {
			o.Hidden = 128
		}
	}
	if o.Epochs == 0 {
		o.Epochs = 5
	}
	if o.Batch == 0 {
		o.Batch = 128
	}
	if o.Optimizer == "" {
		o.Optimizer = Adam
	}
	if o.LR == 0 {
		o.LR = 1e-3
		if o.Optimizer == SGD {
			o.LR = 0.1
		}
	}
	if o.Momentum == 0 {
		o.Momentum = 0.9
	}
	if o.Memory == 0 {
		o.Memory = 2000
	}
	if o.T == 0 {
		o.T = 2
	}
	if o.LwFLambda == 0 {
		o.LwFLambda = 3
	}
	if o.EWCLambda == 0 {
		o.EWCLambda = 1000
	}
	if o.FisherMax == 0 {
		o.FisherMax = 1e-4
	}
	if o.AuxWeight == 0 {
		o.AuxWeight = 1
	}
	if o.EvalBatch == 0 {
		o.EvalBatch = 512
	}
	return o
}

func (o Options) check() error {
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
	method Method
	be     compute.Backend
	opts   Options
	net    *net
	rng    *rand.Rand
	seen   int // classes learned
	tasks  int // tasks learned
	dim    int
	shape  []int
	bytes  int // ExampleBytes of the data

	buf     *cil.Buffer // Replay, iCaRL, WA, DER, MEMO
	all     *cil.Data   // Joint: every training example seen
	gdumb   *greedy     // GDumb's memory
	means   []float32   // iCaRL: [seen, feat] normalized class means
	fisherN int64       // EWC: Fisher entries kept
	params  int64       // parameters kept after the last Learn

	// Gammas records the weight-aligning factor of every task after the
	// first (WA, DER, MEMO), applied or not.
	Gammas []float64
	// Epochs records every training epoch, in order.
	Epochs []EpochInfo
	// OnEpoch, if set, is called after every training epoch.
	OnEpoch func(EpochInfo)
}

var _ cil.Learner = (*Learner)(nil)

// New returns a learner of method m on backend be. The methods, with
// their loss on a task that brings classes [K, S) (K known before, z the
// logits over the S seen classes, z_old the previous model's logits over
// the K old ones, CE the cross-entropy and KD_T(z, z_old) = −Σ softmax(z_old/T)·log softmax(z/T)):
//
//   - Finetune: CE(z[K:S], y − K) on the new data only (PyCIL's finetune).
//   - Joint: CE(z, y) on all the data seen so far (the upper bound; it
//     keeps every example, counted as exemplar memory, and continues
//     training the same network).
//   - Replay: CE(z, y) on the new data and the exemplars; exemplars chosen
//     by herding (or at random) on the model's features after each task,
//     Memory (2000) in total, class-balanced (cil.Buffer).
//   - iCaRL: CE(z, y) + KD_T(z[:K], z_old), T = 2, on new data +
//     exemplars; predicts by the nearest mean of exemplars (NME: nearest
//     L2-normalized class mean of L2-normalized features).
//   - LwF: CE(z[K:S], y − K) + λ·KD_T(z[:K], z_old), λ = 3, no exemplars.
//   - EWC: CE(z[K:S], y − K) + λ·Σ F_i (θ_i − θ*_i)²/2, λ = 1000; F the
//     diagonal empirical Fisher (mean over minibatches of the squared
//     gradient of the batch CE over all seen classes, clamped to
//     FisherMax), merged as F = (K/S)·F_old + (1 − K/S)·F_new on the old
//     entries; θ* the weights after the last task. The scale hardly
//     matters in class-IL: on Split Fashion-MNIST (MLP, 3 epochs per task)
//     λ = 1e3, 1e4, 1e6 with FisherMax 1e-4 or 1 all ended at 0.26-0.39
//     last accuracy (Finetune: 0.33), as the survey finds (EWC ≈ Finetune).
//   - WA: (1 − K/S)·CE(z, y) + (K/S)·KD_T(z[:K], z_old) on new data +
//     exemplars (PyCIL's WA), then weight aligning: the head's new-class
//     weight vectors are multiplied by gamma = mean‖w_old‖/mean‖w_new‖ (L2
//     norms of the per-class weight vectors, as PyCIL; biases unchanged)
//     when gamma <= 1. Aligning exists to undo new-class weights grown
//     larger than the old ones; with our short Adam training the fresh
//     new-class weights stay smaller (gamma 1.07-2.2 measured on Split
//     Fashion-MNIST), and applying gamma > 1 as PyCIL does amplified the
//     bias toward new classes: last accuracy, 3 epochs per task, DER 0.378
//     with it vs 0.782 without, WA 0.656 vs 0.746. Options.AlignAlways
//     restores PyCIL's behaviour.
//   - DER: a new backbone per task (base and top blocks) initialized as a
//     copy of the previous one, the old ones frozen; the head sees the
//     concatenated features (old classes' weights kept, new rows and
//     columns fresh); loss CE(z, y) + CE(aux(φ_new(x)), ŷ) with an
//     auxiliary head over the new classes + 1 "old" class (ŷ = y − K + 1,
//     0 for old classes) on new data + exemplars; weight aligning after
//     the task (WA's rule above); the auxiliary head is dropped after the task.
//   - MEMO: as DER, but the base block (the generalized, early layers) is
//     shared and trained in every task (PyCIL's train_base), and only a new
//     top block (specialized) is added per task, copied from the last.
//   - GDumb: a class-balanced greedy memory of Memory examples (an example
//     is stored if its class has fewer than Memory/seen; when full, one of
//     the largest class is dropped at random); at every task the network
//     is retrained from scratch on the memory only, CE(z, y).
//
// Training is Epochs epochs of minibatch Adam (or SGD) per task with a
// fresh optimizer per task and a constant learning rate.
func New(be compute.Backend, m Method, o Options) (*Learner, error) {
	if !slices.Contains(Methods, m) {
		return nil, errors.Errorf("deep: unknown method %q (want one of %v)", m, Methods)
	}
	o = o.WithDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	l := &Learner{method: m, be: be, opts: o, rng: rand.New(rand.NewPCG(o.Seed, 0xda7a))}
	switch m {
	case Replay, ICaRL, WA, DER, MEMO:
		l.buf = cil.NewBuffer(o.Memory, o.PerClass, o.Selection)
	case GDumb:
		l.gdumb = &greedy{budget: o.Memory, rng: rand.New(rand.NewPCG(o.Seed, 0x6d))}
	}
	return l, nil
}

// Name implements cil.Learner: the method's name.
func (l *Learner) Name() string { return string(l.method) }

// Method returns the learner's method.
func (l *Learner) Method() Method { return l.method }

// Options returns the learner's options, defaults filled in.
func (l *Learner) Options() Options { return l.opts }

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
	m.Other = 4*int64(len(l.means)) + 4*2*l.fisherN
	return m
}

// Learn implements cil.Learner.
func (l *Learner) Learn(task cil.Task) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("%v", r)
		}
	}()
	if err := l.checkTask(task); err != nil {
		return err
	}
	o, known, seen := l.opts, task.Known, task.Seen()
	train := task.Train
	if l.net == nil || l.method == GDumb {
		l.net = newNet(l.be, o.Backbone, l.dim, l.shape, o.Hidden, o.Seed+uint64(l.tasks)*0x9e37)
		l.net.addBase()
		l.net.addTop()
	}
	n := l.net
	all := []string{"/" + ScopeNet, "/" + ScopeHead}
	var old []float32
	var data *cil.Data
	switch l.method {
	case Finetune, LwF, EWC:
		data = train
	case Joint:
		l.all = cil.Concat(nonEmpty(l.all, train)...)
		data = l.all
	case Replay, ICaRL, WA, DER, MEMO:
		data = cil.Concat(nonEmpty(train, l.buf.Data())...)
	case GDumb:
		l.gdumb.add(train, seen)
		data = l.gdumb.data()
	}
	if known > 0 && (l.method == ICaRL || l.method == LwF || l.method == WA) {
		old = n.logits(data.X, o.EvalBatch) // the previous model's logits [N, known]
	}
	obj := objective{CEWeight: 1, Known: known, T: o.T}
	prefixes := all
	if known > 0 && (l.method == DER || l.method == MEMO) {
		k := n.tops
		if l.method == DER {
			n.copyScope(n.basePath(k-1), n.basePath(k))
			n.bases++
			prefixes = []string{n.basePath(k)}
		} else {
			prefixes = []string{n.basePath(0)}
		}
		n.copyScope(n.topPath(k-1), n.topPath(k))
		n.tops++
		prefixes = append(prefixes, n.topPath(k), "/"+ScopeHead, "/"+ScopeAux)
		n.dense("/"+ScopeAux, o.Hidden, task.New+1)
		obj.Aux = o.AuxWeight
	}
	n.resizeHead(seen)
	switch l.method {
	case Finetune:
		obj.CEFrom = known
	case LwF:
		obj.CEFrom, obj.KD = known, o.LwFLambda
	case EWC:
		obj.CEFrom = known
		if l.fisherN > 0 {
			obj.EWC = o.EWCLambda
		}
	case ICaRL:
		obj.KD = 1
	case WA:
		obj.CEWeight, obj.KD = 1-float64(known)/float64(seen), float64(known)/float64(seen)
	}
	l.fit(trainSet{X: data.X, Y: data.Y, Old: old}, obj, prefixes, o.Epochs)
	if known > 0 && (l.method == WA || l.method == DER || l.method == MEMO) {
		l.alignWeights(known)
	}
	if obj.Aux > 0 {
		for _, p := range n.vars("/" + ScopeAux) {
			if err := n.store.DeleteVariable(p); err != nil {
				return errors.WithMessage(err, "deep: dropping the auxiliary head")
			}
		}
		n.dropExecs()
	}
	if l.method == EWC {
		l.updateFisher(train, known, seen)
	}
	if l.buf != nil {
		feats := func(d *cil.Data) ([]float32, int, error) { return n.featuresOf(d.X, o.EvalBatch), n.feat(), nil }
		if err := l.buf.Update(train, seen, feats, o.Seed+uint64(l.tasks)); err != nil {
			return errors.WithMessagef(err, "deep: updating the exemplars after task %d", task.Index)
		}
	}
	if l.method == ICaRL {
		l.classMeans(seen)
	}
	l.seen, l.tasks = seen, l.tasks+1
	l.params = n.params()
	return nil
}

func nonEmpty(ds ...*cil.Data) []*cil.Data {
	var out []*cil.Data
	for _, d := range ds {
		if d != nil && d.Len() > 0 {
			out = append(out, d)
		}
	}
	return out
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
// ones (w_c: column c of head/w), if gamma <= 1 or Options.AlignAlways.
func (l *Learner) alignWeights(known int) {
	n := l.net
	w, dims := n.value("/head/w")
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
	n.set("/head/w", tensors.FromFlatDataAndDimensions(w, f, c))
}

// updateFisher computes the Fisher on the task's data, clamps it, merges
// it with the previous one and stores it with the current weights under
// /ewc.
func (l *Learner) updateFisher(train *cil.Data, known, seen int) {
	n := l.net
	paths := append(n.vars("/"+ScopeNet), n.vars("/"+ScopeHead)...)
	fs := l.fisher0(train, paths)
	alpha := float32(known) / float32(seen)
	var count int64
	for i, p := range paths {
		_, dims := n.value(p)
		f := fs[i]
		if oldV := n.store.GetVariable("/" + scopeEWC + "/fisher" + p); oldV != nil {
			of := tensors.MustCopyFlatData[float32](oldV.MustValue())
			od := oldV.Shape().Dimensions
			forBlock(dims, od, func(at, oat int) { f[at] = alpha*of[oat] + (1-alpha)*f[at] })
		}
		vals, _ := n.value(p)
		n.set("/"+scopeEWC+"/fisher"+p, tensors.FromFlatDataAndDimensions(f, dims...))
		n.set("/"+scopeEWC+"/mean"+p, tensors.FromFlatDataAndDimensions(vals, dims...))
		count += int64(len(f))
	}
	l.fisherN = count
}

// fisher0 is the clamped Fisher of the task's data.
func (l *Learner) fisher0(train *cil.Data, paths []string) [][]float32 {
	fs := l.fisher(train, paths)
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
	defer func() {
		if r := recover(); r != nil {
			pred, err = nil, errors.Errorf("%v", r)
		}
	}()
	if l.net == nil {
		return nil, errors.New("deep: Predict before any Learn")
	}
	if x.Dim != l.dim || len(x.X) != x.Len()*x.Dim {
		return nil, errors.Errorf("deep: Predict needs examples of Dim %d, got Dim %d with %d values for %d examples", l.dim, x.Dim, len(x.X), x.Len())
	}
	if x.Len() == 0 {
		return []int32{}, nil
	}
	if l.method == ICaRL {
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
		return argmax(scores, l.seen), nil
	}
	return argmax(l.net.logits(x.X, l.opts.EvalBatch), l.net.classes), nil
}

// String describes the learner.
func (l *Learner) String() string {
	return fmt.Sprintf("%s (%s, hidden %d, %d epochs, batch %d, %s lr %g)", l.method, l.opts.Backbone, l.opts.Hidden,
		l.opts.Epochs, l.opts.Batch, l.opts.Optimizer, l.opts.LR)
}
