// Package study holds the drivers of the Performer notebooks and of
// cmd/benchattention: the experiments that measure lib/performer and
// lib/performer/transformer, kept apart from the layers they drive.
//
//   - The approximation experiments of the paper (notebook 01):
//     [ApproximationExperiment] (FAVOR vs exact softmax attention for
//     positive vs trigonometric and orthogonal vs iid features, over the
//     number of features m) and [KernelSweep] (relative error of the two
//     estimators of exp(x·y) as the kernel value goes to 0).
//   - Speed and memory over the sequence length (notebook 02,
//     cmd/benchattention): [BenchForwardBackward] times forward+backward of
//     one attention method ([BenchExact], [BenchFavorSoftmax], ...) on
//     [Batch, Heads, Length, Dim] inputs; [MeasureBench] adds the process's
//     peak memory; [ScalingSweep] runs methods over lengths; [Crossover],
//     [Speedup], [MemoryGrowth], [MemoryGrowthFit] and [ScalingTable] read
//     the results; [RecordedBench] loads the committed GPU and CPU reports of
//     cmd/benchattention (testdata/bench).
//   - Transformer comparisons (notebooks 03 and 04): [Compare] trains one
//     transformer.Run per [Contender] on the same data; [FineTune] loads
//     another run's checkpoint (e.g. exact attention's) into a FAVOR+ run and
//     trains it; [SaveResult] and [LoadResult] pass a run's summary between
//     notebook cells (each cell is a separate program).
//   - The Long Range Arena's recipes (notebook 04's recipe = "paper"):
//     [ListOpsRecipe] and [ImageRecipe] ([LRARecipe]); [Pace] and
//     [ShowPaces] give a run's measured speed and a recipe's time at it.
//
// Errors are returned, prefixed "study: ".
package study
