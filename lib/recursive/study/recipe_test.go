package study

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/recursive"
	"github.com/labnotes/labnotes/lib/recursive/arc"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

func TestRecipes(t *testing.T) {
	for _, tc := range []struct {
		r                             Recipe
		steps, batch, hidden, t, n    int
		kind                          recursive.Kind
		mixer                         recursive.Mixer
		lr, wd, ema                   float64
		seqLen, perPuzzle, warmup, ns int
	}{
		{TRMSudoku(), 65104, 768, 512, 3, 6, recursive.TRM, recursive.MixMLP, 1e-4, 1.0, 0.999, 81, 1000, 2000, 16},
		{HRMSudoku(), 52083, 384, 512, 2, 0, recursive.HRM, recursive.MixAttention, 7e-5, 1.0, 0, 81, 1000, 2000, 16},
		{LoopedSudoku(), 52083, 384, 512, 4, 0, recursive.Looped, recursive.MixAttention, 7e-5, 1.0, 0, 81, 1000, 2000, 16},
		{TRMMaze(), 195312, 256, 512, 3, 4, recursive.TRM, recursive.MixAttention, 1e-4, 1.0, 0.999, 900, 8, 2000, 16},
	} {
		c := tc.r.Config
		n := c.SmallN
		if c.Kind != recursive.TRM {
			n = 0
		}
		if tc.r.Steps != tc.steps || c.Batch != tc.batch || c.Hidden != tc.hidden || c.T != tc.t || n != tc.n || c.Kind != tc.kind ||
			c.Mixer != tc.mixer || c.LearningRate != tc.lr || c.WeightDecay != tc.wd || c.EMA != tc.ema || c.SeqLen != tc.seqLen ||
			c.PerPuzzle != tc.perPuzzle || c.Warmup != tc.warmup || c.NSup != tc.ns || c != c.WithDefaults() || tc.r.Every < 1 {
			t.Errorf("%s: steps %d, config %+v", tc.r.Name, tc.r.Steps, c)
		}
		if s := tc.r.String(); !strings.HasPrefix(s, fmt.Sprintf("%s: %d steps of batch %d (", tc.r.Name, tc.steps, tc.batch)) {
			t.Errorf("String() = %q", s)
		}
		if got := SudokuRecipeOrNil(tc.kind); tc.seqLen == 81 && (got == nil || got.Name != tc.r.Name) {
			t.Errorf("SudokuRecipe(%s) = %+v, want %s", tc.kind, got, tc.r.Name)
		}
	}
	if c := HRMSudoku().Config; c.PuzzleEmbLR != 7e-5 || c.PuzzleEmbDecay != 1.0 || !c.QContinue {
		t.Errorf("HRM's puzzle embedding and halting: %+v", c)
	}
	if d := TRMMaze().Departures; !strings.Contains(d, "batch 256 instead of 768") {
		t.Errorf("TRMMaze().Departures = %q", d)
	}
	defer func() {
		if r := fmt.Sprint(recover()); !strings.Contains(r, `study: SudokuRecipe: no recipe for kind "direct"`) {
			t.Errorf("SudokuRecipe(Direct) panicked with %q", r)
		}
	}()
	SudokuRecipe(recursive.Direct)
}

// SudokuRecipeOrNil is SudokuRecipe with nil for a kind without a recipe.
func SudokuRecipeOrNil(kind recursive.Kind) (r *Recipe) {
	defer func() {
		if recover() != nil {
			r = nil
		}
	}()
	x := SudokuRecipe(kind)
	return &x
}

func TestTRMARC(t *testing.T) {
	tasks := MadeUpTasks()
	d, err := arc.Protocol(nil, tasks, 4, 7, true, arc.Canvas(5))
	if err != nil {
		t.Fatal(err)
	}
	r := TRMARC(d)
	c := r.Config
	if r.Steps != 100_000*d.Len()/256 || c.Batch != 256 || c.SeqLen != 25 || c.NumPuzzleIDs != d.NumPuzzleIDs() || c.PerPuzzle != 4 ||
		c.Mixer != recursive.MixAttention || c.SmallN != 4 || c.WeightDecay != 0.1 || c.PuzzleEmbLR != 1e-2 || c.PuzzleEmbDecay != 0.1 ||
		c.EMA != 0.999 || c.LearningRate != 1e-4 {
		t.Errorf("TRMARC: %d steps for %d pairs, config %+v", r.Steps, d.Len(), c)
	}
	if !strings.Contains(r.Departures, "4 augmentations per task instead of 1000") {
		t.Errorf("TRMARC departures %q", r.Departures)
	}
}

func TestRecipeSteps(t *testing.T) {
	for _, tc := range []struct{ epochs, perEpoch, batch, want int }{
		{50_000, 1000, 768, 65104}, {20_000, 1000, 384, 52083}, {50_000, 1000, 256, 195312}, {100_000, 3000, 256, 1171875}, {1, 10, 20, 0},
	} {
		if got := RecipeSteps(tc.epochs, tc.perEpoch, tc.batch); got != tc.want {
			t.Errorf("RecipeSteps(%d, %d, %d) = %d, want %d", tc.epochs, tc.perEpoch, tc.batch, got, tc.want)
		}
	}
}

func history(ds ...time.Duration) []recursive.StepInfo {
	var h []recursive.StepInfo
	for i, d := range ds {
		h = append(h, recursive.StepInfo{Step: 10 + i, Duration: d})
	}
	return h
}

func TestPace(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name    string
		h       []recursive.StepInfo
		done    int
		seconds float64
	}{
		{"first step and a resume's compilation left out", history(50*s, s, s, 2*s, 30*s, s), 4, 5},
		{"all kept", history(s, 2*s, 2*s, 3*s), 3, 7},
		{"one step", history(50 * s), 0, 0},
		{"none", nil, 0, 0},
	} {
		p := Pace(tc.h)
		if p.Unit != "training step" || p.Done != tc.done || p.Seconds != tc.seconds {
			t.Errorf("%s: Pace = %+v, want %d steps in %v s", tc.name, p, tc.done, tc.seconds)
		}
	}
}

func TestPaceWatch(t *testing.T) {
	w := &PaceWatch{Name: "R", Steps: 1000}
	if line := w.Eval(); line != "" { // A resumed run's replayed evaluation: no steps yet.
		t.Errorf("Eval before any step = %q", line)
	}
	for _, s := range history(40*time.Second, time.Second, time.Second) {
		w.Step(s)
	}
	line := w.Eval()
	if want := "measured 1 s per training step (2 training steps in 2 s); the full recipe (R, 1000 training steps) at this pace: about 16.7 min (steps 10..12 of 1000)"; line != want {
		t.Errorf("Eval = %q, want %q", line, want)
	}
	w.Step(history(time.Second)[0])
	if line := w.Eval(); line != "" {
		t.Errorf("second Eval = %q, want nothing", line)
	}
	var zero PaceWatch
	zero.Step(history(time.Second)[0])
	zero.Step(history(time.Second)[0])
	if line := zero.Eval(); line != "" {
		t.Errorf("zero PaceWatch printed %q", line)
	}
}

// tinyTRM is a TRM small enough for tests on puzzles of seqLen tokens.
func tinyTRM(seqLen, vocab int) recursive.Config {
	return recursive.Config{Kind: recursive.TRM, Mixer: recursive.MixMLP, SeqLen: seqLen, Vocab: vocab,
		Hidden: 16, Heads: 2, Layers: 2, Expansion: 2, T: 2, SmallN: 2, NSup: 2, Batch: 8, PerPuzzle: 2,
		LearningRate: 3e-3, Warmup: 2, EMA: 0.9}
}

// TestRunCheckpointed trains two runs of one configuration (once), then
// runs again: the finished checkpoint is reused.
func TestRunCheckpointed(t *testing.T) {
	sh := sudoku.Shape4
	train, test, err := recursive.SudokuSplit(sh, 40, HeldOut, DataSeed)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyTRM(sh.Cells(), sudoku.Vocab(sh))
	runs := []recursive.Run{{Name: "A", Config: cfg}, {Name: "B", Config: cfg}}
	steps := func(c recursive.Config) int { return 4 }
	dir := t.TempDir()
	rs, err := RunCheckpointed(testutil.Backend(t), dir, "tiny", train, test, runs, []uint64{1}, steps, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Name != "A" || rs[1].Name != "B" || rs[0].Seed != 1 || rs[0].Params == 0 || len(rs[0].ExactByStep) != 2 ||
		rs[0].Exact > rs[0].Cell || rs[0].Seconds <= 0 {
		t.Fatalf("RunCheckpointed results %+v", rs)
	}
	if a, b := rs[0], rs[1]; a.Exact != b.Exact || a.Cell != b.Cell || a.Seconds != b.Seconds {
		t.Errorf("runs A and B share a configuration but differ: %+v vs %+v", a, b)
	}
	ckpts, _ := filepath.Glob(filepath.Join(dir, "run-*.ckpt"))
	if len(ckpts) != 1 || filepath.Base(ckpts[0]) != CheckpointName(func() recursive.Config { c := cfg; c.Seed = 1; return c }(), 4) {
		t.Errorf("checkpoints %v, want one named by the configuration", ckpts)
	}
	again, err := RunCheckpointed(testutil.Backend(t), dir, "tiny", train, test, runs[:1], []uint64{1}, steps, 2)
	if err != nil || len(again) != 1 || fmt.Sprint(again[0]) != fmt.Sprint(rs[0]) {
		t.Errorf("second run: %+v, %v; want the first one's result %+v", again, err, rs[0])
	}
	back, err := Load(dir, "tiny")
	if err != nil || len(back) != 1 {
		t.Errorf("Load = %+v, %v", back, err)
	}
	c2 := cfg
	c2.Seed = 2
	if CheckpointName(c2, 4) == CheckpointName(func() recursive.Config { c := cfg; c.Seed = 1; return c }(), 4) || CheckpointName(c2, 4) == CheckpointName(c2, 5) {
		t.Error("CheckpointName does not tell seeds or steps apart")
	}
}

// TestTrainARC checks a fresh TrainARC against TrainEvaluating with a vote
// at every evaluation, then resumes it.
func TestTrainARC(t *testing.T) {
	tasks := MadeUpTasks()
	d, err := arc.Protocol(nil, tasks, 2, 7, false, arc.Canvas(4))
	if err != nil {
		t.Fatal(err)
	}
	evalIdx := []int{0, 1}
	cfg := tinyTRM(d.SeqLen(), arc.Vocab)
	cfg.NumPuzzleIDs = d.NumPuzzleIDs()
	b := testutil.Backend(t)

	ref, err := recursive.NewTrainer(b, cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	_, err = ref.TrainEvaluating(4, 2, d, 0, func(e recursive.EvalPoint) {
		rep, err := ref.EvaluateARC(d, evalIdx, 2, ref.Config.NSup)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%d %v %v %v %v", e.Step, e.ExactAccuracy, e.CellAccuracy, rep.PassAt2, rep.Single))
	})
	ref.Close()
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "arc.ckpt")
	run := ARCRun{Config: cfg, Data: d, EvalIdx: evalIdx, Augs: 2, Steps: 4, Every: 2, Path: path}
	var seen []string
	show := func(p ARCPoint) string {
		return fmt.Sprintf("%d %v %v %v %v", p.Fit.Step, p.Fit.ExactAccuracy, p.Fit.CellAccuracy, p.PassAt2, p.Single)
	}
	tr, points, err := TrainARC(b, run, nil, func(p ARCPoint) { seen = append(seen, show(p)) })
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
	if len(points) != 2 || !points[0].Voted || fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("TrainARC points %v, want TrainEvaluating's %v", seen, want)
	}

	// Resume to 8 steps, voting at 8 only: the two saved points are replayed.
	run.Steps, run.VoteEvery = 8, 8
	seen = nil
	steps := 0
	tr, points, err = TrainARC(b, run, func(recursive.StepInfo) { steps++ }, func(p ARCPoint) { seen = append(seen, show(p)) })
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if steps != 4 || tr.Steps() != 8 || len(points) != 4 || len(seen) != 4 || seen[0] != want[0] || seen[1] != want[1] ||
		points[2].Voted || !points[3].Voted || points[3].Fit.Step != 8 {
		t.Errorf("resumed: %d new steps, trainer at %d, points %v", steps, tr.Steps(), seen)
	}
	if _, err := os.Stat(path + ".points.json"); err != nil {
		t.Errorf("points file: %v", err)
	}
	other := run
	other.Config.Hidden = 32
	if _, _, err := TrainARC(b, other, nil, nil); err == nil || !strings.Contains(err.Error(), "study: TrainARC: checkpoint") {
		t.Errorf("resume with another configuration: error %v", err)
	}
}
