package performer

import (
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style.
	"github.com/gomlx/gomlx/ml/layers/activation"
)

// DefaultChunkSize (0) lets causal attention choose its chunk size from the
// sequence length: see [AutoChunkSize].
const DefaultChunkSize = 0

// AutoChunkSize is the chunk size causal attention uses for a sequence of
// length tokens when none is given, on the named backend (a
// compute.Backend's Name(): "go", "xla:cuda", ...): 128 up to 8192 tokens,
// 256 above; on XLA 1024 above 32768 tokens. Measured forward+backward
// ([1, 8, L, 64], m = 256): on 2 CPU cores 128 was fastest at L = 4096 and
// 256 at 16384; on an H100 (XLA) 128 at 4096, 256 at 16384 (and 32768:
// 6.2 ms). At L = 65536 XLA's GPU autotuner did not finish compiling the
// step in 90 s with C = 256 or 512 (go-xla v0.4.13, JAX's CUDA 13 plugin;
// with --xla_gpu_autotune_level=0 C = 256 compiled in 7 s and ran in
// 23.5 ms), while C = 1024 compiled in 12 s and ran in 19.6 ms
// (testdata/bench/causal_65536_gpu_h100.json).
func AutoChunkSize(backend string, length int) int {
	switch {
	case length > 32768 && strings.HasPrefix(backend, "xla"):
		return 1024
	case length > 8192:
		return 256
	}
	return 128
}

// Config configures [Attention], FAVOR attention on tensors shaped
// [batch, heads, length, dim]. The zero value (plus a projection) is FAVOR+
// bidirectional softmax attention with the reference's stabilizers.
type Config struct {
	// Kernel selects the features (default KernelSoftmax). KernelExact runs
	// [ExactAttention].
	Kernel Kernel
	// Fn is the function of KernelGeneralized.
	Fn func(*Node) *Node
	// Scale is the softmax temperature: the kernel approximated is
	// exp(Scale · q·k). Default 1/sqrt(d). Queries and keys are each
	// multiplied by sqrt(Scale) (d^-1/4 by default: the data normalizer).
	Scale float64
	// Causal makes query i attend only to keys j <= i (self-attention:
	// queries and keys must have the same length).
	Causal bool
	// ChunkSize is the number of tokens per chunk of causal attention
	// (0: [AutoChunkSize] of the length). Inside a chunk attention is computed
	// quadratically on the features; across chunks by a prefix sum of
	// per-chunk states [m, dv+1]. Memory O(L·m + (L/C)·m·dv), never [L, m, dv].
	ChunkSize int
	// FeatureEpsilon is added to the features (default DefaultSoftmaxEpsilon
	// for softmax kernels, DefaultReLUEpsilon for generalized ones); negative
	// means none.
	FeatureEpsilon float64
	// DenominatorEpsilon guards the normalizer (default
	// DefaultDenominatorEpsilon); negative means none.
	DenominatorEpsilon float64
	// NoMaxSubtraction turns the max-subtraction stabilizer off.
	NoMaxSubtraction bool
	// KeyMask (bool, [batch, lengthK] or [batch, heads, lengthK]): false keys
	// are removed from both numerator and denominator.
	KeyMask *Node
	// QueryMask (bool, [batch, lengthQ] or [batch, heads, lengthQ]): false
	// queries get zero output rows.
	QueryMask *Node
	// HalfFeatures computes the attention of half-precision (bfloat16,
	// float16) q, k, v in their own dtype. By default it is computed in
	// float32 (feature exponentials, stabilizers, sums and the normalizer)
	// and the output converted back. Measured on the Go backend
	// (TestHalfPrecision: [1, 8, 1024, 64], m = 256, inputs N(0, 1) rounded
	// to bfloat16), the relative L2 error of the bfloat16 output against
	// float32 on the same inputs is 0.0017 (bidirectional) and 0.0016
	// (causal) by default — the output's own rounding — against 0.096 and
	// 0.020 with everything in bfloat16 (exponentials of bfloat16 arguments,
	// sums over L in bfloat16), and 0.020 and 0.015 with float32 features
	// but bfloat16 products and sums: the sums are what bfloat16 hurts most.
	// (Rounding the inputs to bfloat16 moves the float32 output by 0.038 and
	// 0.0067 on these inputs.)
	HalfFeatures bool
}

// isHalf reports whether dt is a 16-bit float dtype.
func isHalf(dt dtypes.DType) bool { return dt == dtypes.BFloat16 || dt == dtypes.Float16 }

// featureMap returns the FeatureMap of the configuration.
func (c Config) featureMap(projection *Node) FeatureMap {
	eps := c.FeatureEpsilon
	if eps == 0 {
		switch c.Kernel {
		case KernelReLU, KernelReLURandom, KernelGeneralized:
			eps = DefaultReLUEpsilon
		case KernelSoftmaxTrig:
			eps = 0
		default:
			eps = DefaultSoftmaxEpsilon
		}
	} else if eps < 0 {
		eps = 0
	}
	fn := c.Fn
	if c.Kernel == KernelReLU || c.Kernel == KernelReLURandom {
		fn = activation.Relu
	}
	return FeatureMap{Kernel: c.kernel(), Projection: projection, Fn: fn, Epsilon: eps, NoMaxSubtraction: c.NoMaxSubtraction}
}

func (c Config) kernel() Kernel {
	if c.Kernel == "" {
		return KernelSoftmax
	}
	return c.Kernel
}

func (c Config) denominatorEpsilon() float64 {
	switch {
	case c.DenominatorEpsilon == 0:
		return DefaultDenominatorEpsilon
	case c.DenominatorEpsilon < 0:
		return 0
	}
	return c.DenominatorEpsilon
}

// scaleInputs multiplies x by sqrt(scale) (default scale 1/sqrt(d)).
func (c Config) scaleInputs(x *Node) *Node {
	s := c.Scale
	if s == 0 {
		s = 1 / math.Sqrt(float64(x.Shape().Dim(-1)))
	}
	return MulScalar(x, math.Sqrt(s))
}

// Attention computes FAVOR attention of queries q [batch, heads, lengthQ, d],
// keys k [batch, heads, lengthK, d] and values v [batch, heads, lengthK, dv],
// returning [batch, heads, lengthQ, dv]:
//
//	out = D^-1 (Q' (K'^T V)),  D = diag(Q' (K'^T 1))
//
// with Q' = phi(q·sqrt(scale)), K' = phi(k·sqrt(scale)) (see [FeatureMap]),
// in O(L·m·d) time and O(L·m + L·d + m·d) memory. projection [m, d] is the
// random projection (see [Projection]); nil for deterministic kernels.
// With cfg.Causal the prefix sums are computed in chunks ([CausalLinearAttention]).
func Attention(q, k, v, projection *Node, cfg Config) *Node {
	checkQKV(q, k, v)
	if dt := q.DType(); isHalf(dt) && !cfg.HalfFeatures {
		f32 := func(x *Node) *Node { return ConvertDType(x, dtypes.Float32) }
		return ConvertDType(Attention(f32(q), f32(k), f32(v), projection, cfg), dt)
	}
	if cfg.kernel() == KernelExact {
		return ExactAttention(q, k, v, cfg)
	}
	if kernel := cfg.kernel(); cfg.Causal && (kernel == KernelSoftmax || kernel == KernelSoftmaxHyperbolic) {
		// A max over all keys as stabilizer would let later keys change earlier outputs
		// (through the epsilon and the denominator guard): stabilize with a running max.
		fm := cfg.featureMap(projection)
		qp := fm.Query(cfg.scaleInputs(q))
		kp, logScale := fm.KeyLogScaled(cfg.scaleInputs(k), cfg.KeyMask)
		out := CausalLogScaledAttention(qp, kp, logScale, v, cfg.ChunkSize, cfg.denominatorEpsilon())
		return applyQueryMask(out, cfg.QueryMask)
	}
	qp, kp := cfg.Features(q, k, projection)
	var out *Node
	if cfg.Causal {
		out = CausalLinearAttention(qp, kp, v, cfg.ChunkSize, cfg.denominatorEpsilon())
	} else {
		out = LinearAttention(qp, kp, v, cfg.denominatorEpsilon())
	}
	return applyQueryMask(out, cfg.QueryMask)
}

// Features returns the query and key features [batch, heads, length, m']
// of q and k [batch, heads, length, d] that [Attention] uses (except for
// the keys of causal softmax attention, see [FeatureMap.KeyLogScaled]):
// phi(q·sqrt(scale)) and phi(k·sqrt(scale)), keys masked by cfg.KeyMask, with
// cfg's kernel and stabilizers and the projection [m, d].
func (c Config) Features(q, k, projection *Node) (qPrime, kPrime *Node) {
	fm := c.featureMap(projection)
	return fm.Query(c.scaleInputs(q)), fm.Key(c.scaleInputs(k), c.KeyMask)
}

// applyQueryMask zeroes the rows of out [batch, heads, length, dv] whose
// query mask is false.
func applyQueryMask(out, queryMask *Node) *Node {
	if queryMask == nil {
		return out
	}
	m := broadcastKeyMask(queryMask, out)
	return Mul(out, ConvertDType(ExpandAxes(m, -1), out.DType()))
}

func checkQKV(q, k, v *Node) {
	if q.Rank() != 4 || k.Rank() != 4 || v.Rank() != 4 {
		panicf("attention needs q, k, v shaped [batch, heads, length, dim], got %s, %s, %s", q.Shape(), k.Shape(), v.Shape())
	}
	if q.Shape().Dim(-1) != k.Shape().Dim(-1) || k.Shape().Dim(2) != v.Shape().Dim(2) ||
		q.Shape().Dim(0) != k.Shape().Dim(0) || q.Shape().Dim(1) != k.Shape().Dim(1) {
		panicf("incompatible q %s, k %s, v %s", q.Shape(), k.Shape(), v.Shape())
	}
}

// guardDenominator returns D + 2 eps where |D| <= eps.
func guardDenominator(den *Node, eps float64) *Node {
	if eps <= 0 {
		return den
	}
	small := ConvertDType(LessOrEqual(Abs(den), Scalar(den.Graph(), den.DType(), eps)), den.DType())
	return Add(den, MulScalar(small, 2*eps))
}

// LinearAttention is bidirectional attention on features: qPrime
// [batch, heads, lengthQ, m], kPrime [batch, heads, lengthK, m], v
// [batch, heads, lengthK, dv] → D^-1 (Q' (K'^T V)) [batch, heads, lengthQ, dv],
// with the denominator guard eps. It never forms an [L, L] matrix.
func LinearAttention(qPrime, kPrime, v *Node, eps float64) *Node {
	// Operand orders chosen so GoMLX's Go backend needs no transpose of the
	// large [L, m] operands (its matmul wants the lhs contracting axis last).
	kvT := Einsum("bhld,bhlm->bhdm", v, kPrime)   // [b, h, dv, m]
	num := Einsum("bhlm,bhdm->bhld", qPrime, kvT) // [b, h, lq, dv]
	kSum := ReduceSum(kPrime, 2)                  // [b, h, m]
	den := Einsum("bhlm,bhm->bhl", qPrime, kSum)  // [b, h, lq]
	den = guardDenominator(den, eps)
	return Div(num, ExpandAxes(den, -1))
}

// CausalLinearAttention is unidirectional (causal) attention on features:
// out_i = (sum_{j<=i} (Q'_i·K'_j) v_j) / (sum_{j<=i} Q'_i·K'_j), with
// shapes as in [LinearAttention] (lengthQ == lengthK = L).
//
// It works in chunks of chunkSize (C) tokens (0: [AutoChunkSize]): inside
// a chunk the [C, C] matrix of feature products is masked lower-triangular;
// across chunks each chunk's state K'_c^T [V_c, 1] ([m, dv+1]) is summed by an
// exclusive prefix sum over chunks. Peak memory is O(L·C + L·m + (L/C)·m·dv)
// per batch and head: no [L, m, dv] tensor is formed. L is padded to a
// multiple of C (padded keys have zero features).
func CausalLinearAttention(qPrime, kPrime, v *Node, chunkSize int, eps float64) *Node {
	if kPrime.Shape().Dim(2) != qPrime.Shape().Dim(2) {
		panicf("causal attention needs queries and keys of the same length, got %s and %s", qPrime.Shape(), kPrime.Shape())
	}
	ch, qc, kc, vc := chunkInputs(qPrime, kPrime, v, chunkSize)
	tri := ConvertDType(LowerTriangular(qPrime.Graph(), ch.c), qPrime.DType())

	// Within chunks: masked quadratic attention on features.
	scores := Einsum("bhncm,bhnkm->bhnck", qc, kc) // [b, h, n, c, c]
	scores = Mul(scores, Reshape(tri, 1, 1, 1, ch.c, ch.c))
	intra := Einsum("bhnck,bhnkd->bhncd", scores, vc) // [b, h, n, c, dv+1]

	// Across chunks: exclusive prefix sum of chunk states.
	states := Einsum("bhnkm,bhnkd->bhnmd", kc, vc) // [b, h, n, m, dv+1]
	prefix := CumSum(states, 2, &CumSumOptions{Exclusive: true})
	inter := Einsum("bhncm,bhnmd->bhncd", qc, prefix) // [b, h, n, c, dv+1]
	return ch.normalize(Add(intra, inter), eps)
}

// chunks splits the length axis (2) of [batch, heads, length, ...] tensors
// into n chunks of c tokens, padding the length to n·c.
type chunks struct{ b, h, l, c, n int }

// chunkInputs chooses the chunk size (chunkSize, or [AutoChunkSize] if <= 0;
// at most the length) and splits the features qPrime, kPrime [b, h, l, m]
// into qc, kc [b, h, n, c, m] and the values v [b, h, l, dv], with a column
// of ones appended (its output is the denominator), into vc [b, h, n, c,
// dv+1]. Padded positions are zero.
func chunkInputs(qPrime, kPrime, v *Node, chunkSize int) (ch chunks, qc, kc, vc *Node) {
	g := qPrime.Graph()
	b, h, l := qPrime.Shape().Dim(0), qPrime.Shape().Dim(1), qPrime.Shape().Dim(2)
	c := chunkSize
	if c <= 0 {
		c = AutoChunkSize(g.Backend().Name(), l)
	}
	c = min(c, l)
	ch = chunks{b: b, h: h, l: l, c: c, n: (l + c - 1) / c}
	ones := Ones(g, shapes.Make(v.DType(), b, h, l, 1))
	return ch, ch.split(qPrime, 0), ch.split(kPrime, 0), ch.split(Concatenate([]*Node{v, ones}, -1), 0)
}

// split pads x [b, h, l, rest...] along the length with fill to n·c tokens and
// reshapes it to [b, h, n, c, rest...].
func (ch chunks) split(x *Node, fill float64) *Node {
	dims := slices.Clone(x.Shape().Dimensions)
	if pad := ch.n*ch.c - ch.l; pad > 0 {
		dims[2] = pad
		// (Concatenate, not Pad: GoMLX v0.28.16's Pad gradient is wrong here.)
		x = Concatenate([]*Node{x, BroadcastToShape(Scalar(x.Graph(), x.DType(), fill), shapes.Make(x.DType(), dims...))}, 2)
	}
	return Reshape(x, append([]int{ch.b, ch.h, ch.n, ch.c}, dims[3:]...)...)
}

// normalize turns chunked outputs [b, h, n, c, dv+1], whose last column is
// the denominator, into D^-1 numerator [b, h, l, dv] (padding removed,
// denominator guarded by eps).
func (ch chunks) normalize(out *Node, eps float64) *Node {
	dv := out.Shape().Dim(-1) - 1
	out = Reshape(out, ch.b, ch.h, ch.n*ch.c, dv+1)
	num := Slice(out, AxisRange(), AxisRange(), AxisRange(0, ch.l), AxisRange(0, dv))
	den := Slice(out, AxisRange(), AxisRange(), AxisRange(0, ch.l), AxisRange(dv, dv+1))
	return Div(num, guardDenominator(den, eps))
}

// QuadraticKernelAttention computes the same attention as [LinearAttention]
// (or [CausalLinearAttention] if causal) the quadratic way: it forms the
// approximate attention matrix A' = Q' K'^T [batch, heads, lengthQ, lengthK]
// (lower-triangular if causal), normalizes its rows and multiplies by v. It
// returns the output [batch, heads, lengthQ, dv] and the normalized matrix.
// For tests and for measuring the approximation of the attention matrix.
func QuadraticKernelAttention(qPrime, kPrime, v *Node, causal bool, eps float64) (out, matrix *Node) {
	a := Einsum("bhqm,bhkm->bhqk", qPrime, kPrime)
	if causal {
		lq := a.Shape().Dim(2)
		a = Mul(a, ConvertDType(Reshape(LowerTriangular(a.Graph(), lq), 1, 1, lq, lq), a.DType()))
	}
	den := guardDenominator(ReduceAndKeep(a, ReduceSum, -1), eps)
	matrix = Div(a, den)
	return Einsum("bhqk,bhkd->bhqd", matrix, v), matrix
}

// ExactAttention is the exact softmax attention on [batch, heads, length,
// dim] tensors, written plainly (the naive O(L²) reference): scores
// cfg.Scale·q·k (default 1/sqrt(d)), cfg.KeyMask / cfg.Causal remove keys,
// cfg.QueryMask zeroes rows. It returns [batch, heads, lengthQ, dv]. Rows
// whose keys are all masked are zero.
func ExactAttention(q, k, v *Node, cfg Config) *Node {
	out, _ := ExactAttentionMatrix(q, k, v, cfg)
	return out
}

// ExactAttentionMatrix is [ExactAttention] that also returns the attention
// matrix [batch, heads, lengthQ, lengthK].
func ExactAttentionMatrix(q, k, v *Node, cfg Config) (out, matrix *Node) {
	g := q.Graph()
	scale := cfg.Scale
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(q.Shape().Dim(-1)))
	}
	scores := MulScalar(Einsum("bhqd,bhkd->bhqk", q, k), scale)
	lq, lk := q.Shape().Dim(2), k.Shape().Dim(2)
	var mask *Node
	if cfg.KeyMask != nil {
		mask = ExpandAxes(broadcastKeyMask(cfg.KeyMask, k), 2) // [b, h, 1, lk]
	}
	if cfg.Causal {
		tri := Reshape(LowerTriangular(g, lq), 1, 1, lq, lk)
		if mask == nil {
			mask = tri
		} else {
			mask = LogicalAnd(mask, tri)
		}
	}
	if mask != nil {
		mask = BroadcastToDims(mask, scores.Shape().Dimensions...)
		matrix = MaskedSoftmax(scores, mask, -1)
	} else {
		matrix = Softmax(scores, -1)
	}
	out = Einsum("bhqk,bhkd->bhqd", matrix, v)
	return applyQueryMask(out, cfg.QueryMask), matrix
}
