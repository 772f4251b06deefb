package performer

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// negLarge stands for -inf in log scales: finite, so differences of two of them are 0, not NaN.
const negLarge = -1e30

// KeyLogScaled computes key features for the positive softmax kernels (KernelSoftmax,
// KernelSoftmaxHyperbolic) in a form that causal attention can stabilize without looking
// ahead: each key's features divided by their own largest value, and the log of that value.
// x is [batch, heads, length, d]; it returns features [batch, heads, length, m'] (largest
// entry 1/sqrt(m'), plus Epsilon) and logScale [batch, heads, length] (stopped gradient), so
// that the true features are features·exp(logScale). Masked keys (mask as in [FeatureMap.Key])
// get zero features and logScale -1e30.
func (f FeatureMap) KeyLogScaled(x, mask *Node) (features, logScale *Node) {
	if f.Kernel != KernelSoftmax && f.Kernel != KernelSoftmaxHyperbolic {
		panicf("KeyLogScaled needs a positive softmax kernel, got %q", f.Kernel)
	}
	if x.Rank() != 4 {
		panicf("features need x shaped [batch, heads, length, dim], got %s", x.Shape())
	}
	dtype := x.DType()
	u := f.project(x)
	if f.Kernel == KernelSoftmaxHyperbolic {
		u = Concatenate([]*Node{u, Neg(u)}, -1)
	}
	m := u.Shape().Dim(-1)
	z := Sub(u, MulScalar(ReduceAndKeep(Square(x), ReduceSum, -1), 0.5)) // log of the true features
	mu := StopGradient(ReduceAndKeep(z, ReduceMax, -1))                  // [b, h, l, 1]
	features = MulScalar(AddScalar(Exp(Sub(z, mu)), f.Epsilon), 1/math.Sqrt(float64(m)))
	logScale = Squeeze(mu, -1)
	if mask != nil {
		mask = broadcastKeyMask(mask, x)
		features = Mul(features, ConvertDType(ExpandAxes(mask, -1), dtype))
		logScale = Where(mask, logScale, BroadcastToShape(Scalar(x.Graph(), dtype, negLarge), logScale.Shape()))
	}
	return features, logScale
}

// CausalLogScaledAttention is causal attention on queries' features qPrime [batch, heads, L,
// m] and keys given as features kPrime [batch, heads, L, m] times exp(kLogScale) [batch,
// heads, L] (see [FeatureMap.KeyLogScaled]), with values v [batch, heads, L, dv]:
//
//	out_i = (sum_{j<=i} (Q'_i·K'_j) e^{s_j - R_i} v_j) / (sum_{j<=i} (Q'_i·K'_j) e^{s_j - R_i}),  R_i = max_{j<=i} s_j
//
// The reference R_i is a running max, so nothing at positions after i enters out_i — not even
// through the stabilizer, as a max over all keys would — and every factor e^{s_j - R_i} is at
// most 1. It works in chunks of chunkSize tokens like [CausalLinearAttention]: inside a chunk a
// masked [C, C] product; across chunks per-chunk states [m, dv+1] rescaled to a common
// reference. Memory O(L·C + L·m + (L/C)·m·dv + (L/C)²) per batch and head.
func CausalLogScaledAttention(qPrime, kPrime, kLogScale, v *Node, chunkSize int, eps float64) *Node {
	g := qPrime.Graph()
	dtype := qPrime.DType()
	l := qPrime.Shape().Dim(2)
	if kPrime.Shape().Dim(2) != l || kLogScale.Rank() != 3 || kLogScale.Shape().Dim(2) != l {
		panicf("causal attention needs queries, keys and log scales of the same length, got %s, %s and %s",
			qPrime.Shape(), kPrime.Shape(), kLogScale.Shape())
	}
	ch, qc, kc, vc := chunkInputs(qPrime, kPrime, v, chunkSize)
	b, h, n, c := ch.b, ch.h, ch.n, ch.c
	neg := func(shape shapes.Shape) *Node { return BroadcastToShape(Scalar(g, dtype, negLarge), shape) }
	s := ch.split(StopGradient(kLogScale), negLarge) // s_j [b, h, n, c]

	// Running max R_i: within the chunk, then with the chunks before it (P).
	tri := Reshape(LowerTriangular(g, c), 1, 1, 1, c, c)                                 // [i, j]: j <= i
	sj := BroadcastToShape(Reshape(s, b, h, n, 1, c), shapes.Make(dtype, b, h, n, c, c)) // s_j at [i, j]
	sjMasked := Where(tri, sj, neg(sj.Shape()))
	rIn := ReduceMax(sjMasked, -1) // [b, h, n, c]
	mc := ReduceMax(s, -1)         // chunk maxima [b, h, n]
	nn := shapes.Make(dtypes.Int32, n, n)
	before := Reshape(LessThan(Iota(g, nn, 1), Iota(g, nn, 0)), 1, 1, n, n) // [c, c']: chunk c' < c
	mcp := BroadcastToShape(Reshape(mc, b, h, 1, n), shapes.Make(dtype, b, h, n, n))
	p := ReduceMax(Where(before, mcp, neg(mcp.Shape())), -1) // [b, h, n]
	r := Max(rIn, ExpandAxes(p, -1))                         // R_i [b, h, n, c]

	// Within chunks: (Q'_i·K'_j) e^{s_j - R_i} for j <= i.
	scores := Einsum("bhncm,bhnkm->bhnck", qc, kc)
	scale := Exp(Where(tri, Sub(sj, ExpandAxes(r, -1)), neg(sj.Shape())))
	intra := Einsum("bhnck,bhnkd->bhncd", Mul(scores, scale), vc)

	// Across chunks: chunk states relative to their own max, summed relative to P, then to R_i.
	kcs := Mul(kc, ExpandAxes(Exp(Sub(s, ExpandAxes(mc, -1))), -1))
	states := Einsum("bhnkm,bhnkd->bhnmd", kcs, vc)                        // [b, h, n, m, dv+1]
	a := Exp(Where(before, Sub(mcp, ExpandAxes(p, -1)), neg(mcp.Shape()))) // [b, h, n, n']
	prefix := Einsum("bhnN,bhNmd->bhnmd", a, states)
	inter := Mul(Einsum("bhncm,bhnmd->bhncd", qc, prefix), ExpandAxes(Exp(Sub(ExpandAxes(p, -1), r)), -1))

	return ch.normalize(Add(intra, inter), eps)
}
