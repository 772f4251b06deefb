package recursive

import (
	"iter"
	"slices"

	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// EvalResult is the accuracy of a model on a set of puzzles after a fixed
// number of supervision steps.
type EvalResult struct {
	// Puzzles is the number of puzzles evaluated; Steps the supervision
	// steps run on each.
	Puzzles, Steps int
	// ExactAccuracy is the fraction of puzzles whose answer is entirely
	// right after the last step: the number to report.
	ExactAccuracy float64
	// CellAccuracy is the fraction of label cells (every cell with a label
	// token other than 0, given cells included) that are right after the
	// last step: a secondary number, not to be confused with ExactAccuracy.
	CellAccuracy float64
	// ExactByStep and CellByStep are the accuracies after each supervision
	// step 1..Steps (ExactByStep[Steps-1] == ExactAccuracy).
	ExactByStep, CellByStep []float64
	// HaltedExactAccuracy is the exact accuracy when each puzzle stops at the
	// first step where the halting head says halt (or the last step).
	HaltedExactAccuracy float64
	// UsedEMA tells whether the EMA of the weights was evaluated.
	UsedEMA bool
}

// Evaluate runs steps supervision steps (without halting) on every puzzle
// of src (augmentation 0 only, in order, batches of Config.Batch) and
// returns the accuracies after each. With Config.EMA > 0 (and at least one
// training step) it evaluates the EMA of the weights.
func (t *Trainer) Evaluate(src puzzle.Source, steps int) (EvalResult, error) {
	if src.SeqLen() != t.Config.SeqLen {
		return EvalResult{}, errors.Errorf("recursive: evaluation source has SeqLen %d, config %d", src.SeqLen(), t.Config.SeqLen)
	}
	res := EvalResult{Steps: steps}
	n := max(steps, 0) // infer checks steps >= 1.
	exactN, cellOKN, cellN := make([]int, n), make([]int, n), make([]int, n)
	haltedExact := 0
	var halted []bool // per query of the batch: halted at an earlier step
	visit := func(qs []query, s int, r *stepResult) {
		if s == 0 {
			res.Puzzles += len(qs)
			halted = make([]bool, len(qs))
		}
		for i := range qs {
			if r.exact[i] {
				exactN[s]++
			}
			cellOKN[s] += int(r.cellOK[i])
			cellN[s] += int(r.cellN[i])
			if !halted[i] && (r.halts(t.Config, i) || s == steps-1) {
				halted[i] = true
				if r.exact[i] {
					haltedExact++
				}
			}
		}
	}
	var err error
	if res.UsedEMA, err = t.infer("evaluation", sourceBatches(src, t.Config.Batch), steps, visit); err != nil {
		return res, err
	}
	if res.Puzzles == 0 {
		return res, errors.New("recursive: empty evaluation source")
	}
	res.ExactByStep, res.CellByStep = make([]float64, n), make([]float64, n)
	for s := range steps {
		res.ExactByStep[s] = float64(exactN[s]) / float64(res.Puzzles)
		if cellN[s] > 0 {
			res.CellByStep[s] = float64(cellOKN[s]) / float64(cellN[s])
		}
	}
	res.ExactAccuracy, res.CellAccuracy = res.ExactByStep[steps-1], res.CellByStep[steps-1]
	res.HaltedExactAccuracy = float64(haltedExact) / float64(res.Puzzles)
	return res, nil
}

// sourceBatches yields the puzzles of src (augmentation 0, in order) as
// queries, in batches of b.
func sourceBatches(src puzzle.Source, b int) iter.Seq2[[]query, error] {
	return func(yield func([]query, error) bool) {
		for batch, err := range puzzle.Stream(src, puzzle.Config{BatchSize: b, NoShuffle: true, Workers: 1}) {
			if err != nil {
				yield(nil, err)
				return
			}
			qs := make([]query, batch.Size)
			for i := range qs {
				in, lab := batch.Row(i)
				qs[i] = query{tokens: slices.Clone(in), labels: slices.Clone(lab), id: batch.PuzzleIDs[i]}
			}
			if !yield(qs, nil) {
				return
			}
		}
	}
}

// Predictions are a model's answers after each supervision step.
type Predictions struct {
	// Inputs and Labels are the puzzles' tokens, [puzzle][L].
	Inputs, Labels [][]uint8
	// Answers[s][p] is the argmax answer (tokens, [L]) of puzzle p after
	// supervision step s+1.
	Answers [][][]uint8
	// Exact[s][p] tells whether Answers[s][p] equals Labels[p] on every
	// label cell (label token != 0; a puzzle without label cells is never
	// exact).
	Exact [][]bool
}

// Predict runs steps supervision steps (no halting; the EMA weights when
// Config.EMA > 0 and the model was trained) on the base puzzles idx of src
// (augmentation 0) and returns the answer after every step: the answer y
// improving over supervision steps.
func (t *Trainer) Predict(src puzzle.Source, idx []int, steps int) (Predictions, error) {
	L := t.Config.SeqLen
	if src.SeqLen() != L {
		return Predictions{}, errors.Errorf("recursive: source has SeqLen %d, config %d", src.SeqLen(), L)
	}
	n := max(steps, 0) // infer checks steps >= 1.
	p := Predictions{Answers: make([][][]uint8, n), Exact: make([][]bool, n)}
	qs := make([]query, len(idx))
	for k, i := range idx {
		q := query{tokens: make([]uint8, L), labels: make([]uint8, L)}
		var err error
		if q.id, err = src.Example(i, 0, nil, q.tokens, q.labels); err != nil {
			return p, errors.WithMessagef(err, "recursive: puzzle %d", i)
		}
		p.Inputs, p.Labels, qs[k] = append(p.Inputs, q.tokens), append(p.Labels, q.labels), q
	}
	_, err := t.infer("prediction", chunks(qs, t.Config.Batch), steps, func(qs []query, s int, r *stepResult) {
		for i := range qs {
			ans := make([]uint8, L)
			for j := range L {
				ans[j] = uint8(r.answer[i*L+j])
			}
			p.Answers[s] = append(p.Answers[s], ans)
			p.Exact[s] = append(p.Exact[s], r.exact[i])
		}
	})
	return p, err
}

// EvalPoint is a held-out evaluation made during training.
type EvalPoint struct {
	Step int // training steps done
	EvalResult
}

// TrainEvaluating runs steps training steps and evaluates on test (with
// evalSteps supervision steps; 0: NSup) every every steps and after the
// last one, calling onEval (if not nil) with each point: the held-out
// accuracy curve of a run. The points are returned and also appended to
// t.Evals.
func (t *Trainer) TrainEvaluating(steps, every int, test puzzle.Source, evalSteps int, onEval func(EvalPoint)) ([]EvalPoint, error) {
	if every < 1 {
		every = steps
	}
	if evalSteps <= 0 {
		evalSteps = t.Config.NSup
	}
	var points []EvalPoint
	for done := 0; done < steps; {
		n := min(every, steps-done)
		if err := t.Train(n); err != nil {
			return points, err
		}
		done += n
		res, err := t.Evaluate(test, evalSteps)
		if err != nil {
			return points, err
		}
		p := EvalPoint{Step: t.steps, EvalResult: res}
		points = append(points, p)
		t.Evals = append(t.Evals, p)
		if onEval != nil {
			onEval(p)
		}
	}
	return points, nil
}
