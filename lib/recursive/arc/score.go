package arc

import (
	"sort"
)

// Prediction is a model's answer for one test input of one augmented
// version of a task, in the augmented frame (already cropped from the
// canvas with [Decode]).
type Prediction struct {
	Aug    Aug
	Output Grid
	// Confidence breaks ties between equally voted answers (e.g. HRM's
	// halting Q value); higher is better.
	Confidence float64
}

// Candidate is an answer in the original frame with its votes.
type Candidate struct {
	Output     Grid
	Votes      int
	Confidence float64 // the sum over its votes
}

// Vote maps each prediction back to the original frame (inverting its
// augmentation), groups identical answers and ranks them by votes, then
// total confidence, then first appearance.
func Vote(preds []Prediction) []Candidate {
	idx := map[string]int{}
	var cands []Candidate
	for _, p := range preds {
		if p.Output == nil || p.Output.Validate() != nil {
			continue
		}
		g := p.Aug.Inverse().Apply(p.Output)
		k := g.Key()
		i, ok := idx[k]
		if !ok {
			i = len(cands)
			idx[k] = i
			cands = append(cands, Candidate{Output: g})
		}
		cands[i].Votes++
		cands[i].Confidence += p.Confidence
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].Votes != cands[j].Votes {
			return cands[i].Votes > cands[j].Votes
		}
		return cands[i].Confidence > cands[j].Confidence
	})
	return cands
}

// PassAtK reports whether one of the k best candidates equals truth.
func PassAtK(cands []Candidate, truth Grid, k int) bool {
	for i := 0; i < k && i < len(cands); i++ {
		if cands[i].Output.Equal(truth) {
			return true
		}
	}
	return false
}

// TaskScore scores one task the ARC way with two attempts: the fraction of
// its test inputs whose true output is among the two best voted candidates.
// preds[i] holds the predictions for test input i.
func TaskScore(t *Task, preds [][]Prediction) float64 {
	if len(t.Test) == 0 {
		return 0
	}
	ok := 0
	for i, p := range t.Test {
		if i < len(preds) && PassAtK(Vote(preds[i]), p.Output, 2) {
			ok++
		}
	}
	return float64(ok) / float64(len(t.Test))
}

// Score is the mean [TaskScore] over tasks (the ARC-AGI pass@2 score);
// preds[j] are the predictions for tasks[j].
func Score(tasks []*Task, preds [][][]Prediction) float64 {
	if len(tasks) == 0 {
		return 0
	}
	s := 0.0
	for j, t := range tasks {
		if j < len(preds) {
			s += TaskScore(t, preds[j])
		}
	}
	return s / float64(len(tasks))
}

// Report scores predictions for the test inputs of tasks; every score is
// the mean over tasks of the fraction of a task's test inputs answered
// right (as [Score]).
type Report struct {
	// Tasks and Inputs count the tasks and their test inputs; Augs is the
	// largest number of predictions of one input.
	Tasks, Inputs, Augs int
	// PassAt2 is the ARC score: the true output among the two most voted
	// candidates ([Vote]).
	PassAt2 float64
	// PassAt1 counts only the most voted candidate.
	PassAt1 float64
	// Single is the score of each input's first prediction alone (by
	// convention the unaugmented one), with no vote: what augmentation and
	// voting add to.
	Single float64
	// Oracle counts an input right if any of its predictions is: the
	// bound no vote can beat.
	Oracle float64
	// Decoded is the fraction of predictions that are valid grids.
	Decoded float64
	// Preds[j][i] are the predictions for test input i of task j.
	Preds [][][]Prediction
}

// NewReport scores preds[j][i], the predictions for test input i of
// tasks[j] (whose test outputs must be known; a missing one counts as
// wrong).
func NewReport(tasks []*Task, preds [][][]Prediction) Report {
	r := Report{Tasks: len(tasks), Preds: preds}
	var total, decoded int
	for j, t := range tasks {
		var p2, p1, single, oracle float64
		for i, pair := range t.Test {
			r.Inputs++
			if j >= len(preds) || i >= len(preds[j]) || len(preds[j][i]) == 0 {
				continue
			}
			ps := preds[j][i]
			r.Augs = max(r.Augs, len(ps))
			cands := Vote(ps)
			if PassAtK(cands, pair.Output, 2) {
				p2++
			}
			if PassAtK(cands, pair.Output, 1) {
				p1++
			}
			if PassAtK(Vote(ps[:1]), pair.Output, 1) {
				single++
			}
			if PassAtK(cands, pair.Output, len(cands)) {
				oracle++
			}
			for _, p := range ps {
				total++
				if p.Output != nil && p.Output.Validate() == nil {
					decoded++
				}
			}
		}
		if n := float64(len(t.Test)); n > 0 {
			r.PassAt2 += p2 / n
			r.PassAt1 += p1 / n
			r.Single += single / n
			r.Oracle += oracle / n
		}
	}
	if n := float64(len(tasks)); n > 0 {
		r.PassAt2 /= n
		r.PassAt1 /= n
		r.Single /= n
		r.Oracle /= n
	}
	if total > 0 {
		r.Decoded = float64(decoded) / float64(total)
	}
	return r
}
