package recursive

// The building blocks of the networks (RMSNorm, SwiGLU, RoPE, attention,
// MLP token mixer, post-norm blocks, stablemax cross-entropy), written here
// because lib/blocks was not available when this package was written. They
// follow HRM's and TRM's layers: no biases, RMSNorm without a gain, weights
// drawn from N(0, 1/fan_in).

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Node is GoMLX's graph node.
type Node = graph.Node

// linear applies x [..., in] @ w [in, out] with w = scope/name, drawn from
// N(0, 1/in).
func linear(scope *model.Scope, name string, x *Node, out int) *Node {
	in := x.Shape().Dim(-1)
	w := scope.WithInitializer(initializer.RandomNormalFn(scope, 1/math.Sqrt(float64(in)))).
		VariableWithShape(name, shapes.Make(x.DType(), in, out)).NodeValue(x.Graph())
	dims := x.Shape().Dimensions
	flat := graph.Reshape(x, -1, in)
	y := graph.MatMul(flat, w)
	outDims := append(append([]int{}, dims[:len(dims)-1]...), out)
	return graph.Reshape(y, outDims...)
}

// rmsNorm normalizes the last axis: x / sqrt(mean(x²) + eps), computed in
// float32 (no learned gain, as in HRM/TRM).
func rmsNorm(x *Node, eps float64) *Node {
	ms := graph.ReduceAndKeep(graph.Square(x), graph.ReduceMean, -1)
	// Rsqrt has no gradient in GoMLX v0.28.16: divide by Sqrt.
	return graph.Div(x, graph.Sqrt(graph.AddScalar(ms, eps)))
}

// swiGLU is the gated feed-forward layer on the last axis of x [..., d]:
// down(silu(gate(x)) * up(x)), with an inner width round(expansion*d*2/3).
func swiGLU(scope *model.Scope, x *Node, expansion float64) *Node {
	d := x.Shape().Dim(-1)
	inner := max(1, int(math.Round(expansion*float64(d)*2/3)))
	gate := linear(scope, "gate", x, inner)
	up := linear(scope, "up", x, inner)
	h := graph.Mul(graph.Mul(gate, graph.Sigmoid(gate)), up)
	return linear(scope, "down", h, d)
}

// rotary applies rotary position embeddings (rotate-half form) to x
// [B, S, H, Dh] over the positions 0..S-1.
func rotary(x *Node, theta float64) *Node {
	g := x.Graph()
	s, dh := x.Shape().Dim(1), x.Shape().Dim(3)
	half := dh / 2
	freqs := make([]float32, s*dh)
	for p := range s {
		for i := range half {
			f := float64(p) / math.Pow(theta, float64(2*i)/float64(dh))
			freqs[p*dh+i], freqs[p*dh+i+half] = float32(f), float32(f)
		}
	}
	ang := graph.Const(g, freqs)
	ang = graph.Reshape(ang, 1, s, 1, dh)
	cos, sin := graph.ConvertDType(graph.Cos(ang), x.DType()), graph.ConvertDType(graph.Sin(ang), x.DType())
	x1 := graph.Slice(x, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(0, half))
	x2 := graph.Slice(x, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(half, dh))
	rot := graph.Concatenate([]*Node{graph.Neg(x2), x1}, -1)
	return graph.Add(graph.Mul(x, cos), graph.Mul(rot, sin))
}

// attention is non-causal multi-head self-attention with RoPE on x [B, S, D].
func attention(scope *model.Scope, x *Node, cfg Config) *Node {
	b, s, d := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	h := cfg.Heads
	dh := d / h
	q := graph.Reshape(linear(scope, "q", x, d), b, s, h, dh)
	k := graph.Reshape(linear(scope, "k", x, d), b, s, h, dh)
	v := graph.Reshape(linear(scope, "v", x, d), b, s, h, dh)
	q, k = rotary(q, cfg.RopeTheta), rotary(k, cfg.RopeTheta)
	scores := graph.MulScalar(graph.Einsum("bqhd,bkhd->bhqk", q, k), 1/math.Sqrt(float64(dh)))
	p := graph.Softmax(scores, -1)
	o := graph.Einsum("bhqk,bkhd->bqhd", p, v)
	return linear(scope, "o", graph.Reshape(o, b, s, d), d)
}

// tokenMixer mixes x [B, S, D] across positions: attention, or a SwiGLU
// over the sequence axis (MixMLP).
func tokenMixer(scope *model.Scope, x *Node, cfg Config) *Node {
	if cfg.Mixer == MixMLP {
		xt := graph.TransposeAllAxes(x, 0, 2, 1) // [B, D, S]
		return graph.TransposeAllAxes(swiGLU(scope, xt, cfg.Expansion), 0, 2, 1)
	}
	return attention(scope, x, cfg)
}

// block is a post-norm block: h = RMSNorm(h + Mix(h)); h = RMSNorm(h + SwiGLU(h)).
func block(scope *model.Scope, x *Node, cfg Config) *Node {
	x = rmsNorm(graph.Add(x, tokenMixer(scope.In("mix"), x, cfg)), cfg.NormEps)
	return rmsNorm(graph.Add(x, swiGLU(scope.In("mlp"), x, cfg.Expansion)), cfg.NormEps)
}

// stack applies cfg.Layers blocks (sub-scopes layer_i) to x [B, S, D].
func stack(scope *model.Scope, x *Node, cfg Config) *Node {
	for i := range cfg.Layers {
		x = block(scope.In("layer_%d", i), x, cfg)
	}
	return x
}

// stablemaxCrossEntropy returns the per-token loss [B, L] of logits
// [B, L, V] against labels [B, L] (int32), zero where mask [B, L] is false.
// It uses the stablemax s(x) = x+1 (x >= 0), 1/(1-x) (x < 0) in place of
// exp, in float64, as HRM and TRM do.
func stablemaxCrossEntropy(logits, labels, mask *Node) *Node {
	dt := logits.DType()
	x := graph.ConvertDType(logits, dtypes.Float64)
	pos := graph.GreaterOrEqual(x, graph.ScalarZero(x.Graph(), dtypes.Float64))
	// 1/(1-x) on the negative side; guard the unused branch against x >= 1.
	neg := graph.Reciprocal(graph.OneMinus(graph.Where(pos, graph.ZerosLike(x), x)))
	s := graph.Where(pos, graph.OnePlus(x), neg)
	logp := graph.Sub(graph.Log(s), graph.Log(graph.ReduceAndKeep(s, graph.ReduceSum, -1)))
	v := logits.Shape().Dim(-1)
	onehot := graph.OneHot(labels, v, dtypes.Float64)
	nll := graph.Neg(graph.ReduceSum(graph.Mul(logp, onehot), -1))
	nll = graph.Where(mask, nll, graph.ZerosLike(nll))
	return graph.ConvertDType(nll, dt)
}
