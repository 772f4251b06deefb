package recursive

// The networks are lib/recursive/blocks' post-norm stacks; this file adapts a
// Config to them.

import (
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/lib/recursive/blocks"
)

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

// linear applies x [..., in] @ w [in, out], w = scope/name without bias,
// truncated LeCun normal initialization (HRM's CastedLinear).
func linear(scope *model.Scope, name string, x *Node, out int) *Node {
	in := x.Shape().Dim(-1)
	w := scope.WithInitializer(blocks.LeCunNormal(scope)).
		VariableWithShape(name, shapes.Make(x.DType(), in, out)).NodeValue(x.Graph())
	dims := x.Shape().Dimensions
	y := graph.MatMul(graph.Reshape(x, -1, in), w)
	outDims := append(append([]int{}, dims[:len(dims)-1]...), out)
	return graph.Reshape(y, outDims...)
}

// stablemaxCrossEntropy is blocks.StablemaxCrossEntropy: the per-token loss
// [B, L] of logits [B, L, V] against labels [B, L], 0 where mask is false.
func stablemaxCrossEntropy(logits, labels, mask *Node) *Node {
	return blocks.StablemaxCrossEntropy(logits, labels, mask)
}
