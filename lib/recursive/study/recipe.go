package study

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/gomlx/compute"
	"github.com/labnotes/labnotes/lib/nb"
	"github.com/labnotes/labnotes/lib/recursive"
	"github.com/labnotes/labnotes/lib/recursive/arc"
	"github.com/labnotes/labnotes/lib/recursive/maze"
	"github.com/labnotes/labnotes/lib/recursive/puzzle"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

// Recipe is a published training recipe, what a notebook runs at scale gpu
// with its parameter recipe = "paper" (nb.RecipePaper): the model and
// optimizer (Config), the number of training steps, and how often the
// notebook evaluates on held-out puzzles and saves a checkpoint.
type Recipe struct {
	Name   string
	Config recursive.Config
	// Steps is the number of training steps: the reference's epochs x
	// examples per epoch / batch ([RecipeSteps]).
	Steps int
	// Every is the held-out evaluation and checkpoint period in steps
	// (recursive.Checkpointed saves after each evaluation: an interrupted
	// run loses at most Every steps).
	Every int
	// Source names the published command the recipe follows.
	Source string
	// Departures says where the recipe differs from Source and why ("" when
	// it does not).
	Departures string
	// Target is the paper's result with this recipe: exact accuracy on the
	// held-out puzzles (ARC: pass@2 on the evaluation tasks).
	Target float64
}

// The published recipes' numbers (shared/docs/recursive-reasoning.md; the
// commands of the TRM and HRM repositories' READMEs).
const (
	// TRMSudokuEpochs: TRM's Sudoku-Extreme command (epochs=50000,
	// eval_interval=5000, lr 1e-4, weight decay 1.0, EMA, T=3, n=6, MLP).
	TRMSudokuEpochs = 50_000
	// TRMMazeEpochs: TRM's Maze-Hard command (epochs=50000, n=4, attention).
	TRMMazeEpochs = 50_000
	// TRMARCEpochs: TRM's ARC-AGI-1 command (the defaults: epochs=100000,
	// lr 1e-4, puzzle embedding lr 1e-2, weight decay 0.1, n=4, attention).
	TRMARCEpochs = 100_000
	// HRMSudokuEpochs: HRM's one-GPU Sudoku-Extreme command (epochs=20000,
	// global_batch_size=384, lr 7e-5, puzzle_emb_lr 7e-5, weight decay 1.0).
	HRMSudokuEpochs = 20_000
	HRMSudokuBatch  = 384
	HRMSudokuLR     = 7e-5
	// SudokuTrainPuzzles is Sudoku-Extreme 1k's training set; MazeTrainMazes
	// is Maze-Hard's: one example each per epoch.
	SudokuTrainPuzzles = 1000
	MazeTrainMazes     = 1000
	// SudokuAugmentations: Sudoku-Extreme 1k-aug-1000 (1000 augmentations
	// per puzzle; one per epoch).
	SudokuAugmentations = 1000
	// OneGPUBatch is the batch of the attention recipes (Maze-Hard, ARC) on
	// one GPU instead of the papers' 768 (4 GPUs): TRM with attention on
	// 30x30 grids at batch 256 in bf16 has a 61.8 GB XLA live peak on an H200
	// (cmd/benchrecursive), so 768 would need ~185 GB; TRM's README trains
	// Maze-Hard on one GPU at batch 128 with the same learning rate and
	// epochs.
	OneGPUBatch = 256
	// PaperARCAugs is the number of augmentations per ARC task of the ARC
	// recipe (the paper: 1000). lib/recursive's puzzle-embedding table is
	// 16·512 floats per puzzle id and its gradient is dense: 800 tasks x
	// 1000 ids are a 26 GB table, and a step holds several copies (value,
	// gradient, update) beside the activations, by our estimate more than
	// one H200 (not measured); the ARC Prize team's HRM analysis found ~300
	// augmentations suffice (7.9 GB).
	PaperARCAugs = 300
	// PaperARCSide is the ARC recipe's canvas: 30x30, every task.
	PaperARCSide = 30
	// PaperARCVoteEvery is how often (steps) a notebook answers the held-out
	// ARC tasks under every augmentation and votes during the ARC recipe:
	// each vote predicts every test input PaperARCAugs times, so about a
	// dozen over the recipe's ~1.2 million steps.
	PaperARCVoteEvery = 100_000
	// PaperARCEvery is the ARC recipe's evaluation (of the fit on the ~3000
	// training pairs) and checkpoint period: longer than [RecipeEvery], for
	// a recipe of ~1.2 million steps.
	PaperARCEvery = 5000
	// RecipeEvery is the evaluation and checkpoint period of the recipes
	// (steps): minutes of training between checkpoints on an H200.
	RecipeEvery = 2000
)

// RecipeSteps returns the training steps of a recipe of epochs epochs of
// perEpoch examples at batch batch, as the references count them
// (int(epochs · examples / batch)).
func RecipeSteps(epochs, perEpoch, batch int) int {
	return int(int64(epochs) * int64(perEpoch) / int64(batch))
}

// TRMSudoku is TRM-MLP's Sudoku-Extreme recipe (87.4% exact in the paper):
// recursive.PaperConfig(TRM) on 9x9 Sudoku (hidden 512, 2 layers, T=3, n=6,
// N_sup=16, the MLP mixer, 16 prefix positions, EMA 0.999, AdamATan2 at 1e-4
// after 2000 warmup steps, weight decay 1.0, batch 768), 1000 augmentations
// per puzzle, 50,000 epochs of the 1000 puzzles: 65,104 steps.
func TRMSudoku() Recipe {
	c := recursive.PaperConfig(recursive.TRM, sudoku.Shape9.Cells(), sudoku.Vocab(sudoku.Shape9))
	c.PerPuzzle = SudokuAugmentations
	return Recipe{Name: "TRM-MLP, Sudoku-Extreme", Config: c, Steps: RecipeSteps(TRMSudokuEpochs, SudokuTrainPuzzles, c.Batch),
		Every: RecipeEvery, Source: "TRM's README, Sudoku-Extreme (pretrain_mlp_t_sudoku)", Target: 0.874}
}

// HRMSudoku is HRM's one-GPU Sudoku-Extreme recipe (55.0% exact in the
// paper): recursive.PaperConfig(HRM) on 9x9 Sudoku (hidden 512, 4 layers
// per module, N=2, T=2, N_sup=16 with Q-learning halting), batch 384, lr
// 7e-5 (puzzle embedding too), weight decay 1.0, 20,000 epochs of the 1000
// puzzles: 52,083 steps.
func HRMSudoku() Recipe {
	c := recursive.PaperConfig(recursive.HRM, sudoku.Shape9.Cells(), sudoku.Vocab(sudoku.Shape9))
	c.Batch, c.LearningRate, c.PuzzleEmbLR, c.PuzzleEmbDecay, c.PerPuzzle = HRMSudokuBatch, HRMSudokuLR, HRMSudokuLR, 1.0, SudokuAugmentations
	return Recipe{Name: "HRM, Sudoku-Extreme", Config: c.WithDefaults(), Steps: RecipeSteps(HRMSudokuEpochs, SudokuTrainPuzzles, HRMSudokuBatch),
		Every: RecipeEvery, Source: "HRM's README, Sudoku-Extreme single GPU", Target: 0.55}
}

// LoopedSudoku is the looped transformer (recursive.PaperConfig(Looped):
// HRM's sizes, 4 layers applied T=4 times) trained with [HRMSudoku]'s
// recipe: no paper publishes one for it on Sudoku.
func LoopedSudoku() Recipe {
	r := HRMSudoku()
	c := recursive.PaperConfig(recursive.Looped, sudoku.Shape9.Cells(), sudoku.Vocab(sudoku.Shape9))
	h := r.Config
	c.Batch, c.LearningRate, c.PuzzleEmbLR, c.PuzzleEmbDecay, c.PerPuzzle = h.Batch, h.LearningRate, h.PuzzleEmbLR, h.PuzzleEmbDecay, h.PerPuzzle
	r.Name, r.Config = "Looped transformer, Sudoku-Extreme", c.WithDefaults()
	r.Departures, r.Target = "no published recipe for a looped transformer on Sudoku: HRM's", 0
	return r
}

// SudokuRecipe returns the recipe of kind on Sudoku-Extreme: [TRMSudoku],
// [HRMSudoku] or [LoopedSudoku]; it panics on another kind.
func SudokuRecipe(kind recursive.Kind) Recipe {
	switch kind {
	case recursive.TRM:
		return TRMSudoku()
	case recursive.HRM:
		return HRMSudoku()
	case recursive.Looped:
		return LoopedSudoku()
	}
	panic(fmt.Sprintf("study: SudokuRecipe: no recipe for kind %q", kind))
}

// TRMMaze is TRM-attention's Maze-Hard recipe (85.3% exact in the paper):
// recursive.PaperConfig(TRM) with attention and n=4 on 30x30 mazes (hidden
// 512, 8 heads, 2 layers, T=3, N_sup=16, EMA 0.999, lr 1e-4, weight decay
// 1.0), 8 dihedral augmentations per maze, 50,000 epochs of the 1000 mazes
// at batch [OneGPUBatch] (the paper: 768 on 4 GPUs): 195,312 steps.
func TRMMaze() Recipe {
	c := recursive.PaperConfig(recursive.TRM, 30*30, len(maze.Chars)+1)
	c.Mixer, c.SmallN, c.Batch, c.PerPuzzle = recursive.MixAttention, 4, OneGPUBatch, 8
	return Recipe{Name: "TRM-attention, Maze-Hard", Config: c.WithDefaults(), Steps: RecipeSteps(TRMMazeEpochs, MazeTrainMazes, OneGPUBatch),
		Every: RecipeEvery / 2, Source: "TRM's README, Maze-Hard (pretrain_att_maze30x30)", Target: 0.853,
		Departures: fmt.Sprintf("batch %d instead of 768: 768 does not fit one GPU (TRM's README runs Maze-Hard on one GPU at batch 128, same lr and epochs)", OneGPUBatch)}
}

// TRMARC is TRM-attention's ARC-AGI-1 recipe (44.6% pass@2 in the paper)
// for d, an arc.Protocol dataset on a [PaperARCSide] canvas with
// [PaperARCAugs] augmentations per task: recursive.PaperConfig(TRM) with
// attention and n=4 (hidden 512, T=3, N_sup=16, EMA 0.999, lr 1e-4 after
// 2000 warmup steps, weight decay 0.1, puzzle embeddings by SignSGD at 1e-2
// with decay 0.1), 100,000 epochs of d's pairs (one augmentation of each
// task per epoch) at batch [OneGPUBatch].
func TRMARC(d *arc.Dataset) Recipe {
	c := recursive.PaperConfig(recursive.TRM, d.SeqLen(), arc.Vocab)
	c.Mixer, c.SmallN, c.Batch, c.WeightDecay = recursive.MixAttention, 4, OneGPUBatch, 0.1
	c.PuzzleEmbLR, c.PuzzleEmbDecay, c.NumPuzzleIDs, c.PerPuzzle = 1e-2, 0.1, d.NumPuzzleIDs(), d.PerTask
	return Recipe{Name: "TRM-attention, ARC-AGI-1", Config: c.WithDefaults(), Steps: RecipeSteps(TRMARCEpochs, d.Len(), OneGPUBatch),
		Every: PaperARCEvery, Source: "TRM's README, ARC-AGI-1 (pretrain_att_arc1concept_4, cfg_pretrain.yaml's defaults)", Target: 0.446,
		Departures: fmt.Sprintf("batch %d instead of 768 (one GPU); %d augmentations per task instead of 1000 (the dense puzzle-embedding table); ARC-AGI-1's training and evaluation tasks without ConceptARC (not in lib/datasets)",
			OneGPUBatch, d.PerTask)}
}

// String returns the recipe's name, steps and batch, e.g. "TRM-MLP,
// Sudoku-Extreme: 65104 steps of batch 768 (TRM's README, ...)".
func (r Recipe) String() string {
	s := fmt.Sprintf("%s: %d steps of batch %d (%s)", r.Name, r.Steps, r.Config.Batch, r.Source)
	if r.Departures != "" {
		s += "; differs: " + r.Departures
	}
	return s
}

// Pace returns the speed of the training steps of history (measured, for
// predicting a longer run): their number and wall time, leaving out the
// first step and any step over 10x the median (graph compilation, also
// after a resume).
func Pace(history []recursive.StepInfo) nb.Pace {
	p := nb.Pace{Unit: "training step"}
	if len(history) < 2 {
		return p
	}
	ds := make([]time.Duration, 0, len(history)-1)
	for _, h := range history[1:] {
		ds = append(ds, h.Duration)
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	limit := 10 * sorted[len(sorted)/2]
	for _, d := range ds {
		if d <= limit {
			p.Done++
			p.Seconds += d.Seconds()
		}
	}
	return p
}

// PaceWatch prints, once, the measured pace of the training steps it has
// been shown and the expected time of a recipe's steps at that pace: give
// its Step method each step (recursive.Trainer.OnStep) and call Eval after
// each held-out evaluation; the first Eval after at least two steps prints
// (the steps before it include the graph compilation, left out by [Pace]).
// A resumed run's earlier evaluations, replayed before any step, print
// nothing. The zero value prints nothing at all (a run that is not a
// recipe's).
type PaceWatch struct {
	Name  string // the recipe's name
	Steps int    // the recipe's training steps
	hist  []recursive.StepInfo
	done  bool
}

// Step records one training step.
func (w *PaceWatch) Step(s recursive.StepInfo) {
	if w != nil && w.Steps > 0 && !w.done {
		w.hist = append(w.hist, s)
	}
}

// Eval prints the pace line ([nb.Pace.Recipe]) the first time it is called
// after two recorded steps, and returns it ("" when it prints nothing).
func (w *PaceWatch) Eval() string {
	if w == nil || w.Steps <= 0 || w.done || len(w.hist) < 2 {
		return ""
	}
	w.done = true
	line := fmt.Sprintf("%s (steps %d..%d of %d)", Pace(w.hist).Recipe(w.Name, w.Steps), w.hist[0].Step, w.hist[len(w.hist)-1].Step, w.Steps)
	fmt.Println(line)
	w.hist = nil
	return line
}

// RunCheckpointed is [RunAll] for runs of hours: every run with every seed
// trains on train for steps(config) steps through recursive.Checkpointed,
// evaluated on test every every steps and saved after each evaluation under
// dir, so that a run of the notebook with the same dir resumes an
// interrupted run and reuses a finished one. A run's checkpoint is named by
// its configuration (seed included) and steps ([CheckpointName]), not by
// its run name: two sections that train the same configuration train it
// once. After each run's first evaluation it prints the run's measured pace
// and the expected time of its steps ([PaceWatch]), and after the run the
// pace over all its steps. The results are saved to dir/name.json as
// RunAll's ([Load]); Result.Seconds is the training time of the steps
// (recursive.Trainer.TrainSeconds, over resumes), and [Wall] their sum.
func RunCheckpointed(b compute.Backend, dir, name string, train, test puzzle.Source, runs []recursive.Run, seeds []uint64,
	steps func(recursive.Config) int, every int) ([]Result, error) {
	total := 0
	for _, r := range runs {
		total += len(seeds) * steps(r.Config)
	}
	p := nb.NewProgress(total, name)
	base := 0
	var out []Result
	for _, run := range runs {
		for _, seed := range seeds {
			cfg := run.Config
			cfg.Seed = seed
			n := steps(cfg)
			label := fmt.Sprintf("%s seed %d", run.Name, seed)
			w := &PaceWatch{Name: label, Steps: n}
			tr, err := recursive.Checkpointed(b, cfg, train, test, filepath.Join(dir, CheckpointName(cfg, n)), n, every, 0,
				func(s recursive.StepInfo) {
					w.Step(s)
					p.Update(base+s.Step, "run", label, "loss", s.Loss)
				}, func(recursive.EvalPoint) { w.Eval() })
			if err != nil {
				return nil, fmt.Errorf("study: RunCheckpointed %s: run %q seed %d: %w", name, run.Name, seed, err)
			}
			base += n
			last := tr.Evals[len(tr.Evals)-1]
			_, loss := LossCurve(tr.History, LossWindow)
			out = append(out, Result{Name: run.Name, Seed: seed, Exact: last.ExactAccuracy, Cell: last.CellAccuracy,
				ExactByStep: last.ExactByStep, Params: tr.NumParameters(), Seconds: tr.TrainSeconds(), Loss: loss})
			fmt.Printf("%s: %s\n", label, Pace(tr.History))
			tr.Close()
		}
	}
	p.Done()
	fmt.Printf("%d runs, %s of training steps\n", len(out), nb.Hours(time.Duration(Seconds(out)*float64(time.Second))))
	if err := save(dir, name, out, Seconds(out)); err != nil {
		return nil, fmt.Errorf("study: RunCheckpointed: %w", err)
	}
	return out, nil
}

// CheckpointName returns the file name of the checkpoint of a run of cfg
// (after WithDefaults) for steps steps: "run-" and a digest of both.
func CheckpointName(cfg recursive.Config, steps int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%+v/%d", cfg.WithDefaults(), steps))
	return fmt.Sprintf("run-%x.ckpt", h[:8])
}
