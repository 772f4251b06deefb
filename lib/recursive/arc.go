package recursive

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
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
// identifier of its own. Each call compiles its graph anew (cheap on the Go
// backend; on XLA prefer few calls with many queries).
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
	L := cfg.SeqLen
	type job struct {
		q, k   int
		tokens []uint8
		id     int32
	}
	var jobs []job
	preds := make([][]arc.Prediction, len(queries))
	for q, qu := range queries {
		if qu.Task < 0 || qu.Task >= len(d.Tasks) {
			return nil, errors.Errorf("recursive: query %d names task %d, the dataset has %d", q, qu.Task, len(d.Tasks))
		}
		preds[q] = make([]arc.Prediction, augs)
		for k := range augs {
			a := d.TaskAug(qu.Task, k)
			tok := make([]uint8, L)
			if err := cv.Encode(tok, a.Apply(qu.Input), 0, 0); err != nil {
				return nil, errors.WithMessagef(err, "recursive: query %d (task %s)", q, d.Tasks[qu.Task].ID)
			}
			preds[q][k].Aug = a
			jobs = append(jobs, job{q: q, k: k, tokens: tok, id: d.PuzzleID(qu.Task, k)})
		}
	}
	if len(jobs) == 0 {
		return preds, nil
	}
	if cfg.EMA > 0 && t.Steps() > 0 {
		restore, err := t.swapEMA()
		if err != nil {
			return nil, err
		}
		defer restore()
	}
	if t.arcExec == nil {
		exec, err := model.NewExec(t.Backend, t.Store, t.arcGraph)
		if err != nil {
			return nil, errors.WithMessage(err, "recursive: ARC prediction graph")
		}
		t.arcExec = exec
	}
	exec := t.arcExec
	B := cfg.Batch
	for from := 0; from < len(jobs); from += B {
		n := min(B, len(jobs)-from)
		tokens, ids, reset := make([]int32, B*L), make([]int32, B), make([]bool, B)
		for i := range B {
			j := jobs[from+min(i, n-1)] // Pad with copies of the last job.
			for c, v := range j.tokens {
				tokens[i*L+c] = int32(v)
			}
			ids[i], reset[i] = j.id, true
		}
		tk, idt := tensors.FromFlatDataAndDimensions(tokens, B, L), tensors.FromFlatDataAndDimensions(ids, B)
		state := t.zeroState(B)
		var out []*tensors.Tensor
		for s := range steps {
			args := []any{tk, idt, tensors.FromFlatDataAndDimensions(reset, B)}
			for _, x := range state {
				args = append(args, x)
			}
			if out != nil {
				release(toAny(out[cfg.NumStates():])...) // the previous step's answers
			}
			var err error
			if out, err = exec.Call(args...); err != nil {
				return nil, errors.WithMessagef(err, "recursive: ARC prediction step %d", s+1)
			}
			release(args[2:]...) // reset and the previous state
			state = out[:cfg.NumStates()]
			clear(reset)
		}
		k := cfg.NumStates()
		ans := tensors.MustCopyFlatData[int32](out[k])
		conf := tensors.MustCopyFlatData[float32](out[k+1])
		release(append([]any{tk, idt}, toAny(out)...)...)
		canvas := make([]uint8, L)
		for i := range n {
			j := jobs[from+i]
			for c := range L {
				canvas[c] = uint8(ans[i*L+c])
			}
			p := &preds[j.q][j.k]
			p.Confidence = float64(conf[i])
			if g, err := cv.Decode(canvas); err == nil {
				p.Output = g
			}
		}
	}
	return preds, nil
}

// arcGraph is one supervision step for PredictARC: inputs tokens [B, L],
// puzzle ids [B], reset [B] and the state; outputs the new state, the
// argmax answer [B, L] (int32) and sigmoid(q_halt) [B].
func (t *Trainer) arcGraph(root *model.Scope, in []*Node) []*Node {
	g := in[0].Graph()
	root.Store().SetTraining(g, true) // See evalGraph: variables as parameters.
	ms := root.At(ScopeModel)
	state := ResetState(ms, in[3:], in[2])
	so := Step(ms, in[0], in[1], state)
	return append(append([]*Node{}, so.State...), graph.ArgMax(so.Logits, -1, in[0].DType()), graph.Sigmoid(so.QHalt))
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
