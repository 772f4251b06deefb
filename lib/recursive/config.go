package recursive

import (
	"fmt"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/lib/recursive/blocks"
)

// Kind selects the model a [Config] builds.
type Kind string

// The model kinds. All share the input embedding, the output head and the
// halting head; they differ in the carried state and in one supervision step.
const (
	// TRM is the Tiny Recursive Model: answer y and latent z, one network f;
	// per supervision step T recursions of {n times z = f(z+y+x); y = f(y+z)},
	// the first T-1 without gradient. State: [y, z] (or [z], SingleLatent).
	TRM Kind = "trm"
	// HRM is the Hierarchical Reasoning Model: low and high modules f_L, f_H;
	// per supervision step N cycles of T low steps zL = f_L(zL+zH+x), each
	// cycle ending with zH = f_H(zH+zL); only the last zL and zH updates get
	// gradient (1-step gradient). State: [zH, zL].
	HRM Kind = "hrm"
	// Looped is a plain transformer f applied T times per supervision step,
	// h = f(h+x), with full gradient (the ARC Prize team's baseline). State: [h].
	Looped Kind = "looped"
	// Direct is a non-recursive transformer: h = f(x), the carried state is
	// ignored (use NSup = 1). State: [h].
	Direct Kind = "direct"
)

// Mixer is the token-mixing layer of a block (blocks.Mixer).
type Mixer = blocks.Mixer

const (
	// MixAttention is non-causal multi-head self-attention with RoPE.
	MixAttention = blocks.MixAttention
	// MixMLP is a SwiGLU across the sequence axis (MLP-Mixer style), TRM's
	// Sudoku variant.
	MixMLP = blocks.MixMLP
)

// Hyperparameters of the model, read with model.GetParamOr from the scope
// given to [Step] (or its parents); [Config.Params] writes them.
const (
	ParamKind         = "recursive_kind"           // string, a [Kind]; default "trm"
	ParamSeqLen       = "recursive_seq_len"        // int, L: puzzle tokens (required)
	ParamVocab        = "recursive_vocab"          // int, V: token vocabulary (required)
	ParamNumPuzzleIDs = "recursive_num_puzzle_ids" // int: puzzle identifiers; default 1
	ParamPuzzlePrefix = "recursive_puzzle_prefix"  // int, P: puzzle-embedding prefix tokens; default 1
	ParamHidden       = "recursive_hidden"         // int, D; default 64
	ParamHeads        = "recursive_heads"          // int; default 4
	ParamExpansion    = "recursive_expansion"      // float64, SwiGLU expansion; default 4
	ParamLayers       = "recursive_layers"         // int, blocks per network; default 2 (HRM: 4)
	ParamMixer        = "recursive_mixer"          // string, a [Mixer]; default "attention"
	ParamRopeTheta    = "recursive_rope_theta"     // float64; default 10000
	ParamNormEps      = "recursive_norm_eps"       // float64; default 1e-5
	ParamT            = "recursive_T"              // int, T; default 3 (TRM), 2 (HRM, Looped)
	ParamN            = "recursive_N"              // int, HRM's N; default 2
	ParamSmallN       = "recursive_n"              // int, TRM's n; default 6
	ParamNSup         = "recursive_N_sup"          // int, N_sup; default 16 (1 for Direct)
	ParamOneStepGrad  = "recursive_one_step_grad"  // bool, TRM ablation
	ParamSeparateNets = "recursive_separate_nets"  // bool, TRM ablation: f_L, f_H
	ParamLoop         = "recursive_loop"           // bool: no-grad recursions as a While loop on XLA
	ParamSingleLatent = "recursive_single_latent"  // bool, TRM ablation: state z only
	ParamHalting      = "recursive_halting"        // bool, adaptive halting; default true
	ParamQContinue    = "recursive_q_continue"     // bool, Q-learning continue loss; default true for HRM
	ParamExploreProb  = "recursive_explore_prob"   // float64, halting exploration; default 0.1 (-1: none)
)

// PaperConfig returns the published setting of a kind (see
// shared/docs/recursive-reasoning.md) for puzzles of seqLen tokens and
// vocab token values: hidden 512, 8 heads, expansion 4, N_sup 16, AdamATan2
// at 1e-4 (betas 0.9, 0.95) with weight decay 1.0 (Sudoku/Maze) after 2000
// warmup steps, batch 768. TRM: 2 layers, T = 3, n = 6, the MLP mixer
// (Sudoku; use MixAttention for Maze/ARC), 16 prefix positions, EMA 0.999,
// puzzle embedding at lr 1e-4. HRM: 4 layers per module, N = 2, T = 2,
// attention, one prefix position, Q-learning halting, puzzle embedding at
// lr 1e-2, decay 0.1. Looped and Direct: HRM's sizes (8 layers for
// Direct, the depth of HRM's two modules; Looped T = 4). These are
// GPU-sized; the zero-value defaults of [Config.WithDefaults] are small.
func PaperConfig(kind Kind, seqLen, vocab int) Config {
	c := Config{Kind: kind, SeqLen: seqLen, Vocab: vocab, Hidden: 512, Heads: 8, Expansion: 4, NSup: 16,
		LearningRate: 1e-4, Beta1: 0.9, Beta2: 0.95, WeightDecay: 1.0, Warmup: 2000, Batch: 768}
	switch kind {
	case TRM:
		c.Layers, c.T, c.SmallN, c.Mixer, c.PuzzlePrefix, c.EMA = 2, 3, 6, MixMLP, 16, 0.999
		c.PuzzleEmbLR, c.PuzzleEmbDecay = 1e-4, 1.0
	case HRM:
		c.Layers, c.N, c.T, c.Mixer, c.PuzzlePrefix = 4, 2, 2, MixAttention, 1
		c.PuzzleEmbLR, c.PuzzleEmbDecay = 1e-2, 0.1
	case Looped:
		c.Layers, c.T, c.Mixer, c.PuzzlePrefix = 4, 4, MixAttention, 1
		c.PuzzleEmbLR, c.PuzzleEmbDecay = 1e-2, 0.1
	case Direct:
		c.Layers, c.NSup, c.Mixer, c.PuzzlePrefix = 8, 1, MixAttention, 1
		c.PuzzleEmbLR, c.PuzzleEmbDecay = 1e-2, 0.1
	}
	return c.WithDefaults()
}

// Config describes a model and how it is trained. Shapes use B for the
// batch, L = SeqLen puzzle tokens, P = PuzzlePrefix, S = P+L positions,
// D = Hidden and V = Vocab. The zero values of the fields mean "default"
// (see [Config.WithDefaults]) except for the booleans.
type Config struct {
	Kind Kind

	// Data.
	SeqLen       int // L: tokens of one puzzle (input and label).
	Vocab        int // V: token values are 0..V-1; label token 0 is ignored.
	NumPuzzleIDs int // Puzzle identifiers embedded in the prefix (default 1).
	PuzzlePrefix int // P: prefix positions holding the puzzle embedding (default 1; -1 for none).

	// Network (each of f, f_L, f_H): Layers post-norm blocks.
	Hidden, Heads, Layers int
	Expansion             float64
	Mixer                 Mixer
	RopeTheta, NormEps    float64

	// Recursion, named as in the papers.
	// TRM: T recursions (the first T-1 without gradient) of n latent updates
	// and one answer update. HRM: N cycles of T low-level steps. Looped: T
	// applications of f.
	T, N int
	// SmallN is TRM's n (latent updates per recursion).
	SmallN int
	// NSup is N_sup, the maximum number of supervision steps per example.
	NSup int

	// Loop builds the no-gradient recursions as a graph While loop instead
	// of unrolling them, on XLA only (the Go backend always unrolls): a
	// smaller graph, meant to compile faster. Experimental: the check that
	// it gives the unrolled values on XLA (TestBackendLoops) has not been run
	// on a GPU yet.
	Loop bool

	// TRM ablations.
	OneStepGrad  bool // Gradient only through the last z and y updates (HRM's 1-step gradient).
	SeparateNets bool // Two networks: f_L for z updates, f_H for y updates.
	SingleLatent bool // One state z: n times z = f(z+x), then z = f(z); heads read z.

	// Halting. NoHalting turns adaptive halting off: every example runs
	// NSup supervision steps and the halting head is not trained.
	NoHalting bool
	// QContinue trains HRM's q_continue (Q-learning target from an extra
	// forward pass) and halts when q_halt > q_continue; without it the
	// model halts when q_halt > 0 (TRM). Defaults to true for HRM (see
	// [Config.WithDefaults]); set NoQContinue to force it off.
	QContinue, NoQContinue bool
	// ExploreProb is the probability, per slot and step, of drawing a
	// minimum number of steps in [2, NSup] before the halting head may halt
	// the slot (the exploration of HRM's and TRM's code; default 0.1 with
	// halting on; -1 for none).
	ExploreProb float64

	// Training.
	Batch          int     // B, slots of the training batch (default 32).
	PerPuzzle      int     // examples per base puzzle and epoch: the puzzle and PerPuzzle-1 augmentations (default 1)
	LearningRate   float64 // default 1e-4
	Warmup         int     // linear warmup steps, then constant (default 0)
	WeightDecay    float64 // decoupled weight decay of the network (default 0)
	Beta1, Beta2   float64 // AdamATan2 (default 0.9, 0.95)
	PuzzleEmbLR    float64 // SignSGD learning rate of the puzzle embedding (default LearningRate)
	PuzzleEmbDecay float64 // weight decay of the puzzle embedding (default WeightDecay)
	EMA            float64 // decay of the weights' EMA used by Evaluate (0: off; TRM: 0.999)
	Seed           uint64  // initialization, data order, exploration
}

// WithDefaults returns c with defaults filled in; it panics (prefix
// "recursive: ") on an invalid config.
func (c Config) WithDefaults() Config {
	if c.Kind == "" {
		c.Kind = TRM
	}
	switch c.Kind {
	case TRM, HRM, Looped, Direct:
	default:
		panicf("unknown kind %q (want trm, hrm, looped or direct)", c.Kind)
	}
	if c.SeqLen <= 0 || c.Vocab <= 1 {
		panicf("SeqLen (%d) and Vocab (%d) must be set", c.SeqLen, c.Vocab)
	}
	if c.NumPuzzleIDs == 0 {
		c.NumPuzzleIDs = 1
	}
	if c.PuzzlePrefix == 0 {
		c.PuzzlePrefix = 1
	} else if c.PuzzlePrefix < 0 {
		c.PuzzlePrefix = -1
	}
	if c.Hidden == 0 {
		c.Hidden = 64
	}
	if c.Heads == 0 {
		c.Heads = 4
	}
	if c.Layers == 0 {
		c.Layers = 2
		if c.Kind == HRM {
			c.Layers = 4
		}
	}
	if c.Expansion == 0 {
		c.Expansion = 4
	}
	if c.Mixer == "" {
		c.Mixer = MixAttention
	}
	if c.Mixer != MixAttention && c.Mixer != MixMLP {
		panicf("unknown mixer %q (want attention or mlp)", c.Mixer)
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if c.NormEps == 0 {
		c.NormEps = 1e-5
	}
	if c.T == 0 {
		c.T = 2
		if c.Kind == TRM {
			c.T = 3
		}
	}
	if c.N == 0 {
		c.N = 2
	}
	if c.SmallN == 0 {
		c.SmallN = 6
	}
	if c.NSup == 0 {
		c.NSup = 16
		if c.Kind == Direct {
			c.NSup = 1
		}
	}
	if c.Kind == HRM && !c.NoQContinue {
		c.QContinue = true
	}
	if c.NoQContinue {
		c.QContinue = false
	}
	if c.ExploreProb == 0 && !c.NoHalting && c.Kind != Direct {
		c.ExploreProb = 0.1
	}
	if c.Batch == 0 {
		c.Batch = 32
	}
	if c.LearningRate == 0 {
		c.LearningRate = 1e-4
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.95
	}
	if c.PuzzleEmbLR == 0 {
		c.PuzzleEmbLR = c.LearningRate
	}
	if c.PuzzleEmbDecay == 0 {
		c.PuzzleEmbDecay = c.WeightDecay
	}
	if c.Hidden < 1 || c.Heads < 1 || c.Hidden%c.Heads != 0 || (c.Hidden/c.Heads)%2 != 0 {
		panicf("Hidden (%d) must be a multiple of Heads (%d) with an even head dimension", c.Hidden, c.Heads)
	}
	if c.Layers < 1 || c.T < 1 || c.N < 1 || c.SmallN < 1 || c.NSup < 1 || c.Batch < 1 {
		panicf("invalid config %+v", c)
	}
	if c.EMA < 0 || c.EMA >= 1 || c.ExploreProb > 1 {
		panicf("EMA (%g) must be in [0, 1) and ExploreProb (%g) in [0, 1]", c.EMA, c.ExploreProb)
	}
	return c
}

// Prefix returns P, the number of prefix positions (0 without puzzle embedding).
func (c Config) Prefix() int { return max(c.PuzzlePrefix, 0) }

// Positions returns S = P + L, the length of the sequences the networks see.
func (c Config) Positions() int { return c.Prefix() + c.SeqLen }

// NumStates is the number of [B, S, D] tensors carried between supervision
// steps: TRM [y, z] (or [z]), HRM [zH, zL], Looped and Direct [h].
func (c Config) NumStates() int {
	switch {
	case c.Kind == HRM, c.Kind == TRM && !c.SingleLatent:
		return 2
	}
	return 1
}

// StateNames names the carried states, in order.
func (c Config) StateNames() []string {
	switch {
	case c.Kind == HRM:
		return []string{"zH", "zL"}
	case c.Kind == TRM && !c.SingleLatent:
		return []string{"y", "z"}
	case c.Kind == TRM:
		return []string{"z"}
	}
	return []string{"h"}
}

// Params returns the model hyperparameters as scope parameters (the Param...
// keys), e.g. for store.SetParams; [NewConfig] reads them back.
func (c Config) Params() map[string]any {
	c = c.WithDefaults()
	return map[string]any{
		ParamKind: string(c.Kind), ParamSeqLen: c.SeqLen, ParamVocab: c.Vocab,
		ParamNumPuzzleIDs: c.NumPuzzleIDs, ParamPuzzlePrefix: c.PuzzlePrefix,
		ParamHidden: c.Hidden, ParamHeads: c.Heads, ParamExpansion: c.Expansion, ParamLayers: c.Layers,
		ParamMixer: string(c.Mixer), ParamRopeTheta: c.RopeTheta, ParamNormEps: c.NormEps,
		ParamT: c.T, ParamN: c.N, ParamSmallN: c.SmallN, ParamNSup: c.NSup,
		ParamLoop: c.Loop, ParamOneStepGrad: c.OneStepGrad, ParamSeparateNets: c.SeparateNets, ParamSingleLatent: c.SingleLatent,
		ParamHalting: !c.NoHalting, ParamQContinue: c.QContinue, ParamExploreProb: c.ExploreProb,
	}
}

// NewConfig reads the model hyperparameters set in scope (or its parents)
// with the Param... keys; training fields are left zero. It panics if
// ParamSeqLen or ParamVocab is missing.
func NewConfig(scope *model.Scope) Config {
	c := Config{
		Kind:         Kind(model.GetParamOr(scope, ParamKind, string(TRM))),
		SeqLen:       model.GetParamOr(scope, ParamSeqLen, 0),
		Vocab:        model.GetParamOr(scope, ParamVocab, 0),
		NumPuzzleIDs: model.GetParamOr(scope, ParamNumPuzzleIDs, 1),
		PuzzlePrefix: model.GetParamOr(scope, ParamPuzzlePrefix, 1),
		Hidden:       model.GetParamOr(scope, ParamHidden, 64),
		Heads:        model.GetParamOr(scope, ParamHeads, 4),
		Expansion:    model.GetParamOr(scope, ParamExpansion, 4.0),
		Layers:       model.GetParamOr(scope, ParamLayers, 0),
		Mixer:        Mixer(model.GetParamOr(scope, ParamMixer, string(MixAttention))),
		RopeTheta:    model.GetParamOr(scope, ParamRopeTheta, 10000.0),
		NormEps:      model.GetParamOr(scope, ParamNormEps, 1e-5),
		T:            model.GetParamOr(scope, ParamT, 0),
		N:            model.GetParamOr(scope, ParamN, 2),
		SmallN:       model.GetParamOr(scope, ParamSmallN, 6),
		NSup:         model.GetParamOr(scope, ParamNSup, 0),
		Loop:         model.GetParamOr(scope, ParamLoop, false),
		OneStepGrad:  model.GetParamOr(scope, ParamOneStepGrad, false),
		SeparateNets: model.GetParamOr(scope, ParamSeparateNets, false),
		SingleLatent: model.GetParamOr(scope, ParamSingleLatent, false),
		NoHalting:    !model.GetParamOr(scope, ParamHalting, true),
		ExploreProb:  model.GetParamOr(scope, ParamExploreProb, 0.0),
	}
	if model.GetParamOr(scope, ParamQContinue, c.Kind == HRM) {
		c.QContinue = true
	} else {
		c.NoQContinue = true
	}
	if c.ExploreProb == 0 {
		c.ExploreProb = -1 // Params wrote the defaulted value: 0 means none.
	}
	return c.WithDefaults()
}

func panicf(format string, args ...any) {
	panic(fmt.Sprintf("recursive: "+format, args...))
}
