package study

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/recursive/arc"
)

// MadeUpTasks returns two small tasks (a flip and a recolouring; three
// demonstrations and one test input each) for running without the ARC data.
func MadeUpTasks() []*arc.Task {
	var out []*arc.Task
	grids := []arc.Grid{{{1, 0, 2}, {0, 3, 0}}, {{4, 4}, {0, 1}}, {{0, 5, 0}, {6, 0, 0}, {0, 0, 7}}, {{8, 0}, {0, 9}, {1, 1}}}
	flip := arc.IdentityAug()
	flip.Dihedral = 4
	recolour := arc.IdentityAug()
	recolour.Colors[1], recolour.Colors[2] = 2, 1
	for i, a := range []arc.Aug{flip, recolour} {
		t := &arc.Task{ID: fmt.Sprintf("made-up-%d", i)}
		for _, g := range grids[:3] {
			t.Train = append(t.Train, arc.Pair{Input: g, Output: a.Apply(g)})
		}
		t.Test = []arc.Pair{{Input: grids[3], Output: a.Apply(grids[3])}}
		out = append(out, t)
	}
	return out
}

// IdentityReport scores the baseline "the output is the input, unchanged"
// on the test inputs of tasks.
func IdentityReport(tasks []*arc.Task) arc.Report {
	preds := make([][][]arc.Prediction, len(tasks))
	for j, t := range tasks {
		for _, p := range t.Test {
			preds[j] = append(preds[j], []arc.Prediction{{Aug: arc.IdentityAug(), Output: p.Input}})
		}
	}
	return arc.NewReport(tasks, preds)
}

// OneAugScores returns, for each augmentation k of rep (on tasks), the score
// of answering every test input with augmentation k's answer alone (mapped
// back, no vote), and the mean of these scores over k: the no-vote baseline.
func OneAugScores(rep arc.Report, tasks []*arc.Task) (byAug []float64, mean float64) {
	byAug = make([]float64, rep.Augs)
	for k := range byAug {
		byAug[k] = arc.NewReport(tasks, subset(rep, k, k+1)).Single
		mean += byAug[k] / float64(rep.Augs)
	}
	return byAug, mean
}

// PassAt2ByK returns pass@2 when only the first K augmentations of rep are
// voted on, for K = 1, 2, 4, ... up to maxK.
func PassAt2ByK(rep arc.Report, tasks []*arc.Task, maxK int) (ks, pass2 []float64) {
	for k := 1; k <= maxK; k *= 2 {
		ks, pass2 = append(ks, float64(k)), append(pass2, arc.NewReport(tasks, subset(rep, 0, k)).PassAt2)
	}
	return ks, pass2
}

// subset returns the predictions of augmentations lo..hi-1 of every test input.
func subset(rep arc.Report, lo, hi int) [][][]arc.Prediction {
	sub := make([][][]arc.Prediction, len(rep.Preds))
	for j := range rep.Preds {
		for _, ps := range rep.Preds[j] {
			sub[j] = append(sub[j], ps[lo:hi])
		}
	}
	return sub
}
