package recursive

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gomlx/gomlx/ml/model"

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
}

// TestBackendPaperTiming times RECURSIVE_PAPER_STEPS steps of the published
// TRM-MLP and HRM on 9x9 Sudoku on lib/backend's choice (batch
// RECURSIVE_PAPER_BATCH, default 256; RECURSIVE_PAPER_LOOP=1 sets
// Config.Loop), then one Evaluate; skipped unless RECURSIVE_PAPER_STEPS is
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
	gen, err := sudoku.GenerateN(sudoku.GenOptions{Shape: sudoku.Shape9}, 1, 2*batch, 0)
	if err != nil {
		t.Fatal(err)
	}
	d9 := &sudoku.Dataset{Shape: sudoku.Shape9}
	for _, g := range gen {
		d9.Puzzles = append(d9.Puzzles, g.Puzzle)
		d9.Solutions = append(d9.Solutions, g.Solution)
	}
	loop := os.Getenv("RECURSIVE_PAPER_LOOP") != ""
	for _, kind := range []Kind{TRM, HRM} {
		cfg := PaperConfig(kind, 81, sudoku.Vocab(sudoku.Shape9))
		cfg.Batch, cfg.Warmup, cfg.Loop = batch, 10, loop
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
		t.Logf("%s loop=%v (%d parameters), batch %d: %d steps in %v, median step %v (first %v), %.0f puzzle-supervision-steps/s; loss %.3f -> %.3f",
			tr, loop, tr.NumParameters(), batch, steps, time.Since(start).Round(time.Millisecond), med, tr.History[0].Duration,
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

// TestBackendLoops checks, on lib/backend's choice (on XLA, Config.Loop
// builds the no-gradient recursions as While loops), that a step built with
// Loop gives the logits and gradients of the unrolled step. Skipped unless
// RECURSIVE_BACKEND_TEST is set.
func TestBackendLoops(t *testing.T) {
	if os.Getenv("RECURSIVE_BACKEND_TEST") == "" {
		t.Skip("set RECURSIVE_BACKEND_TEST=1 to run on lib/backend's choice (e.g. XLA/CUDA)")
	}
	b := backend.MustNew()
	for _, kind := range []Kind{TRM, HRM} {
		cfg := tinyConfig(kind).WithDefaults()
		store := newTestStore(cfg, 2)
		const n = 2
		tokens, ids, labels := testBatch(cfg, n)
		var paths []string
		run := func(loop bool) (logits, grads []float64) {
			store.SetParams(map[string]any{ParamLoop: loop})
			out, err := model.CallOnceN(b, store, func(scope *model.Scope, in []*Node) []*Node {
				scope.Store().SetTraining(in[0].Graph(), true)
				so := Step(scope, in[0], in[1], InitialState(scope, in[0].Graph(), n))
				if paths == nil {
					return []*Node{so.Logits}
				}
				return []*Node{so.Logits, gradsGraph(store, lossOf(cfg, so.Logits, in[2]), paths)}
			}, tokens, ids, labels)
			if err != nil {
				t.Fatal(err)
			}
			logits = flat(out[0])
			if len(out) > 1 {
				grads = flat(out[1])
			}
			return
		}
		run(false)
		paths = trainablePaths(store)
		lu, gu := run(false)
		ll, gl := run(true)
		dl, dg := maxAbsDiff(lu, ll), maxAbsDiff(gu, gl)
		t.Logf("%s on %s: loop vs unrolled: logits differ by %g, gradients by %g (max |g| %g)", kind, b.Name(), dl, dg, maxAbs(gu))
		if dl > 1e-4 || dg > 1e-4*max(1, maxAbs(gu)) || maxAbs(gu) == 0 {
			t.Errorf("%s: loop and unrolled steps differ: logits by %g, gradients by %g", kind, dl, dg)
		}
	}
}
