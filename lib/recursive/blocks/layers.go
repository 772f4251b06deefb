package blocks

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// RMSNorm normalizes x over its last axis, x / sqrt(mean(x²) + eps), with
// no learned weight (HRM's and TRM's rms_norm). It computes in float32
// (or float64 for float64 inputs) and returns x's dtype.
func RMSNorm(x *Node, eps float64) *Node {
	return rmsNormAxis(x, -1, eps)
}

// rmsNormAxis is RMSNorm over one axis.
func rmsNormAxis(x *Node, axis int, eps float64) *Node {
	dtype := x.DType()
	if !dtype.IsFloat() {
		panicf("RMSNorm of a non-float %s", x.Shape())
	}
	h := x
	if dtype != dtypes.Float32 && dtype != dtypes.Float64 {
		h = graph.ConvertDType(x, dtypes.Float32)
	}
	variance := graph.ReduceAndKeep(graph.Square(h), graph.ReduceMean, axis)
	// Div(Sqrt) rather than Rsqrt: GoMLX v0.28.16 has no gradient for Rsqrt.
	h = graph.Div(h, graph.Sqrt(graph.AddScalar(variance, eps)))
	if h.DType() != dtype {
		h = graph.ConvertDType(h, dtype)
	}
	return h
}

// SwiGLUInter returns the intermediate width of a SwiGLU on width d with the
// given expansion: round(expansion·d·2/3) rounded up to a multiple of 256,
// as HRM's _find_multiple, except for d <= 128, where it is rounded up to a
// multiple of 8 instead (a multiple of 256 would make tiny models mostly
// SwiGLU; e.g. d=64, expansion 4: 176 rather than 256). Note TRM's MLP
// mixer on Sudoku (d = sequence length 97) gets 264 here, 512 in TRM.
func SwiGLUInter(d int, expansion float64) int {
	n := int(math.RoundToEven(expansion * float64(d) * 2 / 3)) // Python's round() rounds half to even.
	multiple := 256
	if d <= 128 {
		multiple = 8
	}
	return max(multiple, (n+multiple-1)/multiple*multiple)
}

// SwiGLU is HRM's gated feed-forward layer on the last axis of x [..., D]:
// down(silu(gate)·up), where [gate | up] = x·gate_up, returning [..., D].
// Variables, in scope, no biases, truncated LeCun normal initialization:
//
//	gate_up [D, 2·inter]   (gate: the first inter columns, up: the rest)
//	down    [inter, D]
//
// with inter = SwiGLUInter(D, expansion).
func SwiGLU(scope *model.Scope, x *Node, expansion float64) *Node {
	return SwiGLUWithInter(scope, x, SwiGLUInter(x.Shape().Dim(-1), expansion))
}

// SwiGLUWithInter is [SwiGLU] with an explicit intermediate width.
func SwiGLUWithInter(scope *model.Scope, x *Node, inter int) *Node {
	if x.Rank() < 1 || inter < 1 {
		panicf("SwiGLU of %s with inter %d", x.Shape(), inter)
	}
	d := x.Shape().Dim(-1)
	scope = scope.WithInitializer(LeCunNormal(scope))
	wGU, wDown := Weight(scope, "gate_up", x, d, 2*inter), Weight(scope, "down", x, inter, d)
	gu := dense(x, wGU)
	gate := graph.SliceAxis(gu, -1, graph.AxisRange(0, inter))
	up := graph.SliceAxis(gu, -1, graph.AxisRange(inter, 2*inter))
	return dense(graph.Mul(silu(gate), up), wDown)
}

func silu(x *Node) *Node { return graph.Mul(x, graph.Sigmoid(x)) }

// MasterDType is the dtype weights are stored in for inputs of dtype: the
// input's for float32 and float64, float32 for lower precisions (mixed
// precision: float32 master weights, cast to bfloat16 or float16 where
// used, so the optimizer and the EMA update float32 values).
func MasterDType(dtype dtypes.DType) dtypes.DType {
	if dtype == dtypes.Float64 {
		return dtypes.Float64
	}
	return dtypes.Float32
}

// Weight returns the variable name of the given dimensions in scope
// (created with scope's initializer), stored in MasterDType(x.DType()),
// as a node of x's dtype.
func Weight(scope *model.Scope, name string, x *Node, dims ...int) *Node {
	w := scope.VariableWithShape(name, shapes.Make(MasterDType(x.DType()), dims...)).NodeValue(x.Graph())
	return graph.ConvertDType(w, x.DType())
}

// CastedLinear is HRM's CastedLinear without bias: x [..., in] @ w [in,
// out], with w = scope/name a [Weight] (truncated LeCun normal
// initialization), returning [..., out] in x's dtype.
func CastedLinear(scope *model.Scope, name string, x *Node, out int) *Node {
	in := x.Shape().Dim(-1)
	w := Weight(scope.WithInitializer(LeCunNormal(scope)), name, x, in, out)
	dims := x.Shape().Dimensions
	y := graph.MatMul(graph.Reshape(x, -1, in), w)
	return graph.Reshape(y, append(append([]int{}, dims[:len(dims)-1]...), out)...)
}

// dense multiplies the last axis of x [..., in] by w [in, out].
func dense(x, w *Node) *Node {
	dims := x.Shape().Dimensions
	in, out := w.Shape().Dim(0), w.Shape().Dim(1)
	if dims[len(dims)-1] != in {
		panicf("input %s does not match weights %s", x.Shape(), w.Shape())
	}
	y := graph.Einsum("nd,de->ne", graph.Reshape(x, -1, in), w)
	outDims := append(append([]int{}, dims[:len(dims)-1]...), out)
	return graph.Reshape(y, outDims...)
}

// Rotary applies rotary position embeddings (RoPE) to x [batch, seq, heads,
// headDim] at positions 0..seq-1, in the rotate-half convention of HRM's
// apply_rotary_pos_emb: x·cos + rotate_half(x)·sin, where for position p
// and i < headDim/2 the angle of components i and i+headDim/2 is
// p·theta^(-2i/headDim), and rotate_half([x1 | x2]) = [-x2 | x1]. The
// cos/sin tables are computed in float64 on the host; the rotation in
// float32 (float64 for float64 inputs), returning x's dtype.
func Rotary(x *Node, theta float64) *Node {
	if x.Rank() != 4 {
		panicf("Rotary needs x [batch, seq, heads, headDim], got %s", x.Shape())
	}
	seq, dim := x.Shape().Dim(1), x.Shape().Dim(3)
	if dim%2 != 0 {
		panicf("Rotary needs an even headDim, got %d", dim)
	}
	dtype := x.DType()
	h := x
	if dtype != dtypes.Float32 && dtype != dtypes.Float64 {
		h = graph.ConvertDType(x, dtypes.Float32)
	}
	cosT, sinT := make([]float64, seq*dim), make([]float64, seq*dim)
	half := dim / 2
	for p := range seq {
		for i := range half {
			a := float64(p) * math.Pow(theta, -float64(2*i)/float64(dim))
			c, s := math.Cos(a), math.Sin(a)
			cosT[p*dim+i], cosT[p*dim+i+half] = c, c
			sinT[p*dim+i], sinT[p*dim+i+half] = s, s
		}
	}
	g := x.Graph()
	cos := graph.Reshape(graph.ConvertDType(graph.Const(g, cosT), h.DType()), 1, seq, 1, dim)
	sin := graph.Reshape(graph.ConvertDType(graph.Const(g, sinT), h.DType()), 1, seq, 1, dim)
	x1 := graph.SliceAxis(h, -1, graph.AxisRange(0, half))
	x2 := graph.SliceAxis(h, -1, graph.AxisRange(half, dim))
	rot := graph.Concatenate([]*Node{graph.Neg(x2), x1}, -1)
	out := graph.Add(graph.Mul(h, cos), graph.Mul(rot, sin))
	if out.DType() != dtype {
		out = graph.ConvertDType(out, dtype)
	}
	return out
}

// Attention is HRM's non-causal multi-head self-attention on x [batch, seq,
// D], with RoPE on queries and keys (unless cfg.NoRope) and no biases,
// returning [batch, seq, D]. It is written with einsums and an explicit
// softmax (scale 1/sqrt(HeadDim)), so its gradient works on every backend;
// for inputs below float32 precision, scores, softmax and the weighted sum
// are computed in float32, except on backends with a fused attention and
// a fused backward (XLA on CUDA: cuDNN flash attention for bfloat16 and
// float16), which never materialize the [batch, heads, seq, seq] scores.
// Variables, in scope (truncated LeCun normal initialization):
//
//	qkv [D, 3·Heads·HeadDim]   (columns: the Heads query heads, then the keys, then the values)
//	o   [Heads·HeadDim, D]
func Attention(scope *model.Scope, x *Node, cfg Config) *Node {
	cfg = cfg.withDefaults()
	checkInput(x, cfg)
	b, s, d := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	nh, hd := cfg.Heads, cfg.HeadDim
	scope = scope.WithInitializer(LeCunNormal(scope))
	wQKV, wO := Weight(scope, "qkv", x, d, 3*nh*hd), Weight(scope, "o", x, nh*hd, d)
	qkv := graph.Reshape(dense(x, wQKV), b, s, 3*nh, hd)
	q := graph.SliceAxis(qkv, 2, graph.AxisRange(0, nh))
	k := graph.SliceAxis(qkv, 2, graph.AxisRange(nh, 2*nh))
	v := graph.SliceAxis(qkv, 2, graph.AxisRange(2*nh, 3*nh))
	if !cfg.NoRope {
		q, k = Rotary(q, cfg.RopeTheta), Rotary(k, cfg.RopeTheta)
	}
	return dense(graph.Reshape(attend(q, k, v), b, s, nh*hd), wO)
}

// attend is softmax(q·kᵀ/sqrt(headDim))·v for q, k, v [batch, seq, heads,
// headDim] (BSHD), returning the same shape and dtype: the backend's fused
// attention when it has one with a fused backward and the dtype is half
// precision, else explicit einsums and softmax, in float32 below float32.
func attend(q, k, v *Node) *Node {
	dtype, hd := q.DType(), q.Shape().Dim(-1)
	explicit := func() *Node {
		q, k, v := q, k, v
		if dtype != dtypes.Float32 && dtype != dtypes.Float64 {
			// Scores, softmax and weighted sum in float32, as flash attention does.
			q, k, v = graph.ConvertDType(q, dtypes.Float32), graph.ConvertDType(k, dtypes.Float32), graph.ConvertDType(v, dtypes.Float32)
		}
		scores := graph.MulScalar(graph.Einsum("bqhd,bkhd->bhqk", q, k), 1/math.Sqrt(float64(hd)))
		return graph.ConvertDType(graph.Einsum("bhqk,bkhd->bqhd", graph.Softmax(scores, -1), v), dtype)
	}
	if !dtype.IsHalfPrecision() || !fusedAttention(q.Graph().Backend()) {
		return explicit()
	}
	out, _ := graph.InternalFusedOpCaller(func() *Node { return fusedSDPA(q, k, v) }, explicit, false)
	return out
}

// fusedSDPA is the backend's fused attention on q, k, v [batch, seq,
// heads, headDim] (BSHD), scale 1/sqrt(headDim); it panics with a wrapped
// compute.ErrNotImplemented where the backend cannot (graph.InternalFusedOpCaller
// falls back then).
func fusedSDPA(q, k, v *Node) *Node {
	o, _ := graph.BackendFusedScaledDotProductAttention(q, k, v, compute.AttentionAxesLayoutBSHD,
		&compute.ScaledDotProductAttentionConfig{Scale: 1 / math.Sqrt(float64(q.Shape().Dim(-1)))})
	return o
}

// fusedAttention tells whether attend uses b's fused attention (for half
// precision): when b has a fused backward too, so that training never
// materializes the scores.
func fusedAttention(b compute.Backend) bool {
	return b.Capabilities().Operations[compute.OpTypeFusedScaledDotProductAttentionVJP]
}

// TokenMixer is TRM's MLP token mixer on x [batch, seq, D]: a [SwiGLU] of
// width seq (expansion cfg.Expansion) applied across the sequence axis (x
// transposed to [batch, D, seq] and back), returning [batch, seq, D]. Its
// variables are SwiGLU's: gate_up [seq, 2·inter], down [inter, seq], with
// inter = SwiGLUInter(seq, cfg.Expansion).
func TokenMixer(scope *model.Scope, x *Node, cfg Config) *Node {
	cfg = cfg.withDefaults()
	checkInput(x, cfg)
	t := graph.TransposeAllDims(x, 0, 2, 1)
	return graph.TransposeAllDims(SwiGLU(scope, t, cfg.Expansion), 0, 2, 1)
}

func checkInput(x *Node, cfg Config) {
	if x.Rank() != 3 || x.Shape().Dim(2) != cfg.Hidden {
		panicf("input must be [batch, seq, Hidden=%d], got %s", cfg.Hidden, x.Shape())
	}
}

// Block is one post-norm block of HRM / TRM on x [batch, seq, Hidden],
// returning the same shape:
//
//	h = RMSNorm(h + Mix(h))        Mix: Attention, sub-scope "mix" (cfg.Mixer == MixAttention)
//	h = RMSNorm(h + SwiGLU(h))     sub-scope "mlp"
//
// For cfg.Mixer == MixMLP, Mix is [TokenMixer] and, as in TRM's code, the
// first RMSNorm is taken over the SEQUENCE axis (TRM adds and normalizes
// in the transposed [batch, D, seq] layout); the second is over D.
// Variables: mix/{qkv,o} or mix/{gate_up,down}, and mlp/{gate_up,down}.
// Sub-scopes are entered with scope.At, so calling Block again with the
// same scope reuses its variables (weight sharing, as recursion needs).
func Block(scope *model.Scope, x *Node, cfg Config) *Node {
	cfg = cfg.withDefaults()
	checkInput(x, cfg)
	h := x
	switch cfg.Mixer {
	case MixAttention:
		h = RMSNorm(graph.Add(h, Attention(scope.At("mix"), h, cfg)), cfg.NormEps)
	case MixMLP:
		h = rmsNormAxis(graph.Add(h, TokenMixer(scope.At("mix"), h, cfg)), 1, cfg.NormEps)
	}
	return RMSNorm(graph.Add(h, SwiGLU(scope.At("mlp"), h, cfg.Expansion)), cfg.NormEps)
}

// Stack applies numLayers [Block]s to x [batch, seq, Hidden], in sub-scopes
// "layer_0", "layer_1", .... Like Block, calling it again with the same
// scope reuses the same variables: TRM's f and HRM's f_L / f_H are
// Stacks applied many times.
func Stack(scope *model.Scope, x *Node, cfg Config, numLayers int) *Node {
	if numLayers < 0 {
		panicf("numLayers %d < 0", numLayers)
	}
	for i := range numLayers {
		x = Block(scope.At("layer_%d", i), x, cfg)
	}
	return x
}

// PuzzleEmbedding looks up per-puzzle prefix embeddings: ids int [batch]
// (values in [0, numIDs)) -> [batch, prefixLen, D], float32. Variable, in
// scope: "table" [numIDs, prefixLen·D], zero-initialized (as HRM and TRM).
// Train it with [SignSGD] (see [Routed]).
func PuzzleEmbedding(scope *model.Scope, ids *Node, numIDs, prefixLen, d int) *Node {
	if ids.Rank() != 1 || !ids.DType().IsInt() {
		panicf("puzzle ids must be integer [batch], got %s", ids.Shape())
	}
	if numIDs < 1 || prefixLen < 1 || d < 1 {
		panicf("PuzzleEmbedding(numIDs=%d, prefixLen=%d, d=%d)", numIDs, prefixLen, d)
	}
	table := scope.WithInitializer(initializer.Zero).
		VariableWithShape("table", shapes.Make(dtypes.Float32, numIDs, prefixLen*d)).NodeValue(ids.Graph())
	rows := graph.Gather(table, graph.InsertAxes(ids, -1))
	return graph.Reshape(rows, ids.Shape().Dim(0), prefixLen, d)
}

// truncStdFactor is the standard deviation of a standard normal truncated
// to [-2, 2].
var truncStdFactor = func() float64 {
	const lo, hi = -2.0, 2.0
	z := (math.Erf(hi/math.Sqrt2) - math.Erf(lo/math.Sqrt2)) / 2
	c := 1 / math.Sqrt(2*math.Pi)
	pdfLo, pdfHi := c*math.Exp(-lo*lo/2), c*math.Exp(-hi*hi/2)
	return math.Sqrt(1 - (hi*pdfHi-lo*pdfLo)/z - ((pdfHi-pdfLo)/z)*((pdfHi-pdfLo)/z))
}()

// TruncatedNormal returns an initializer of normal values truncated at two
// standard deviations of the underlying normal, scaled so that their
// standard deviation is std (HRM's trunc_normal_init_, the JAX/Flax
// convention): values lie in ±2·std/0.8796. Truncation is by redrawing
// out-of-range values 6 times, then clipping (the clipped fraction is
// ~1e-9). It uses the store's random state; non-float shapes get zeros.
func TruncatedNormal(scope *model.Scope, std float64) model.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *Node {
		if !shape.DType.IsFloat() {
			return graph.Zeros(g, shape)
		}
		draw := func() *Node {
			z := scope.RandomNormal(g, shapes.Make(dtypes.Float32, shape.Dimensions...))
			if shape.DType != dtypes.Float32 {
				z = graph.ConvertDType(z, shape.DType)
			}
			return z
		}
		z := draw()
		for range 6 {
			z = graph.Where(graph.GreaterThan(graph.Abs(z), graph.Scalar(g, z.DType(), 2)), draw(), z)
		}
		z = graph.ClipScalar(z, -2, 2)
		return graph.MulScalar(z, std/truncStdFactor)
	}
}

// LeCunNormal returns a truncated LeCun normal initializer: [TruncatedNormal]
// with std 1/sqrt(fanIn), fanIn the product of all but the last axis of the
// (rank >= 2) variable (the input width of an [in, out] weight), as HRM's
// CastedLinear. Rank < 2 variables get zeros.
func LeCunNormal(scope *model.Scope) model.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *Node {
		if shape.Rank() < 2 {
			return graph.Zeros(g, shape)
		}
		fanIn := 1
		for _, d := range shape.Dimensions[:shape.Rank()-1] {
			fanIn *= d
		}
		return TruncatedNormal(scope, 1/math.Sqrt(float64(fanIn)))(g, shape)
	}
}
