package recursive

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/lib/datasets"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

func TestSudokuExtreme(t *testing.T) {
	dir, err := datasets.Root()
	if _, perr := datasets.Path("tdoku"); err != nil || perr != nil {
		t.Skipf("Sudoku data absent (%v %v): set LABNOTES_DATA to run this test", err, perr)
	}
	train, test, err := SudokuExtreme(dir, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 1000 || test.Len() != 500 || train.Shape != sudoku.Shape9 || test.Shape != sudoku.Shape9 {
		t.Fatalf("train %d, test %d puzzles", train.Len(), test.Len())
	}
	keys := map[string]bool{}
	for _, p := range train.Puzzles {
		keys[sudoku.CanonicalKey(p)] = true
	}
	for i, p := range test.Puzzles {
		k := sudoku.CanonicalKey(p)
		if keys[k] {
			t.Fatalf("test puzzle %d is a symmetry of a training puzzle or a duplicate", i)
		}
		keys[k] = true
		if !test.Solutions[i].IsSolutionOf(&test.Puzzles[i]) {
			t.Fatalf("test puzzle %d: solution does not solve it", i)
		}
	}
	// The same seed draws the same sample; the whole set is larger.
	_, again, _ := SudokuExtreme(dir, 500, 1)
	if !slices.EqualFunc(test.Puzzles, again.Puzzles, func(a, b sudoku.Grid) bool { return a.String() == b.String() }) {
		t.Error("same seed, different sample")
	}
	if _, other, _ := SudokuExtreme(dir, 500, 2); slices.EqualFunc(test.Puzzles, other.Puzzles, func(a, b sudoku.Grid) bool { return a.String() == b.String() }) {
		t.Error("another seed, same sample")
	}

	// A missing file is an error naming it.
	empty := t.TempDir()
	if _, _, err := SudokuExtreme(empty, 0, 1); err == nil || !strings.Contains(err.Error(), "all__inputs.npy") {
		t.Errorf("missing data: %v", err)
	}
	// A corrupt hard set is an error naming the file.
	bad := t.TempDir()
	src := filepath.Join(dir, SudokuExtremeTrain)
	os.MkdirAll(filepath.Join(bad, SudokuExtremeTrain), 0o755)
	for _, f := range []string{"all__inputs.npy", "all__labels.npy"} {
		data, _ := os.ReadFile(filepath.Join(src, f))
		os.WriteFile(filepath.Join(bad, SudokuExtremeTrain, f), data, 0o644)
	}
	os.MkdirAll(filepath.Join(bad, filepath.Dir(HardSudokuSets[0])), 0o755)
	os.WriteFile(filepath.Join(bad, HardSudokuSets[0]), []byte("question,answer\n123,456\n"), 0o644)
	if _, _, err := SudokuExtreme(bad, 0, 1); err == nil || !strings.Contains(err.Error(), "magictour") {
		t.Errorf("corrupt hard set: %v", err)
	}
}

func TestSudokuSplit(t *testing.T) {
	train, test, err := SudokuSplit(sudoku.Shape4, 60, 0.25, 3)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len()+test.Len() != 60 || test.Len() == 0 || train.Len() == 0 {
		t.Fatalf("split %d + %d, want 60 in all, both non-empty", train.Len(), test.Len())
	}
	seen := map[string]bool{}
	for _, p := range train.Puzzles {
		seen[sudoku.CanonicalKey(p)] = true
	}
	for i, p := range test.Puzzles {
		if seen[sudoku.CanonicalKey(p)] {
			t.Errorf("test puzzle %d is a symmetry of a training puzzle", i)
		}
		if !test.Solutions[i].IsSolutionOf(&p) {
			t.Errorf("test puzzle %d: wrong solution", i)
		}
	}
}
