package blocks

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// Stablemax is the elementwise s(x) = x+1 for x >= 0, 1/(1-x) for x < 0
// (HRM's stablemax numerator, Prieto et al. 2025), in x's dtype. It is
// positive, increasing, and grows only linearly, so sum(s(x)) never
// overflows.
func Stablemax(x *Node) *Node {
	one := graph.OnesLike(x)
	neg := graph.Reciprocal(graph.Sub(one, graph.Min(x, graph.ZerosLike(x)))) // Min keeps the unused branch finite.
	return graph.Where(graph.GreaterOrEqual(x, graph.ZerosLike(x)), graph.Add(x, one), neg)
}

// StablemaxCrossEntropy returns the per-token stablemax cross-entropy of
// logits [b, L, V] and labels int [b, L] (values in [0, V)), [b, L] in the
// logits' dtype, 0 where mask (bool [b, L]) is false:
//
//	-log(s(logits[label]) / sum_v s(logits[v]))
//
// As HRM's and TRM's stablemax_cross_entropy, it is computed in float64
// (GoMLX's Go backend and XLA on GPU support it) and cast back. Masked
// positions' labels are ignored (they may be out of range). HRM's
// reference adds 1e-30 to 1-x in s; at float64 that changes nothing
// measurable and it is left out.
func StablemaxCrossEntropy(logits, labels, mask *Node) *Node {
	if logits.Rank() != 3 || labels.Rank() != 2 || mask.Rank() != 2 || !labels.DType().IsInt() || mask.DType() != dtypes.Bool ||
		logits.Shape().Dim(0) != labels.Shape().Dim(0) || logits.Shape().Dim(1) != labels.Shape().Dim(1) ||
		mask.Shape().Dim(0) != labels.Shape().Dim(0) || mask.Shape().Dim(1) != labels.Shape().Dim(1) {
		panicf("StablemaxCrossEntropy needs logits [b, L, V], int labels [b, L] and bool mask [b, L], got %s, %s, %s",
			logits.Shape(), labels.Shape(), mask.Shape())
	}
	dtype := logits.DType()
	v := logits.Shape().Dim(2)
	x := graph.ConvertDType(logits, dtypes.Float64)
	s := Stablemax(x)
	safeLabels := graph.Where(mask, labels, graph.ZerosLike(labels))
	onehot := graph.OneHot(safeLabels, v, dtypes.Float64)
	picked := graph.ReduceSum(graph.Mul(s, onehot), -1)
	loss := graph.Sub(graph.Log(graph.ReduceSum(s, -1)), graph.Log(picked))
	loss = graph.Where(mask, loss, graph.ZerosLike(loss))
	return graph.ConvertDType(loss, dtype)
}
