package deep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/parallel"
)

// Node is GoMLX's graph node.
type Node = graph.Node

// Backbone selects the feature extractor.
type Backbone string

const (
	// MLP is a two-layer ReLU perceptron on the flat input: base
	// dense_0 [Dim, Hidden], top dense_1 [Hidden, Hidden]; Hidden features.
	MLP Backbone = "mlp"
	// CNN is a small convolutional network on [H, W, C] inputs: base
	// conv_0 (3x3, C -> 16, same padding, ReLU, 2x2 max pool), top conv_1
	// (3x3, 16 -> 32, ReLU, 2x2 max pool), flattened, dense [H/4·W/4·32,
	// Hidden] with ReLU; Hidden features.
	CNN Backbone = "cnn"
)

// Scopes of a learner's store (the full list of variable paths is in the
// package doc).
const (
	// ScopeNet holds the backbones: /net/base_<k>/..., /net/top_<k>/....
	ScopeNet = "net"
	// ScopeHead holds the classifier /head/{w,b}.
	ScopeHead = "head"
	// ScopeAux holds DER's and MEMO's auxiliary head during a task.
	ScopeAux = "aux"
	scopeOpt = "opt"
	scopeEWC = "ewc"
)

// convChannels are the CNN's channels after conv_0 and conv_1.
var convChannels = [2]int{16, 32}

// net is a feature extractor of K backbones (bases x tops) and a linear
// head, its variables in a GoMLX store, initialized on the host.
type net struct {
	be      compute.Backend
	store   *model.Store
	kind    Backbone
	dim     int
	shape   []int // [H, W, C] for the CNN
	hidden  int
	bases   int // number of base blocks (DER: = tops; MEMO and single: 1)
	tops    int // number of top blocks = number of backbones K
	classes int // head outputs
	// dtype is the compute dtype of the layers (Options.Precision): the
	// float32 variables are cast to it where a layer reads them.
	dtype    dtypes.DType
	rng      *rand.Rand
	execs    map[string]*model.Exec
	execKeys []string
	// tapping makes the hidden layers record their activations in taps
	// while a graph is built (plasticity.go).
	tapping bool
	taps    []*Node
	// plan is the devices its execs spread over: one (newNet's) unless
	// its learner sets Options.Devices' plan before the first exec.
	plan *parallel.Plan
}

// tap records the hidden activation h when tapping; it returns h.
func (n *net) tap(h *Node) *Node {
	if n.tapping {
		n.taps = append(n.taps, h)
	}
	return h
}

func newNet(be compute.Backend, kind Backbone, dim int, shape []int, hidden int, seed uint64) *net {
	if kind == CNN && (len(shape) != 3 || shape[0]%4 != 0 || shape[1]%4 != 0 || shape[0]*shape[1]*shape[2] != dim) {
		panicf("the CNN needs examples of Shape [H, W, C] with H and W multiples of 4 and Dim = H·W·C, got Shape %v, Dim %d", shape, dim)
	}
	return &net{be: be, store: model.NewStore(), kind: kind, dim: dim, shape: slices.Clone(shape), hidden: hidden,
		dtype: dtypes.Float32, rng: rand.New(rand.NewPCG(seed, 0xc11)), execs: map[string]*model.Exec{}, plan: oneDevice()}
}

// oneDevice returns the plan of one device: the plain single-device path.
func oneDevice() *parallel.Plan {
	p, err := parallel.ForDevices(1)
	if err != nil { // ForDevices fails only below one device
		panic(errors.WithMessage(err, "deep"))
	}
	return p
}

// feat is the width of the concatenated features.
func (n *net) feat() int { return n.tops * n.hidden }

// scope returns the top-level scope /name.
func (n *net) scope(name string) *model.Scope { return n.store.RootScope().At("%s", name) }

// baseScope and topScope are the scopes of base block k and top block k.
func (n *net) baseScope(k int) *model.Scope { return n.scope(ScopeNet).At("base_%d", k) }
func (n *net) topScope(k int) *model.Scope  { return n.scope(ScopeNet).At("top_%d", k) }

// uniform returns a [dims...] float32 tensor of U(-bound, bound) values.
func (n *net) uniform(bound float64, dims ...int) *tensors.Tensor {
	v := make([]float32, prod(dims))
	for i := range v {
		v[i] = float32((2*n.rng.Float64() - 1) * bound)
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// set creates or replaces the variable name of scope s with value.
func (n *net) set(s *model.Scope, name string, value *tensors.Tensor) {
	if v := s.GetVariable(name); v != nil {
		if slices.Equal(v.Shape().Dimensions, value.Shape().Dimensions) {
			if err := v.SetValue(value); err != nil {
				panicf("setting %s: %v", v.Path(), err)
			}
			return
		}
		if err := s.DeleteVariable(name); err != nil {
			panicf("deleting %s: %v", v.Path(), err)
		}
	}
	n.dropExecs() // Compiled graphs refer to the variables they were built with.
	if _, err := s.CreateVariable(name, value); err != nil {
		panicf("creating %s/%s: %v", s.Scope(), name, err)
	}
}

// variable returns the variable name of scope s; it panics if there is none.
func variable(s *model.Scope, name string) *model.Variable {
	v := s.GetVariable(name)
	if v == nil {
		panicf("no variable %s/%s", s.Scope(), name)
	}
	return v
}

// values returns v's values (a copy) and its dims.
func values(v *model.Variable) ([]float32, []int) {
	t := v.MustValue()
	return tensors.MustCopyFlatData[float32](t), t.Shape().Dimensions
}

// value returns the values of the variable name of scope s (a copy) and its dims.
func value(s *model.Scope, name string) ([]float32, []int) { return values(variable(s, name)) }

// layer is one layer of a block: a dense layer or a 3x3 convolution from
// in to out features (channels).
type layer struct {
	name    string
	conv    bool
	in, out int
}

// layers returns the layers of a base block (top false) or a top block of
// the net's backbone (see [MLP] and [CNN]).
func (n *net) layers(top bool) []layer {
	switch {
	case n.kind == CNN && !top:
		return []layer{{"conv_0", true, n.shape[2], convChannels[0]}}
	case n.kind == CNN:
		return []layer{{"conv_1", true, convChannels[0], convChannels[1]},
			{"dense", false, n.shape[0] / 4 * n.shape[1] / 4 * convChannels[1], n.hidden}}
	case !top:
		return []layer{{"dense_0", false, n.dim, n.hidden}}
	default:
		return []layer{{"dense_1", false, n.hidden, n.hidden}}
	}
}

// create initializes the layers in s as PyTorch's nn.Linear and nn.Conv2d
// do: w [in, out] (dense) or [3, 3, in, out] (conv) and b [out], all
// U(±1/sqrt(fan_in)) with fan_in = in (dense) or 9·in (conv).
func (n *net) create(s *model.Scope, ls ...layer) {
	for _, l := range ls {
		fanIn, dims := l.in, []int{l.in, l.out}
		if l.conv {
			fanIn, dims = 9*l.in, []int{3, 3, l.in, l.out}
		}
		bound := 1 / math.Sqrt(float64(fanIn))
		n.set(s.At("%s", l.name), "w", n.uniform(bound, dims...))
		n.set(s.At("%s", l.name), "b", n.uniform(bound, l.out))
	}
}

// addBase creates base block k (fresh).
func (n *net) addBase() {
	n.create(n.baseScope(n.bases), n.layers(false)...)
	n.bases++
}

// addTop creates top block k (fresh); the width of the head's input grows
// by Hidden (new rows of head/w are initialized as a fresh head's).
func (n *net) addTop() {
	n.create(n.topScope(n.tops), n.layers(true)...)
	n.tops++
	if n.classes > 0 {
		n.resizeHead(n.classes)
	}
}

// copyScope copies every variable under from to the same place under to.
func (n *net) copyScope(from, to *model.Scope) {
	for _, v := range vars(from) {
		vals, dims := values(v)
		n.set(rebase(v, from, to), v.Name(), tensors.FromFlatDataAndDimensions(vals, dims...))
	}
}

// rebase returns the scope that holds v's counterpart when the scope from
// (above v) is moved to to: /net/base_0/dense_0/w from /net/base_0 to
// /net/base_1 gives /net/base_1/dense_0; from the root scope to /opt/m,
// /opt/m/net/base_0/dense_0.
func rebase(v *model.Variable, from, to *model.Scope) *model.Scope {
	rel := strings.TrimPrefix(v.Scope(), from.Scope())
	for _, part := range strings.Split(rel, "/") {
		if part != "" {
			to = to.At("%s", part)
		}
	}
	return to
}

// mirror returns the scope under s that mirrors v's: /opt/m/net/base_0/dense_0
// for /net/base_0/dense_0/w and s = /opt/m.
func (n *net) mirror(s *model.Scope, v *model.Variable) *model.Scope {
	return rebase(v, n.store.RootScope(), s)
}

// vars returns the variables under the scopes, each scope's sorted by path,
// in the order of the scopes.
func vars(scopes ...*model.Scope) []*model.Variable {
	var out []*model.Variable
	for _, s := range scopes {
		vs := slices.Collect(s.IterVariables())
		slices.SortFunc(vs, func(a, b *model.Variable) int { return strings.Compare(a.Path(), b.Path()) })
		out = append(out, vs...)
	}
	return out
}

// resizeHead makes head/w [feat(), classes] and head/b [classes], keeping
// the old values in the top-left block (PyCIL's update_fc) and
// initializing the rest as nn.Linear(feat(), classes).
func (n *net) resizeHead(classes int) {
	if n.tops == 0 {
		panicf("resizeHead before any top block: the head would have no inputs")
	}
	f, head := n.feat(), n.scope(ScopeHead)
	bound := 1 / math.Sqrt(float64(f))
	w := tensors.MustCopyFlatData[float32](n.uniform(bound, f, classes))
	b := tensors.MustCopyFlatData[float32](n.uniform(bound, classes))
	if head.GetVariable("w") != nil {
		ow, od := value(head, "w")
		ob, _ := value(head, "b")
		for i := range min(od[0], f) {
			for j := range min(od[1], classes) {
				w[i*classes+j] = ow[i*od[1]+j]
			}
		}
		copy(b, ob[:min(len(ob), classes)])
	}
	n.set(head, "w", tensors.FromFlatDataAndDimensions(w, f, classes))
	n.set(head, "b", tensors.FromFlatDataAndDimensions(b, classes))
	n.classes = classes
}

// params is the number of float32 parameters under /net, /head and /aux.
func (n *net) params() int64 {
	var c int64
	for _, v := range vars(n.scope(ScopeNet), n.scope(ScopeHead), n.scope(ScopeAux)) {
		c += int64(v.Shape().Size())
	}
	return c
}

// param returns the variable name of scope s in g.
func param(g *graph.Graph, s *model.Scope, name string) *Node { return variable(s, name).NodeValue(g) }

// weight returns the variable name of scope s in g, in the compute dtype.
func (n *net) weight(g *graph.Graph, s *model.Scope, name string) *Node {
	return graph.ConvertDType(param(g, s, name), n.dtype)
}

// linear is x·w + b with w and b of scope s: x [B, in] -> [B, out].
func (n *net) linear(x *Node, s *model.Scope) *Node {
	g := x.Graph()
	return graph.Add(graph.MatMul(x, n.weight(g, s, "w")), graph.ExpandAxes(n.weight(g, s, "b"), 0))
}

func relu(x *Node) *Node { return graph.MaxScalar(x, float32(0)) }

// convLayer is a 3x3 same-padded convolution of x [B, H, W, C] with w
// [3, 3, C, out] and b [out] of scope s, ReLU, and 2x2 max pooling,
// returning [B, H/2, W/2, out] (tapped, see tap). The convolution is written as im2col (the
// nine shifted copies of the zero-padded input, concatenated on the channel
// axis: [B, H, W, 9·C]) times the kernel reshaped to [9·C, out], and the
// pooling as a reshape and a max: on the Go backend both, and their
// gradients, are much faster than its Convolve and MaxPool (measured ~1 s
// per training step of the CNN at batch 128 with those).
func (n *net) convLayer(x *Node, s *model.Scope) *Node {
	g := x.Graph()
	b, h, w, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	k := n.weight(g, s, "w")
	out := k.Shape().Dim(3)
	p := graph.Pad(x, graph.ScalarZero(g, x.DType()), graph.PadAxis{}, graph.PadAxis{Start: 1, End: 1},
		graph.PadAxis{Start: 1, End: 1}, graph.PadAxis{})
	patches := make([]*Node, 0, 9)
	for dr := range 3 {
		for dc := range 3 {
			patches = append(patches, graph.Slice(p, graph.AxisRange(), graph.AxisRange(dr, dr+h), graph.AxisRange(dc, dc+w), graph.AxisRange()))
		}
	}
	cols := graph.Reshape(graph.Concatenate(patches, 3), b*h*w, 9*c)
	y := graph.MatMul(cols, graph.Reshape(k, 9*c, out))
	y = relu(graph.Add(y, graph.ExpandAxes(n.weight(g, s, "b"), 0)))
	y = graph.Reshape(y, b, h/2, 2, w/2, 2, out)
	return n.tap(graph.ReduceMax(y, 2, 4))
}

// base applies base block k to x [B, Dim].
func (n *net) base(x *Node, k int) *Node {
	s := n.baseScope(k)
	switch n.kind {
	case CNN:
		x = graph.Reshape(x, -1, n.shape[0], n.shape[1], n.shape[2])
		return n.convLayer(x, s.At("conv_0"))
	default:
		return n.tap(relu(n.linear(x, s.At("dense_0"))))
	}
}

// top applies top block k to a base's output, returning [B, Hidden].
func (n *net) top(h *Node, k int) *Node {
	s := n.topScope(k)
	switch n.kind {
	case CNN:
		h = n.convLayer(h, s.At("conv_1"))
		h = graph.Reshape(h, h.Shape().Dim(0), -1)
		return n.tap(relu(n.linear(h, s.At("dense"))))
	default:
		return n.tap(relu(n.linear(h, s.At("dense_1"))))
	}
}

// features returns the K backbones' features of x [B, Dim], each [B,
// Hidden] in the compute dtype: top_k(base_k(x)), or top_k(base_0(x)) with
// one shared base.
func (n *net) features(x *Node) []*Node {
	x = graph.ConvertDType(x, n.dtype)
	bases := make([]*Node, n.bases)
	out := make([]*Node, n.tops)
	for k := range n.tops {
		b := min(k, n.bases-1)
		if bases[b] == nil {
			bases[b] = n.base(x, b)
		}
		out[k] = n.top(bases[b], k)
	}
	return out
}

// concat concatenates features along axis 1.
func concat(fs []*Node) *Node {
	if len(fs) == 1 {
		return fs[0]
	}
	return graph.Concatenate(fs, 1)
}

// forward returns the logits [B, classes] (float32) and the per-backbone
// features (compute dtype).
func (n *net) forward(x *Node) (*Node, []*Node) {
	fs := n.features(x)
	return toFloat32(n.linear(concat(fs), n.scope(ScopeHead))), fs
}

// execLayouts are the layouts on the devices of an exec's inputs and
// outputs (parallel.Plan.NewExec's in and out: the last of a list repeats
// for further ones; an empty list, every one replicated).
type execLayouts struct{ in, out []parallel.Layout }

// The execs' layouts: per-example tensors (x [B, Dim], y [B], the weights
// w [B], the old logits [B, Known], apply's outputs [B, width]) are split
// over the devices by example; what is not per example (the loss, the
// Fisher's squared gradients, one per variable) is replicated.
var (
	trainLayouts  = execLayouts{in: []parallel.Layout{parallel.Batch}, out: []parallel.Layout{parallel.Replicated}}
	fisherLayouts = execLayouts{in: []parallel.Layout{parallel.Batch}, out: []parallel.Layout{parallel.Replicated}}
	applyLayouts  = execLayouts{in: []parallel.Layout{parallel.Batch}, out: []parallel.Layout{parallel.Batch}}
)

// layoutAt returns the layout of input or output i under the layouts ls
// (the last one repeats; none: replicated), as parallel.Plan.NewExec reads them.
func layoutAt(ls []parallel.Layout, i int) parallel.Layout {
	if len(ls) == 0 {
		return parallel.Replicated
	}
	return ls[min(i, len(ls)-1)]
}

// place lays out the host tensors args of a call on plan p, args[i] in
// layoutAt(ls, i): the tensors themselves with one device. With several, a
// batch (axis 0 of a tensor laid out as parallel.Batch) that does not
// split evenly over the devices is an error naming both counts.
func place(p *parallel.Plan, ls []parallel.Layout, args []*tensors.Tensor) ([]any, error) {
	out := make([]any, len(args))
	for i, t := range args {
		l := layoutAt(ls, i)
		v, err := p.Put(l, t) // checks that a batch splits evenly
		if err != nil {
			if l == parallel.Batch && t.Rank() > 0 {
				return nil, errors.WithMessagef(err, "deep: a batch of %d examples on %d devices", t.Shape().Dim(0), p.Devices())
			}
			return nil, errors.WithMessage(err, "deep")
		}
		out[i] = v
	}
	return out, nil
}

// evalRows returns the rows of apply's batches for a batch of batch
// examples on devices devices: batch rounded up to a multiple of devices
// (batch itself with one device), so that every device gets as many rows.
func evalRows(batch, devices int) int { return (batch + devices - 1) / devices * devices }

// exec returns the cached exec for key, building it with fn on first use
// on the net's plan, its inputs and outputs laid out as ls. Its graphs are
// marked as training so that the Go backend passes the variables as
// parameters rather than constants (see lib/recursive/blocks' doc).
func (n *net) exec(key string, ls execLayouts, fn func(scope *model.Scope, in []*Node) []*Node) *model.Exec {
	key = fmt.Sprintf("%s|b%d|t%d|c%d", key, n.bases, n.tops, n.classes)
	if e, ok := n.execs[key]; ok {
		return e
	}
	e, err := n.plan.NewExec(n.be, n.store, func(scope *model.Scope, in []*Node) []*Node {
		scope.Store().SetTraining(in[0].Graph(), true)
		return fn(scope, in)
	}, ls.in, ls.out)
	if err != nil {
		panicf("building %s: %v", key, err)
	}
	n.execs[key] = e
	n.execKeys = append(n.execKeys, key)
	return e
}

// call runs e (an exec of n.exec with the layouts ls) on the host tensors
// args and returns its outputs as host tensors (merged from the devices'
// shards with several); what names the call in errors.
func (n *net) call(what string, e *model.Exec, ls execLayouts, args ...*tensors.Tensor) []*tensors.Tensor {
	in, err := place(n.plan, ls.in, args)
	if err != nil {
		panic(err)
	}
	out, err := n.plan.Call(e, in...)
	if n.plan.Distributed() { // the shards Put made; with one device in is args, left to the GC as before
		parallel.Release(in...)
	}
	if err != nil {
		panicf("%s: %v", what, err)
	}
	res := make([]*tensors.Tensor, len(out))
	for i, v := range out {
		if res[i], err = parallel.Local(v); err != nil {
			panicf("%s: %v", what, err)
		}
		if n.plan.Distributed() { // the shards, merged into res[i]
			parallel.Release(v)
		}
	}
	return res
}

// dropExecs frees the compiled graphs (after the structure changed).
func (n *net) dropExecs() {
	for _, k := range n.execKeys {
		n.execs[k].Finalize()
	}
	n.execs, n.execKeys = map[string]*model.Exec{}, nil
}

// apply runs fn over x in batches of evalRows(batch, devices) rows (the
// last one padded, so one graph shape), returning per output the rows of
// the real examples concatenated: outputs must be [rows, width] float32.
func (n *net) apply(key string, x []float32, batch int, fn func(x *Node) []*Node) [][]float32 {
	rows := len(x) / n.dim
	batch = evalRows(batch, n.plan.Devices())
	e := n.exec(key, applyLayouts, func(_ *model.Scope, in []*Node) []*Node { return fn(in[0]) })
	var outs [][]float32
	buf := make([]float32, batch*n.dim)
	for start := 0; start < rows; start += batch {
		m := min(batch, rows-start)
		clear(buf)
		copy(buf, x[start*n.dim:(start+m)*n.dim])
		res := n.call("running "+key, e, applyLayouts, tensors.FromFlatDataAndDimensions(slices.Clone(buf), batch, n.dim))
		if outs == nil {
			outs = make([][]float32, len(res))
		}
		for i, r := range res {
			w := r.Shape().Size() / batch
			outs[i] = append(outs[i], tensors.MustCopyFlatData[float32](r)[:m*w]...)
		}
	}
	return outs
}

// logits returns the head's logits of x [N, Dim]: [N, classes].
func (n *net) logits(x []float32, batch int) []float32 {
	if len(x) == 0 {
		return nil
	}
	return n.apply("logits", x, batch, func(x *Node) []*Node {
		l, _ := n.forward(x)
		return []*Node{l}
	})[0]
}

// featuresOf returns the concatenated features of x [N, Dim]: [N, feat()].
func (n *net) featuresOf(x []float32, batch int) []float32 {
	if len(x) == 0 {
		return nil
	}
	return n.apply("features", x, batch, func(x *Node) []*Node { return []*Node{toFloat32(concat(n.features(x)))} })[0]
}

// float32Scalar is a float32 constant.
func float32Scalar(g *graph.Graph, v float64) *Node { return graph.Scalar(g, dtypes.Float32, v) }

// prod is the product of dims (the size of an array of those dimensions).
func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// panicf panics with a "deep: " error; Learn and Predict return it.
func panicf(format string, args ...any) { panic(errors.Errorf("deep: "+format, args...)) }

// catch turns a panic into *err, prefixed "deep: " unless it already is.
func catch(err *error) {
	r := recover()
	if r == nil {
		return
	}
	e, ok := r.(error)
	if !ok {
		e = errors.Errorf("%v", r)
	}
	if !strings.HasPrefix(e.Error(), "deep: ") {
		e = errors.WithMessage(e, "deep")
	}
	*err = e
}
