package recursive

// The data: the trainer's example stream, and the Sudoku sets of the
// notebooks.

import (
	"iter"
	"math/rand/v2"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

type example struct {
	inputs, labels []uint8
	id             int32
}

// streamConfig is the data stream of an epoch: a new shuffle every epoch.
func (t *Trainer) streamConfig(epoch int) puzzle.Config {
	return puzzle.Config{Seed: puzzle.Mix(t.Config.Seed, uint64(epoch)), PerPuzzle: t.Config.PerPuzzle,
		BatchSize: t.Config.Batch, Workers: 1}
}

// openEpoch starts the stream of epoch t.epoch, skipping its first
// t.consumed examples.
func (t *Trainer) openEpoch() error {
	if t.stopBatch != nil {
		t.stopBatch()
	}
	next, stop := iter.Pull2(puzzle.Stream(t.src, t.streamConfig(t.epoch)))
	t.nextBatch, t.stopBatch = next, stop
	t.pending = t.pending[:0]
	skip := t.consumed
	for skip > 0 {
		b, err, ok := next()
		if err != nil {
			return errors.WithMessagef(err, "recursive: training data, epoch %d", t.epoch)
		}
		if !ok {
			return errors.Errorf("recursive: training data position %d is past the end of epoch %d", t.consumed, t.epoch)
		}
		if skip < b.Size {
			t.queue(b, skip)
			break
		}
		skip -= b.Size
	}
	return nil
}

func (t *Trainer) queue(b *puzzle.Batch, from int) {
	for j := from; j < b.Size; j++ {
		in, lab := b.Row(j)
		t.pending = append(t.pending, example{inputs: append([]uint8(nil), in...),
			labels: append([]uint8(nil), lab...), id: b.PuzzleIDs[j]})
	}
}

// nextExample returns the next training example, starting a new epoch when
// the stream ends.
func (t *Trainer) nextExample() (example, error) {
	if t.nextBatch == nil {
		if err := t.openEpoch(); err != nil {
			return example{}, err
		}
	}
	for len(t.pending) == 0 {
		b, err, ok := t.nextBatch()
		if err != nil {
			return example{}, errors.WithMessagef(err, "recursive: training data, epoch %d", t.epoch)
		}
		if !ok {
			t.epoch++
			t.consumed = 0
			if err := t.openEpoch(); err != nil {
				return example{}, err
			}
			continue
		}
		t.queue(b, 0)
	}
	e := t.pending[0]
	t.pending = t.pending[1:]
	t.consumed++
	if int(e.id) < 0 || int(e.id) >= t.Config.NumPuzzleIDs {
		return example{}, errors.Errorf("recursive: puzzle id %d out of range [0, %d)", e.id, t.Config.NumPuzzleIDs)
	}
	return e, nil
}

// SudokuSplit generates n puzzles of shape (sudoku.GenerateN with seed:
// minimal puzzles, so few givens) and splits them with sudoku.SplitCanonical
// into a training and a held-out set (about testFraction of them) such that
// no held-out puzzle is a symmetry of a training puzzle.
func SudokuSplit(shape sudoku.Shape, n int, testFraction float64, seed uint64) (train, test *sudoku.Dataset, err error) {
	gen, err := sudoku.GenerateN(sudoku.GenOptions{Shape: shape}, seed, n, 0)
	if err != nil {
		return nil, nil, errors.WithMessage(err, "recursive: generating puzzles")
	}
	grids := make([]sudoku.Grid, len(gen))
	for i, g := range gen {
		grids[i] = g.Puzzle
	}
	trainIdx, testIdx := sudoku.SplitCanonical(grids, testFraction, seed)
	pick := func(idx []int) *sudoku.Dataset {
		d := &sudoku.Dataset{Shape: shape}
		for _, i := range idx {
			d.Puzzles = append(d.Puzzles, gen[i].Puzzle)
			d.Solutions = append(d.Solutions, gen[i].Solution)
		}
		return d
	}
	return pick(trainIdx), pick(testIdx), nil
}

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
// (lib/datasets' root) and a held-out set from the hard tdoku sets (HardSudokuSets, ~48,600
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
