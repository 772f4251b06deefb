package recursive

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/backend"
)

// TestResumeExact trains a run, saves it mid-way, and checks that a resumed
// run continues the same loss curve bit for bit (Go backend), ends with the
// same weights and evaluates the same.
func TestResumeExact(t *testing.T) {
	backend := testutil.Backend(t)
	ds := sudoku4(t, 13, 5) // 13 puzzles, batch 8: epochs end mid-batch.
	cases := []struct {
		name string
		mod  func(*Config)
	}{
		{"trm ema halting", nil},
		{"hrm q-continue exploration", func(c *Config) { c.Kind = HRM; c.Mixer = MixAttention; c.T, c.N = 1, 2 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinySudokuConfig()
			cfg.Hidden, cfg.Layers, cfg.Batch, cfg.Warmup, cfg.PerPuzzle = 16, 1, 8, 5, 1
			if tc.mod != nil {
				tc.mod(&cfg)
			}
			path := filepath.Join(t.TempDir(), "run.ckpt")
			a := newTrainer(t, backend, cfg, ds)
			if err := a.Train(7); err != nil {
				t.Fatal(err)
			}
			if err := a.Save(path); err != nil {
				t.Fatal(err)
			}
			const more = 12
			if err := a.Train(more); err != nil {
				t.Fatal(err)
			}
			b, err := Resume(backend, path, ds)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if b.Steps() != 7 || len(b.History) != 7 {
				t.Fatalf("resumed at step %d with %d history entries, want 7", b.Steps(), len(b.History))
			}
			if err := b.Train(more); err != nil {
				t.Fatal(err)
			}
			halted := 0
			for i := 7; i < 7+more; i++ {
				ha, hb := a.History[i], b.History[i]
				if ha.Loss != hb.Loss || ha.LMLoss != hb.LMLoss || ha.QHaltLoss != hb.QHaltLoss ||
					ha.QContinueLoss != hb.QContinueLoss || ha.Halted != hb.Halted || ha.ExactAccuracy != hb.ExactAccuracy {
					t.Errorf("step %d: original %+v\nresumed %+v", i+1, ha, hb)
				}
				halted += ha.Halted
			}
			if halted == 0 {
				t.Error("no slot halted after the resume: the test does not exercise the carry")
			}
			if a.epoch != b.epoch || a.consumed != b.consumed || a.epoch == 0 {
				t.Errorf("data position: original epoch %d + %d, resumed %d + %d (want equal, past epoch 0)", a.epoch, a.consumed, b.epoch, b.consumed)
			}
			for v := range a.Store.IterVariables() {
				w := b.Store.GetVariable(v.Path())
				if w == nil {
					t.Errorf("variable %s missing after resume", v.Path())
					continue
				}
				if !v.DType().IsFloat() {
					continue
				}
				if d := maxAbsDiff(testutil.Float64s(v.MustValue()), testutil.Float64s(w.MustValue())); d != 0 {
					t.Errorf("variable %s differs by %g", v.Path(), d)
				}
			}
			ra, err := a.Evaluate(ds, 2)
			if err != nil {
				t.Fatal(err)
			}
			rb, err := b.Evaluate(ds, 2)
			if err != nil {
				t.Fatal(err)
			}
			if ra.CellAccuracy != rb.CellAccuracy || ra.ExactAccuracy != rb.ExactAccuracy {
				t.Errorf("evaluation differs: %+v vs %+v", ra, rb)
			}
		})
	}
}

// TestResumeErrors checks that bad checkpoints give errors naming the file.
func TestResumeErrors(t *testing.T) {
	backend := testutil.Backend(t)
	ds := sudoku4(t, 8, 5)
	cfg := tinySudokuConfig()
	cfg.Hidden, cfg.Layers, cfg.Batch = 16, 1, 4
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ckpt")
	tr := newTrainer(t, backend, cfg, ds)
	if err := tr.Train(2); err != nil {
		t.Fatal(err)
	}
	if err := tr.Save(good); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40
	cases := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "missing.ckpt"), "no such file"},
		{"not a checkpoint", write("text.ckpt", []byte("hello, world\n")), "not a recursive checkpoint"},
		{"truncated", write("trunc.ckpt", data[:len(data)-100]), "checksum"},
		{"header only", write("short.ckpt", data[:len(checkpointMagic)+3]), "truncated"},
		{"flipped byte", write("flip.ckpt", flipped), "checksum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resume(backend, tc.path, ds)
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); !strings.Contains(msg, tc.path) || !strings.Contains(msg, tc.want) ||
				!strings.HasPrefix(msg, "recursive: ") {
				t.Errorf("error %q: want the prefix \"recursive: \", the file name and %q", msg, tc.want)
			}
		})
	}
	// The good checkpoint still loads, and Save left no temporary files.
	if _, err := Resume(backend, good, ds); err != nil {
		t.Errorf("good checkpoint: %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

// TestCheckpointed interrupts a Checkpointed run (a shorter one on the same
// path stands for a run killed after its second evaluation) and checks that
// continuing it gives the same evaluations and losses as an uninterrupted
// run, that a finished run is loaded rather than repeated, and that another
// configuration on the same path is refused with an error naming it.
func TestCheckpointed(t *testing.T) {
	be := testutil.Backend(t)
	ds := sudoku4(t, 13, 5)
	cfg := tinySudokuConfig()
	cfg.Hidden, cfg.Layers, cfg.Batch, cfg.Warmup, cfg.PerPuzzle = 16, 1, 8, 5, 1
	dir := t.TempDir()
	const steps, every = 12, 4

	whole, err := Checkpointed(be, cfg, ds, ds, filepath.Join(dir, "whole.ckpt"), steps, every, 2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()

	path := filepath.Join(dir, "split.ckpt")
	first, err := Checkpointed(be, cfg, ds, ds, path, 8, every, 2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	var replayed []int
	second, err := Checkpointed(be, cfg, ds, ds, path, steps, every, 2, nil, func(p EvalPoint) { replayed = append(replayed, p.Step) })
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if want := []int{4, 8, 12}; !slicesEqual(replayed, want) {
		t.Errorf("onEval saw steps %v, want %v (two resumed, one new)", replayed, want)
	}
	if second.Steps() != steps || len(second.Evals) != steps/every || len(second.History) != steps {
		t.Fatalf("resumed run: %d steps, %d evaluations, %d history entries; want %d, %d, %d",
			second.Steps(), len(second.Evals), len(second.History), steps, steps/every, steps)
	}
	for i := range whole.History {
		if whole.History[i].Loss != second.History[i].Loss {
			t.Errorf("step %d: loss %g uninterrupted, %g interrupted and resumed", i+1, whole.History[i].Loss, second.History[i].Loss)
		}
	}
	for i := range whole.Evals {
		if whole.Evals[i].Step != second.Evals[i].Step || whole.Evals[i].ExactAccuracy != second.Evals[i].ExactAccuracy ||
			whole.Evals[i].CellAccuracy != second.Evals[i].CellAccuracy {
			t.Errorf("evaluation %d: %+v uninterrupted, %+v resumed", i, whole.Evals[i].EvalResult, second.Evals[i].EvalResult)
		}
	}

	// Finished: loaded, not trained again.
	again, err := Checkpointed(be, cfg, ds, ds, path, steps, every, 2, func(StepInfo) { t.Error("a finished run trained again") }, nil)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()

	other := cfg
	other.Hidden = 8
	if _, err := Checkpointed(be, other, ds, ds, path, steps, every, 2, nil, nil); err == nil ||
		!strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another configuration") {
		t.Errorf("a checkpoint of another configuration: got error %v, want one naming %s", err, path)
	}

	// A run checkpointed in bf16 resumes in f32 (weights are float32 in both).
	low, lowPath := cfg, filepath.Join(dir, "bf16.ckpt")
	low.Precision = backend.BFloat16
	lowRun, err := Checkpointed(be, low, ds, ds, lowPath, every, every, 2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lowRun.Close()
	low.Precision = backend.Float32
	resumed, err := Checkpointed(be, low, ds, ds, lowPath, 2*every, every, 2, nil, nil)
	if err != nil {
		t.Fatalf("resuming a bf16 checkpoint in f32: %v", err)
	}
	defer resumed.Close()
	if resumed.Precision() != backend.Float32 || resumed.Steps() != 2*every || math.IsNaN(resumed.History[2*every-1].Loss) {
		t.Errorf("bf16 run resumed in %s: %d steps, last loss %g; want f32, %d, finite",
			resumed.Precision(), resumed.Steps(), resumed.History[2*every-1].Loss, 2*every)
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
