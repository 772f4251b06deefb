package blocks

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"
)

// Node is GoMLX's graph node.
type Node = graph.Node

// Mixer selects how a [Block] mixes information across tokens.
type Mixer string

const (
	// MixAttention is non-causal multi-head self-attention with RoPE
	// ([Attention]): HRM, and TRM on Maze and ARC.
	MixAttention Mixer = "attention"
	// MixMLP is TRM's MLP variant: a SwiGLU across the sequence axis
	// ([TokenMixer]), used by TRM on Sudoku.
	MixMLP Mixer = "mlp"
)

// Hyperparameters, read with model.GetParamOr from the scope given to
// [NewConfig] (or its parents): each is the [Config] field of the same name
// (a zero or missing value takes the Default... constant).
const (
	ParamHidden    = "blocks_hidden"     // int
	ParamHeads     = "blocks_heads"      // int
	ParamHeadDim   = "blocks_head_dim"   // int (default Hidden/Heads)
	ParamExpansion = "blocks_expansion"  // float64
	ParamMixer     = "blocks_mixer"      // string, a [Mixer] (default MixAttention)
	ParamRopeTheta = "blocks_rope_theta" // float64
	ParamNoRope    = "blocks_no_rope"    // bool
	ParamNormEps   = "blocks_norm_eps"   // float64
)

// Defaults of the hyperparameters (HRM's and TRM's), of the optimizers and
// of the EMA, filled in for zero fields by the withDefaults methods.
const (
	DefaultHidden    = 512
	DefaultHeads     = 8
	DefaultExpansion = 4.0
	DefaultRopeTheta = 10000.0
	DefaultNormEps   = 1e-5
	// AdamATan2's learning rate and betas (HRM's and TRM's), A and B (the
	// adam-atan2 package's).
	DefaultLR, DefaultBeta1, DefaultBeta2 = 1e-4, 0.9, 0.95
	DefaultA, DefaultB                    = 1.0, 1.0
	// DefaultSignLR is SignSGD's learning rate (HRM's puzzle_emb_lr).
	DefaultSignLR = 1e-2
	// DefaultEMARate is the EMA's decay (TRM's).
	DefaultEMARate = 0.999
)

// Config holds the hyperparameters of a [Block]. Zero values take the
// defaults (see withDefaults); [NewConfig] reads them from a scope.
type Config struct {
	// Hidden is the model width D (the last axis of a block's input).
	Hidden int
	// Heads is the number of attention heads; HeadDim the dimension of
	// each (default Hidden/Heads).
	Heads, HeadDim int
	// Expansion is the SwiGLU expansion (see [SwiGLUInter]).
	Expansion float64
	// Mixer is the token mixer of a block: [MixAttention] or [MixMLP].
	Mixer Mixer
	// RopeTheta is the RoPE base; NoRope disables RoPE in [Attention]
	// (the papers always use it; NoRope exists for tests and ablations).
	RopeTheta float64
	NoRope    bool
	// NormEps is the RMSNorm epsilon.
	NormEps float64
}

// NewConfig returns the hyperparameters set in scope (or its parents) with
// the Param... keys, defaults for the others.
func NewConfig(scope *model.Scope) Config {
	return Config{
		Hidden:    model.GetParamOr(scope, ParamHidden, 0),
		Heads:     model.GetParamOr(scope, ParamHeads, 0),
		HeadDim:   model.GetParamOr(scope, ParamHeadDim, 0),
		Expansion: model.GetParamOr(scope, ParamExpansion, 0.0),
		Mixer:     Mixer(model.GetParamOr(scope, ParamMixer, "")),
		RopeTheta: model.GetParamOr(scope, ParamRopeTheta, 0.0),
		NoRope:    model.GetParamOr(scope, ParamNoRope, false),
		NormEps:   model.GetParamOr(scope, ParamNormEps, 0.0),
	}.WithDefaults()
}

// WithDefaults returns the config with its zero fields set to the defaults,
// and panics ("blocks: ...") if it is invalid. The builders call it.
func (c Config) WithDefaults() Config { return c.withDefaults() }

func (c Config) withDefaults() Config {
	orDefault(&c.Hidden, DefaultHidden)
	orDefault(&c.Heads, DefaultHeads)
	if c.Heads > 0 {
		orDefault(&c.HeadDim, c.Hidden/c.Heads)
	}
	orDefault(&c.Expansion, DefaultExpansion)
	orDefault(&c.Mixer, MixAttention)
	orDefault(&c.RopeTheta, DefaultRopeTheta)
	orDefault(&c.NormEps, DefaultNormEps)
	if c.Mixer != MixAttention && c.Mixer != MixMLP {
		panicf("unknown mixer %q (want %q or %q)", c.Mixer, MixAttention, MixMLP)
	}
	if c.Hidden < 1 || c.Heads < 1 || c.HeadDim < 1 || c.Expansion <= 0 || c.RopeTheta <= 0 || c.NormEps < 0 {
		panicf("invalid config %+v", c)
	}
	if c.Mixer == MixAttention && !c.NoRope && c.HeadDim%2 != 0 {
		panicf("RoPE needs an even HeadDim, got %d", c.HeadDim)
	}
	return c
}

// Params returns the config as scope parameters (for store.SetParams): a
// model built from NewConfig(scope) then uses this config.
func (c Config) Params() map[string]any {
	return map[string]any{
		ParamHidden: c.Hidden, ParamHeads: c.Heads, ParamHeadDim: c.HeadDim, ParamExpansion: c.Expansion,
		ParamMixer: string(c.Mixer), ParamRopeTheta: c.RopeTheta, ParamNoRope: c.NoRope, ParamNormEps: c.NormEps,
	}
}

// orDefault sets *v to def if it is the zero value.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func panicf(format string, args ...any) {
	panic(errors.Errorf("blocks: "+format, args...))
}
