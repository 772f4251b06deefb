package recursive

import (
	"math/rand/v2"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"

	"github.com/labnotes/labnotes/lib/recursive/arc"
)

// copyTasks returns n tasks whose outputs equal their inputs (random grids
// up to side x side).
func copyTasks(n, pairs, side int, seed uint64) []*arc.Task {
	rng := rand.New(rand.NewPCG(seed, 1))
	grid := func() arc.Grid {
		g := arc.NewGrid(1+rng.IntN(side), 1+rng.IntN(side))
		for r := range g {
			for c := range g[r] {
				g[r][c] = rng.IntN(arc.NumColors)
			}
		}
		return g
	}
	var out []*arc.Task
	for i := range n {
		t := &arc.Task{ID: string(rune('a' + i))}
		for range pairs {
			g := grid()
			t.Train = append(t.Train, arc.Pair{Input: g, Output: g.Clone()})
		}
		g := grid()
		t.Test = []arc.Pair{{Input: g, Output: g.Clone()}}
		out = append(out, t)
	}
	return out
}

// copySetup returns the dataset of tasks (augs augmentations per task, a
// 3x3 canvas) and a one-layer TRM-MLP for it (T = n = N_sup = 1) of width
// hidden and batch.
func copySetup(t testing.TB, tasks []*arc.Task, augs, hidden, batch int) (*arc.Dataset, Config) {
	t.Helper()
	d, err := arc.Protocol(nil, tasks, augs, 3, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	return d, Config{Kind: TRM, SeqLen: d.SeqLen(), Vocab: arc.Vocab, NumPuzzleIDs: d.NumPuzzleIDs(),
		Hidden: hidden, Heads: 2, Layers: 1, Mixer: MixMLP, T: 1, SmallN: 1, NSup: 1, Batch: batch}
}

// copyTrainer returns a TRM trained to copy its input on copy tasks (3x3
// canvas, 8 augmentations per task): an identity model, exact on every
// pair after ~75 steps.
func copyTrainer(t testing.TB, tasks []*arc.Task) (*Trainer, *arc.Dataset) {
	d, cfg := copySetup(t, tasks, 8, 32, 32)
	cfg.PerPuzzle, cfg.LearningRate, cfg.Seed = 8, 3e-3, 1
	tr := newTrainer(t, testutil.Backend(t), cfg, d)
	if err := tr.Train(150); err != nil {
		t.Fatal(err)
	}
	return tr, d
}

func TestPredictARCCopy(t *testing.T) {
	tasks := copyTasks(2, 24, 3, 1)
	tr, d := copyTrainer(t, tasks)
	defer tr.Close()
	if res, err := tr.Evaluate(d, 1); err != nil || res.ExactAccuracy != 1 {
		t.Fatalf("the copy model is not exact on its training pairs: %.3f, %v", res.ExactAccuracy, err)
	}
	queries := []ARCQuery{{Task: 0, Input: tasks[0].Test[0].Input}, {Task: 1, Input: tasks[1].Test[0].Input},
		{Task: 1, Input: arc.Grid{{1, 2, 3}, {0, 0, 4}}}} // not square, not symmetric
	preds, err := tr.PredictARC(d, queries, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	for q, qu := range queries {
		if len(preds[q]) != 8 {
			t.Fatalf("query %d: %d predictions, want 8", q, len(preds[q]))
		}
		for k, p := range preds[q] {
			if p.Aug != d.TaskAug(qu.Task, k) {
				t.Errorf("query %d, augmentation %d: Aug %+v, want the task's", q, k, p.Aug)
			}
			// In the augmented frame: the augmented input; mapped back: the input.
			if !p.Output.Equal(p.Aug.Apply(qu.Input)) || !p.Aug.Inverse().Apply(p.Output).Equal(qu.Input) {
				t.Errorf("query %d, augmentation %d: %v, want %v", q, k, p.Output, p.Aug.Apply(qu.Input))
			}
			if p.Confidence <= 0 || p.Confidence >= 1 {
				t.Errorf("query %d: confidence %g, want sigmoid(q_halt) in (0, 1)", q, p.Confidence)
			}
		}
		c := arc.Vote(preds[q])
		if len(c) != 1 || c[0].Votes != 8 || !c[0].Output.Equal(qu.Input) {
			t.Errorf("query %d: vote %+v, want the input with 8 votes", q, c)
		}
	}
	rep, err := tr.EvaluateARC(d, []int{0, 1}, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tasks != 2 || rep.Inputs != 2 || rep.Augs != 8 || rep.PassAt2 != 1 || rep.PassAt1 != 1 || rep.Single != 1 || rep.Oracle != 1 || rep.Decoded != 1 {
		t.Errorf("copy model on copy tasks: %+v, want every score 1", rep)
	}
}

func TestPredictARCErrors(t *testing.T) {
	tasks := copyTasks(1, 2, 3, 2)
	d, cfg := copySetup(t, tasks, 4, 8, 4)
	tr := newTrainer(t, testutil.Backend(t), cfg, d)
	in := tasks[0].Test[0].Input
	other, _ := arc.Protocol(nil, tasks, 4, 3, false, 4)
	hidden := &arc.Dataset{Tasks: []*arc.Task{{ID: "hidden", Test: []arc.Pair{{Input: in}}}}, PerTask: 4, Side: 3}
	for _, tc := range []struct {
		name    string
		d       *arc.Dataset
		queries []ARCQuery
		tasks   []int
		augs    int
		steps   int
	}{
		{"augs over PerTask", d, []ARCQuery{{0, in}}, nil, 5, 1},
		{"no augmentation", d, []ARCQuery{{0, in}}, nil, 0, 1},
		{"no steps", d, []ARCQuery{{0, in}}, nil, 1, 0},
		{"task out of range", d, []ARCQuery{{1, in}}, nil, 1, 1},
		{"grid over the canvas", d, []ARCQuery{{0, arc.NewGrid(4, 1)}}, nil, 1, 1},
		{"another canvas", other, []ARCQuery{{0, in}}, nil, 1, 1},
		{"evaluated task out of range", d, nil, []int{3}, 1, 1},
		{"unknown test output", hidden, nil, []int{0}, 1, 1},
	} {
		if tc.tasks != nil {
			if _, err := tr.EvaluateARC(tc.d, tc.tasks, tc.augs, tc.steps); err == nil {
				t.Errorf("%s: no error", tc.name)
			}
			continue
		}
		if _, err := tr.PredictARC(tc.d, tc.queries, tc.augs, tc.steps); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
