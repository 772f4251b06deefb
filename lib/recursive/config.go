package recursive

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/backend"
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
// given to [Step] (or its parents); [Config.Params] writes them (after
// [Config.WithDefaults]) and [NewConfig] reads them back. Each is the
// [Config] field of the same name.
const (
	ParamKind         = "recursive_kind"           // string, Config.Kind
	ParamSeqLen       = "recursive_seq_len"        // int, Config.SeqLen (required)
	ParamVocab        = "recursive_vocab"          // int, Config.Vocab (required)
	ParamNumPuzzleIDs = "recursive_num_puzzle_ids" // int, Config.NumPuzzleIDs
	ParamPuzzlePrefix = "recursive_puzzle_prefix"  // int, Config.PuzzlePrefix (0 with NoPuzzleEmb)
	ParamNoPuzzleEmb  = "recursive_no_puzzle_emb"  // bool, Config.NoPuzzleEmb
	ParamHidden       = "recursive_hidden"         // int, Config.Hidden
	ParamHeads        = "recursive_heads"          // int, Config.Heads
	ParamExpansion    = "recursive_expansion"      // float64, Config.Expansion
	ParamLayers       = "recursive_layers"         // int, Config.Layers
	ParamMixer        = "recursive_mixer"          // string, Config.Mixer
	ParamRopeTheta    = "recursive_rope_theta"     // float64, Config.RopeTheta
	ParamNormEps      = "recursive_norm_eps"       // float64, Config.NormEps
	ParamT            = "recursive_T"              // int, Config.T
	ParamN            = "recursive_N"              // int, Config.N
	ParamSmallN       = "recursive_n"              // int, Config.SmallN
	ParamNSup         = "recursive_N_sup"          // int, Config.NSup
	ParamOneStepGrad  = "recursive_one_step_grad"  // bool, Config.OneStepGrad
	ParamSeparateNets = "recursive_separate_nets"  // bool, Config.SeparateNets
	ParamSingleLatent = "recursive_single_latent"  // bool, Config.SingleLatent
	ParamHalting      = "recursive_halting"        // bool, !Config.NoHalting
	ParamQContinue    = "recursive_q_continue"     // bool, Config.QContinue (resolved: default true for HRM)
	ParamExploreProb  = "recursive_explore_prob"   // float64, Config.ExploreProb (0 with NoExplore)
	ParamNoExplore    = "recursive_no_explore"     // bool, Config.NoExplore
	ParamPrecision    = "recursive_precision"      // string, Config.Precision
)

// Defaults of the [Config] fields left zero, filled in by
// [Config.WithDefaults] (the only place that reads them). They are small,
// for a CPU; [PaperConfig] gives the published sizes.
const (
	DefaultKind         = TRM
	DefaultNumPuzzleIDs = 1
	DefaultPuzzlePrefix = 1
	DefaultHidden       = 64
	DefaultHeads        = 4
	DefaultExpansion    = 4.0
	DefaultLayers       = 2 // HRM: DefaultHRMLayers per module
	DefaultHRMLayers    = 4
	DefaultMixer        = MixAttention
	DefaultRopeTheta    = blocks.DefaultRopeTheta
	DefaultNormEps      = blocks.DefaultNormEps
	DefaultT            = 2 // HRM and Looped; TRM: DefaultTRMT
	DefaultTRMT         = 3
	DefaultN            = 2
	DefaultSmallN       = 6
	DefaultNSup         = 16 // Direct: 1
	DefaultExploreProb  = 0.1
	DefaultBatch        = 32
	DefaultLearningRate = blocks.DefaultLR
	DefaultBeta1        = blocks.DefaultBeta1
	DefaultBeta2        = blocks.DefaultBeta2
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
	SeqLen       int  // L: tokens of one puzzle (input and label).
	Vocab        int  // V: token values are 0..V-1; label token 0 is ignored.
	NumPuzzleIDs int  // Puzzle identifiers embedded in the prefix (default 1).
	PuzzlePrefix int  // P: prefix positions holding the puzzle embedding (default 1).
	NoPuzzleEmb  bool // No puzzle embedding: P = 0 (PuzzlePrefix is set to 0).

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

	// Precision is the compute precision: backend.Float32 or
	// backend.BFloat16 (mixed precision: the networks compute in bfloat16,
	// with float32 master weights (cast where used), optimizer state, EMA
	// and carried state; norms, softmax, RoPE, the heads' logits, the
	// losses and reductions in float32, or float64: the stablemax
	// cross-entropy); backend.Auto (empty) follows the backend where the
	// graph is built: bfloat16 on a GPU, float32 elsewhere (the Go backend). Weights, optimizer state, EMA and
	// checkpoints are float32 in both, so a checkpoint resumes in either.
	Precision backend.Precision

	// Devices is the number of devices (GPUs) of the backend a Trainer
	// spreads each batch over (data parallelism through XLA's SPMD
	// partitioner, lib/parallel): Batch is split evenly over them, the
	// weights, optimizer state and EMA are replicated, and the per-slot
	// carry lives with its slots' device. 0: every device the backend has
	// (the Go backend has one). It is not a model hyperparameter: no store
	// parameter holds it, and a checkpoint resumes on any device count
	// ([Resume] takes every device; see [Trainer.SetDevices]).
	Devices int

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
	// halting on). NoExplore turns exploration off (ExploreProb is set to 0).
	ExploreProb float64
	NoExplore   bool

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

// WithDefaults returns c with its zero fields set to the Default...
// constants (some depend on the Kind) and the booleans resolved
// (QContinue, NoPuzzleEmb, NoExplore); it panics ("recursive: ...") on an
// invalid config. It is idempotent.
func (c Config) WithDefaults() Config {
	orDefault(&c.Kind, DefaultKind)
	switch c.Kind {
	case TRM, HRM, Looped, Direct:
	default:
		panicf("unknown kind %q (want trm, hrm, looped or direct)", c.Kind)
	}
	if c.SeqLen <= 0 || c.Vocab <= 1 {
		panicf("SeqLen (%d) and Vocab (%d) must be set", c.SeqLen, c.Vocab)
	}
	layers, t, nSup := DefaultLayers, DefaultT, DefaultNSup
	switch c.Kind {
	case TRM:
		t = DefaultTRMT
	case HRM:
		layers = DefaultHRMLayers
	case Direct:
		nSup = 1
	}
	orDefault(&c.NumPuzzleIDs, DefaultNumPuzzleIDs)
	orDefault(&c.PuzzlePrefix, DefaultPuzzlePrefix)
	orDefault(&c.Hidden, DefaultHidden)
	orDefault(&c.Heads, DefaultHeads)
	orDefault(&c.Layers, layers)
	orDefault(&c.Expansion, DefaultExpansion)
	orDefault(&c.Mixer, DefaultMixer)
	orDefault(&c.RopeTheta, DefaultRopeTheta)
	orDefault(&c.NormEps, DefaultNormEps)
	orDefault(&c.T, t)
	orDefault(&c.N, DefaultN)
	orDefault(&c.SmallN, DefaultSmallN)
	orDefault(&c.NSup, nSup)
	orDefault(&c.Batch, DefaultBatch)
	orDefault(&c.LearningRate, DefaultLearningRate)
	orDefault(&c.Beta1, DefaultBeta1)
	orDefault(&c.Beta2, DefaultBeta2)
	orDefault(&c.PuzzleEmbLR, c.LearningRate)
	orDefault(&c.PuzzleEmbDecay, c.WeightDecay)
	if c.NoPuzzleEmb {
		c.PuzzlePrefix = 0
	}
	c.QContinue = (c.QContinue || c.Kind == HRM) && !c.NoQContinue
	if c.NoHalting || c.Kind == Direct || c.NoExplore {
		c.ExploreProb = 0
	} else {
		orDefault(&c.ExploreProb, DefaultExploreProb)
	}
	if c.Mixer != MixAttention && c.Mixer != MixMLP {
		panicf("unknown mixer %q (want attention or mlp)", c.Mixer)
	}
	if _, err := backend.ParsePrecision(string(c.Precision)); err != nil {
		panicf("Precision: %v", err)
	}
	if c.Devices < 0 {
		panicf("Devices is %d: want 0 (every device of the backend) or a positive count", c.Devices)
	}
	if c.Hidden < 1 || c.Heads < 1 || c.Hidden%c.Heads != 0 || (c.Hidden/c.Heads)%2 != 0 {
		panicf("Hidden (%d) must be a multiple of Heads (%d) with an even head dimension", c.Hidden, c.Heads)
	}
	if c.NumPuzzleIDs < 1 || c.PuzzlePrefix < 0 || c.Layers < 1 || c.T < 1 || c.N < 1 || c.SmallN < 1 || c.NSup < 1 || c.Batch < 1 {
		panicf("invalid config %+v", c)
	}
	if c.EMA < 0 || c.EMA >= 1 || c.ExploreProb < 0 || c.ExploreProb > 1 {
		panicf("EMA (%g) must be in [0, 1) and ExploreProb (%g) in [0, 1]", c.EMA, c.ExploreProb)
	}
	return c
}

// orDefault sets *v to def if it is the zero value.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Prefix returns P, the number of prefix positions (0 without puzzle
// embedding), of a config after [Config.WithDefaults].
func (c Config) Prefix() int { return c.PuzzlePrefix }

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

// params lists the model hyperparameters: each Param... key with a pointer
// to its field of c.
func (c *Config) params() []struct {
	key   string
	field any
} {
	halting := !c.NoHalting
	return []struct {
		key   string
		field any
	}{
		{ParamKind, &c.Kind}, {ParamSeqLen, &c.SeqLen}, {ParamVocab, &c.Vocab}, {ParamNumPuzzleIDs, &c.NumPuzzleIDs},
		{ParamPuzzlePrefix, &c.PuzzlePrefix}, {ParamNoPuzzleEmb, &c.NoPuzzleEmb}, {ParamHidden, &c.Hidden},
		{ParamHeads, &c.Heads}, {ParamExpansion, &c.Expansion}, {ParamLayers, &c.Layers}, {ParamMixer, &c.Mixer},
		{ParamRopeTheta, &c.RopeTheta}, {ParamNormEps, &c.NormEps}, {ParamT, &c.T}, {ParamN, &c.N},
		{ParamSmallN, &c.SmallN}, {ParamNSup, &c.NSup}, {ParamOneStepGrad, &c.OneStepGrad},
		{ParamSeparateNets, &c.SeparateNets}, {ParamSingleLatent, &c.SingleLatent},
		{ParamHalting, &halting}, {ParamQContinue, &c.QContinue}, {ParamExploreProb, &c.ExploreProb},
		{ParamNoExplore, &c.NoExplore}, {ParamPrecision, &c.Precision},
	}
}

// Params returns the model hyperparameters of c (after [Config.WithDefaults])
// as scope parameters (the Param... keys), e.g. for store.SetParams;
// [NewConfig] reads them back.
func (c Config) Params() map[string]any {
	c = c.WithDefaults()
	out := map[string]any{}
	for _, p := range c.params() {
		switch v := p.field.(type) {
		case *int:
			out[p.key] = *v
		case *float64:
			out[p.key] = *v
		case *bool:
			out[p.key] = *v
		case *Kind:
			out[p.key] = string(*v)
		case *Mixer:
			out[p.key] = string(*v)
		case *backend.Precision:
			out[p.key] = string(*v)
		}
	}
	return out
}

// NewConfig reads the model hyperparameters set in scope (or its parents)
// with the Param... keys, and returns them with defaults for the missing
// ones ([Config.WithDefaults]); training fields are left zero. It panics if
// ParamSeqLen or ParamVocab is missing.
func NewConfig(scope *model.Scope) Config {
	var c Config
	halting, qContinue := true, false
	for _, p := range c.params() {
		switch v := p.field.(type) {
		case *int:
			*v = model.GetParamOr(scope, p.key, *v)
		case *float64:
			*v = model.GetParamOr(scope, p.key, *v)
		case *bool:
			switch p.key {
			case ParamHalting:
				halting = model.GetParamOr(scope, p.key, true)
			case ParamQContinue:
				qContinue = model.GetParamOr(scope, p.key, c.Kind == HRM) // ParamKind is read first.
			default:
				*v = model.GetParamOr(scope, p.key, *v)
			}
		case *Kind:
			*v = Kind(model.GetParamOr(scope, p.key, string(*v)))
		case *Mixer:
			*v = Mixer(model.GetParamOr(scope, p.key, string(*v)))
		case *backend.Precision:
			pr, err := backend.ParsePrecision(model.GetParamOr(scope, p.key, string(*v)))
			if err != nil {
				panicf("scope parameter %s: %v", p.key, err)
			}
			*v = pr
		}
	}
	c.NoHalting = !halting
	c.QContinue, c.NoQContinue = qContinue, !qContinue
	return c.WithDefaults()
}

func panicf(format string, args ...any) {
	panic(errors.Errorf("recursive: "+format, args...))
}

// computeDType is the dtype the networks of g compute in (see
// Config.Precision).
func (c Config) computeDType(g *graph.Graph) dtypes.DType { return c.Precision.DType(g.Backend()) }
