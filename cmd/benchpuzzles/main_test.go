package main

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestBenchFunctions(t *testing.T) {
	g, err := benchGenerator(40)
	if err != nil || !g.AllUnique || g.Puzzles != 40 || g.PuzzlesPerS <= 0 {
		t.Fatalf("%+v %v", g, err)
	}
	dir, ok := dataRoot()
	s, err := benchStream(dir, ok, 2)
	if err != nil || s.Examples != 2*s.BasePuzzles || s.SampledValid != s.SampledChecked || s.PeakHeapMB <= 0 {
		t.Fatalf("%+v %v", s, err)
	}
	if runtime.GOOS == "linux" && s.PeakRSSMB <= 0 {
		t.Errorf("stream benchmark's peak RSS %g MB on linux", s.PeakRSSMB)
	}
	if !ok {
		t.Skipf("Sudoku data not found in %s: solver benchmark not tested", dir)
	}
	r, err := benchSolver(filepath.Join(dir, "sudoku", "tdoku"), "puzzles6_forum_hardest_1106", 1)
	if err != nil || r.Correct != 375 || r.Unique != 375 {
		t.Fatalf("%+v %v", r, err)
	}
}
