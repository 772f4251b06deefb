package recursive

import (
	"math"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

// TestPredictMatchesEvaluate checks that Predict's per-step answers agree
// with Evaluate's per-step exact accuracy on the same puzzles, and that
// Exact is the comparison of the answer with the labels.
func TestPredictMatchesEvaluate(t *testing.T) {
	train, test, err := SudokuSplit(sudoku.Shape4, 80, 0.25, 4)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Kind: TRM, SeqLen: 16, Vocab: sudoku.Vocab(sudoku.Shape4), Hidden: 16, Heads: 2, Layers: 1,
		Expansion: 2, Mixer: MixMLP, T: 2, SmallN: 2, NSup: 3, Batch: 8, PerPuzzle: 4, LearningRate: 3e-3, EMA: 0.9, Seed: 2}
	tr := newTrainer(t, testutil.Backend(t), cfg, train)
	if err := tr.Train(60); err != nil {
		t.Fatal(err)
	}
	steps := 3
	res, err := tr.Evaluate(test, steps)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, test.Len())
	for i := range idx {
		idx[i] = i
	}
	p, err := tr.Predict(test, idx, steps)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Answers) != steps || len(p.Exact) != steps || len(p.Inputs) != len(idx) {
		t.Fatalf("got %d steps, %d exact, %d inputs", len(p.Answers), len(p.Exact), len(p.Inputs))
	}
	for s := range steps {
		if len(p.Answers[s]) != len(idx) {
			t.Fatalf("step %d: %d answers, want %d", s, len(p.Answers[s]), len(idx))
		}
		n := 0
		for i, ans := range p.Answers[s] {
			want := true
			for j, l := range p.Labels[i] {
				if ans[j] != l {
					want = false
				}
			}
			if p.Exact[s][i] != want {
				t.Errorf("step %d puzzle %d: Exact %v, answer==label %v", s, i, p.Exact[s][i], want)
			}
			if p.Exact[s][i] {
				n++
			}
		}
		if got := float64(n) / float64(len(idx)); math.Abs(got-res.ExactByStep[s]) > 1e-9 {
			t.Errorf("step %d: Predict exact %.4f, Evaluate %.4f", s+1, got, res.ExactByStep[s])
		}
	}
	// A subset in another order gives the same answers.
	q, err := tr.Predict(test, []int{3, 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for k, i := range []int{3, 1} {
		if string(q.Answers[0][k]) != string(p.Answers[0][i]) {
			t.Errorf("puzzle %d predicted alone differs", i)
		}
	}
	if _, err := tr.Predict(test, idx, 0); err == nil {
		t.Error("Predict with 0 steps: want an error")
	}
}

func TestTrainEvaluating(t *testing.T) {
	train, test, err := SudokuSplit(sudoku.Shape4, 40, 0.25, 6)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Kind: TRM, SeqLen: 16, Vocab: sudoku.Vocab(sudoku.Shape4), Hidden: 16, Heads: 2, Layers: 1,
		Expansion: 2, Mixer: MixMLP, T: 1, SmallN: 1, NSup: 2, Batch: 8, LearningRate: 3e-3}
	tr := newTrainer(t, testutil.Backend(t), cfg, train)
	var seen []int
	points, err := tr.TrainEvaluating(7, 3, test, 3, func(p EvalPoint) { seen = append(seen, p.Step) })
	if err != nil {
		t.Fatal(err)
	}
	want := []int{3, 6, 7}
	if len(points) != 3 || len(seen) != 3 || tr.Steps() != 7 {
		t.Fatalf("%d points, %d callbacks, %d steps; want 3, 3, 7", len(points), len(seen), tr.Steps())
	}
	for i, p := range points {
		if p.Step != want[i] || seen[i] != want[i] || p.Steps != 3 || p.Puzzles != test.Len() {
			t.Errorf("point %d: step %d (callback %d), %d eval steps, %d puzzles", i, p.Step, seen[i], p.Steps, p.Puzzles)
		}
	}
}

func TestCompareAndSummarize(t *testing.T) {
	train, test, err := SudokuSplit(sudoku.Shape4, 40, 0.25, 5)
	if err != nil {
		t.Fatal(err)
	}
	base := Config{SeqLen: 16, Vocab: sudoku.Vocab(sudoku.Shape4), Hidden: 16, Heads: 2, Layers: 1,
		Expansion: 2, Mixer: MixMLP, T: 2, N: 1, SmallN: 1, NSup: 2, Batch: 8, LearningRate: 3e-3}
	trm, hrm := base, base
	trm.Kind, hrm.Kind = TRM, HRM
	// One run at a time, then three: the same results in the same order (the
	// callbacks' counters are not locked: Compare serializes the calls).
	var seq []RunResult
	for _, parallel := range []int{0, 3} {
		var calls, steps int
		res, err := Compare(testutil.Backend(t), []Run{{"trm", trm}, {"hrm", hrm}},
			CompareOptions{Steps: 5, Seeds: []uint64{1, 2}, Train: train, Test: test, Parallel: parallel,
				OnRun: func(RunResult) { calls++ }, OnStep: func(string, uint64, StepInfo) { steps++ }})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 4 || calls != 4 || steps != 20 {
			t.Fatalf("Parallel %d: %d results, %d OnRun calls, %d OnStep calls; want 4, 4, 20", parallel, len(res), calls, steps)
		}
		if seq == nil {
			seq = res
			continue
		}
		for i := range res {
			a, b := seq[i], res[i]
			same := a.Name == b.Name && a.Seed == b.Seed && a.Eval.ExactAccuracy == b.Eval.ExactAccuracy &&
				a.Eval.CellAccuracy == b.Eval.CellAccuracy && a.FinalLoss == b.FinalLoss && len(a.History) == len(b.History)
			for k := range min(len(a.History), len(b.History)) {
				same = same && a.History[k].Loss == b.History[k].Loss
			}
			if !same {
				t.Errorf("result %d with Parallel %d: %s seed %d loss %g, one at a time: %s seed %d loss %g", i, parallel, b.Name, b.Seed, b.FinalLoss, a.Name, a.Seed, a.FinalLoss)
			}
		}
	}
	res := seq
	for i, want := range []struct {
		name string
		seed uint64
	}{{"trm", 1}, {"trm", 2}, {"hrm", 1}, {"hrm", 2}} {
		r := res[i]
		if r.Name != want.name || r.Seed != want.seed || r.Config.Seed != want.seed || r.Steps != 5 || len(r.History) != 5 {
			t.Errorf("result %d: %s seed %d steps %d, want %s seed %d", i, r.Name, r.Seed, r.Steps, want.name, want.seed)
		}
		if r.Eval.Puzzles != test.Len() || r.Eval.Steps != 2 || r.Params == 0 || math.IsNaN(r.FinalLoss) {
			t.Errorf("result %d: %+v", i, r.Eval)
		}
	}
	if res[0].History[0].Loss == res[1].History[0].Loss {
		t.Error("seeds 1 and 2 gave the same first loss")
	}
	// Summarize, on made-up accuracies.
	fake := []RunResult{{Name: "a"}, {Name: "b"}, {Name: "a"}, {Name: "b"}}
	for i, e := range []float64{0.9, 0.5, 0.7, 0.4} {
		fake[i].Eval.ExactAccuracy, fake[i].Eval.CellAccuracy = e, 1
	}
	sum := Summarize(fake)
	if len(sum) != 2 || sum[0].Name != "a" || sum[1].Name != "b" {
		t.Fatalf("summaries %+v", sum)
	}
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-12 }
	if !near(sum[0].Mean, 0.8) || !near(sum[0].Spread, 0.2) || !near(sum[0].Min, 0.7) || !near(sum[1].Max, 0.5) || !near(sum[1].Cell, 1) {
		t.Errorf("summary a %+v b %+v", sum[0], sum[1])
	}
	gap, spread := Margin(sum[0], sum[1])
	if !near(gap, 0.35) || !near(spread, 0.2) {
		t.Errorf("Margin = %g, %g; want 0.35, 0.2", gap, spread)
	}
	if _, err := Compare(testutil.Backend(t), nil, CompareOptions{}); err == nil {
		t.Error("Compare without options: want an error")
	}
}

func TestCost(t *testing.T) {
	base := Config{SeqLen: 16, Vocab: 6, Hidden: 16, Heads: 2}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want Cost
	}{
		{"TRM T=2 n=2 2 layers", func(c *Config) { c.Kind, c.T, c.SmallN, c.Layers = TRM, 2, 2, 2 }, Cost{12, 6, 12}},
		{"TRM 1-step", func(c *Config) { c.Kind, c.T, c.SmallN, c.Layers, c.OneStepGrad = TRM, 2, 2, 2, true }, Cost{12, 4, 12}},
		{"TRM paper T=3 n=6", func(c *Config) { c.Kind, c.T, c.SmallN, c.Layers = TRM, 3, 6, 2 }, Cost{42, 14, 42}},
		{"HRM N=3 T=3 1 layer", func(c *Config) { c.Kind, c.N, c.T, c.Layers = HRM, 3, 3, 1 }, Cost{12, 2, 24}},
		{"HRM no Q-continue", func(c *Config) { c.Kind, c.N, c.T, c.Layers, c.NoQContinue = HRM, 2, 2, 4, true }, Cost{24, 8, 24}},
		{"Looped T=6 2 layers", func(c *Config) { c.Kind, c.T, c.Layers = Looped, 6, 2 }, Cost{12, 12, 12}},
		{"Direct 8 layers", func(c *Config) { c.Kind, c.Layers = Direct, 8 }, Cost{8, 8, 8}},
	} {
		c := base
		tc.mod(&c)
		if got := c.Cost(); got != tc.want {
			t.Errorf("%s: Cost() = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
