package recursive

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

// TestBackendTraining trains the tiny TRM on the process backend that
// lib/backend chooses (XLA/CUDA where a plugin is found), to check that the
// package runs there. It is skipped unless RECURSIVE_BACKEND_TEST is set.
func TestBackendTraining(t *testing.T) {
	if os.Getenv("RECURSIVE_BACKEND_TEST") == "" {
		t.Skip("set RECURSIVE_BACKEND_TEST=1 to train on lib/backend's choice (e.g. XLA/CUDA)")
	}
	b := backend.MustNew()
	ds := sudoku4(t, 64, 1)
	tr := newTrainer(t, b, tinySudokuConfig(), ds)
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
}

// TestBackendPaperTiming times RECURSIVE_PAPER_STEPS steps of the published
// TRM-MLP and HRM on 9x9 Sudoku on lib/backend's choice (batch
// RECURSIVE_PAPER_BATCH, default 256), then one Evaluate; skipped unless RECURSIVE_PAPER_STEPS is
// set.
func TestBackendPaperTiming(t *testing.T) {
	steps, _ := strconv.Atoi(os.Getenv("RECURSIVE_PAPER_STEPS"))
	if steps <= 1 {
		t.Skip("set RECURSIVE_PAPER_STEPS (> 1) to time the published models")
	}
	b := backend.MustNew()
	batch := 256
	if v, err := strconv.Atoi(os.Getenv("RECURSIVE_PAPER_BATCH")); err == nil && v > 0 {
		batch = v
	}
	d9 := generated(t, sudoku.Shape9, 2*batch, 1)
	for _, kind := range []Kind{TRM, HRM} {
		cfg := PaperConfig(kind, 81, sudoku.Vocab(sudoku.Shape9))
		cfg.Batch, cfg.Warmup = batch, 10
		tr := newTrainer(t, b, cfg, d9)
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
		start = time.Now()
		res, err := tr.Evaluate(&sudoku.Dataset{Shape: sudoku.Shape9, Puzzles: d9.Puzzles[:batch], Solutions: d9.Solutions[:batch]}, 16)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: Evaluate(%d puzzles, 16 steps) in %v (compilation included): exact %.3f cell %.3f",
			kind, res.Puzzles, time.Since(start).Round(time.Millisecond), res.ExactAccuracy, res.CellAccuracy)
		tr.Close()
	}
}

// TestCompareKinds is a small CPU experiment (skipped unless
// RECURSIVE_COMPARE is set): TRM, TRM with the 1-step gradient, HRM, the
// looped and the direct transformer trained on the same generated Sudoku
// puzzles (RECURSIVE_COMPARE_SHAPE 4 or 6, default 6), evaluated on held-out
// puzzles with N_sup supervision steps. It logs ExactAccuracy, CellAccuracy
// and the exact accuracy after each supervision step; it asserts nothing
// about their order (a tiny, short run), only that training ran.
func TestCompareKinds(t *testing.T) {
	if os.Getenv("RECURSIVE_COMPARE") == "" {
		t.Skip("set RECURSIVE_COMPARE=1 to run the comparison (a few minutes of CPU)")
	}
	shape := sudoku.Shape6
	if os.Getenv("RECURSIVE_COMPARE_SHAPE") == "4" {
		shape = sudoku.Shape4
	}
	steps := 800
	if v, err := strconv.Atoi(os.Getenv("RECURSIVE_COMPARE_STEPS")); err == nil && v > 0 {
		steps = v
	}
	train, test, err := SudokuSplit(shape, 600, 0.33, 11)
	if err != nil {
		t.Fatal(err)
	}
	base := Config{SeqLen: shape.Cells(), Vocab: sudoku.Vocab(shape), Hidden: 32, Heads: 2, Layers: 2, Expansion: 2,
		NSup: 4, Batch: 32, PerPuzzle: 8, LearningRate: 3e-3, Warmup: 20, WeightDecay: 0.01, EMA: 0.99, Seed: 5}
	cases := []struct {
		name string
		mod  func(*Config)
	}{
		{"TRM-MLP T=2 n=2", func(c *Config) { c.Kind, c.Mixer, c.T, c.SmallN = TRM, MixMLP, 2, 2 }},
		{"TRM-MLP 1-step gradient", func(c *Config) { c.Kind, c.Mixer, c.T, c.SmallN, c.OneStepGrad = TRM, MixMLP, 2, 2, true }},
		{"TRM-attention T=2 n=2", func(c *Config) { c.Kind, c.Mixer, c.T, c.SmallN = TRM, MixAttention, 2, 2 }},
		{"HRM N=2 T=2 (1 layer per module)", func(c *Config) { c.Kind, c.Mixer, c.N, c.T, c.Layers = HRM, MixAttention, 2, 2, 1 }},
		{"HRM-MLP N=2 T=2 (1 layer per module)", func(c *Config) { c.Kind, c.Mixer, c.N, c.T, c.Layers = HRM, MixMLP, 2, 2, 1 }},
		{"Looped T=6", func(c *Config) { c.Kind, c.Mixer, c.T = Looped, MixMLP, 6 }},
		{"Direct (4 layers)", func(c *Config) { c.Kind, c.Mixer, c.Layers, c.NSup = Direct, MixMLP, 4, 1 }},
	}
	backend := testutil.Backend(t)
	t.Logf("%s Sudoku: %d train puzzles (x%d augmentations), %d test puzzles, %d steps of batch %d",
		shape, train.Len(), base.PerPuzzle, test.Len(), steps, base.Batch)
	for _, tc := range cases {
		cfg := base
		tc.mod(&cfg)
		tr := newTrainer(t, backend, cfg, train)
		if err := tr.Train(steps); err != nil {
			t.Fatal(err)
		}
		res, err := tr.Evaluate(test, tr.Config.NSup)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-38s %6d params  test exact %.3f  cell %.3f  exact by step %.3f  (%.1f steps/s)",
			tc.name, tr.NumParameters(), res.ExactAccuracy, res.CellAccuracy, res.ExactByStep,
			float64(steps)/tr.TrainSeconds())
		tr.Close()
	}
}
