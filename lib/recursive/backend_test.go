package recursive

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/sudoku"
)

// TestBackendTraining trains the tiny TRM on the process backend that
// lib/backend chooses (XLA/CUDA where a plugin is found), to check that the
// package runs there; with RECURSIVE_PAPER_STEPS=k it also times k steps of
// the published TRM-MLP and HRM on 9x9 Sudoku (batch RECURSIVE_PAPER_BATCH,
// default 256). It is skipped unless RECURSIVE_BACKEND_TEST is set.
func TestBackendTraining(t *testing.T) {
	if os.Getenv("RECURSIVE_BACKEND_TEST") == "" {
		t.Skip("set RECURSIVE_BACKEND_TEST=1 to train on lib/backend's choice (e.g. XLA/CUDA)")
	}
	b := backend.MustNew()
	ds := sudoku4(t, 64, 1)
	tr, err := NewTrainer(b, tinySudokuConfig(), ds)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.Train(500); err != nil {
		t.Fatal(err)
	}
	res, err := tr.Evaluate(ds, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tiny TRM on %s: loss %.4f -> %.4f, exact %.3f, cell %.3f, %.0f steps/s", b.Name(),
		tr.History[0].LMLoss, tr.History[499].LMLoss, res.ExactAccuracy, res.CellAccuracy, 500/tr.TrainSeconds())
	if res.ExactAccuracy < 0.25 {
		t.Errorf("exact accuracy %.3f, want >= 0.25", res.ExactAccuracy)
	}
	steps, _ := strconv.Atoi(os.Getenv("RECURSIVE_PAPER_STEPS"))
	if steps <= 0 {
		return
	}
	batch := 256
	if v, err := strconv.Atoi(os.Getenv("RECURSIVE_PAPER_BATCH")); err == nil && v > 0 {
		batch = v
	}
	gen, err := sudoku.GenerateN(sudoku.GenOptions{Shape: sudoku.Shape9}, 1, 2*batch, 0)
	if err != nil {
		t.Fatal(err)
	}
	d9 := &sudoku.Dataset{Shape: sudoku.Shape9}
	for _, g := range gen {
		d9.Puzzles = append(d9.Puzzles, g.Puzzle)
		d9.Solutions = append(d9.Solutions, g.Solution)
	}
	for _, kind := range []Kind{TRM, HRM} {
		cfg := PaperConfig(kind, 81, sudoku.Vocab(sudoku.Shape9))
		cfg.Batch, cfg.Warmup = batch, 10
		tr, err := NewTrainer(b, cfg, d9)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := tr.Train(steps); err != nil {
			t.Fatal(err)
		}
		var d []time.Duration
		for _, h := range tr.History[1:] {
			d = append(d, h.Duration)
		}
		slices.Sort(d)
		med := d[len(d)/2]
		t.Logf("%s (%d parameters), batch %d: %d steps in %v, median step %v (first %v), %.0f puzzle-supervision-steps/s; loss %.3f -> %.3f",
			tr, tr.NumParameters(), batch, steps, time.Since(start).Round(time.Millisecond), med, tr.History[0].Duration,
			float64(batch)/med.Seconds(), tr.History[0].Loss, tr.History[steps-1].Loss)
		tr.Close()
	}
}
