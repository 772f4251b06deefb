package recursive

import (
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/recursive/arc"
)

// ARCQuery is one ARC input to answer: Task indexes the tasks of the
// [arc.Dataset] the model was trained on (it picks the augmentations and
// their puzzle identifiers), Input is the grid in the task's original frame.
type ARCQuery struct {
	Task  int
	Input arc.Grid
}

// PredictARC answers every query under augmentations 0..augs-1 of its task
// (augmentation k: d.TaskAug(task, k), puzzle identifier d.PuzzleID(task,
// k), the augmented input at the top-left corner of d's canvas), running
// steps supervision steps without halting (the EMA weights when Config.EMA
// > 0 and the model was trained). It returns preds[q][k], the answer to
// query q under augmentation k, cropped from the canvas (arc.Canvas.Decode)
// and left in the augmented frame with its Aug and, as Confidence, the
// sigmoid of the halting logit q_halt: what [arc.Vote] maps back and
// votes on. An answer that is not a grid has a nil Output (Vote skips it).
// augs must be in 1..d.PerTask: augmentation k >= PerTask has no puzzle
// identifier of its own. It runs the graph of [Trainer.Evaluate] and
// [Trainer.Predict] (compiled once per trainer).
func (t *Trainer) PredictARC(d *arc.Dataset, queries []ARCQuery, augs, steps int) ([][]arc.Prediction, error) {
	cfg := t.Config
	if d.SeqLen() != cfg.SeqLen {
		return nil, errors.Errorf("recursive: ARC dataset has SeqLen %d, config %d", d.SeqLen(), cfg.SeqLen)
	}
	if augs < 1 || augs > d.PerTask || steps < 1 {
		return nil, errors.Errorf("recursive: PredictARC needs 1 <= augs (%d) <= PerTask (%d) and steps (%d) >= 1", augs, d.PerTask, steps)
	}
	if d.NumPuzzleIDs() > cfg.NumPuzzleIDs {
		return nil, errors.Errorf("recursive: ARC dataset has %d puzzle ids, the model %d", d.NumPuzzleIDs(), cfg.NumPuzzleIDs)
	}
	cv := d.Canvas()
	var qs []query
	preds := make([][]arc.Prediction, len(queries))
	for q, qu := range queries {
		if qu.Task < 0 || qu.Task >= len(d.Tasks) {
			return nil, errors.Errorf("recursive: query %d names task %d, the dataset has %d", q, qu.Task, len(d.Tasks))
		}
		preds[q] = make([]arc.Prediction, augs)
		for k := range augs {
			a := d.TaskAug(qu.Task, k)
			tok := make([]uint8, cfg.SeqLen)
			if err := cv.Encode(tok, a.Apply(qu.Input), 0, 0); err != nil {
				return nil, errors.WithMessagef(err, "recursive: query %d (task %s)", q, d.Tasks[qu.Task].ID)
			}
			preds[q][k].Aug = a
			qs = append(qs, query{tokens: tok, id: d.PuzzleID(qu.Task, k)})
		}
	}
	if len(qs) == 0 {
		return preds, nil
	}
	// qs[j] is query j/augs under augmentation j%augs; batches start at
	// multiples of Config.Batch.
	from := 0
	_, err := t.infer("ARC prediction", chunks(qs, cfg.Batch), steps, func(batch []query, s int, r *stepResult) {
		if s < steps-1 {
			return
		}
		L := cfg.SeqLen
		for i := range batch {
			p := &preds[(from+i)/augs][(from+i)%augs]
			p.Confidence = float64(r.pHalt[i])
			canvas := make([]uint8, L)
			for c := range L {
				canvas[c] = uint8(r.answer[i*L+c])
			}
			if g, err := cv.Decode(canvas); err == nil {
				p.Output = g
			}
		}
		from += len(batch)
	})
	if err != nil {
		return nil, err
	}
	return preds, nil
}

// EvaluateARC answers the test inputs of the tasks d.Tasks[tasks[j]]
// (whose test outputs must be known) under augs augmentations with
// [Trainer.PredictARC] and scores them with [arc.NewReport]: pass@2 and
// pass@1 of the vote, the single unaugmented answer and the oracle. For
// example, after training on arc.Protocol(train, eval, K, ...) (eval task j
// is task len(train)+j of the dataset; ExampleTrainer_EvaluateARC):
//
//	rep, err := tr.EvaluateARC(d, evalTasks, K, tr.Config.NSup)
//	// rep.PassAt2 (the ARC score), rep.Single (no augmentation, no vote)
func (t *Trainer) EvaluateARC(d *arc.Dataset, tasks []int, augs, steps int) (arc.Report, error) {
	var queries []ARCQuery
	var sel []*arc.Task
	for _, j := range tasks {
		if j < 0 || j >= len(d.Tasks) {
			return arc.Report{}, errors.Errorf("recursive: task %d out of range [0, %d)", j, len(d.Tasks))
		}
		sel = append(sel, d.Tasks[j])
		for i, p := range d.Tasks[j].Test {
			if p.Output == nil {
				return arc.Report{}, errors.Errorf("recursive: task %s test input %d has no known output to score", d.Tasks[j].ID, i)
			}
			queries = append(queries, ARCQuery{Task: j, Input: p.Input})
		}
	}
	flat, err := t.PredictARC(d, queries, augs, steps)
	if err != nil {
		return arc.Report{}, err
	}
	preds := make([][][]arc.Prediction, len(sel))
	q := 0
	for j, task := range sel {
		preds[j] = flat[q : q+len(task.Test)]
		q += len(task.Test)
	}
	return arc.NewReport(sel, preds), nil
}
