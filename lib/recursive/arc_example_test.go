package recursive_test

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/recursive"
	"github.com/labnotes/labnotes/lib/recursive/arc"
)

// ExampleTrainer_EvaluateARC trains a tiny TRM on the demonstration pairs
// of an ARC task whose answer is its input recoloured (1 -> 2), with 8
// augmentations (dihedral and colour permutations, each its own puzzle
// identifier), then answers the held-out test input under the 8
// augmentations, maps each answer back, votes and scores pass@2.
func ExampleTrainer_EvaluateARC() {
	recolour := func(g arc.Grid) arc.Grid {
		out := g.Clone()
		for r := range out {
			for c := range out[r] {
				if out[r][c] == 1 {
					out[r][c] = 2
				}
			}
		}
		return out
	}
	task := &arc.Task{ID: "recolour"}
	for _, g := range []arc.Grid{{{1, 0}, {0, 1}}, {{0, 1, 1}}, {{1}, {0}, {1}}, {{1, 1}, {1, 0}}, {{0, 0, 1}, {1, 0, 0}}, {{1, 0, 1}}} {
		task.Train = append(task.Train, arc.Pair{Input: g, Output: recolour(g)})
	}
	task.Test = []arc.Pair{{Input: arc.Grid{{0, 1}, {1, 1}}, Output: arc.Grid{{0, 2}, {2, 2}}}}
	d, err := arc.Protocol(nil, []*arc.Task{task}, 8, 1, false, 3) // 3x3 canvas
	if err != nil {
		panic(err)
	}
	backend := backend.MustNew()
	cfg := recursive.Config{Kind: recursive.TRM, SeqLen: d.SeqLen(), Vocab: arc.Vocab, NumPuzzleIDs: d.NumPuzzleIDs(),
		Hidden: 32, Heads: 2, Layers: 1, Mixer: recursive.MixMLP, T: 1, SmallN: 1, NSup: 1, Batch: 16, PerPuzzle: 8,
		LearningRate: 3e-3, Seed: 1}
	tr, err := recursive.NewTrainer(backend, cfg, d)
	if err != nil {
		panic(err)
	}
	defer tr.Close()
	if err := tr.Train(300); err != nil {
		panic(err)
	}
	rep, err := tr.EvaluateARC(d, []int{0}, 8, cfg.NSup)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d test input, %d answers each; pass@2 %.0f%%\n", rep.Inputs, rep.Augs, 100*rep.PassAt2)
	// Output:
	// 1 test input, 8 answers each; pass@2 100%
}
