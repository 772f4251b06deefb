package plastic

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Node is GoMLX's graph node.
type Node = graph.Node

// Optimizer names an update rule of [Online].
type Optimizer string

const (
	// SGD is plain stochastic gradient descent, w -= lr·g (Dohare et
	// al.'s online permuted MNIST).
	SGD Optimizer = "sgd"
	// Adam is Adam (β1 0.9, β2 0.999, ε 1e-8) with a step count per
	// weight, so a replaced unit's weights restart their bias correction
	// (Dohare et al.'s AdamGnT).
	Adam Optimizer = "adam"
)

// Defaults of [Config].
const (
	DefaultLR       = 0.01 // SGD step size (Adam: DefaultAdamLR)
	DefaultAdamLR   = 1e-3
	DefaultChunk    = 64   // updates per executable call
	DefaultRho      = 1e-4 // continual backprop's replacement rate
	DefaultMaturity = 100  // continual backprop's maturity threshold (steps)
	DefaultDecay    = 0.99 // decay of continual backprop's running utility
	adamB1, adamB2  = 0.9, 0.999
	adamEps         = 1e-8
)

// Config sets up an [Online] learner. Zero fields take the defaults.
type Config struct {
	Sizes     []int     // layer sizes, inputs first: [784, 100, 100, 10]
	Optimizer Optimizer // SGD (default) or Adam
	LR        float64   // step size; 0: DefaultLR (SGD) or DefaultAdamLR (Adam)
	// L2 adds L2·w to every gradient (weight decay towards 0, Dohare et
	// al.'s "L2" baseline).
	L2 float64
	// L2Init adds L2Init·(w − w₀) to every gradient, w₀ the initial weights
	// (Kumar et al.'s "L2 Init").
	L2Init float64
	// Shrink and Perturb (Ash & Adams): after every update every weight and
	// bias becomes (1 − Shrink)·w, and gets Perturb·ε, ε ~ N(0, 1) — the
	// noise of a chunk's n updates added once at its end, σ·sqrt(n)·ε (same
	// variance; see perturb).
	Shrink, Perturb float64
	// CBP turns continual backprop on (nil: off).
	CBP *CBPConfig
	// Batch is the number of examples per update (1: online).
	Batch int
	// Chunk is the number of updates per executable call (DefaultChunk):
	// the loop runs inside one compiled graph.
	Chunk int
	Seed  uint64
}

// CBPConfig are continual backprop's settings (Dohare et al., 2024).
type CBPConfig struct {
	Rho      float64 // fraction of the mature units of a layer replaced per step (DefaultRho)
	Maturity int     // steps a unit must live before it can be replaced (DefaultMaturity)
	Decay    float64 // decay of the running utility (DefaultDecay)
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Optimizer == "" {
		c.Optimizer = SGD
	}
	if c.LR == 0 {
		c.LR = DefaultLR
		if c.Optimizer == Adam {
			c.LR = DefaultAdamLR
		}
	}
	if c.Batch == 0 {
		c.Batch = 1
	}
	if c.Chunk == 0 {
		c.Chunk = DefaultChunk
	}
	if c.CBP != nil {
		p := *c.CBP
		if p.Rho == 0 {
			p.Rho = DefaultRho
		}
		if p.Maturity == 0 {
			p.Maturity = DefaultMaturity
		}
		if p.Decay == 0 {
			p.Decay = DefaultDecay
		}
		c.CBP = &p
	}
	return c
}

// check reports the first invalid field.
func (c Config) check() error {
	switch {
	case len(c.Sizes) < 2:
		return fmt.Errorf("plastic: Config.Sizes %v, want at least [inputs, outputs]", c.Sizes)
	case c.Optimizer != SGD && c.Optimizer != Adam:
		return fmt.Errorf("plastic: Config.Optimizer %q, want %q or %q", c.Optimizer, SGD, Adam)
	case c.LR < 0 || c.L2 < 0 || c.L2Init < 0 || c.Shrink < 0 || c.Shrink >= 1 || c.Perturb < 0:
		return fmt.Errorf("plastic: Config LR %g, L2 %g, L2Init %g, Shrink %g, Perturb %g: want >= 0 (Shrink < 1)", c.LR, c.L2, c.L2Init, c.Shrink, c.Perturb)
	case c.Batch < 1 || c.Chunk < 1:
		return fmt.Errorf("plastic: Config.Batch %d, Chunk %d: want >= 1", c.Batch, c.Chunk)
	case c.CBP != nil && (c.CBP.Rho <= 0 || c.CBP.Rho > 1 || c.CBP.Maturity < 0 || c.CBP.Decay <= 0 || c.CBP.Decay >= 1):
		return fmt.Errorf("plastic: CBPConfig %+v: want 0 < Rho <= 1, Maturity >= 0, 0 < Decay < 1", *c.CBP)
	}
	return nil
}

// Online trains a ReLU MLP on a stream, Batch examples per update, Chunk
// updates per call of one compiled graph (a While loop): the forward pass,
// the backward pass written out by hand (softmax cross-entropy), the
// update (SGD or Adam, plus L2, L2 Init, shrink & perturb), the running
// utilities of continual backprop, and the online accuracy (each example
// predicted before the update it takes part in). Unit replacement (host
// side, [CBP]) happens between calls: a call ends exactly at the step at
// which a replacement is due, so replacements happen at the same steps as
// in a step-by-step loop.
type Online struct {
	cfg   Config
	be    compute.Backend
	sizes []int
	state []*tensors.Tensor // params, optimizer state, utilities, rng (see layout)
	init  []*tensors.Tensor // initial params, for L2Init
	exec  *graph.Exec
	fwd   *graph.Exec
	cbp   *CBP
	rng   *rand.Rand
	steps int64
	seen  int64
	flops int64
	xbuf  []float32
	ybuf  []int32
	mbuf  []float32
}

// layout: state = [W_0, B_0, ..., W_{L-1}, B_{L-1}] (params), then per param
// Adam's m, v, t (Adam only), then one utility per hidden layer (CBP only),
// then the RNG state (Perturb only).
func (o *Online) nParams() int { return 2 * (len(o.sizes) - 1) }
func (o *Online) nOpt() int {
	if o.cfg.Optimizer == Adam {
		return 3 * o.nParams()
	}
	return 0
}
func (o *Online) nUtil() int {
	if o.cfg.CBP != nil {
		return len(o.sizes) - 2
	}
	return 0
}
func (o *Online) hasRNG() bool { return o.cfg.Perturb > 0 }

// NewOnline makes a learner with a fresh network drawn by [NewNet].
func NewOnline(be compute.Backend, cfg Config) (*Online, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	net, err := NewNet(cfg.Sizes, cfg.Seed)
	if err != nil {
		return nil, err
	}
	o := &Online{cfg: cfg, be: be, sizes: net.Sizes(), rng: rand.New(rand.NewPCG(cfg.Seed, 0xcb9))}
	o.state = o.freshState(net)
	if cfg.L2Init > 0 {
		o.init = o.paramTensors(net)
	}
	if cfg.CBP != nil {
		o.cbp = NewCBP(o.sizes[1:len(o.sizes)-1], *cfg.CBP, cfg.Seed)
	}
	if o.exec, err = graph.NewExec(be, o.chunkGraph); err != nil {
		return nil, fmt.Errorf("plastic: %w", err)
	}
	if o.fwd, err = graph.NewExec(be, o.forwardGraph); err != nil {
		return nil, fmt.Errorf("plastic: %w", err)
	}
	return o, nil
}

// Config returns the learner's settings, defaults filled in.
func (o *Online) Config() Config { return o.cfg }

// Steps is the number of updates so far; Seen the number of examples.
func (o *Online) Steps() int64 { return o.steps }

// Seen is the number of training examples fed so far.
func (o *Online) Seen() int64 { return o.seen }

// Replaced is the number of units continual backprop replaced so far, per
// hidden layer (nil without CBP).
func (o *Online) Replaced() []int64 {
	if o.cbp == nil {
		return nil
	}
	return o.cbp.Replaced()
}

func (o *Online) paramTensors(n *Net) []*tensors.Tensor {
	var ts []*tensors.Tensor
	for _, l := range n.Layers {
		ts = append(ts, tensors.FromFlatDataAndDimensions(l.W, l.In, l.Out), tensors.FromFlatDataAndDimensions(l.B, l.Out))
	}
	return ts
}

// freshState is net's parameters with zero optimizer state and utilities.
func (o *Online) freshState(n *Net) []*tensors.Tensor {
	n = n.Clone()
	st := o.paramTensors(n)
	params := len(st)
	if o.cfg.Optimizer == Adam {
		for p := range params {
			for range 3 {
				st = append(st, tensors.FromShape(st[p].Shape()))
			}
		}
	}
	for l := range o.nUtil() {
		st = append(st, tensors.FromShape(shapes.Make(dtypes.Float32, o.sizes[l+1])))
	}
	if o.hasRNG() {
		r, err := graph.RNGStateFromSeed(int64(o.cfg.Seed) + 17)
		if err != nil {
			panic(fmt.Sprintf("plastic: %v", err))
		}
		st = append(st, r)
	}
	return st
}

// Net returns a host copy of the current network.
func (o *Online) Net() *Net {
	n := &Net{}
	for l := range len(o.sizes) - 1 {
		n.Layers = append(n.Layers, Layer{In: o.sizes[l], Out: o.sizes[l+1],
			W: tensors.MustCopyFlatData[float32](o.state[2*l]), B: tensors.MustCopyFlatData[float32](o.state[2*l+1])})
	}
	return n
}

// SetNet replaces the network's parameters by net's (same sizes) and
// resets the optimizer state and utilities: training restarts from net.
func (o *Online) SetNet(net *Net) error {
	if s := net.Sizes(); fmt.Sprint(s) != fmt.Sprint(o.sizes) {
		return fmt.Errorf("plastic: SetNet of sizes %v, the learner has %v", s, o.sizes)
	}
	o.state = o.freshState(net)
	return nil
}

// optState returns the host copies of the optimizer state of param p
// (nil for SGD).
func (o *Online) optState(p int) [][]float32 {
	if o.cfg.Optimizer != Adam {
		return nil
	}
	base := o.nParams() + 3*p
	return [][]float32{tensors.MustCopyFlatData[float32](o.state[base]), tensors.MustCopyFlatData[float32](o.state[base+1]),
		tensors.MustCopyFlatData[float32](o.state[base+2])}
}

// setOptState writes back what optState returned.
func (o *Online) setOptState(p int, s [][]float32) {
	if s == nil {
		return
	}
	base := o.nParams() + 3*p
	for i, v := range s {
		o.state[base+i] = tensors.FromFlatDataAndDimensions(v, o.state[base+i].Shape().Dimensions...)
	}
}

// ResetHead redraws the output layer (weights U(±Bound), bias 0) and
// resets its optimizer state: the "head reset" baseline, called between
// tasks.
func (o *Online) ResetHead() {
	l := len(o.sizes) - 2
	in, out := o.sizes[l], o.sizes[l+1]
	w := make([]float32, in*out)
	b := Bound(in, false)
	for i := range w {
		w[i] = float32((2*o.rng.Float64() - 1) * b)
	}
	o.state[2*l] = tensors.FromFlatDataAndDimensions(w, in, out)
	o.state[2*l+1] = tensors.FromShape(o.state[2*l+1].Shape())
	for _, p := range []int{2 * l, 2*l + 1} {
		if s := o.optState(p); s != nil {
			for _, v := range s {
				clear(v)
			}
			o.setOptState(p, s)
		}
	}
}

// Units returns continual backprop's view of hidden layer l: its input
// weights and bias, the next layer's weights (its outgoing weights), and
// their optimizer state (host copies; write back with setUnits).
func (o *Online) units(l int) Units {
	net := o.Net()
	u := Units{N: o.sizes[l+1], FanIn: o.sizes[l], FanOut: o.sizes[l+2],
		In: net.Layers[l].W, Bias: net.Layers[l].B, Out: net.Layers[l+1].W}
	u.InState, u.BiasState, u.OutState = o.optState(2*l), o.optState(2*l+1), o.optState(2*(l+1))
	return u
}

func (o *Online) setUnits(l int, u Units) {
	o.state[2*l] = tensors.FromFlatDataAndDimensions(u.In, u.FanIn, u.N)
	o.state[2*l+1] = tensors.FromFlatDataAndDimensions(u.Bias, u.N)
	o.state[2*(l+1)] = tensors.FromFlatDataAndDimensions(u.Out, u.N, u.FanOut)
	o.setOptState(2*l, u.InState)
	o.setOptState(2*l+1, u.BiasState)
	o.setOptState(2*(l+1), u.OutState)
}

// Utility returns the running (not bias-corrected) utility of the units
// of hidden layer l (nil without CBP).
func (o *Online) Utility(l int) []float32 {
	if o.cbp == nil {
		return nil
	}
	return tensors.MustCopyFlatData[float32](o.state[o.nParams()+o.nOpt()+l])
}

// Learn feeds the examples x ([n, Inputs]) with labels y ([n]) in order,
// Batch per update (n must be a multiple of Batch), and returns how many
// of them the network classified correctly just before the update that
// used them (online accuracy = correct / n) and the mean training loss.
func (o *Online) Learn(x []float32, y []int32) (correct int, loss float64, err error) {
	return o.LearnMasked(x, y, nil)
}

// LearnMasked is Learn where only the examples with count[i] != 0 enter
// the correct count (replay: the replayed examples of a batch train but
// are not scored); count nil scores every example.
func (o *Online) LearnMasked(x []float32, y []int32, count []float32) (correct int, loss float64, err error) {
	d, b, k := o.sizes[0], o.cfg.Batch, o.cfg.Chunk
	n := len(y)
	if len(x) != n*d || n%b != 0 || (count != nil && len(count) != n) {
		return 0, 0, fmt.Errorf("plastic: Learn of %d values and %d labels (count %d), want [n, %d] and [n] with n a multiple of Batch %d", len(x), n, len(count), d, b)
	}
	for _, c := range y {
		if c < 0 || int(c) >= o.sizes[len(o.sizes)-1] {
			return 0, 0, fmt.Errorf("plastic: Learn: label %d outside [0, %d)", c, o.sizes[len(o.sizes)-1])
		}
	}
	if o.xbuf == nil {
		o.xbuf, o.ybuf, o.mbuf = make([]float32, k*b*d), make([]int32, k*b), make([]float32, k*b)
	}
	var lossSum float64
	for at := 0; at < n/b; {
		steps := min(k, n/b-at)
		if o.cbp != nil {
			steps = o.cbp.Next(steps)
		}
		copy(o.xbuf, x[at*b*d:(at+steps)*b*d])
		copy(o.ybuf, y[at*b:(at+steps)*b])
		if count == nil {
			for i := range o.mbuf {
				o.mbuf[i] = 1
			}
		} else {
			copy(o.mbuf, count[at*b:(at+steps)*b])
		}
		c, l, err := o.run(steps)
		if err != nil {
			return correct, 0, err
		}
		correct += c
		lossSum += l
		at += steps
		o.steps += int64(steps)
		o.seen += int64(steps * b)
		o.flops += int64(steps) * o.stepFLOPs()
		if o.cbp != nil {
			o.replace(o.cbp.Advance(steps))
		}
	}
	return correct, lossSum / float64(n/b), nil
}

// run executes one call of the chunk graph for steps updates.
func (o *Online) run(steps int) (correct int, loss float64, err error) {
	d, b, k := o.sizes[0], o.cfg.Batch, o.cfg.Chunk
	args := make([]any, 0, len(o.state)+6)
	for _, t := range o.state {
		args = append(args, t)
	}
	args = append(args, tensors.FromFlatDataAndDimensions(o.xbuf, k*b, d), tensors.FromFlatDataAndDimensions(o.ybuf, k*b),
		tensors.FromFlatDataAndDimensions(o.mbuf, k*b), tensors.FromScalar(int32(steps)))
	for _, t := range o.init {
		args = append(args, t)
	}
	out, err := o.exec.Exec(args...)
	if err != nil {
		return 0, 0, fmt.Errorf("plastic: training chunk: %w", err)
	}
	ns := len(o.state)
	o.state = out[:ns]
	return int(tensors.MustCopyFlatData[float32](out[ns])[0]), float64(tensors.MustCopyFlatData[float32](out[ns+1])[0]), nil
}

// replace applies continual backprop's due replacements.
func (o *Online) replace(due []int) {
	for l, c := range due {
		if c == 0 {
			continue
		}
		u := o.units(l)
		util := o.Utility(l)
		o.cbp.Replace(l, c, util, u, Bound(u.FanIn, true))
		o.setUnits(l, u)
		o.state[o.nParams()+o.nOpt()+l] = tensors.FromFlatDataAndDimensions(util, len(util))
	}
}

// stepFLOPs is the arithmetic of one update: forward 2·params·Batch,
// backward about twice that (the first layer's input gradient is not
// computed: 2·params less 2·In·H1).
func (o *Online) stepFLOPs() int64 {
	var macs int64
	for l := range len(o.sizes) - 1 {
		macs += int64(o.sizes[l] * o.sizes[l+1])
	}
	return int64(o.cfg.Batch) * (6*macs - 2*int64(o.sizes[0]*o.sizes[1]))
}

// FLOPs is the training arithmetic so far (multiply-adds count 2).
func (o *Online) FLOPs() int64 { return o.flops }

// PredictFLOPs is the arithmetic of predicting one example.
func (o *Online) PredictFLOPs() int64 {
	var macs int64
	for l := range len(o.sizes) - 1 {
		macs += int64(o.sizes[l] * o.sizes[l+1])
	}
	return 2 * macs
}

// forwardRows is the number of rows of one forward call.
const forwardRows = 1000

// Forward returns the logits [n, Outputs] and hidden activations (after
// the ReLUs, [n, units] each) of x ([n, Inputs]) in graph calls of 1000
// rows.
func (o *Online) Forward(x []float32) (logits []float32, hidden [][]float32, err error) {
	d := o.sizes[0]
	if len(x)%d != 0 {
		return nil, nil, fmt.Errorf("plastic: Forward of %d values, want a multiple of %d", len(x), d)
	}
	n := len(x) / d
	hidden = make([][]float32, len(o.sizes)-2)
	buf := make([]float32, forwardRows*d)
	for at := 0; at < n; at += forwardRows {
		m := min(forwardRows, n-at)
		clear(buf)
		copy(buf, x[at*d:(at+m)*d])
		args := []any{}
		for _, t := range o.state[:o.nParams()] {
			args = append(args, t)
		}
		args = append(args, tensors.FromFlatDataAndDimensions(buf, forwardRows, d))
		out, err := o.fwd.Exec(args...)
		if err != nil {
			return nil, nil, fmt.Errorf("plastic: forward: %w", err)
		}
		for i, t := range out {
			v := tensors.MustCopyFlatData[float32](t)
			w := len(v) / forwardRows
			if i == len(out)-1 {
				logits = append(logits, v[:m*w]...)
			} else {
				hidden[i] = append(hidden[i], v[:m*w]...)
			}
		}
	}
	return logits, hidden, nil
}

// Predict returns the predicted class of each example of x ([n, Inputs]).
func (o *Online) Predict(x []float32) ([]int32, error) {
	logits, _, err := o.Forward(x)
	if err != nil {
		return nil, err
	}
	c := o.sizes[len(o.sizes)-1]
	pred := make([]int32, len(logits)/c)
	for i := range pred {
		best := 0
		for j := 1; j < c; j++ {
			if logits[i*c+j] > logits[i*c+best] {
				best = j
			}
		}
		pred[i] = int32(best)
	}
	return pred, nil
}

// forwardGraph: params..., x [rows, D] -> hidden..., logits.
func (o *Online) forwardGraph(in []*Node) []*Node {
	np := o.nParams()
	params, x := in[:np], in[np]
	z, hs := forward(params, x)
	return append(hs, z)
}

// forward is the MLP on x [B, D]: the logits and the activations of the
// hidden layers (after their ReLUs).
func forward(params []*Node, x *Node) (logits *Node, hidden []*Node) {
	a := x
	nl := len(params) / 2
	for l := range nl {
		z := graph.Add(graph.Dot(a, params[2*l]).Product(), graph.ExpandAxes(params[2*l+1], 0))
		if l == nl-1 {
			return z, hidden
		}
		a = graph.Max(z, graph.ZerosLike(z))
		hidden = append(hidden, a)
	}
	return nil, nil
}

// chunkGraph: state..., X [K·B, D], Y [K·B], M [K·B], n, init params... ->
// new state..., correct, lossSum: n updates of Batch examples each.
func (o *Online) chunkGraph(in []*Node) []*Node {
	ns := len(o.state)
	state := in[:ns]
	xs, ys, ms, n := in[ns], in[ns+1], in[ns+2], in[ns+3]
	init := in[ns+4:]
	g := xs.Graph()
	i0 := graph.Scalar(g, dtypes.Int32, 0)
	zero := graph.Scalar(g, dtypes.Float32, 0)
	loopInit := append(append([]*Node{}, state...), i0, zero, zero)
	params := func(g *graph.Graph) []*Node {
		ps := make([]*Node, len(loopInit))
		for i, v := range loopInit {
			ps[i] = graph.Parameter(g, fmt.Sprintf("s%d", i), v.Shape())
		}
		return ps
	}
	cond := graph.NewClosure(g, func(g *graph.Graph) []*Node {
		ps := params(g)
		return []*Node{graph.LessThan(ps[ns], n)}
	})
	body := graph.NewClosure(g, func(g *graph.Graph) []*Node {
		ps := params(g)
		i := ps[ns]
		out, correct, loss := o.step(ps[:ns], xs, ys, ms, i, init)
		return append(out, graph.AddScalar(i, int32(1)), graph.Add(ps[ns+1], correct), graph.Add(ps[ns+2], loss))
	})
	res := graph.While(cond, body, loopInit...)
	if o.hasRNG() {
		o.perturb(res[:ns], n)
	}
	return append(res[:ns], res[ns+1], res[ns+2])
}

// perturb adds the noise of shrink & perturb for the n steps of a chunk
// at once: σ·sqrt(n)·ε per weight, ε ~ N(0, 1) — the variance of n
// independent N(0, σ²) draws, one per step (the shrink in between changes
// it by a factor (1 − Shrink)^n ≈ 1). Drawing normals for every weight at
// every step would cost more than the step itself.
func (o *Online) perturb(state []*Node, n *Node) {
	rngAt := len(state) - 1
	rng := state[rngAt]
	scale := graph.MulScalar(graph.Sqrt(graph.ConvertDType(n, dtypes.Float32)), o.cfg.Perturb)
	for p := range o.nParams() {
		var noise *Node
		rng, noise = graph.RandomNormal(rng, state[p].Shape())
		state[p] = graph.Add(state[p], graph.Mul(noise, scale))
	}
	state[rngAt] = rng
}

// step is one update on batch i of the chunk: it returns the new state,
// the number of counted examples classified correctly before the update
// and the batch's mean loss.
func (o *Online) step(state []*Node, xs, ys, ms, i *Node, init []*Node) (newState []*Node, correct, loss *Node) {
	cfg := o.cfg
	b, d := cfg.Batch, o.sizes[0]
	np := o.nParams()
	params := state[:np]
	// Batch i of the chunk (Gather: the Go backend has no DynamicSlice).
	at := graph.Reshape(i, 1)
	x := graph.Gather(graph.Reshape(xs, -1, b, d), at)
	y := graph.Gather(graph.Reshape(ys, -1, b), at)
	m := graph.Gather(graph.Reshape(ms, -1, b), at)

	logits, hidden := forward(params, x)
	classes := o.sizes[len(o.sizes)-1]
	hit := graph.ConvertDType(graph.Equal(graph.ArgMax(logits, -1, dtypes.Int32), y), dtypes.Float32)
	correct = graph.ReduceAllSum(graph.Mul(hit, m))
	onehot := graph.OneHot(y, classes, dtypes.Float32)
	logp := graph.LogSoftmax(logits, -1)
	loss = graph.DivScalar(graph.Neg(graph.ReduceAllSum(graph.Mul(logp, onehot))), float64(b))

	// Backward, by hand: delta = dLoss/dz of each layer, [B, out].
	// Plain SGD folds the step size into the small delta before the outer
	// products, so the update of a weight matrix is one subtraction.
	plain := cfg.Optimizer == SGD && cfg.L2 == 0 && cfg.L2Init == 0
	grads := make([]*Node, np)
	delta := graph.DivScalar(graph.Sub(graph.Exp(logp), onehot), float64(b))
	nl := np / 2
	for l := nl - 1; l >= 0; l-- {
		a := x
		if l > 0 {
			a = hidden[l-1]
		}
		dl := delta
		if plain {
			dl = graph.MulScalar(delta, cfg.LR)
		}
		grads[2*l] = graph.Dot(transpose(a), dl).Product() // aᵀ·delta [in, out]
		grads[2*l+1] = graph.ReduceSum(dl, 0)
		if l > 0 {
			back := graph.DotGeneral(delta, []int{1}, nil, params[2*l], []int{1}, nil) // delta·Wᵀ [B, in]
			delta = graph.Where(graph.GreaterThan(hidden[l-1], graph.ZerosLike(hidden[l-1])), back, graph.ZerosLike(back))
		}
	}
	newState = make([]*Node, len(state))
	copy(newState, state)
	for p := range np {
		w, gr := params[p], grads[p]
		if cfg.L2 > 0 {
			gr = graph.Add(gr, graph.MulScalar(w, cfg.L2))
		}
		if cfg.L2Init > 0 {
			gr = graph.Add(gr, graph.MulScalar(graph.Sub(w, init[p]), cfg.L2Init))
		}
		switch cfg.Optimizer {
		case Adam:
			base := np + 3*p
			mo, v, t := state[base], state[base+1], state[base+2]
			mo = graph.Add(graph.MulScalar(mo, adamB1), graph.MulScalar(gr, 1-adamB1))
			v = graph.Add(graph.MulScalar(v, adamB2), graph.MulScalar(graph.Square(gr), 1-adamB2))
			t = graph.AddScalar(t, 1)
			// Per-weight bias correction: 1 − β^t = 1 − exp(t·ln β).
			bc1 := graph.OneMinus(graph.Exp(graph.MulScalar(t, math.Log(adamB1))))
			bc2 := graph.OneMinus(graph.Exp(graph.MulScalar(t, math.Log(adamB2))))
			upd := graph.Div(graph.Div(mo, bc1), graph.AddScalar(graph.Sqrt(graph.Div(v, bc2)), adamEps))
			w = graph.Sub(w, graph.MulScalar(upd, cfg.LR))
			newState[base], newState[base+1], newState[base+2] = mo, v, t
		default:
			if !plain {
				gr = graph.MulScalar(gr, cfg.LR)
			}
			w = graph.Sub(w, gr)
		}
		newState[p] = w
	}
	if cfg.Shrink > 0 {
		for p := range np {
			newState[p] = ShrinkPerturb(newState[p], nil, cfg.Shrink, 0)
		}
	}
	if cfg.CBP != nil {
		ub := np + o.nOpt()
		for l := range o.nUtil() {
			newState[ub+l] = Utility(state[ub+l], hidden[l], newState[2*(l+1)], cfg.CBP.Decay)
		}
	}
	return newState, correct, loss
}

// transpose is aᵀ of a [B, n]; for B = 1 a reshape (no copy), so that the
// weight gradient is a plain [n, 1]·[1, out] product.
func transpose(a *Node) *Node {
	if a.Shape().Dim(0) == 1 {
		return graph.Reshape(a, a.Shape().Dim(1), 1)
	}
	return graph.Transpose(a, 0, 1)
}
