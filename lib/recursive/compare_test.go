package recursive

import (
	"os"
	"strconv"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

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
	gen, err := sudoku.GenerateN(sudoku.GenOptions{Shape: shape}, 11, 600, 0)
	if err != nil {
		t.Fatal(err)
	}
	grids := make([]sudoku.Grid, len(gen))
	for i, g := range gen {
		grids[i] = g.Puzzle
	}
	trainIdx, testIdx := sudoku.SplitCanonical(grids, 0.33, 1)
	pick := func(idx []int) *sudoku.Dataset {
		d := &sudoku.Dataset{Shape: shape}
		for _, i := range idx {
			d.Puzzles = append(d.Puzzles, gen[i].Puzzle)
			d.Solutions = append(d.Solutions, gen[i].Solution)
		}
		return d
	}
	train, test := pick(trainIdx), pick(testIdx)
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
		tr, err := NewTrainer(backend, cfg, train)
		if err != nil {
			t.Fatal(err)
		}
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
