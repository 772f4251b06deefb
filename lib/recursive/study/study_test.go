package study

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/recursive"
	"github.com/labnotes/labnotes/lib/recursive/arc"
	"github.com/labnotes/labnotes/lib/recursive/maze"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

func TestLossCurve(t *testing.T) {
	var h []recursive.StepInfo
	for i, l := range []float64{4, 2, 3, 1, 10} {
		h = append(h, recursive.StepInfo{Step: 10 + i, Loss: l})
	}
	for _, tc := range []struct {
		w      int
		xs, ys string
	}{
		{1, "[10 11 12 13 14]", "[4 2 3 1 10]"},
		{2, "[11 13]", "[3 2]"},
		{5, "[14]", "[4]"},
		{6, "[]", "[]"},
	} {
		xs, ys := LossCurve(h, tc.w)
		if fmt.Sprint(xs) != tc.xs || fmt.Sprint(ys) != tc.ys {
			t.Errorf("LossCurve(w=%d) = %v, %v; want %s, %s", tc.w, xs, ys, tc.xs, tc.ys)
		}
	}
}

// preds builds Predictions from exact[step][puzzle] written as strings of 0/1.
func preds(steps ...string) recursive.Predictions {
	var p recursive.Predictions
	for _, s := range steps {
		var row []bool
		for _, c := range s {
			row = append(row, c == '1')
		}
		p.Exact = append(p.Exact, row)
	}
	return p
}

func TestSolvedLastAndExactByStep(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pred  recursive.Predictions
		n     int
		pick  string
		total int
		exact string
	}{
		// Puzzle 0 solved at step 1 (not picked), 1 at step 3, 2 at step 2, 3 never, 4 at step 3.
		{"ordered", preds("10000", "10100", "11101"), 3, "[1 4 2]", 3, "[0.2 0.4 0.8]"},
		{"at most n", preds("10000", "10100", "11101"), 1, "[1]", 3, "[0.2 0.4 0.8]"},
		{"none", preds("11", "11"), 3, "[]", 0, "[1 1]"},
		{"no steps", recursive.Predictions{}, 3, "[]", 0, "[]"},
	} {
		pick, total := SolvedLast(tc.pred, tc.n)
		if fmt.Sprint(pick) != tc.pick || total != tc.total {
			t.Errorf("%s: SolvedLast = %v, %d; want %s, %d", tc.name, pick, total, tc.pick, tc.total)
		}
		if got := fmt.Sprint(ExactByStep(tc.pred)); got != tc.exact {
			t.Errorf("%s: ExactByStep = %s, want %s", tc.name, got, tc.exact)
		}
	}
}

func TestAnswerGrid(t *testing.T) {
	sh := sudoku.Shape4
	toks := make([]uint8, sh.Cells())
	for i := range toks {
		toks[i] = uint8(i%4) + 2 // digits 1..4
	}
	toks[0], toks[1] = 0, 200 // padding and out of range: blanks
	g, err := AnswerGrid(sh, toks)
	if err != nil {
		t.Fatal(err)
	}
	if g.Cells[0] != 0 || g.Cells[1] != 0 || g.Cells[2] != 3 || g.Cells[5] != 2 {
		t.Errorf("AnswerGrid cells %v, want blanks at 0 and 1, then digits", g.Cells[:6])
	}
	if toks[0] != 0 || toks[1] != 200 {
		t.Errorf("AnswerGrid changed its input")
	}
	if _, err := AnswerGrid(sh, toks[:3]); err == nil || !strings.HasPrefix(err.Error(), "study: AnswerGrid") {
		t.Errorf("AnswerGrid of 3 tokens: error %v, want one starting \"study: AnswerGrid\"", err)
	}
}

func TestMazeSplit(t *testing.T) {
	train, test, err := MazeSplit(7, 60, 20)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 40 || test.Len() == 0 || test.Len() > 20 || !train.Augment || test.Augment {
		t.Fatalf("MazeSplit(7, 60, 20): %d training (augment %v), %d held-out (augment %v); want 40 augmented and 1..20 not",
			train.Len(), train.Augment, test.Len(), test.Augment)
	}
	seen := map[string]bool{}
	for _, p := range train.Pairs {
		seen[canonical(p.Puzzle)] = true
	}
	for _, p := range test.Pairs {
		k := canonical(p.Puzzle)
		if seen[k] {
			t.Errorf("held-out maze is a symmetry or duplicate of another:\n%s", p.Puzzle)
		}
		seen[k] = true
		if err := maze.CheckPath(p.Puzzle, p.Solution); err != nil || PathCells(p.Solution) == 0 && PathCells(p.Puzzle) != 0 {
			t.Errorf("held-out label: %v", err)
		}
	}
	again, _, _ := MazeSplit(7, 60, 20)
	if again.Pairs[7].Puzzle.String() != train.Pairs[7].Puzzle.String() {
		t.Errorf("MazeSplit is not deterministic")
	}
	if _, _, err := MazeSplit(7, 10, 11); err == nil || !strings.Contains(err.Error(), "11 held out of 10") {
		t.Errorf("MazeSplit(7, 10, 11): error %v, want one naming the counts", err)
	}
}

func TestPathCells(t *testing.T) {
	_, test, err := MazeSplit(7, 20, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range test.Pairs {
		want := strings.Count(p.Solution.String(), string(rune(maze.Path)))
		if got := PathCells(p.Solution); got != want || PathCells(p.Puzzle) != 0 {
			t.Errorf("PathCells = %d (puzzle %d), want %d (0)", got, PathCells(p.Puzzle), want)
		}
	}
}

func TestARCBaselines(t *testing.T) {
	tasks := MadeUpTasks()
	if len(tasks) != 2 || len(tasks[0].Train) != 3 || len(tasks[1].Test) != 1 {
		t.Fatalf("MadeUpTasks: %d tasks", len(tasks))
	}
	id := IdentityReport(tasks)
	if id.Tasks != 2 || id.Inputs != 2 || id.PassAt2 != 0 {
		t.Errorf("IdentityReport on made-up tasks: %d tasks, %d inputs, pass@2 %v; want 2, 2, 0 (no task is the identity)", id.Tasks, id.Inputs, id.PassAt2)
	}
	if r := IdentityReport([]*arc.Task{{ID: "same", Test: []arc.Pair{{Input: arc.Grid{{1}}, Output: arc.Grid{{1}}}}}}); r.PassAt2 != 1 {
		t.Errorf("IdentityReport on an identity task: pass@2 %v, want 1", r.PassAt2)
	}
	// One task, one test input, 4 augmentations' answers: wrong, right, wrong, right.
	task := tasks[0]
	right, wrong := task.Test[0].Output, task.Test[0].Input
	var ps []arc.Prediction
	for _, g := range []arc.Grid{wrong, right, wrong, right} {
		ps = append(ps, arc.Prediction{Aug: arc.IdentityAug(), Output: g})
	}
	rep := arc.NewReport([]*arc.Task{task}, [][][]arc.Prediction{{ps}})
	byAug, mean := OneAugScores(rep, []*arc.Task{task})
	if fmt.Sprint(byAug) != "[0 1 0 1]" || mean != 0.5 {
		t.Errorf("OneAugScores = %v, %v; want [0 1 0 1], 0.5", byAug, mean)
	}
	ks, pass2 := PassAt2ByK(rep, []*arc.Task{task}, 4)
	if fmt.Sprint(ks) != "[1 2 4]" || fmt.Sprint(pass2) != "[0 1 1]" {
		t.Errorf("PassAt2ByK = %v, %v; want [1 2 4], [0 1 1]", ks, pass2)
	}
}

func TestSummaries(t *testing.T) {
	rs := []Result{
		{Name: "TRM", Seed: 1, Exact: 0.8, Cell: 0.9, Params: 100, Seconds: 2},
		{Name: "TRM", Seed: 2, Exact: 0.7, Cell: 0.9, Params: 100, Seconds: 4},
		{Name: "HRM", Seed: 1, Exact: 0.3, Cell: 0.6, Params: 90, Seconds: 1},
		{Name: "HRM", Seed: 2, Exact: 0.5, Cell: 0.7, Params: 90, Seconds: 1},
	}
	if got := Seconds(rs); got != 8 {
		t.Errorf("Seconds = %v, want 8", got)
	}
	sums := Summarize(rs)
	trm, hrm := Find(sums, "TRM"), Find(sums, "HRM")
	if fmt.Sprintf("%.2f %.2f %.2f", trm.Mean, trm.Spread, hrm.Mean) != "0.75 0.10 0.40" {
		t.Errorf("summaries %+v %+v", trm, hrm)
	}
	for _, tc := range []struct {
		a, b recursive.Summary
		ok   bool
		msg  string
	}{
		{trm, hrm, true, "TRM beats HRM: mean exact 0.750 vs 0.400, gap 0.350 vs seed spread 0.200 (2 seeds each)"},
		{hrm, trm, false, "HRM beats TRM: mean exact 0.400 vs 0.750"},
	} {
		ok, msg := Beats(tc.a, tc.b)
		if ok != tc.ok || !strings.HasPrefix(msg, tc.msg) {
			t.Errorf("Beats(%s, %s) = %v, %q; want %v, %q...", tc.a.Name, tc.b.Name, ok, msg, tc.ok, tc.msg)
		}
	}
	h, rows := tableRows(sums, map[string][]any{"TRM": {12}}, "blocks")
	if strings.Join(h, "|") != "model|blocks|params|exact by seed|exact mean|spread (max-min)|cell mean|s / run" {
		t.Errorf("header %q", h)
	}
	if got := fmt.Sprint(rows[0][:4]); got != "[TRM 12 100 0.800 0.700]" {
		t.Errorf("first row starts %s", got)
	}
	defer func() {
		if r := fmt.Sprint(recover()); !strings.Contains(r, `study: Find: no results for "Looped"`) {
			t.Errorf("Find of a missing name panicked with %q", r)
		}
	}()
	Find(sums, "Looped")
}

// TestRunAll trains one tiny TRM for a few steps, saves and loads the results.
func TestRunAll(t *testing.T) {
	sh := sudoku.Shape4
	cfg := recursive.Config{Kind: recursive.TRM, Mixer: recursive.MixMLP, SeqLen: sh.Cells(), Vocab: sudoku.Vocab(sh),
		Hidden: 16, Heads: 2, Layers: 2, Expansion: 2, T: 2, SmallN: 2, NSup: 2, Batch: 8, PerPuzzle: 2,
		LearningRate: 3e-3, Warmup: 2, EMA: 0.9}
	dir := t.TempDir()
	rs, err := RunAll(testutil.Backend(t), dir, "tiny", sh, 40, 3, []recursive.Run{{Name: "TRM", Config: cfg}}, []uint64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Name != "TRM" || rs[0].Seed != 1 || rs[1].Seed != 2 || rs[0].Params == 0 ||
		len(rs[0].ExactByStep) == 0 || rs[0].Exact > rs[0].Cell || rs[0].Loss != nil {
		t.Errorf("RunAll results %+v", rs)
	}
	back, err := Load(dir, "tiny")
	if err != nil || fmt.Sprint(back) != fmt.Sprint(rs) {
		t.Errorf("Load = %+v, %v; want what RunAll returned", back, err)
	}
	if _, err := Load(dir, "missing"); err == nil || !strings.HasPrefix(err.Error(), "study: Load") {
		t.Errorf("Load of a missing name: error %v", err)
	}
	// The two seeds train side by side on the Go backend (2 CPUs or more): the wall time
	// is saved, and it is not the sum of the runs' seconds.
	wall, err := Wall(dir, "tiny")
	if err != nil || wall <= 0 || wall > Seconds(rs)+10 {
		t.Errorf("Wall = %g, %v; the runs' seconds sum to %g", wall, err, Seconds(rs))
	}
	if want := min(runtime.GOMAXPROCS(0), 2); Parallelism(testutil.Backend(t)) != want {
		t.Errorf("Parallelism on the Go backend = %d, want %d", Parallelism(testutil.Backend(t)), want)
	}
}
