// Package study holds what the recursive-reasoning notebooks (06_trm_sudoku,
// 07_hrm_vs_trm, 08_maze, 09_arc) compute besides the models, so that their
// cells explain and show while this package computes:
//
//   - training curves: [LossCurve] (the windowed training loss),
//     [ShowTraining] (loss and held-out accuracy plots and table) and
//     [ClaimConsistent] (the sanity claim on an evaluation);
//   - comparisons over seeds (07): [RunAll] trains runs on generated Sudoku
//     and keeps each as a [Result] (saved as JSON for later cells: [Load]),
//     [Summarize], [Table], [Find], [Beats] and [Seconds] report them;
//   - Sudoku answers (06): [AnswerGrid] and [SolvedLast];
//   - mazes (08): [MazeSplit] (generated mazes, held-out ones not a symmetry
//     of a training maze) and [PathCells];
//   - ARC (09): [MadeUpTasks] (when the data is absent), [IdentityReport]
//     (the "output = input" baseline), [OneAugScores] and [PassAt2ByK];
//     [TrainARC] trains with the held-out vote at a chosen period and
//     resumes from its checkpoint;
//   - the papers' full recipes, which the notebooks run at gpu scale with
//     recipe = "paper" (nb.RecipePaper): [Recipe], [TRMSudoku], [HRMSudoku],
//     [LoopedSudoku] ([SudokuRecipe] by kind), [TRMMaze] and [TRMARC], with
//     their steps counted as the references do ([RecipeSteps]);
//     [RunCheckpointed] (07's comparisons for hours: resumable, a shared
//     configuration trained once); [Pace] and [PaceWatch] (the measured
//     speed of training steps and the expected time of a recipe at it).
//
// A cell of 07:
//
//	dir := nb.WorkDir("07", "") // this run's folder
//	rs := nb.Must(study.RunAll(backend.MustNew(), dir, "models", st.shape, st.puzzles, st.steps, runs, st.seeds))
//	sums := study.Summarize(rs)
//	study.Table(sums, nil)
//	ok, msg := study.Beats(study.Find(sums, "TRM"), study.Find(sums, "HRM"))
//	nb.Claim(ok, "%s", msg)
package study
