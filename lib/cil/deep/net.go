package deep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
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
	be       compute.Backend
	store    *model.Store
	kind     Backbone
	dim      int
	shape    []int // [H, W, C] for the CNN
	hidden   int
	bases    int // number of base blocks (DER: = tops; MEMO and single: 1)
	tops     int // number of top blocks = number of backbones K
	classes  int // head outputs
	rng      *rand.Rand
	execs    map[string]*model.Exec
	execKeys []string
}

func newNet(be compute.Backend, kind Backbone, dim int, shape []int, hidden int, seed uint64) *net {
	if kind == "" {
		kind = MLP
	}
	if kind != MLP && kind != CNN {
		panicf("unknown backbone %q (want %q or %q)", kind, MLP, CNN)
	}
	if kind == CNN && (len(shape) != 3 || shape[0]%4 != 0 || shape[1]%4 != 0 || shape[0]*shape[1]*shape[2] != dim) {
		panicf("the CNN needs examples of Shape [H, W, C] with H and W multiples of 4 and Dim = H·W·C, got Shape %v, Dim %d", shape, dim)
	}
	n := &net{be: be, store: model.NewStore(), kind: kind, dim: dim, shape: slices.Clone(shape), hidden: hidden,
		rng: rand.New(rand.NewPCG(seed, 0xc11)), execs: map[string]*model.Exec{}}
	return n
}

// feat is the width of the concatenated features.
func (n *net) feat() int { return n.tops * n.hidden }

// uniform returns a [dims...] float32 tensor of U(-bound, bound) values.
func (n *net) uniform(bound float64, dims ...int) *tensors.Tensor {
	size := 1
	for _, d := range dims {
		size *= d
	}
	v := make([]float32, size)
	for i := range v {
		v[i] = float32((2*n.rng.Float64() - 1) * bound)
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// set creates or replaces the variable at path with value.
func (n *net) set(path string, value *tensors.Tensor) {
	if v := n.store.GetVariable(path); v != nil {
		if slices.Equal(v.Shape().Dimensions, value.Shape().Dimensions) {
			if err := v.SetValue(value); err != nil {
				panicf("setting %s: %v", path, err)
			}
			return
		}
		if err := n.store.DeleteVariable(path); err != nil {
			panicf("deleting %s: %v", path, err)
		}
	}
	n.dropExecs() // Compiled graphs refer to the variables they were built with.
	if _, err := n.store.CreateVariable(path, value); err != nil {
		panicf("creating %s: %v", path, err)
	}
}

// value returns the values of the variable at path (a copy) and its dims.
func (n *net) value(path string) ([]float32, []int) {
	v := n.store.GetVariable(path)
	if v == nil {
		panicf("no variable %s", path)
	}
	t := v.MustValue()
	return tensors.MustCopyFlatData[float32](t), t.Shape().Dimensions
}

// dense creates path/w [in, out] and path/b [out], U(±1/sqrt(in)) as
// PyTorch's nn.Linear.
func (n *net) dense(path string, in, out int) {
	bound := 1 / math.Sqrt(float64(in))
	n.set(path+"/w", n.uniform(bound, in, out))
	n.set(path+"/b", n.uniform(bound, out))
}

// conv creates path/w [3, 3, in, out] and path/b [out], U(±1/sqrt(9·in)) as
// PyTorch's nn.Conv2d.
func (n *net) conv(path string, in, out int) {
	bound := 1 / math.Sqrt(float64(9*in))
	n.set(path+"/w", n.uniform(bound, 3, 3, in, out))
	n.set(path+"/b", n.uniform(bound, out))
}

func (n *net) basePath(k int) string { return fmt.Sprintf("/%s/base_%d", ScopeNet, k) }
func (n *net) topPath(k int) string  { return fmt.Sprintf("/%s/top_%d", ScopeNet, k) }

// addBase creates base block k (fresh).
func (n *net) addBase() {
	p := n.basePath(n.bases)
	switch n.kind {
	case MLP:
		n.dense(p+"/dense_0", n.dim, n.hidden)
	case CNN:
		n.conv(p+"/conv_0", n.shape[2], convChannels[0])
	}
	n.bases++
}

// addTop creates top block k (fresh); the width of the head's input grows
// by Hidden (new rows of head/w are initialized as a fresh head's).
func (n *net) addTop() {
	p := n.topPath(n.tops)
	switch n.kind {
	case MLP:
		n.dense(p+"/dense_1", n.hidden, n.hidden)
	case CNN:
		n.conv(p+"/conv_1", convChannels[0], convChannels[1])
		n.dense(p+"/dense", n.shape[0]/4*n.shape[1]/4*convChannels[1], n.hidden)
	}
	n.tops++
	if n.classes > 0 {
		n.resizeHead(n.classes)
	}
}

// copyScope copies every variable under from to the same relative path
// under to.
func (n *net) copyScope(from, to string) {
	for _, v := range n.vars(from) {
		vals, dims := n.value(v)
		n.set(to+strings.TrimPrefix(v, from), tensors.FromFlatDataAndDimensions(vals, dims...))
	}
}

// vars returns the paths of the variables under prefix, sorted.
func (n *net) vars(prefix string) []string {
	var out []string
	for v := range n.store.IterVariables() {
		if p := v.Path(); p == prefix || strings.HasPrefix(p, prefix+"/") {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// resizeHead makes head/w [feat(), classes] and head/b [classes], keeping
// the old values in the top-left block (PyCIL's update_fc) and
// initializing the rest as nn.Linear(feat(), classes).
func (n *net) resizeHead(classes int) {
	f := n.feat()
	bound := 1 / math.Sqrt(float64(f))
	w := tensors.MustCopyFlatData[float32](n.uniform(bound, f, classes))
	b := tensors.MustCopyFlatData[float32](n.uniform(bound, classes))
	if n.store.GetVariable("/head/w") != nil {
		ow, od := n.value("/head/w")
		ob, _ := n.value("/head/b")
		for i := range min(od[0], f) {
			for j := range min(od[1], classes) {
				w[i*classes+j] = ow[i*od[1]+j]
			}
		}
		copy(b, ob[:min(len(ob), classes)])
	}
	n.set("/head/w", tensors.FromFlatDataAndDimensions(w, f, classes))
	n.set("/head/b", tensors.FromFlatDataAndDimensions(b, classes))
	n.classes = classes
}

// params is the number of float32 parameters under /net, /head and /aux.
func (n *net) params() int64 {
	var c int64
	for _, s := range []string{"/" + ScopeNet, "/" + ScopeHead, "/" + ScopeAux} {
		for _, p := range n.vars(s) {
			c += int64(n.store.GetVariable(p).Shape().Size())
		}
	}
	return c
}

// node returns the variable at path in g.
func (n *net) node(g *graph.Graph, path string) *Node {
	v := n.store.GetVariable(path)
	if v == nil {
		panicf("no variable %s", path)
	}
	return v.NodeValue(g)
}

func (n *net) linear(x *Node, path string) *Node {
	g := x.Graph()
	return graph.Add(graph.MatMul(x, n.node(g, path+"/w")), graph.ExpandAxes(n.node(g, path+"/b"), 0))
}

func relu(x *Node) *Node { return graph.MaxScalar(x, float32(0)) }

// convLayer is a 3x3 same-padded convolution of x [B, H, W, C] with
// path/w [3, 3, C, out] and path/b [out], ReLU, and 2x2 max pooling,
// returning [B, H/2, W/2, out]. The convolution is written as im2col (the
// nine shifted copies of the zero-padded input, concatenated on the channel
// axis: [B, H, W, 9·C]) times the kernel reshaped to [9·C, out], and the
// pooling as a reshape and a max: on the Go backend both, and their
// gradients, are much faster than its Convolve and MaxPool (measured ~1 s
// per training step of the CNN at batch 128 with those).
func (n *net) convLayer(x *Node, path string) *Node {
	g := x.Graph()
	b, h, w, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	k := n.node(g, path+"/w")
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
	y = relu(graph.Add(y, graph.ExpandAxes(n.node(g, path+"/b"), 0)))
	y = graph.Reshape(y, b, h/2, 2, w/2, 2, out)
	return graph.ReduceMax(y, 2, 4)
}

// base applies base block k to x [B, Dim].
func (n *net) base(x *Node, k int) *Node {
	p := n.basePath(k)
	switch n.kind {
	case CNN:
		x = graph.Reshape(x, -1, n.shape[0], n.shape[1], n.shape[2])
		return n.convLayer(x, p+"/conv_0")
	default:
		return relu(n.linear(x, p+"/dense_0"))
	}
}

// top applies top block k to a base's output, returning [B, Hidden].
func (n *net) top(h *Node, k int) *Node {
	p := n.topPath(k)
	switch n.kind {
	case CNN:
		h = n.convLayer(h, p+"/conv_1")
		h = graph.Reshape(h, h.Shape().Dim(0), -1)
		return relu(n.linear(h, p+"/dense"))
	default:
		return relu(n.linear(h, p+"/dense_1"))
	}
}

// features returns the K backbones' features of x [B, Dim], each [B,
// Hidden]: top_k(base_k(x)), or top_k(base_0(x)) with one shared base.
func (n *net) features(x *Node) []*Node {
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

// forward returns the logits [B, classes] and the per-backbone features.
func (n *net) forward(x *Node) (*Node, []*Node) {
	fs := n.features(x)
	return n.linear(concat(fs), "/"+ScopeHead), fs
}

// exec returns the cached exec for key, building it with fn on first use.
// Its graphs are marked as training so that the Go backend passes the
// variables as parameters rather than constants (see lib/recursive/blocks' doc).
func (n *net) exec(key string, fn func(scope *model.Scope, in []*Node) []*Node) *model.Exec {
	key = fmt.Sprintf("%s|b%d|t%d|c%d", key, n.bases, n.tops, n.classes)
	if e, ok := n.execs[key]; ok {
		return e
	}
	e, err := model.NewExec(n.be, n.store, func(scope *model.Scope, in []*Node) []*Node {
		scope.Store().SetTraining(in[0].Graph(), true)
		return fn(scope, in)
	})
	if err != nil {
		panicf("building %s: %v", key, err)
	}
	n.execs[key] = e
	n.execKeys = append(n.execKeys, key)
	return e
}

// dropExecs frees the compiled graphs (after the structure changed).
func (n *net) dropExecs() {
	for _, k := range n.execKeys {
		n.execs[k].Finalize()
	}
	n.execs, n.execKeys = map[string]*model.Exec{}, nil
}

// apply runs fn over x in batches of size batch (the last one padded, so
// one graph shape), returning per output the rows of the real examples
// concatenated: outputs must be [batch, width] float32.
func (n *net) apply(key string, x []float32, batch int, fn func(x *Node) []*Node) [][]float32 {
	rows := len(x) / n.dim
	e := n.exec(key, func(_ *model.Scope, in []*Node) []*Node { return fn(in[0]) })
	var outs [][]float32
	buf := make([]float32, batch*n.dim)
	for start := 0; start < rows; start += batch {
		m := min(batch, rows-start)
		clear(buf)
		copy(buf, x[start*n.dim:(start+m)*n.dim])
		res, err := e.Exec(tensors.FromFlatDataAndDimensions(slices.Clone(buf), batch, n.dim))
		if err != nil {
			panicf("running %s: %v", key, err)
		}
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
	return n.apply("features", x, batch, func(x *Node) []*Node { return []*Node{concat(n.features(x))} })[0]
}

// float32Scalar is a float32 constant.
func float32Scalar(g *graph.Graph, v float64) *Node { return graph.Scalar(g, dtypes.Float32, v) }

var _ = shapes.Make

func panicf(format string, args ...any) { panic(fmt.Sprintf("deep: "+format, args...)) }
