package deep

import (
	"math"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/cil"
	"github.com/labnotes/labnotes/lib/cil/plastic"
)

// scopePlastic holds the remedies' state: /plastic/init<path> (L2Init's
// θ₀), /plastic/util<path> (continual backprop's utilities of the layer
// at <path>), /plastic/rng (shrink & perturb's random state).
const scopePlastic = "plastic"

// Plasticity are the remedies for loss of plasticity of lib/cil/plastic
// as options of a learner (Dohare et al., Nature 2024); the zero value
// turns them all off, and a learner then trains exactly as without them.
type Plasticity struct {
	// Shrink and Noise are shrink & perturb (Ash & Adams, 2020): after
	// every update every trainable weight and bias θ becomes
	// (1 − Shrink)·θ + Noise·ε, ε ~ N(0, 1) drawn per weight and step
	// (plastic.ShrinkPerturb). 0 <= Shrink < 1, Noise >= 0.
	Shrink, Noise float64
	// L2Init adds L2Init·(θ − θ₀) to every trainable parameter's gradient,
	// θ₀ its value when it was first trained (kept under
	// /plastic/init<path>; a grown head's new columns get theirs when
	// they appear).
	L2Init float64
	// CBP turns on continual backprop (plastic.CBP) on the backbone's
	// hidden layers: the MLP's dense_0 and dense_1 units, the CNN's conv_0
	// and conv_1 channels and dense units. A running utility per unit in
	// the training graph (plastic.Utility, /plastic/util<path> [units]; a
	// channel's activation is averaged over positions),
	// and after every optimizer step the due number of mature units with
	// the lowest utility replaced (plastic.Units.Reinit): input weights
	// redrawn from the layer's initializer U(±1/sqrt(fan_in)), bias and
	// outgoing weights zero, and the optimizer's moments of all three
	// zero. nil: off; zero fields take plastic's defaults (DefaultRho,
	// DefaultMaturity, DefaultDecay). The ages and utilities carry over
	// from task to task (GDumb's fresh network each task starts them
	// afresh). Only for the single-backbone methods (not DER or MEMO,
	// whose backbones share units): [New] refuses those.
	CBP *plastic.CBPConfig
	// Probe > 0 measures the network after every task ([Learner.Measure]
	// on the first Probe examples of the task's training data) into
	// [Learner.Plasticity].
	Probe int
}

// on reports whether any remedy changes training.
func (p Plasticity) on() bool { return p.Shrink > 0 || p.Noise > 0 || p.L2Init > 0 || p.CBP != nil }

// withDefaults returns p with a copy of CBP whose zero fields take
// plastic's defaults.
func (p Plasticity) withDefaults() Plasticity {
	if p.CBP == nil {
		return p
	}
	c := *p.CBP
	if c.Rho == 0 {
		c.Rho = plastic.DefaultRho
	}
	if c.Maturity == 0 {
		c.Maturity = plastic.DefaultMaturity
	}
	if c.Decay == 0 {
		c.Decay = plastic.DefaultDecay
	}
	p.CBP = &c
	return p
}

// check validates p for method m on backbone b.
func (p Plasticity) check(m Method, b Backbone) error {
	switch {
	case p.Shrink < 0 || p.Shrink >= 1 || p.Noise < 0 || p.L2Init < 0 || p.Probe < 0:
		return errors.Errorf("deep: Options.Plasticity Shrink %g, Noise %g, L2Init %g, Probe %d: want 0 <= Shrink < 1 and the others >= 0",
			p.Shrink, p.Noise, p.L2Init, p.Probe)
	case p.CBP == nil:
		return nil
	case m == DER || m == MEMO:
		return errors.Errorf("deep: Options.Plasticity.CBP needs a single-backbone method, got %s (its backbones share units' outgoing weights)", m)
	case p.CBP.Rho <= 0 || p.CBP.Rho > 1 || p.CBP.Maturity < 0 || p.CBP.Decay <= 0 || p.CBP.Decay >= 1:
		return errors.Errorf("deep: Options.Plasticity.CBP %+v: want 0 < Rho <= 1, Maturity >= 0, 0 < Decay < 1", *p.CBP)
	}
	return nil
}

// plasticState is the host side of the remedies for one network.
type plasticState struct {
	store *model.Store // the network it belongs to (GDumb starts fresh ones)
	cbp   *plastic.CBP
}

// cbpLayer is a hidden layer continual backprop tracks: the scope of its
// weights and of the weights its units feed.
type cbpLayer struct{ in, out *model.Scope }

// cbpLayers are the hidden layers of the (single) backbone in the order
// the network taps their activations: the MLP's base_0/dense_0 (feeding
// top_0/dense_1) and top_0/dense_1 (feeding the head); the CNN's
// base_0/conv_0 (feeding top_0/conv_1), top_0/conv_1 (feeding top_0/dense
// through the flattened feature map) and top_0/dense (feeding the head).
func (n *net) cbpLayers() []cbpLayer {
	if n.kind == CNN {
		conv0, conv1, dense := n.baseScope(0).At("conv_0"), n.topScope(0).At("conv_1"), n.topScope(0).At("dense")
		return []cbpLayer{{conv0, conv1}, {conv1, dense}, {dense, n.scope(ScopeHead)}}
	}
	dense0, dense1 := n.baseScope(0).At("dense_0"), n.topScope(0).At("dense_1")
	return []cbpLayer{{dense0, dense1}, {dense1, n.scope(ScopeHead)}}
}

// plasticVars prepares the remedies' state before a fit of trainable:
// θ₀ for L2Init (new parameters, or a grown head's new block), the
// utilities and the CBP tracker, the random state for the noise.
func (l *Learner) plasticVars(trainable []*model.Variable) {
	p, n := l.opts.Plasticity, l.net
	if !p.on() {
		return
	}
	if l.plast == nil || l.plast.store != n.store {
		l.plast = &plasticState{store: n.store}
		if p.CBP != nil {
			var widths []int
			for _, c := range n.cbpLayers() {
				widths = append(widths, variable(c.in, "b").Shape().Dim(0))
			}
			l.plast.cbp = plastic.NewCBP(widths, *p.CBP, l.opts.Seed+0xcb)
		}
	}
	ps := n.scope(scopePlastic)
	if p.L2Init > 0 {
		for _, v := range trainable {
			vals, dims := values(v)
			is := n.mirror(ps.At("init"), v)
			if old := is.GetVariable(v.Name()); old != nil {
				ov, od := values(old)
				if slices.Equal(od, dims) {
					continue
				}
				forBlock(dims, od, func(at, oat int) { vals[at] = ov[oat] })
			}
			n.set(is, v.Name(), tensors.FromFlatDataAndDimensions(vals, dims...))
		}
	}
	if p.CBP != nil {
		for _, c := range n.cbpLayers() {
			in := c.in
			w := variable(in, "w")
			if n.mirror(ps.At("util"), w).GetVariable("w") == nil {
				n.set(n.mirror(ps.At("util"), w), "w", tensors.FromShape(variable(in, "b").Shape()))
			}
		}
	}
	if p.Noise > 0 && ps.GetVariable("rng") == nil {
		r, err := graph.RNGStateFromSeed(int64(l.opts.Seed) + 0x5b)
		if err != nil {
			panicf("shrink & perturb's random state: %v", err)
		}
		n.set(ps, "rng", r)
	}
}

// l2Init returns grad + L2Init·(θ − θ₀) for the variable v of value theta.
func (l *Learner) l2Init(g *graph.Graph, v *model.Variable, theta, grad *Node) *Node {
	lambda := l.opts.Plasticity.L2Init
	if lambda == 0 {
		return grad
	}
	init := variable(l.net.mirror(l.net.scope(scopePlastic).At("init"), v), v.Name()).NodeValue(g)
	return graph.Add(grad, graph.MulScalar(graph.Sub(theta, init), lambda))
}

// shrinkPerturb returns plastic.ShrinkPerturb of a variable's updated
// value theta: (1 − Shrink)·θ + Noise·ε.
func (l *Learner) shrinkPerturb(g *graph.Graph, theta *Node) *Node {
	p := l.opts.Plasticity
	var noise *Node
	if p.Noise > 0 {
		rv := variable(l.net.scope(scopePlastic), "rng")
		var rng *Node
		rng, noise = graph.RandomNormal(rv.NodeValue(g), theta.Shape())
		rv.SetNodeValue(rng)
	}
	return plastic.ShrinkPerturb(theta, noise, p.Shrink, p.Noise)
}

// utilities adds continual backprop's utility updates to the training
// graph: acts are the tapped activations of the cbpLayers ([B, units], a
// convolution's [B, h, w, channels]) and w [B] the rows' weights (padding
// rows, of weight 0, do not count). It must run before the update, on the
// outgoing weights the step started from.
func (l *Learner) utilities(g *graph.Graph, acts []*Node, w *Node) {
	c := l.opts.Plasticity.CBP
	if c == nil {
		return
	}
	n := l.net
	layers := n.cbpLayers()
	if len(acts) != len(layers) {
		panicf("continual backprop: %d hidden activations tapped, want %d", len(acts), len(layers))
	}
	// Scaled so that Utility's mean over the B rows is the mean over the real ones.
	scale := graph.Div(graph.MulScalar(w, float64(w.Shape().Dim(0))), graph.MaxScalar(graph.ReduceAllSum(w), float32(1)))
	for i, a := range acts {
		in, out := layers[i].in, layers[i].out
		uv := variable(n.mirror(n.scope(scopePlastic).At("util"), variable(in, "w")), "w")
		dims := slices.Repeat([]int{1}, a.Rank())
		dims[0] = -1
		a = graph.Mul(toFloat32(a), graph.Reshape(scale, dims...))
		o := param(g, out, "w") // [Groups·N, FanOut] for plastic.Utility (a kernel [3, 3, N, FanOut] flattened)
		o = graph.Reshape(o, -1, o.Shape().Dim(-1))
		uv.SetNodeValue(plastic.Utility(uv.NodeValue(g), a, o, c.Decay))
	}
}

// afterStep runs continual backprop's replacements due after an
// optimizer step.
func (l *Learner) afterStep() {
	if l.plast == nil || l.plast.cbp == nil {
		return
	}
	for i, k := range l.plast.cbp.Advance(1) {
		if k > 0 {
			l.replace(i, k)
		}
	}
}

// replace replaces count units of hidden layer i (of cbpLayers;
// plastic.CBP.Replace) in the store: the layer's weights and bias, the
// weights its units feed, their optimizer state (when a fit holds one) and
// the utilities. A weight [..., last] is seen as [rows, last]: a kernel
// [3, 3, c, N] as In [9·c, N], the next layer's weights as Out [Groups·N,
// FanOut] (plastic.Units).
func (l *Learner) replace(i, count int) []int {
	n := l.net
	in, out := n.cbpLayers()[i].in, n.cbpLayers()[i].out
	vw, vb, vo := variable(in, "w"), variable(in, "b"), variable(out, "w")
	w, wd := values(vw)
	b, bd := values(vb)
	o, od := values(vo)
	units, fanOut := wd[len(wd)-1], od[len(od)-1]
	fanIn := len(w) / units
	u := plastic.Units{N: units, FanIn: fanIn, FanOut: fanOut, Groups: len(o) / fanOut / units, In: w, Bias: b, Out: o}
	type slot struct {
		s    *model.Scope
		vals []float32
		dims []int
	}
	var slots []slot
	for _, moment := range []string{"m", "v"} {
		for j, v := range []*model.Variable{vw, vb, vo} {
			s := n.mirror(n.scope(scopeOpt).At("%s", moment), v)
			sv := s.GetVariable(v.Name())
			if sv == nil {
				continue
			}
			vals, dims := values(sv)
			slots = append(slots, slot{s, vals, dims})
			switch j {
			case 0:
				u.InState = append(u.InState, vals)
			case 1:
				u.BiasState = append(u.BiasState, vals)
			default:
				u.OutState = append(u.OutState, vals)
			}
		}
	}
	us := n.mirror(n.scope(scopePlastic).At("util"), vw)
	util, ud := value(us, "w")
	done := l.plast.cbp.Replace(i, count, util, u, 1/math.Sqrt(float64(fanIn)))
	n.set(in, "w", tensors.FromFlatDataAndDimensions(w, wd...))
	n.set(in, "b", tensors.FromFlatDataAndDimensions(b, bd...))
	n.set(out, "w", tensors.FromFlatDataAndDimensions(o, od...))
	n.set(us, "w", tensors.FromFlatDataAndDimensions(util, ud...))
	for k, sl := range slots {
		name := []string{"w", "b", "w"}[k%3]
		n.set(sl.s, name, tensors.FromFlatDataAndDimensions(sl.vals, sl.dims...))
	}
	return done
}

// Replaced returns the number of units continual backprop has replaced
// per hidden layer of the current network (the MLP's dense_0, dense_1;
// the CNN's conv_0, conv_1 channels and dense units); nil without
// Options.Plasticity.CBP.
func (l *Learner) Replaced() []int64 {
	if l.plast == nil || l.plast.cbp == nil {
		return nil
	}
	return l.plast.cbp.Replaced()
}

// Measure returns the plasticity measures (plastic.Stats) of the current
// network on probe: the dormant fraction of the hidden units (the MLP's
// dense_0 and dense_1 of every backbone; the CNN's conv_0 and conv_1
// channels, a channel's activation on an example being its mean over
// positions, and its dense feature layer), the stable rank of
// the last backbone's features, and the mean |w| over every weight of
// /net and /head (biases excluded).
func (l *Learner) Measure(probe *cil.Data) (s plastic.Stats, err error) {
	defer catch(&err)
	n := l.net
	switch {
	case n == nil:
		return s, errors.New("deep: Measure before any Learn")
	case probe == nil || probe.Len() == 0 || probe.Dim != l.dim || len(probe.X) != probe.Len()*probe.Dim:
		return s, errors.Errorf("deep: Measure needs a non-empty probe of Dim %d", l.dim)
	}
	acts := n.apply("hidden", probe.X, l.opts.EvalBatch, func(x *Node) []*Node {
		n.taps, n.tapping = nil, true
		n.features(x)
		taps := n.taps
		n.taps, n.tapping = nil, false
		for i, a := range taps {
			if a.Rank() == 4 { // a convolution's [B, h, w, channels]: per channel, its mean over positions
				a = graph.ReduceMean(a, 1, 2)
			}
			taps[i] = toFloat32(a)
		}
		return taps
	})
	units := make([]int, len(acts))
	for i, a := range acts {
		units[i] = len(a) / probe.Len()
	}
	s = plastic.MeasureActs(acts, units, nil)
	var sum float64
	var count int
	for _, v := range vars(n.scope(ScopeNet), n.scope(ScopeHead)) {
		if v.Name() != "w" {
			continue
		}
		vals, _ := values(v)
		for _, x := range vals {
			sum += math.Abs(float64(x))
		}
		count += len(vals)
	}
	s.WeightMag = sum / float64(max(count, 1))
	return s, nil
}

// measureTask records the measures after a task, on its first Probe
// training examples (Options.Plasticity.Probe > 0).
func (l *Learner) measureTask(train *cil.Data) error {
	k := l.opts.Plasticity.Probe
	if k == 0 {
		return nil
	}
	idx := make([]int, min(k, train.Len()))
	for i := range idx {
		idx[i] = i
	}
	s, err := l.Measure(train.Subset(idx))
	if err != nil {
		return err
	}
	l.Plasticity = append(l.Plasticity, s)
	return nil
}

// plasticBytes is the remedies' state counted in Memory's Other: L2Init's
// θ₀ and the utilities, 4 bytes per float.
func (l *Learner) plasticBytes() int64 {
	if l.net == nil {
		return 0
	}
	var c int64
	for _, v := range vars(l.net.scope(scopePlastic)) {
		if v.Shape().DType == dtypes.Float32 {
			c += int64(v.Shape().Size())
		}
	}
	return 4 * c
}
