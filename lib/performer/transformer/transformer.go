package transformer

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/performer"
)

// Node is GoMLX's graph node.
type Node = graph.Node

// Attention selects the attention implementation of a model.
type Attention string

const (
	// Exact is GoMLX's multi-head attention (attention.MultiHeadAttention;
	// in bfloat16, lib/performer's KernelExact layer, which keeps float32
	// master weights under the same variables).
	Exact Attention = "exact"
	// FAVOR is lib/performer's multi-head attention: FAVOR+ (or another
	// kernel, see Config.Kernel), with the same variables as Exact.
	FAVOR Attention = "favor"
)

// Hyperparameters, read with model.GetParamOr from the scope given to a
// builder (or its parents) by [NewConfig]. FAVOR+'s own options (kernel,
// features, redraw, seed, chunk size) are lib/performer's Param... constants,
// read the same way by its layer.
const (
	// ParamAttention (string, an [Attention]): "exact" (default) or "favor".
	ParamAttention = "transformer_attention"
	// ParamEmbedDim (int): model width; default 64.
	ParamEmbedDim = "transformer_embed_dim"
	// ParamNumLayers (int): number of blocks; default 2.
	ParamNumLayers = "transformer_num_layers"
	// ParamNumHeads (int): attention heads; default 4.
	ParamNumHeads = "transformer_num_heads"
	// ParamHeadDim (int): dimension per head; default EmbedDim/NumHeads.
	ParamHeadDim = "transformer_head_dim"
	// ParamFFNDim (int): hidden width of the feed-forward layer; default 4*EmbedDim.
	ParamFFNDim = "transformer_ffn_dim"
	// ParamMaxLen (int): number of learned positions; default 1024.
	ParamMaxLen = "transformer_max_len"
	// ParamDropout (float64): dropout rate after attention and feed-forward
	// (training only); default 0.
	ParamDropout = "transformer_dropout"
)

// Defaults of the hyperparameters.
const (
	DefaultEmbedDim  = 64
	DefaultNumLayers = 2
	DefaultNumHeads  = 4
	DefaultMaxLen    = 1024
	// NormEpsilon is the layer normalization epsilon.
	NormEpsilon = 1e-5
)

// Config holds a model's hyperparameters. [NewConfig] reads them from a
// scope; the builders' WithConfig replaces them.
type Config struct {
	Attention                              Attention
	EmbedDim, NumLayers, NumHeads, HeadDim int
	FFNDim, MaxLen                         int
	Dropout                                float64
	// FAVOR options; zero values leave lib/performer's own parameters
	// (performer.ParamKernel, ...) and defaults in charge.
	Kernel      performer.Kernel
	NumFeatures int
	Redraw      performer.Redraw
	RedrawEvery int
	ChunkSize   int
	// Precision is the compute precision (default backend.Auto: by
	// backend; see ParamPrecision).
	Precision backend.Precision
	// Devices is the number of devices a [Run] trains and evaluates on,
	// data-parallel (default DefaultDevices: every device the backend has).
	// It is not a scope parameter (not in Params, not read by NewConfig),
	// so checkpoints do not record it and resume on any device count.
	Devices int
}

// NewConfig returns the hyperparameters set in scope (or its parents) with
// the Param... keys, defaults for the others.
func NewConfig(scope *model.Scope) Config {
	c := Config{
		Attention: Attention(model.GetParamOr(scope, ParamAttention, string(Exact))),
		EmbedDim:  model.GetParamOr(scope, ParamEmbedDim, DefaultEmbedDim),
		NumLayers: model.GetParamOr(scope, ParamNumLayers, DefaultNumLayers),
		NumHeads:  model.GetParamOr(scope, ParamNumHeads, DefaultNumHeads),
		HeadDim:   model.GetParamOr(scope, ParamHeadDim, 0),
		FFNDim:    model.GetParamOr(scope, ParamFFNDim, 0),
		MaxLen:    model.GetParamOr(scope, ParamMaxLen, DefaultMaxLen),
		Dropout:   model.GetParamOr(scope, ParamDropout, 0.0),
	}
	p, err := backend.ParsePrecision(model.GetParamOr(scope, ParamPrecision, string(backend.Auto)))
	if err != nil {
		panicf("scope parameter %s: %v", ParamPrecision, err)
	}
	c.Precision = p
	return c.withDefaults()
}

// withDefaults fills derived defaults and checks the config.
func (c Config) withDefaults() Config {
	if c.Attention == "" {
		c.Attention = Exact
	}
	if c.EmbedDim == 0 {
		c.EmbedDim = DefaultEmbedDim
	}
	if c.NumHeads == 0 {
		c.NumHeads = DefaultNumHeads
	}
	if c.HeadDim == 0 {
		c.HeadDim = max(1, c.EmbedDim/c.NumHeads)
	}
	if c.FFNDim == 0 {
		c.FFNDim = 4 * c.EmbedDim
	}
	if c.MaxLen == 0 {
		c.MaxLen = DefaultMaxLen
	}
	if c.Attention != Exact && c.Attention != FAVOR {
		panicf("unknown attention %q (want %q or %q)", c.Attention, Exact, FAVOR)
	}
	if c.EmbedDim < 1 || c.NumLayers < 0 || c.NumHeads < 1 || c.HeadDim < 1 || c.FFNDim < 1 || c.MaxLen < 1 {
		panicf("invalid config %+v", c)
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		panicf("dropout %g not in [0, 1)", c.Dropout)
	}
	if _, err := backend.ParsePrecision(string(c.Precision)); err != nil {
		panicf("Precision: %v", err)
	}
	if c.Devices < 0 {
		panicf("Devices %d: want 0 (every device) or a positive count", c.Devices)
	}
	return c
}

// Params returns the config as scope parameters (the FAVOR options under
// lib/performer's keys, when set), e.g. for store.SetParams: a model built
// from NewConfig(scope) then uses this config.
func (c Config) Params() map[string]any {
	p := map[string]any{
		ParamAttention: string(c.Attention), ParamEmbedDim: c.EmbedDim, ParamNumLayers: c.NumLayers,
		ParamNumHeads: c.NumHeads, ParamHeadDim: c.HeadDim, ParamFFNDim: c.FFNDim,
		ParamMaxLen: c.MaxLen, ParamDropout: c.Dropout,
	}
	if c.Kernel != "" {
		p[performer.ParamKernel] = string(c.Kernel)
	}
	if c.NumFeatures != 0 {
		p[performer.ParamNumFeatures] = c.NumFeatures
	}
	if c.Redraw != "" {
		p[performer.ParamRedraw] = string(c.Redraw)
	}
	if c.RedrawEvery != 0 {
		p[performer.ParamRedrawEvery] = c.RedrawEvery
	}
	if c.ChunkSize != 0 {
		p[performer.ParamChunkSize] = c.ChunkSize
	}
	if c.Precision != backend.Auto {
		p[ParamPrecision] = string(c.Precision)
	}
	return p
}

// String describes the attention of the config, e.g. "exact" or
// "favor(relu, m=64)".
func (c Config) String() string {
	if c.Attention != FAVOR {
		return string(c.Attention)
	}
	s := "favor("
	if c.Kernel != "" {
		s += string(c.Kernel)
	} else {
		s += "default kernel"
	}
	if c.NumFeatures != 0 {
		s += fmt.Sprintf(", m=%d", c.NumFeatures)
	}
	if c.Redraw != "" {
		s += ", redraw " + string(c.Redraw)
		if c.Redraw == performer.RedrawEverySteps && c.RedrawEvery != 0 {
			s += fmt.Sprintf(" %d", c.RedrawEvery)
		}
	}
	return s + ")"
}

// panicf panics with an error prefixed "transformer: ".
func panicf(format string, args ...any) {
	panic(errors.Errorf("transformer: "+format, args...))
}

// LayerNorm normalizes the last axis of x: (x - mean) / sqrt(var + NormEpsilon)
// * gain + offset, with variables "gain" (ones) and "offset" (zeros) in
// scope. Half-precision x is normalized in float32 (float32 variables) and
// the result converted back.
func LayerNorm(scope *model.Scope, x *Node) *Node {
	if dt := x.DType(); isHalf(dt) {
		return graph.ConvertDType(LayerNorm(scope, toFloat32(x)), dt)
	}
	g, dim := x.Graph(), x.Shape().Dim(-1)
	gain := scope.WithInitializer(initializer.One).VariableWithShape("gain", shapes.Make(x.DType(), dim)).NodeValue(g)
	offset := scope.WithInitializer(initializer.Zero).VariableWithShape("offset", shapes.Make(x.DType(), dim)).NodeValue(g)
	mean := graph.ReduceAndKeep(x, graph.ReduceMean, -1)
	centered := graph.Sub(x, mean)
	variance := graph.ReduceAndKeep(graph.Square(centered), graph.ReduceMean, -1)
	normed := graph.Div(centered, graph.Sqrt(graph.AddScalar(variance, NormEpsilon)))
	return graph.Add(graph.Mul(normed, graph.ExpandLeftToRank(gain, x.Rank())), graph.ExpandLeftToRank(offset, x.Rank()))
}

// Gelu is the tanh approximation of GELU, 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))),
// written with primitive operations: GoMLX v0.28.16's
// activation.GeluApproximate has a wrong gradient on the Go backend (its
// fused op's; off by up to ~0.1 per element, see TestGelu).
func Gelu(x *Node) *Node {
	inner := graph.MulScalar(graph.Add(x, graph.MulScalar(graph.Mul(x, graph.Square(x)), 0.044715)), math.Sqrt(2/math.Pi))
	return graph.Mul(graph.MulScalar(x, 0.5), graph.OnePlus(graph.Tanh(inner)))
}

// BlockBuilder builds one pre-normalization Transformer block:
//
//	x = x + Dropout(Attention(LayerNorm(x)))
//	x = x + Dropout(Dense(GELU(Dense(LayerNorm(x)))))
//
// Variables, under the block's scope:
//
//	attention_norm/{gain,offset}
//	attention/MultiHeadAttention/{query,key,value,output}/dense/{weights,biases}
//	ffn_norm/{gain,offset}
//	ffn/hidden/dense/{weights,biases}, ffn/output/dense/{weights,biases}
//
// The attention variables are GoMLX's attention.MultiHeadAttention's for
// both Exact and FAVOR attention, so a block's weights load into either.
type BlockBuilder struct {
	scope  *model.Scope
	x      *Node
	mask   *Node
	causal bool
	cfg    Config
}

// EncoderBlock starts a bidirectional block on x [batch, length, EmbedDim];
// its config comes from NewConfig(scope).
func EncoderBlock(scope *model.Scope, x *Node) *BlockBuilder {
	if x.Rank() != 3 {
		panicf("block input must be [batch, length, dim], got %s", x.Shape())
	}
	return &BlockBuilder{scope: scope, x: x, cfg: NewConfig(scope)}
}

// DecoderBlock starts a causal block (position i attends to positions <= i)
// on x [batch, length, EmbedDim].
func DecoderBlock(scope *model.Scope, x *Node) *BlockBuilder {
	b := EncoderBlock(scope, x)
	b.causal = true
	return b
}

// WithConfig replaces the block's config.
func (b *BlockBuilder) WithConfig(cfg Config) *BlockBuilder {
	b.cfg = cfg.withDefaults()
	return b
}

// WithMask sets a padding mask, bool [batch, length], true for real tokens:
// padded keys are not attended to and padded positions' attention outputs
// (after the output projection) are zero.
func (b *BlockBuilder) WithMask(mask *Node) *BlockBuilder {
	if mask != nil && (mask.Rank() != 2 || mask.DType() != dtypes.Bool) {
		panicf("mask must be bool [batch, length], got %s", mask.Shape())
	}
	b.mask = mask
	return b
}

// Done returns the block's output, shaped like its input.
func (b *BlockBuilder) Done() *Node {
	cfg, x, scope := b.cfg, b.x, b.scope
	if x.Shape().Dim(-1) != cfg.EmbedDim {
		panicf("block input dimension %d != EmbedDim %d", x.Shape().Dim(-1), cfg.EmbedDim)
	}
	h := LayerNorm(scope.In("attention_norm"), x)
	h = selfAttention(scope.In("attention"), h, b.mask, b.causal, cfg)
	x = graph.Add(x, dropout(scope, h, cfg.Dropout))

	h = LayerNorm(scope.In("ffn_norm"), x)
	ffn := scope.In("ffn")
	h = performer.Dense(ffn.In("hidden"), h, true, cfg.FFNDim)
	h = Gelu(h)
	h = performer.Dense(ffn.In("output"), h, true, cfg.EmbedDim)
	return graph.Add(x, dropout(scope, h, cfg.Dropout))
}

func dropout(scope *model.Scope, x *Node, rate float64) *Node {
	if rate <= 0 {
		return x
	}
	return layers.DropoutStatic(scope, x, rate)
}

// selfAttention runs the configured multi-head self-attention on x. With a
// mask, padded keys are not attended to and padded positions' outputs are
// zero (for both kinds of attention, so they agree).
func selfAttention(scope *model.Scope, x, mask *Node, causal bool, cfg Config) *Node {
	var out *Node
	switch {
	case cfg.Attention == Exact && isHalf(x.DType()):
		// lib/performer's exact kernel: GoMLX's attention with float32 master weights (same
		// variables); fused (cuDNN flash attention) on XLA, softmax in float32 elsewhere.
		a := performer.SelfAttention(scope, x, cfg.NumHeads, cfg.HeadDim).WithKernel(performer.KernelExact).
			WithFusion(strings.HasPrefix(x.Graph().Backend().Name(), "xla")).WithCausalMask(causal)
		if mask != nil {
			a = a.WithMask(mask)
		}
		out = a.Done()
	case cfg.Attention == Exact:
		// Fusion off: the Go backend's fused attention has no fused backward.
		a := attention.SelfAttention(scope, x, cfg.NumHeads, cfg.HeadDim).WithFusion(false).WithCausalMask(causal)
		if mask != nil {
			a = a.WithMask(mask)
		}
		out = a.Done()
	default:
		a := performer.SelfAttention(scope, x, cfg.NumHeads, cfg.HeadDim).WithCausalMask(causal)
		if cfg.Kernel != "" {
			a = a.WithKernel(cfg.Kernel)
		}
		if cfg.NumFeatures != 0 {
			a = a.WithNumFeatures(cfg.NumFeatures)
		}
		if cfg.Redraw != "" {
			a = a.WithRedraw(cfg.Redraw, cfg.RedrawEvery)
		}
		if cfg.ChunkSize != 0 {
			a = a.WithChunkSize(cfg.ChunkSize)
		}
		if mask != nil {
			a = a.WithMask(mask)
		}
		out = a.Done()
	}
	if mask != nil {
		out = graph.Where(graph.BroadcastToShape(graph.InsertAxes(mask, -1), out.Shape()), out, graph.ZerosLike(out))
	}
	return out
}

// embed returns token + learned position embeddings, [batch, length, EmbedDim],
// in the config's compute dtype (the tables are float32).
// Variables: token_embedding/embeddings [vocab, EmbedDim] and
// position_embedding/embeddings [MaxLen, EmbedDim].
func embed(scope *model.Scope, tokens *Node, vocabSize int, cfg Config) *Node {
	if tokens.Rank() != 2 || !tokens.DType().IsInt() {
		panicf("tokens must be integer [batch, length], got %s", tokens.Shape())
	}
	length := tokens.Shape().Dim(1)
	if length > cfg.MaxLen {
		panicf("sequence length %d exceeds MaxLen %d (set %s)", length, cfg.MaxLen, ParamMaxLen)
	}
	g := tokens.Graph()
	init := initializer.RandomNormalFn(scope, 0.02)
	x := layers.Embedding(scope.In("token_embedding").WithInitializer(init), tokens, dtypes.Float32, vocabSize, cfg.EmbedDim)
	posTable := scope.In("position_embedding").WithInitializer(init).
		VariableWithShape("embeddings", shapes.Make(dtypes.Float32, cfg.MaxLen, cfg.EmbedDim)).NodeValue(g)
	pos := graph.Slice(posTable, graph.AxisRange(0, length))
	return graph.ConvertDType(graph.Add(x, graph.InsertAxes(pos, 0)), cfg.Precision.DType(g.Backend()))
}

// LMBuilder builds a causal (decoder-only) Transformer language model.
type LMBuilder struct {
	scope     *model.Scope
	tokens    *Node
	vocabSize int
	cfg       Config
}

// LanguageModel starts a causal language model over tokens (int32 [batch,
// length]) whose Done returns next-token logits [batch, length, vocabSize].
// The default vocabulary is 256 (bytes). Variables, under scope:
//
//	token_embedding/embeddings, position_embedding/embeddings
//	layer_<i>/...   (see BlockBuilder; DecoderBlock)
//	final_norm/{gain,offset}
//	logits/dense/{weights,biases}
func LanguageModel(scope *model.Scope, tokens *Node) *LMBuilder {
	return &LMBuilder{scope: scope, tokens: tokens, vocabSize: 256, cfg: NewConfig(scope)}
}

// WithVocabSize sets the vocabulary size (default 256).
func (b *LMBuilder) WithVocabSize(n int) *LMBuilder { b.vocabSize = n; return b }

// WithConfig replaces the config read from the scope.
func (b *LMBuilder) WithConfig(cfg Config) *LMBuilder { b.cfg = cfg.withDefaults(); return b }

// Done returns the logits [batch, length, vocabSize], float32 in every precision.
func (b *LMBuilder) Done() *Node {
	x := embed(b.scope, b.tokens, b.vocabSize, b.cfg)
	for i := range b.cfg.NumLayers {
		x = DecoderBlock(b.scope.In("layer_%d", i), x).WithConfig(b.cfg).Done()
	}
	x = LayerNorm(b.scope.In("final_norm"), x)
	return toFloat32(performer.Dense(b.scope.In("logits"), x, true, b.vocabSize))
}

// ClassifierBuilder builds a bidirectional Transformer sequence classifier.
type ClassifierBuilder struct {
	scope      *model.Scope
	tokens     *Node
	mask       *Node
	vocabSize  int
	numClasses int
	cfg        Config
}

// Classifier starts a sequence classifier over tokens (int32 [batch,
// length]) whose Done returns logits [batch, numClasses]: encoder blocks,
// then the mean of the final normalized states over the (unmasked)
// positions, then a dense layer. The default vocabulary is 256. Variables:
// as LanguageModel's (with EncoderBlock layers) but classes/dense/... in
// place of logits/dense/....
func Classifier(scope *model.Scope, tokens *Node, numClasses int) *ClassifierBuilder {
	if numClasses < 2 {
		panicf("numClasses %d < 2", numClasses)
	}
	return &ClassifierBuilder{scope: scope, tokens: tokens, vocabSize: 256, numClasses: numClasses, cfg: NewConfig(scope)}
}

// WithVocabSize sets the vocabulary size (default 256).
func (b *ClassifierBuilder) WithVocabSize(n int) *ClassifierBuilder { b.vocabSize = n; return b }

// WithConfig replaces the config read from the scope.
func (b *ClassifierBuilder) WithConfig(cfg Config) *ClassifierBuilder {
	b.cfg = cfg.withDefaults()
	return b
}

// WithMask sets the padding mask, bool [batch, length], true for tokens.
func (b *ClassifierBuilder) WithMask(mask *Node) *ClassifierBuilder { b.mask = mask; return b }

// Done returns the class logits [batch, numClasses], float32 in every precision.
func (b *ClassifierBuilder) Done() *Node {
	x := embed(b.scope, b.tokens, b.vocabSize, b.cfg)
	for i := range b.cfg.NumLayers {
		x = EncoderBlock(b.scope.In("layer_%d", i), x).WithConfig(b.cfg).WithMask(b.mask).Done()
	}
	x = toFloat32(LayerNorm(b.scope.In("final_norm"), x)) // Pooling and classes in float32.
	var pooled *Node
	if b.mask == nil {
		pooled = graph.ReduceMean(x, 1)
	} else {
		m := graph.ConvertDType(graph.InsertAxes(b.mask, -1), x.DType())
		count := graph.Max(graph.ReduceSum(m, 1), graph.OnesLike(graph.ReduceSum(m, 1)))
		pooled = graph.Div(graph.ReduceSum(graph.Mul(x, m), 1), count)
	}
	return layers.Dense(b.scope.In("classes"), pooled, true, b.numClasses)
}

// LMModelFn returns a train.ModelFn for a language model of vocabSize whose
// config is read from the scope (see Config.Params): inputs[0] are tokens
// [batch, length]; it returns the logits.
func LMModelFn(vocabSize int) func(scope *model.Scope, spec any, inputs []*Node) []*Node {
	return func(scope *model.Scope, _ any, inputs []*Node) []*Node {
		return []*Node{LanguageModel(scope, inputs[0]).WithVocabSize(vocabSize).Done()}
	}
}

// ClassifierModelFn returns a train.ModelFn for a classifier whose config is
// read from the scope: inputs[0] are tokens [batch, length], the optional
// inputs[1] the bool padding mask.
func ClassifierModelFn(vocabSize, numClasses int) func(scope *model.Scope, spec any, inputs []*Node) []*Node {
	return func(scope *model.Scope, _ any, inputs []*Node) []*Node {
		c := Classifier(scope, inputs[0], numClasses).WithVocabSize(vocabSize)
		if len(inputs) > 1 {
			c = c.WithMask(inputs[1])
		}
		return []*Node{c.Done()}
	}
}
