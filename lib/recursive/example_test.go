package recursive_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/recursive"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

// The examples run on the test backend (the Go backend unless
// LABNOTES_TEST_BACKEND says otherwise), created (and announced) before
// they run, so their output does not depend on their order.
func init() {
	os.Setenv(backend.ConfigEnv, testutil.BackendName())
	backend.MustNew()
}

// puzzles4 returns n generated 4x4 Sudoku puzzles as a puzzle.Source.
func puzzles4(n int, seed uint64) *sudoku.Dataset {
	gen, err := sudoku.GenerateN(sudoku.GenOptions{Shape: sudoku.Shape4}, seed, n, 1)
	if err != nil {
		panic(err)
	}
	d := &sudoku.Dataset{Shape: sudoku.Shape4}
	for _, g := range gen {
		d.Puzzles = append(d.Puzzles, g.Puzzle)
		d.Solutions = append(d.Solutions, g.Solution)
	}
	return d
}

func ExampleNewTrainer() {
	backend := backend.MustNew()
	train := puzzles4(16, 1)
	cfg := recursive.Config{Kind: recursive.TRM, SeqLen: 16, Vocab: sudoku.Vocab(sudoku.Shape4),
		Hidden: 16, Heads: 2, Layers: 1, Mixer: recursive.MixMLP, T: 2, SmallN: 2, NSup: 4, Batch: 8,
		LearningRate: 1e-3, EMA: 0.99, Seed: 1}
	tr, err := recursive.NewTrainer(backend, cfg, train)
	if err != nil {
		panic(err)
	}
	defer tr.Close()
	steps := 0
	tr.OnStep = func(s recursive.StepInfo) { steps = s.Step } // e.g. a progress bar
	if err := tr.Train(10); err != nil {
		panic(err)
	}
	res, err := tr.Evaluate(train, cfg.NSup)
	if err != nil {
		panic(err)
	}
	fmt.Println("steps:", steps)
	fmt.Println("puzzles:", res.Puzzles, "supervision steps:", len(res.ExactByStep), "EMA:", res.UsedEMA)
	fmt.Println("accuracies in [0, 1]:", res.ExactAccuracy >= 0 && res.ExactAccuracy <= res.CellAccuracy && res.CellAccuracy <= 1)
	// Output:
	// steps: 10
	// puzzles: 16 supervision steps: 4 EMA: true
	// accuracies in [0, 1]: true
}

func ExampleResume() {
	backend := backend.MustNew()
	train := puzzles4(12, 2)
	cfg := recursive.Config{Kind: recursive.HRM, SeqLen: 16, Vocab: sudoku.Vocab(sudoku.Shape4),
		Hidden: 16, Heads: 2, Layers: 1, N: 2, T: 1, NSup: 4, Batch: 4, Seed: 3}
	dir, err := os.MkdirTemp("", "recursive")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "run.ckpt")

	a, _ := recursive.NewTrainer(backend, cfg, train)
	defer a.Close()
	_ = a.Train(3)
	if err := a.Save(path); err != nil {
		panic(err)
	}
	_ = a.Train(5)

	b, err := recursive.Resume(backend, path, train)
	if err != nil {
		panic(err)
	}
	defer b.Close()
	_ = b.Train(5)
	same := true
	for i := range a.History {
		same = same && a.History[i].Loss == b.History[i].Loss
	}
	fmt.Println("resumed at step 3, now at", b.Steps(), "with the same losses:", same)

	_, err = recursive.Resume(backend, filepath.Join(dir, "missing.ckpt"), train)
	fmt.Println(err != nil)
	// Output:
	// resumed at step 3, now at 8 with the same losses: true
	// true
}

func ExampleStep() {
	backend := backend.MustNew()
	cfg := recursive.Config{Kind: recursive.TRM, SeqLen: 16, Vocab: 6, Hidden: 16, Heads: 2, Layers: 1, PuzzlePrefix: 2}
	store := model.NewStore()
	store.SetParams(cfg.Params())
	const b = 3
	tokens := tensors.FromFlatDataAndDimensions(make([]int32, b*16), b, 16)
	ids := tensors.FromFlatDataAndDimensions(make([]int32, b), b)
	out, err := model.CallOnceN(backend, store, func(scope *model.Scope, in []*recursive.Node) []*recursive.Node {
		state := recursive.InitialState(scope, in[0].Graph(), b) // [y, z], each [B, S, D]
		so := recursive.Step(scope, in[0], in[1], state)
		return []*recursive.Node{so.Logits, so.QHalt, so.State[0], so.State[1]}
	}, tokens, ids)
	if err != nil {
		panic(err)
	}
	for _, t := range out {
		fmt.Println(t.Shape())
	}
	// Output:
	// (Float32)[3, 16, 6]
	// (Float32)[3]
	// (Float32)[3, 18, 16]
	// (Float32)[3, 18, 16]
}

func ExampleCompare() {
	backend := backend.MustNew()
	train, test, err := recursive.SudokuSplit(sudoku.Shape4, 40, 0.25, 1)
	if err != nil {
		panic(err)
	}
	base := recursive.Config{SeqLen: 16, Vocab: sudoku.Vocab(sudoku.Shape4), Hidden: 16, Heads: 2, Layers: 1,
		Mixer: recursive.MixMLP, T: 2, N: 1, SmallN: 1, NSup: 2, Batch: 8, LearningRate: 1e-3}
	trm, hrm := base, base
	trm.Kind, hrm.Kind = recursive.TRM, recursive.HRM
	res, err := recursive.Compare(backend, []recursive.Run{{Name: "TRM", Config: trm}, {Name: "HRM", Config: hrm}},
		recursive.CompareOptions{Steps: 3, Seeds: []uint64{1, 2}, Train: train, Test: test})
	if err != nil {
		panic(err)
	}
	sums := recursive.Summarize(res)
	gap, spread := recursive.Margin(sums[0], sums[1])
	fmt.Println("runs:", len(res), "models:", sums[0].Name, sums[1].Name, "seeds each:", len(sums[0].Exact))
	fmt.Println("finite:", !math.IsNaN(gap) && spread >= 0)
	fmt.Println("blocks per supervision step:", trm.Cost().Forward, hrm.Cost().Forward)
	// Output:
	// runs: 4 models: TRM HRM seeds each: 2
	// finite: true
	// blocks per supervision step: 4 3
}

func ExampleTrainer_Predict() {
	backend := backend.MustNew()
	train, test, err := recursive.SudokuSplit(sudoku.Shape4, 40, 0.25, 2)
	if err != nil {
		panic(err)
	}
	cfg := recursive.Config{Kind: recursive.TRM, SeqLen: 16, Vocab: sudoku.Vocab(sudoku.Shape4), Hidden: 16, Heads: 2,
		Layers: 1, Mixer: recursive.MixMLP, T: 2, SmallN: 2, NSup: 4, Batch: 8, LearningRate: 1e-3, Seed: 1}
	tr, err := recursive.NewTrainer(backend, cfg, train)
	if err != nil {
		panic(err)
	}
	defer tr.Close()
	if err := tr.Train(5); err != nil {
		panic(err)
	}
	p, err := tr.Predict(test, []int{0, 1, 2}, 4) // the answer after each of 4 supervision steps
	if err != nil {
		panic(err)
	}
	// p.Answers[3][0]: the tokens of puzzle 0 after step 4 (sudoku.FromTokens, then sudoku.SVG);
	// p.Exact[3][0]: whether it is the solution.
	fmt.Println("steps:", len(p.Answers), "puzzles:", len(p.Answers[0]), "cells:", len(p.Answers[0][0]), len(p.Exact[3]))
	// Output:
	// steps: 4 puzzles: 3 cells: 16 3
}
