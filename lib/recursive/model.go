package recursive

import (
	"math"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/labnotes/labnotes/lib/recursive/blocks"
)

// Scopes of the model's variables, under the scope given to [Step].
const (
	// ScopePuzzleEmb holds the puzzle embedding table [NumPuzzleIDs, P*D]
	// (zero-initialized, trained with SignSGD).
	ScopePuzzleEmb = "puzzle_emb"
	// ScopeInit holds the fixed (non-trainable) initial state vectors [D].
	ScopeInit = "init"
)

// StepOutput is what one supervision step returns.
type StepOutput struct {
	// State is the new carried state, detached (graph.StopGradient), each
	// [B, S, D] (see [Config.StateNames]).
	State []*Node
	// Logits are the output head's logits [B, L, V] over the non-prefix
	// positions.
	Logits *Node
	// QHalt and QContinue are the halting head's logits [B], read from the
	// first position of the answer state. QContinue is only trained with
	// Config.QContinue.
	QHalt, QContinue *Node
}

// Step builds one supervision step of the model configured in scope (see
// [NewConfig]): tokens [B, L] int32, puzzleIDs [B] int32 and the carried
// state (NumStates tensors [B, S, D] float32) in, the new detached state
// (float32), logits [B, L, V] and halting logits (float32) out; the
// networks compute in the config's precision (Config.Precision). The variables live under scope
// (embed, puzzle_emb, net(s), head, q_head, init); calling Step twice in a
// graph shares them. For example (ExampleStep), in a model.Exec function
// whose store holds Config.Params():
//
//	state := recursive.InitialState(scope, g, b) // TRM: [y, z], each [B, S, D]
//	so := recursive.Step(scope, tokens, ids, state)
//	// so.Logits [B, L, V], so.QHalt [B], so.State: the next step's input
func Step(scope *model.Scope, tokens, puzzleIDs *Node, state []*Node) StepOutput {
	return NewConfig(scope).step(scope, tokens, puzzleIDs, state)
}

// InitialState returns the initial state for a batch of b: each state's
// fixed vector (a non-trainable variable [D] under init/, drawn from a
// truncated normal of std 1 as in HRM)
// broadcast to [b, S, D].
func InitialState(scope *model.Scope, g *graph.Graph, b int) []*Node {
	return NewConfig(scope).initialState(scope, g, b)
}

// ResetState replaces the state of the examples where reset [B] (bool) is
// true by the initial state.
func ResetState(scope *model.Scope, state []*Node, reset *Node) []*Node {
	cfg := NewConfig(scope)
	init := cfg.initialState(scope, reset.Graph(), reset.Shape().Dim(0))
	r := graph.Reshape(reset, -1, 1, 1)
	out := make([]*Node, len(state))
	for i := range state {
		out[i] = graph.Where(graph.BroadcastToDims(r, state[i].Shape().Dimensions...), init[i], state[i])
	}
	return out
}

func (c Config) initialState(scope *model.Scope, g *graph.Graph, b int) []*Node {
	s := scope.At(ScopeInit).WithInitializer(blocks.TruncatedNormal(scope, 1))
	var out []*Node
	for _, name := range c.StateNames() {
		v := s.VariableWithShape(name, shapes.Make(dtypes.Float32, c.Hidden)).SetTrainable(false)
		out = append(out, graph.BroadcastToDims(graph.Reshape(v.NodeValue(g), 1, 1, c.Hidden), b, c.Positions(), c.Hidden))
	}
	return out
}

// embed returns x [B, S, D]: the puzzle embedding's P prefix positions and
// the token embeddings, all scaled by sqrt(D).
func (c Config) embed(scope *model.Scope, tokens, puzzleIDs *Node) *Node {
	g := tokens.Graph()
	d := c.Hidden
	table := scope.At("embed").WithInitializer(blocks.TruncatedNormal(scope, 1/math.Sqrt(float64(d)))).
		VariableWithShape("tokens", shapes.Make(dtypes.Float32, c.Vocab, d)).NodeValue(g)
	x := graph.Gather(table, graph.InsertAxes(tokens, -1)) // [B, L, D]
	if p := c.Prefix(); p > 0 {
		prefix := blocks.PuzzleEmbedding(scope.At(ScopePuzzleEmb), puzzleIDs, c.NumPuzzleIDs, p, d) // [B, P, D]
		x = graph.Concatenate([]*Node{prefix, x}, 1)
	}
	return graph.MulScalar(x, math.Sqrt(float64(d)))
}

// heads returns the logits [B, L, V] of the output head and the halting
// logits (q_halt, q_continue) [B] of the answer state y [B, S, D]. The
// halting head starts at zero weights and bias -5 (as in HRM/TRM).
func (c Config) heads(scope *model.Scope, y *Node) (logits, qHalt, qContinue *Node) {
	g := y.Graph()
	p := c.Prefix()
	ans := graph.Slice(y, graph.AxisRange(), graph.AxisRange(p, p+c.SeqLen), graph.AxisRange())
	logits = graph.ConvertDType(blocks.CastedLinear(scope.At("head"), "lm", ans, c.Vocab), dtypes.Float32)
	qs := scope.At("q_head")
	w := qs.WithInitializer(initializer.Zero).VariableWithShape("w", shapes.Make(dtypes.Float32, c.Hidden, 2)).NodeValue(g)
	bias := qs.VariableWithValue("b", []float32{-5, -5}).NodeValue(g)
	first := graph.Reshape(graph.ConvertDType(graph.Slice(y, graph.AxisRange(), graph.AxisElem(0), graph.AxisRange()), dtypes.Float32), -1, c.Hidden)
	q := graph.Add(graph.MatMul(first, w), graph.Reshape(bias, 1, 2))
	qHalt = graph.Reshape(graph.Slice(q, graph.AxisRange(), graph.AxisElem(0)), -1)
	qContinue = graph.Reshape(graph.Slice(q, graph.AxisRange(), graph.AxisElem(1)), -1)
	return logits, qHalt, qContinue
}

// net returns the network f named name (a stack of cfg.Layers blocks):
// every call shares the same variables.
func (c Config) net(scope *model.Scope, name string) func(h *Node) *Node {
	return func(h *Node) *Node { return stack(scope.At("%s", name), h, c) }
}

// step is one supervision step (see Step).
func (c Config) step(scope *model.Scope, tokens, puzzleIDs *Node, state []*Node) StepOutput {
	if len(state) != c.NumStates() {
		panicf("%s takes %d states %v, got %d", c.Kind, c.NumStates(), c.StateNames(), len(state))
	}
	dt := c.computeDType(tokens.Graph())
	x := graph.ConvertDType(c.embed(scope, tokens, puzzleIDs), dt)
	state = slices.Clone(state)
	for i := range state {
		state[i] = graph.ConvertDType(state[i], dt)
	}
	var out []*Node
	switch c.Kind {
	case TRM:
		if c.SingleLatent {
			out = []*Node{c.trmSingle(scope, x, state[0])}
		} else {
			y, z := c.trm(scope, x, state[0], state[1])
			out = []*Node{y, z}
		}
	case HRM:
		zH, zL := c.hrm(scope, x, state[0], state[1])
		out = []*Node{zH, zL}
	case Looped:
		out = []*Node{c.looped(scope, x, state[0])}
	case Direct:
		out = []*Node{c.net(scope, "f")(x)}
	}
	var so StepOutput
	so.Logits, so.QHalt, so.QContinue = c.heads(scope, out[0])
	for _, s := range out {
		so.State = append(so.State, graph.ConvertDType(graph.StopGradient(s), dtypes.Float32))
	}
	return so
}

// trm is TRM's deep recursion: T-1 recursions without gradient, then one
// with gradient; each recursion updates the latent z n times and then the
// answer y once.
func (c Config) trm(scope *model.Scope, x, y, z *Node) (*Node, *Node) {
	T, n := c.T, c.SmallN
	fL, fH := c.net(scope, "f"), c.net(scope, "f")
	if c.SeparateNets {
		fL, fH = c.net(scope, "f_L"), c.net(scope, "f_H")
	}
	latentRecursion := func(x, y, z *Node) (*Node, *Node) {
		for range n {
			z = fL(add(z, y, x))
		}
		y = fH(add(y, z))
		return y, z
	}
	// No grad: T-1 recursions.
	for range T - 1 {
		y, z = latentRecursion(x, y, z)
	}
	y, z = graph.StopGradient(y), graph.StopGradient(z)
	if !c.OneStepGrad {
		return latentRecursion(x, y, z) // with grad
	}
	// 1-step gradient ablation: only the last z update and the y update.
	for range n - 1 {
		z = fL(add(z, y, x))
	}
	z = graph.StopGradient(z)
	z = fL(add(z, y, x))
	y = fH(add(y, z))
	return y, z
}

// trmSingle is the single-latent ablation of TRM: each recursion is n
// updates z = f(z + x) and one update z = f(z).
func (c Config) trmSingle(scope *model.Scope, x, z *Node) *Node {
	T, n := c.T, c.SmallN
	f := c.net(scope, "f")
	recursion := func(x, z *Node) *Node {
		for range n {
			z = f(add(z, x))
		}
		return f(z)
	}
	for range T - 1 { // no grad
		z = recursion(x, z)
	}
	return recursion(x, graph.StopGradient(z))
}

// hrm is HRM's segment: N cycles of T low-level steps, each cycle ending
// with a high-level step; all but the last zL and zH updates without
// gradient (1-step gradient).
func (c Config) hrm(scope *model.Scope, x, zH, zL *Node) (*Node, *Node) {
	N, T := c.N, c.T
	fL, fH := c.net(scope, "f_L"), c.net(scope, "f_H")
	// No grad: N-1 cycles of T low steps and a high step, then T-1 low
	// steps.
	for range N - 1 {
		for range T {
			zL = fL(add(zL, zH, x))
		}
		zH = fH(add(zH, zL))
	}
	for range T - 1 {
		zL = fL(add(zL, zH, x))
	}
	zH, zL = graph.StopGradient(zH), graph.StopGradient(zL)
	zL = fL(add(zL, zH, x)) // with grad
	zH = fH(add(zH, zL))
	return zH, zL
}

// looped applies one network T times, h = f(h + x), with full gradient.
func (c Config) looped(scope *model.Scope, x, h *Node) *Node {
	f := c.net(scope, "f")
	for range c.T {
		h = f(add(h, x))
	}
	return h
}

func add(xs ...*Node) *Node {
	s := xs[0]
	for _, x := range xs[1:] {
		s = graph.Add(s, x)
	}
	return s
}

// Node is GoMLX's graph node.
type Node = graph.Node

// blocksConfig is the blocks.Config of the networks of c.
func (c Config) blocksConfig() blocks.Config {
	return blocks.Config{Hidden: c.Hidden, Heads: c.Heads, Expansion: c.Expansion, Mixer: c.Mixer,
		RopeTheta: c.RopeTheta, NormEps: c.NormEps}
}

// stack applies cfg.Layers post-norm blocks (blocks.Stack, sub-scopes
// layer_i) to x [B, S, D].
func stack(scope *model.Scope, x *Node, cfg Config) *Node {
	return blocks.Stack(scope, x, cfg.blocksConfig(), cfg.Layers)
}

// Cost is the compute of one supervision step, counted in applications of
// one post-norm block to the [B, S, D] state (all blocks cost the same for
// a given D, S and mixer), for comparing models at an equal budget.
type Cost struct {
	// Forward is the number of block applications of a step.
	Forward int
	// Backward is the number of those the gradient flows through (the rest
	// run without gradient): TRM its last recursion (n+1 network calls;
	// 2 with OneStepGrad), HRM 2 module calls (1-step gradient), Looped and
	// Direct all of them.
	Backward int
	// TrainForward is Forward plus the extra forward pass of HRM's
	// Q-continue target (QContinue), in training only.
	TrainForward int
}

// Cost returns the compute of one supervision step of c (see [Cost]):
// TRM T·(n+1) network calls, HRM N·(T+1) module calls, Looped T calls,
// Direct one, each of Layers blocks.
func (c Config) Cost() Cost {
	c = c.WithDefaults()
	var calls, grad int
	switch c.Kind {
	case TRM:
		calls, grad = c.T*(c.SmallN+1), c.SmallN+1
		if c.OneStepGrad {
			grad = 2
		}
	case HRM:
		calls, grad = c.N*(c.T+1), 2
	case Looped:
		calls, grad = c.T, c.T
	case Direct:
		calls, grad = 1, 1
	}
	k := Cost{Forward: calls * c.Layers, Backward: grad * c.Layers}
	k.TrainForward = k.Forward
	if c.QContinue && !c.NoHalting && c.Kind != Direct {
		k.TrainForward *= 2
	}
	return k
}
