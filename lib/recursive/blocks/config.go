package blocks

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
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
// [NewConfig] (or its parents).
const (
	// ParamHidden (int): model width D; default 512.
	ParamHidden = "blocks_hidden"
	// ParamHeads (int): attention heads; default 8.
	ParamHeads = "blocks_heads"
	// ParamHeadDim (int): dimension per head; default Hidden/Heads.
	ParamHeadDim = "blocks_head_dim"
	// ParamExpansion (float64): SwiGLU expansion; default 4.
	ParamExpansion = "blocks_expansion"
	// ParamMixer (string, a [Mixer]): "attention" (default) or "mlp".
	ParamMixer = "blocks_mixer"
	// ParamRopeTheta (float64): RoPE base; default 10000.
	ParamRopeTheta = "blocks_rope_theta"
	// ParamNoRope (bool): disable RoPE in [Attention]; default false.
	ParamNoRope = "blocks_no_rope"
	// ParamNormEps (float64): RMSNorm epsilon; default 1e-5.
	ParamNormEps = "blocks_norm_eps"
)

// Defaults of the hyperparameters (HRM's and TRM's).
const (
	DefaultHidden    = 512
	DefaultHeads     = 8
	DefaultExpansion = 4.0
	DefaultRopeTheta = 10000.0
	DefaultNormEps   = 1e-5
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
		Hidden:    model.GetParamOr(scope, ParamHidden, DefaultHidden),
		Heads:     model.GetParamOr(scope, ParamHeads, DefaultHeads),
		HeadDim:   model.GetParamOr(scope, ParamHeadDim, 0),
		Expansion: model.GetParamOr(scope, ParamExpansion, DefaultExpansion),
		Mixer:     Mixer(model.GetParamOr(scope, ParamMixer, string(MixAttention))),
		RopeTheta: model.GetParamOr(scope, ParamRopeTheta, DefaultRopeTheta),
		NoRope:    model.GetParamOr(scope, ParamNoRope, false),
		NormEps:   model.GetParamOr(scope, ParamNormEps, DefaultNormEps),
	}.WithDefaults()
}

// WithDefaults returns the config with its zero fields set to the defaults,
// and panics ("blocks: ...") if it is invalid. The builders call it.
func (c Config) WithDefaults() Config { return c.withDefaults() }

func (c Config) withDefaults() Config {
	if c.Hidden == 0 {
		c.Hidden = DefaultHidden
	}
	if c.Heads == 0 {
		c.Heads = DefaultHeads
	}
	if c.HeadDim == 0 && c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	if c.Expansion == 0 {
		c.Expansion = DefaultExpansion
	}
	if c.Mixer == "" {
		c.Mixer = MixAttention
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = DefaultRopeTheta
	}
	if c.NormEps == 0 {
		c.NormEps = DefaultNormEps
	}
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

func panicf(format string, args ...any) {
	panic(fmt.Sprintf("blocks: "+format, args...))
}
