package performer

import (
	"math"
	"reflect"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style.
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/layers/attention/pos"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Hyperparameters read (with model.GetParamOr) from the layer's scope or its
// parents when [MultiHeadAttention] is called; the builder's With... methods
// override them. Set them with scope.SetParam or store.SetParams.
const (
	// ParamKernel (string, a [Kernel]): default "softmax".
	ParamKernel = "performer_kernel"
	// ParamNumFeatures (int): number of random features m; default 256.
	ParamNumFeatures = "performer_num_features"
	// ParamOrthogonal (bool): orthogonal random features; default true.
	ParamOrthogonal = "performer_orthogonal"
	// ParamRowNorms (string, a [RowNorms]): default "chi".
	ParamRowNorms = "performer_row_norms"
	// ParamRedraw (string, a [Redraw]): default "fixed".
	ParamRedraw = "performer_redraw"
	// ParamRedrawEvery (int): steps between redraws for RedrawEverySteps;
	// default 1000.
	ParamRedrawEvery = "performer_redraw_every"
	// ParamSeed (int64): base seed of the features, mixed with the layer's
	// scope path; default 0.
	ParamSeed = "performer_seed"
	// ParamChunkSize (int): tokens per chunk of causal attention; default 0,
	// chosen from the sequence length (see AutoChunkSize).
	ParamChunkSize = "performer_chunk_size"
)

// Defaults of the hyperparameters.
const (
	DefaultNumFeatures = 256
	DefaultRedrawEvery = 1000
)

// Redraw is the policy for redrawing the random features.
type Redraw string

const (
	// RedrawFixed draws the features once from the seed (and the layer's scope
	// path): the same features at every call, in training and inference.
	RedrawFixed Redraw = "fixed"
	// RedrawEverySteps redraws every N training steps: the features of step s
	// are drawn from (seed, scope path, s/N), where s is the optimizer's global
	// step (model.Store variable "global_step", saved with checkpoints), so
	// replicas and restarts agree; inference (a graph not marked as training)
	// uses the features of the last training step, (s-1)/N.
	// (Inference graphs on backends that bake variables in as constants, like
	// GoMLX's Go backend, keep the features of the step they were compiled at.)
	RedrawEverySteps Redraw = "steps"
	// RedrawEveryCall draws new features at every execution from the model
	// store's random number generator (deterministic when the store's RNG is
	// seeded, e.g. with model.ParamInitialSeed or Store.SetRNGStateFromSeed).
	RedrawEveryCall Redraw = "call"
)

// Builder configures a multi-head FAVOR attention layer; create it with
// [MultiHeadAttention] or [SelfAttention], set options and call Done.
type Builder struct {
	scope             *model.Scope
	g                 *Graph
	query, key, value *Node
	numHeads          int
	keyQueryDim       int
	valueDim          int
	outputDim         int
	useProjectionBias bool
	innerQueryAxes    int
	innerKeyAxes      int

	keyMask, queryMask *Node
	causal             bool
	scale              float64
	useFusion          bool
	positionalEncoder  pos.Encoder
	position           *Node

	kernel      Kernel
	fn          func(*Node) *Node
	fnProjected bool
	numFeatures int
	orthogonal  bool
	rowNorms    RowNorms
	redraw      Redraw
	redrawEvery int
	seed        int64
	chunkSize   int
	featureEps  float64
}

// MultiHeadAttention creates a multi-head attention layer with the call shape,
// options and variable scopes of GoMLX's attention.MultiHeadAttention, computed
// with FAVOR (by default FAVOR+, the softmax kernel with positive orthogonal
// random features): a checkpoint of a model using GoMLX's exact attention
// loads unchanged.
//
// Shapes: query [batch, <query_elements>, inputQueryDim], key
// [batch, <key_elements>, inputKeyDim], value [batch, <key_elements>,
// inputValueDim]; Done returns [batch, <query_elements>, outputDim]
// (outputDim defaults to inputValueDim).
//
// Variables (as in GoMLX): <scope>/MultiHeadAttention/{query,key,value,output}/dense/{weights,biases}.
// The random projection is not a variable (it is drawn from the seed), so the
// variables are exactly those of GoMLX's layer.
func MultiHeadAttention(scope *model.Scope, query, key, value *Node, numHeads, headDim int) *Builder {
	qs, ks, vs := query.Shape(), key.Shape(), value.Shape()
	if qs.Rank() < 3 || ks.Rank() < 3 || vs.Rank() < 3 {
		panicf("MultiHeadAttention needs query, key and value of rank >= 3, got %s, %s, %s", qs, ks, vs)
	}
	if ks.DType != qs.DType || vs.DType != qs.DType {
		panicf("query, key and value must have the same dtype, got %s, %s, %s", qs, ks, vs)
	}
	if !reflect.DeepEqual(ks.Dimensions[:ks.Rank()-1], vs.Dimensions[:vs.Rank()-1]) {
		panicf("key and value shapes must match up to the last axis, got %s and %s", ks, vs)
	}
	if numHeads <= 0 || headDim <= 0 {
		panicf("numHeads (%d) and headDim (%d) must be positive", numHeads, headDim)
	}
	s := scope.In("MultiHeadAttention")
	b := &Builder{
		scope: s, g: query.Graph(), query: query, key: key, value: value,
		numHeads: numHeads, keyQueryDim: headDim, valueDim: headDim,
		outputDim:         vs.Dimensions[vs.Rank()-1],
		useProjectionBias: true, useFusion: true,
		innerQueryAxes: qs.Rank() - 2, innerKeyAxes: ks.Rank() - 2,
		kernel:      Kernel(model.GetParamOr(s, ParamKernel, string(KernelSoftmax))),
		numFeatures: model.GetParamOr(s, ParamNumFeatures, DefaultNumFeatures),
		orthogonal:  model.GetParamOr(s, ParamOrthogonal, true),
		rowNorms:    RowNorms(model.GetParamOr(s, ParamRowNorms, string(RowNormsChi))),
		redraw:      Redraw(model.GetParamOr(s, ParamRedraw, string(RedrawFixed))),
		redrawEvery: model.GetParamOr(s, ParamRedrawEvery, DefaultRedrawEvery),
		seed:        model.GetParamOr(s, ParamSeed, int64(0)),
		chunkSize:   model.GetParamOr(s, ParamChunkSize, DefaultChunkSize),
	}
	b.kernel.check()
	return b
}

// SelfAttention is MultiHeadAttention(scope, x, x, x, numHeads, headDim).
func SelfAttention(scope *model.Scope, x *Node, numHeads, headDim int) *Builder {
	return MultiHeadAttention(scope, x, x, x, numHeads, headDim)
}

// WithKernel selects the kernel (default from ParamKernel, "softmax").
// KernelExact runs GoMLX's exact attention with the same variables.
func (b *Builder) WithKernel(kernel Kernel) *Builder {
	kernel.check()
	b.kernel = kernel
	return b
}

// WithKernelFn selects KernelGeneralized with phi(x) = fn(W x) + eps if
// randomProjection, or fn(x) + eps (deterministic) otherwise.
func (b *Builder) WithKernelFn(fn func(*Node) *Node, randomProjection bool) *Builder {
	if fn == nil {
		panicf("WithKernelFn needs a function")
	}
	b.kernel, b.fn, b.fnProjected = KernelGeneralized, fn, randomProjection
	return b
}

// WithNumFeatures sets the number of random features m (default from
// ParamNumFeatures, 256).
func (b *Builder) WithNumFeatures(m int) *Builder {
	b.numFeatures = positive("WithNumFeatures", m)
	return b
}

// WithOrthogonal selects orthogonal (default) or iid random features.
func (b *Builder) WithOrthogonal(orthogonal bool) *Builder { b.orthogonal = orthogonal; return b }

// WithRowNorms selects the row norms of orthogonal features (default chi).
func (b *Builder) WithRowNorms(norms RowNorms) *Builder {
	Projection{NumFeatures: 1, Dim: 1, Norms: norms}.check()
	b.rowNorms = norms
	return b
}

// WithRedraw sets the feature redraw policy; every is the number of
// training steps between redraws for RedrawEverySteps (ignored otherwise).
func (b *Builder) WithRedraw(policy Redraw, every int) *Builder {
	switch policy {
	case RedrawFixed, RedrawEveryCall:
	case RedrawEverySteps:
		b.redrawEvery = positive("WithRedraw's every", every)
	default:
		panicf("unknown redraw policy %q", policy)
	}
	b.redraw = policy
	return b
}

// WithSeed sets the base seed of the random features (default from
// ParamSeed, 0); it is mixed with the layer's scope path.
func (b *Builder) WithSeed(seed int64) *Builder { b.seed = seed; return b }

// WithChunkSize sets the number of tokens per chunk of causal attention
// (default from ParamChunkSize; 0 chooses it from the length, see AutoChunkSize).
func (b *Builder) WithChunkSize(c int) *Builder {
	b.chunkSize = positive("WithChunkSize", c)
	return b
}

// WithFeatureEpsilon sets the stabilizer added to the features (default
// DefaultSoftmaxEpsilon or DefaultReLUEpsilon by kernel; negative: none).
func (b *Builder) WithFeatureEpsilon(eps float64) *Builder { b.featureEps = eps; return b }

// positive returns v, or panics naming the option if v <= 0.
func positive(option string, v int) int {
	if v <= 0 {
		panicf("%s (%d) must be positive", option, v)
	}
	return v
}

// WithKeyQueryDim sets the per-head dimension of queries and keys (default headDim).
func (b *Builder) WithKeyQueryDim(dim int) *Builder { b.keyQueryDim = dim; return b }

// WithValueHeadDim sets the per-head dimension of values (default headDim).
func (b *Builder) WithValueHeadDim(dim int) *Builder { b.valueDim = dim; return b }

// WithOutputDim sets the output dimension (default: the last dimension of value).
func (b *Builder) WithOutputDim(dim int) *Builder { b.outputDim = dim; return b }

// UseProjectionBias sets whether the projections have biases (default true).
func (b *Builder) UseProjectionBias(use bool) *Builder { b.useProjectionBias = use; return b }

// WithQueryKeyScale overrides the scale of q·k (default 1/sqrt(keyQueryDim)):
// FAVOR then approximates exp(scale·q·k).
func (b *Builder) WithQueryKeyScale(scale float64) *Builder { b.scale = scale; return b }

// WithFusion allows (default) or forbids GoMLX's fused attention for
// KernelExact; ignored by FAVOR kernels.
func (b *Builder) WithFusion(enabled bool) *Builder { b.useFusion = enabled; return b }

// WithPositionalEncoder sets a positional encoder applied to the projected
// queries and keys (e.g. pos.NewRoPE), as in GoMLX.
func (b *Builder) WithPositionalEncoder(encoder pos.Encoder) *Builder {
	b.positionalEncoder = encoder
	return b
}

// WithPosition sets the position of the first token for the positional encoder.
func (b *Builder) WithPosition(position *Node) *Builder { b.position = position; return b }

// WithMask sets the same mask for keys and queries (padding): see
// WithKeyMask and WithQueryMask.
func (b *Builder) WithMask(mask *Node) *Builder { return b.WithKeyMask(mask).WithQueryMask(mask) }

// WithKeyMask sets which keys are valid (bool, [batch, <key_elements>] or
// [batch, numHeads, <key_elements>]): masked keys are removed from the
// attention's numerator and denominator.
func (b *Builder) WithKeyMask(mask *Node) *Builder {
	b.keyMask = b.checkMask(mask, b.key, b.innerKeyAxes, "key")
	return b
}

// WithQueryMask sets which queries are valid (bool, [batch,
// <query_elements>] or [batch, numHeads, <query_elements>]): masked queries
// get zero attention rows (their output is the output projection's bias).
func (b *Builder) WithQueryMask(mask *Node) *Builder {
	b.queryMask = b.checkMask(mask, b.query, b.innerQueryAxes, "query")
	return b
}

// checkMask validates a mask and flattens its inner axes: returns
// [batch, length] or [batch, heads, length].
func (b *Builder) checkMask(mask, ref *Node, inner int, what string) *Node {
	if mask.DType() != dtypes.Bool {
		panicf("%s mask must be bool, got %s", what, mask.Shape())
	}
	batch := ref.Shape().Dim(0)
	switch mask.Rank() {
	case 1 + inner:
		return Reshape(mask, batch, -1)
	case 2 + inner:
		return Reshape(mask, batch, mask.Shape().Dim(1), -1)
	}
	panicf("invalid %s mask shape %s: want [batch, <%s_elements>] or [batch, numHeads, <%s_elements>]", what, mask.Shape(), what, what)
	return nil
}

// WithCausalMask makes queries attend only to keys at the same or earlier
// positions (self-attention shapes: query and key of rank 3 with the same
// length). FAVOR computes it in chunks (see [CausalLinearAttention]).
func (b *Builder) WithCausalMask(causal bool) *Builder {
	if causal {
		qs, ks := b.query.Shape(), b.key.Shape()
		if qs.Rank() != 3 || ks.Rank() != 3 || qs.Dim(1) != ks.Dim(1) || qs.Dim(0) != ks.Dim(0) {
			panicf("WithCausalMask needs query and key of rank 3 with the same batch and length, got %s and %s", qs, ks)
		}
	}
	b.causal = causal
	return b
}

// Done builds the layer and returns its output [batch, <query_elements>, outputDim].
func (b *Builder) Done() *Node {
	batch := b.query.Shape().Dim(0)
	flatQ := Reshape(b.query, batch, -1, b.query.Shape().Dim(-1))
	flatK := Reshape(b.key, batch, -1, b.key.Shape().Dim(-1))
	flatV := Reshape(b.value, batch, -1, b.value.Shape().Dim(-1))
	// Same order and scopes as GoMLX: key, query, value, output.
	k := Dense(b.scope.In("key"), flatK, b.useProjectionBias, b.numHeads, b.keyQueryDim)
	q := Dense(b.scope.In("query"), flatQ, b.useProjectionBias, b.numHeads, b.keyQueryDim)
	v := Dense(b.scope.In("value"), flatV, b.useProjectionBias, b.numHeads, b.valueDim)
	if enc, ok := b.positionalEncoder.(pos.QKEncoder); ok {
		seqLen := q.Shape().Dim(1)
		start := b.position
		if start == nil {
			start = ScalarZero(b.g, dtypes.Int32)
		}
		q, k = enc.EncodeQK(q, k, pos.SequentialPositions(b.g, start, seqLen), 1)
	}
	scale := b.scale
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(b.keyQueryDim))
	}
	var out *Node // [batch, lq, heads, dv]
	if b.kernel == KernelExact {
		out = b.exact(q, k, v, scale)
	} else {
		toBHLD := func(x *Node) *Node { return TransposeAllAxes(x, 0, 2, 1, 3) }
		cfg := Config{
			Kernel: b.kernel, Fn: b.fn, Scale: scale, Causal: b.causal, ChunkSize: b.chunkSize,
			FeatureEpsilon: b.featureEps, KeyMask: b.keyMask, QueryMask: b.queryMask,
		}
		var w *Node
		if b.kernel.IsRandom() || (b.kernel == KernelGeneralized && b.fnProjected) {
			dt := q.DType()
			if isHalf(dt) {
				dt = dtypes.Float32 // Attention computes half-precision features in float32.
			}
			w = b.projection(dt)
		}
		out = TransposeAllAxes(Attention(toBHLD(q), toBHLD(k), toBHLD(v), w, cfg), 0, 2, 1, 3)
	}
	dims := append([]int{}, b.query.Shape().Dimensions[:b.query.Rank()-1]...)
	out = Reshape(out, append(dims, b.numHeads*b.valueDim)...)
	return Dense(b.scope.In("output"), out, b.useProjectionBias, b.outputDim)
}

// exact runs GoMLX's attention.Core on [batch, len, heads, dim] tensors.
func (b *Builder) exact(q, k, v *Node, scale float64) *Node {
	var mask *Node
	if b.keyMask != nil || b.queryMask != nil {
		lq, lk := q.Shape().Dim(1), k.Shape().Dim(1)
		mask = Const(b.g, true)
		toBQHK := func(m *Node, isKey bool) *Node { // [b, l] or [b, h, l] -> broadcastable [b, lq, h, lk]
			if m.Rank() == 2 {
				m = ExpandAxes(m, 1)
			}
			if isKey {
				return ExpandAxes(m, 1) // [b, 1, h, lk]
			}
			return ExpandAxes(TransposeAllAxes(m, 0, 2, 1), -1) // [b, lq, h, 1]
		}
		if b.keyMask != nil {
			mask = LogicalAnd(mask, toBQHK(b.keyMask, true))
		}
		if b.queryMask != nil {
			mask = LogicalAnd(mask, toBQHK(b.queryMask, false))
		}
		if b.causal {
			mask = LogicalAnd(mask, Reshape(LowerTriangular(b.g, lq), 1, lq, 1, lk))
		}
		mask = BroadcastToDims(mask, q.Shape().Dim(0), lq, b.numHeads, lk)
	}
	if dt := q.DType(); isHalf(dt) && (!b.useFusion || !strings.HasPrefix(b.g.Backend().Name(), "xla")) {
		// Unfused half-precision attention would take its softmax in half precision (XLA's
		// fused attention, cuDNN's on a GPU, keeps it in float32).
		f32 := func(x *Node) *Node { return ConvertDType(x, dtypes.Float32) }
		return ConvertDType(b.exact(f32(q), f32(k), f32(v), scale), dt)
	}
	out, _ := attention.Core(q, k, v, attention.LayoutBSHD, attention.CoreOptions{
		Scale: scale, AttentionMask: mask, UseCausalMask: b.causal && mask == nil,
		DisableFusion: !b.useFusion, Scope: b.scope,
	})
	return out
}

// projection returns the layer's random projection [m, keyQueryDim] for its
// redraw policy.
func (b *Builder) projection(dtype dtypes.DType) *Node {
	p := Projection{NumFeatures: b.numFeatures, Dim: b.keyQueryDim, Orthogonal: b.orthogonal, Norms: b.rowNorms}
	seed := LayerSeed(b.seed, b.scope.Scope())
	switch b.redraw {
	case RedrawEveryCall:
		store := b.scope.Store()
		return p.GraphFrom(b.g, func(shape shapes.Shape) *Node { return store.RandomNormal(b.g, shape) }, dtype)
	case RedrawEverySteps:
		step := optimizer.GetGlobalStepVar(b.scope.Store()).NodeValue(b.g)
		if !b.scope.IsTraining(b.g) {
			// A training step reads the global step before incrementing it: after K steps the
			// model last trained with the features of step K-1. Inference uses those, not a
			// draw it has never seen (which every N-th step would otherwise be).
			step = Max(Sub(step, OnesLike(step)), ZerosLike(step))
		}
		epoch := ConvertDType(Div(step, Scalar(b.g, step.DType(), b.redrawEvery)), dtypes.Uint64)
		base := RNGStateFromSeedForGraph(b.g, int64(seed))
		// Offset every word of the state by a multiple of the epoch.
		mult := Const(b.g, []uint64{0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9, 0x94d049bb133111eb}[:RNGStateShape.Size()])
		state := Add(base, Mul(BroadcastToDims(epoch, RNGStateShape.Size()), mult))
		_, w := p.Graph(state, dtype)
		return w
	default:
		return ConvertDType(Const(b.g, p.Draw(seed)), dtype)
	}
}
