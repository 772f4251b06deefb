package recursive

import (
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
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
	cfg := t.Config
	if src.SeqLen() != cfg.SeqLen {
		return EvalResult{}, errors.Errorf("recursive: evaluation source has SeqLen %d, config %d", src.SeqLen(), cfg.SeqLen)
	}
	if steps < 1 {
		return EvalResult{}, errors.Errorf("recursive: Evaluate needs steps >= 1, got %d", steps)
	}
	res := EvalResult{Steps: steps, ExactByStep: make([]float64, steps), CellByStep: make([]float64, steps)}
	if cfg.EMA > 0 && t.steps > 0 {
		restore, err := t.swapEMA()
		if err != nil {
			return res, err
		}
		defer restore()
		res.UsedEMA = true
	}
	if t.evalExec == nil {
		exec, err := model.NewExec(t.Backend, t.Store, t.evalGraph)
		if err != nil {
			return res, errors.WithMessage(err, "recursive: evaluation graph")
		}
		t.evalExec = exec
	}
	B, L := cfg.Batch, cfg.SeqLen
	exactN := make([]int, steps)
	cellOKN, cellN := make([]int, steps), make([]int, steps)
	haltedExact := 0
	for b, err := range puzzle.Stream(src, puzzle.Config{BatchSize: B, NoShuffle: true, Workers: 1}) {
		if err != nil {
			return res, errors.WithMessage(err, "recursive: evaluation data")
		}
		tokens, labels := make([]int32, B*L), make([]int32, B*L)
		ids := make([]int32, B)
		for i := range B {
			r := min(i, b.Size-1) // Pad with copies of the last example.
			in, lab := b.Row(r)
			for j := range L {
				tokens[i*L+j], labels[i*L+j] = int32(in[j]), int32(lab[j])
			}
			ids[i] = b.PuzzleIDs[r]
			if int(ids[i]) < 0 || int(ids[i]) >= cfg.NumPuzzleIDs {
				return res, errors.Errorf("recursive: puzzle id %d out of range [0, %d)", ids[i], cfg.NumPuzzleIDs)
			}
		}
		tk, idt, lt := tensors.FromFlatDataAndDimensions(tokens, B, L), tensors.FromFlatDataAndDimensions(ids, B),
			tensors.FromFlatDataAndDimensions(labels, B, L)
		state := t.zeroState(B)
		reset := make([]bool, B)
		for i := range reset {
			reset[i] = true
		}
		halted := make([]bool, B)
		for s := range steps {
			args := []any{tk, idt, lt, tensors.FromFlatDataAndDimensions(reset, B)}
			for _, x := range state {
				args = append(args, x)
			}
			out, err := t.evalExec.Call(args...)
			if err != nil {
				return res, errors.WithMessage(err, "recursive: evaluation step")
			}
			k := cfg.NumStates()
			release(args[3:]...) // reset and the previous state
			state = out[:k]
			exact := tensors.MustCopyFlatData[bool](out[k])
			ok, n := tensors.MustCopyFlatData[int32](out[k+1]), tensors.MustCopyFlatData[int32](out[k+2])
			qh, qc := tensors.MustCopyFlatData[float32](out[k+3]), tensors.MustCopyFlatData[float32](out[k+4])
			release(toAny(out[k:])...)
			for i := range b.Size {
				if exact[i] {
					exactN[s]++
				}
				cellOKN[s] += int(ok[i])
				cellN[s] += int(n[i])
				if !halted[i] {
					signal := qh[i] > 0
					if cfg.QContinue {
						signal = qh[i] > qc[i]
					}
					if signal || s == steps-1 {
						halted[i] = true
						if exact[i] {
							haltedExact++
						}
					}
				}
			}
			for i := range reset {
				reset[i] = false
			}
		}
		release(append([]any{tk, idt, lt}, toAny(state)...)...)
		res.Puzzles += b.Size
	}
	if res.Puzzles == 0 {
		return res, errors.New("recursive: empty evaluation source")
	}
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

// evalGraph is one supervision step without training: inputs tokens,
// puzzle ids, labels, reset and the state; outputs the new state, exact,
// right cells, label cells, q_halt and q_continue.
func (t *Trainer) evalGraph(root *model.Scope, in []*Node) []*Node {
	g := in[0].Graph()
	// Marked as training, so that the variables are graph parameters: the
	// Go backend embeds the current values of a non-training graph's
	// variables as constants, and later evaluations would not see new
	// weights. The model has no train/eval-dependent layers.
	root.Store().SetTraining(g, true)
	ms := root.At(ScopeModel)
	state := ResetState(ms, in[4:], in[3])
	so := Step(ms, in[0], in[1], state)
	exact, ok, n := answerStats(so.Logits, in[2])
	return append(append([]*Node{}, so.State...), exact, ok, n, so.QHalt, so.QContinue)
}

// swapEMA replaces the model's weights by their EMA and returns the function
// that puts the weights back.
func (t *Trainer) swapEMA() (restore func(), err error) {
	ema := t.Config.ema()
	if _, err := ema.Swap(t.Store); err != nil {
		return nil, errors.WithMessage(err, "recursive: swapping in the EMA weights")
	}
	return func() {
		if _, err := ema.Swap(t.Store); err != nil {
			panic(errors.WithMessage(err, "recursive: swapping back the weights"))
		}
	}, nil
}
