// Package lra provides data for long-range sequence tasks in the style of the
// Long Range Arena benchmark (Tay et al., 2020), all available offline:
//
//   - ListOps: generated nested MAX/MIN/MED/SM expressions over digits,
//     with exact evaluation ([ListOpsConfig], [ParseListOps], [Expr.Eval]).
//   - Sequential-pixel Fashion-MNIST: 28x28 images read as sequences of 784
//     pixel tokens ([LoadFashionMNIST], [Images.SequentialExamples]); the
//     files are found and read by lib/datasets (Debian's
//     dataset-fashion-mnist, or `bin/labnotes data fetch fashion-mnist`).
//   - A byte-level text corpus built from the Go source tree under GOROOT,
//     split deterministically into train and validation files
//     ([LoadGoCorpus]).
//
// Batches are streamed by [SequenceDataset] (classification) and
// [WindowDataset] (language modelling); both implement GoMLX's
// train.Dataset.
//
// Errors are returned (never panics) for bad input files, and name the file.
// Panics, for programming errors only, start with "lra: ".
package lra
