package recursive

import (
	"math/rand/v2"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

// SudokuExtremeTrain is the folder, under lib/datasets' root (the
// "sudoku-extreme-1k" dataset), of the 1000 Sudoku-Extreme training puzzles the HRM and
// TRM papers train on (HRM's .npy arrays).
const SudokuExtremeTrain = "sudoku/sudoku-extreme-1k-train"

// HardSudokuSets are the tdoku benchmark sets (with their solutions, under
// lib/datasets' root: the "tdoku" dataset) that stand in for Sudoku-Extreme's test split:
// its puzzles come from the same collections, and the split itself is not
// available offline.
var HardSudokuSets = []string{
	"sudoku/tdoku/solved/puzzles3_magictour_top1465.solved.csv",
	"sudoku/tdoku/solved/puzzles6_forum_hardest_1106.solved.csv",
	"sudoku/tdoku/solved/puzzles5_forum_hardest_1905_11+_minus_heldout.solved.csv",
}

// SudokuExtreme loads the 1000 Sudoku-Extreme training puzzles from dataDir
// (lib/datasets' root)
// and a held-out set from the hard tdoku sets (HardSudokuSets, ~48,600
// puzzles): taken in a seeded random order, each kept unless it is a
// symmetry (same sudoku.CanonicalKey) of a training puzzle or of one already
// kept, until maxTest are kept (maxTest <= 0: all of them, which costs about
// a millisecond per puzzle for the keys). Both sets are 9x9; errors name
// the file.
func SudokuExtreme(dataDir string, maxTest int, seed uint64) (train, test *sudoku.Dataset, err error) {
	recs, err := sudoku.ReadFile(filepath.Join(dataDir, SudokuExtremeTrain, "all__inputs.npy"), sudoku.ReadOptions{Shape: sudoku.Shape9})
	if err != nil {
		return nil, nil, errors.WithMessage(err, "recursive: Sudoku-Extreme training puzzles")
	}
	if train, err = sudoku.NewDataset(recs); err != nil {
		return nil, nil, errors.WithMessage(err, "recursive: Sudoku-Extreme training puzzles")
	}
	var hard []sudoku.Record
	for _, name := range HardSudokuSets {
		path := filepath.Join(dataDir, name)
		recs, err := sudoku.ReadFile(path, sudoku.ReadOptions{Shape: sudoku.Shape9})
		if err != nil {
			return nil, nil, errors.WithMessage(err, "recursive: hard Sudoku set")
		}
		for _, r := range recs {
			if !r.HasSolution() {
				return nil, nil, errors.Errorf("recursive: %s line %d has no solution", path, r.Line)
			}
		}
		hard = append(hard, recs...)
	}
	seen := make(map[string]bool, len(train.Puzzles))
	for _, p := range train.Puzzles {
		seen[sudoku.CanonicalKey(p)] = true
	}
	if maxTest <= 0 {
		maxTest = len(hard)
	}
	test = &sudoku.Dataset{Shape: sudoku.Shape9}
	for _, i := range rand.New(rand.NewPCG(seed, 0x5eed)).Perm(len(hard)) {
		if test.Len() == maxTest {
			break
		}
		key := sudoku.CanonicalKey(hard[i].Puzzle)
		if seen[key] {
			continue
		}
		seen[key] = true
		test.Puzzles = append(test.Puzzles, hard[i].Puzzle)
		test.Solutions = append(test.Solutions, hard[i].Solution)
	}
	return train, test, nil
}
