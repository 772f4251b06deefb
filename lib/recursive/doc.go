// Package recursive is the recursive-reasoning pillar of Labnotes: TRM (Tiny
// Recursive Model, Jolicoeur-Martineau 2025), HRM (Hierarchical Reasoning
// Model, Wang et al. 2025) and two baselines, a plain transformer looped T
// times per supervision step and a direct (non-recursive) transformer, all
// trained with deep supervision and adaptive halting on a [puzzle.Source].
//
// The pillar's packages:
//
//   - recursive (this package): the models, training with deep supervision
//     and halting, one inference path for evaluation, prediction and ARC,
//     checkpoints, mixed precision.
//   - lib/recursive/blocks: the layers (post-norm blocks, RMSNorm, SwiGLU,
//     RoPE attention or MLP token mixing), stablemax cross-entropy,
//     AdamATan2 and SignSGD, EMA of weights, puzzle embeddings.
//   - lib/recursive/sudoku, lib/recursive/maze, lib/recursive/arc: the puzzle
//     data (load, generate, solve, augment, score).
//   - lib/recursive/puzzle: streamed augmented batches, leak-free splits.
//   - lib/recursive/study: the drivers of notebooks 06-09.
//
// # Models
//
// A [Config] selects the [Kind] and its sizes; its fields carry the papers'
// symbols: T and n (SmallN) for TRM, N and T for HRM, NSup for N_sup. All
// kinds share the input embedding x [B, S, D] (token embedding and P puzzle
// prefix positions, scaled by sqrt(D)), the output head (logits [B, L, V]
// over the L puzzle positions) and the halting head (q_halt, q_continue
// from the first position). [Step] builds one supervision step: carried
// state in, new detached state, logits and halting logits out. TRM's step:
//
//	deep_recursion(x, y, z):
//	  no grad:   repeat T-1 times { repeat n: z = f(z + y + x); y = f(y + z) }
//	  with grad:                  { repeat n: z = f(z + y + x); y = f(y + z) }
//	  return detach(y, z), head(y), q_head(y[:, 0])
//
// "No grad" is graph.StopGradient on the state after the T-1 recursions
// (tests check that the step's gradient equals that of its last recursion
// alone). HRM's step runs N cycles of T low-level steps with the 1-step
// gradient. Ablations: Config.OneStepGrad, SeparateNets, SingleLatent and
// Mixer (attention or an MLP across the sequence axis).
//
// # Training
//
// A [Trainer] keeps a batch of B slots, each holding an example and its
// carried state. One training step is one supervision step for every slot;
// a slot halts after NSup steps or when the halting head says so (TRM: q_halt
// > 0; HRM: q_halt > q_continue, trained by Q-learning), unless exploration
// asks for a minimum number of steps, and then takes the next example of
// the stream, its state reset to the initial vectors. The loss is
// the stablemax cross-entropy of the answer plus 0.5 times the halting BCE
// losses. [Trainer.Evaluate] runs a fixed number of supervision steps and
// reports ExactAccuracy (whole puzzle right) first and CellAccuracy second,
// with the exact accuracy after each supervision step. Evaluate,
// [Trainer.Predict] and [Trainer.PredictARC] share one inference graph and
// one supervision loop; training and evaluation share one halting rule.
//
// [PaperConfig] returns the published settings (HRM: 27.3M parameters,
// TRM-MLP: 4.9M on Sudoku, as the papers report); the zero-value defaults
// are small enough for a CPU.
//
// # Experiments
//
// [SudokuSplit] generates Sudoku puzzles with few givens and splits them
// with no held-out puzzle a symmetry of a training one.
// [Trainer.TrainEvaluating] trains with a periodic held-out evaluation (the
// accuracy curve), and [Trainer.Predict] returns the answer after every
// supervision step for chosen puzzles (the answer y improving step by
// step). [Compare] trains configurations over several seeds;
// [Summarize] and [Margin] give each one's mean and seed-to-seed spread,
// so that a difference is claimed only when it exceeds the spread.
// [Trainer.PredictARC] and [Trainer.EvaluateARC] answer held-out ARC inputs
// under their task's augmentations for arc.Vote and score pass@2 (notebook
// 09_arc).
// [Config.Cost] counts block applications per supervision step (forward,
// with gradient, training forward), to compare models at an equal budget.
// Notebooks 06_trm_sudoku and 07_hrm_vs_trm use them. For example
// (ExampleCompare):
//
//	res, err := recursive.Compare(backend, []recursive.Run{{Name: "TRM", Config: trm}, {Name: "HRM", Config: hrm}},
//		recursive.CompareOptions{Steps: 600, Seeds: []uint64{1, 2, 3}, Train: train, Test: test})
//	sums := recursive.Summarize(res) // per name: Mean, Min, Max, Spread of the exact accuracy
//	gap, spread := recursive.Margin(sums[0], sums[1]) // TRM beats HRM beyond the spread if gap > spread
//
// # Speed
//
// On the Go backend (2 shared CPU cores), the tiny TRM of the tests (D=32,
// 2 layers, MLP mixer, T=2, n=2, batch 32, 4x4 Sudoku) runs ~78 training
// steps/s (BenchmarkTinyTRMStep). On one H100 with XLA/CUDA, the published
// TRM-MLP (4.9M parameters) on 9x9 Sudoku at batch 256 takes ~0.085 s a step
// (6000 steps in 511 s, notebook 06 at gpu scale; 2935 training puzzles/s
// at batch 768, 1.55x PyTorch's TF32 and 1.13x its bfloat16,
// cmd/benchrecursive)
// and HRM (27.3M) ~0.09 s (TestBackendPaperTiming), but their unrolled
// graphs take ~1 and ~3 minutes to compile at the first step. The
// recursions are always unrolled in the graph: a graph While loop over the
// no-gradient recursions was removed because GoMLX v0.28.16 could not build
// it on XLA ("cannot add operation Add to function closure2, because the
// operands are not part of the function"; in bf16, "cannot add operation
// Reduce because reductionFn is not a StableHLO closure of closure2").
//
// # Precision
//
// [Config.Precision] is lib/backend's Float32 or BFloat16 (mixed precision:
// the networks compute in bfloat16 from float32 master weights; optimizer
// state, EMA, carried state, norms, softmax, RoPE, logits, losses and
// reductions stay float32); left empty (backend.Auto) it follows the
// backend: bfloat16 on a GPU, float32 on the Go backend,
// whose numbers it leaves unchanged. With bfloat16 on XLA/CUDA the
// attention mixer runs cuDNN's fused attention, which never materializes
// the [B, heads, S, S] scores. Checkpoints are float32 in both precisions:
// [Checkpointed] resumes a run in the precision asked for.
//
// # Checkpoints
//
// [Trainer.Save] writes everything a run needs to continue exactly (weights,
// optimizer state, EMA, data position, random generator, per-slot carry) to
// one file, atomically; [Resume] reads it back.
package recursive
