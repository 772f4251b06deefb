package recursive

import (
	"math"
	"testing"

	"github.com/gomlx/compute"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/recursive/puzzle"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

// sudoku4 returns n generated 4x4 puzzles as a Dataset.
func sudoku4(t testing.TB, n int, seed uint64) *sudoku.Dataset {
	return generated(t, sudoku.Shape4, n, seed)
}

// generated returns n generated puzzles of shape as a Dataset.
func generated(t testing.TB, shape sudoku.Shape, n int, seed uint64) *sudoku.Dataset {
	t.Helper()
	gen, err := sudoku.GenerateN(sudoku.GenOptions{Shape: shape}, seed, n, 0)
	if err != nil {
		t.Fatal(err)
	}
	d := &sudoku.Dataset{Shape: shape}
	for _, g := range gen {
		d.Puzzles = append(d.Puzzles, g.Puzzle)
		d.Solutions = append(d.Solutions, g.Solution)
	}
	return d
}

// newTrainer returns NewTrainer(backend, cfg, src), closed when the test
// ends; an error fails the test.
func newTrainer(t testing.TB, backend compute.Backend, cfg Config, src puzzle.Source) *Trainer {
	t.Helper()
	tr, err := NewTrainer(backend, cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

// tinySudokuConfig is the tiny TRM of the training tests: hidden 32, two
// layers with the MLP token mixer, T = 2, n = 2, N_sup = 4, batch 32.
func tinySudokuConfig() Config {
	return Config{Kind: TRM, SeqLen: 16, Vocab: sudoku.Vocab(sudoku.Shape4), Hidden: 32, Heads: 2, Layers: 2,
		Expansion: 2, Mixer: MixMLP, T: 2, SmallN: 2, NSup: 4, Batch: 32, LearningRate: 3e-3, Warmup: 20,
		WeightDecay: 0.01, EMA: 0.99, Seed: 7}
}

// TestTrainTinyTRM trains the tiny TRM on 64 4x4 Sudoku puzzles for 500
// steps: the loss must fall and the exact accuracy on the training puzzles
// must rise far above chance.
func TestTrainTinyTRM(t *testing.T) {
	ds := sudoku4(t, 64, 1)
	tr := newTrainer(t, testutil.Backend(t), tinySudokuConfig(), ds)
	before, err := tr.Evaluate(ds, 4)
	if err != nil {
		t.Fatal(err)
	}
	const steps = 500
	calls := 0
	tr.OnStep = func(StepInfo) { calls++ }
	if err := tr.Train(steps); err != nil {
		t.Fatal(err)
	}
	if calls != steps || len(tr.History) != steps || tr.Steps() != steps {
		t.Fatalf("OnStep called %d times, History %d, Steps %d; want %d", calls, len(tr.History), tr.Steps(), steps)
	}
	meanLM := func(from, to int) float64 {
		s := 0.0
		for _, h := range tr.History[from:to] {
			s += h.LMLoss
		}
		return s / float64(to-from)
	}
	first, last := meanLM(0, 25), meanLM(steps-25, steps)
	if !(last < 0.5*first) {
		t.Errorf("answer loss went from %.4f (first 25 steps) to %.4f (last 25), want less than half", first, last)
	}
	after, err := tr.Evaluate(ds, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Chance: guessing each blank cell uniformly among 4 digits solves a
	// puzzle with k blanks with probability 4^-k.
	minBlanks := 16
	for _, p := range ds.Puzzles {
		minBlanks = min(minBlanks, 16-p.Givens())
	}
	chance := math.Pow(4, -float64(minBlanks))
	t.Logf("loss %.4f -> %.4f; exact %.3f -> %.3f (by step %v), cell %.3f -> %.3f; chance <= %.2g; %.0f steps/s, %.0f puzzles/s",
		first, last, before.ExactAccuracy, after.ExactAccuracy, after.ExactByStep, before.CellAccuracy, after.CellAccuracy,
		chance, float64(steps)/tr.TrainSeconds(), tr.Throughput())
	if n := tr.NumParameters(); n < 1000 || n > 100000 {
		t.Errorf("NumParameters() = %d, want a tiny model", n)
	}
	if !after.UsedEMA {
		t.Error("Evaluate did not use the EMA")
	}
	if after.ExactAccuracy < 0.25 || after.ExactAccuracy < 1000*chance {
		t.Errorf("exact accuracy on the training puzzles %.3f, want >= 0.25 (chance <= %.2g)", after.ExactAccuracy, chance)
	}
	// A freshly compiled evaluation graph sees the same weights as the one
	// compiled before training (no stale constants).
	tr.inferExec.Finalize()
	tr.inferExec = nil
	fresh, err := tr.Evaluate(ds, 4)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.ExactAccuracy != after.ExactAccuracy || fresh.CellAccuracy != after.CellAccuracy {
		t.Errorf("re-compiled evaluation %+v differs from %+v", fresh, after)
	}
	if after.CellAccuracy <= before.CellAccuracy {
		t.Errorf("cell accuracy did not rise: %.3f -> %.3f", before.CellAccuracy, after.CellAccuracy)
	}
}

// BenchmarkTinyTRMStep measures training steps of the tiny TRM (batch 32).
func BenchmarkTinyTRMStep(b *testing.B) {
	ds := sudoku4(b, 64, 1)
	tr, err := NewTrainer(testutil.Backend(b), tinySudokuConfig(), ds)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.TrainStep(); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := tr.TrainStep(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// TestEvaluateLeavesTrainingAlone checks that an evaluation in the middle of
// a run (which swaps the EMA weights in and out) does not change the rest of
// the run: the same losses, bit for bit, as a run without it.
func TestEvaluateLeavesTrainingAlone(t *testing.T) {
	backend := testutil.Backend(t)
	ds := sudoku4(t, 16, 3)
	cfg := tinySudokuConfig()
	cfg.Hidden, cfg.Layers, cfg.Batch = 16, 1, 8
	a := newTrainer(t, backend, cfg, ds)
	b := newTrainer(t, backend, cfg, ds)
	if err := a.Train(6); err != nil {
		t.Fatal(err)
	}
	res, err := a.Evaluate(ds, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !res.UsedEMA {
		t.Error("the evaluation did not use the EMA")
	}
	if err := a.Train(6); err != nil {
		t.Fatal(err)
	}
	if err := b.Train(12); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		if a.History[i].Loss != b.History[i].Loss {
			t.Fatalf("step %d: loss %v with an evaluation at step 6, %v without", i+1, a.History[i].Loss, b.History[i].Loss)
		}
	}
}
