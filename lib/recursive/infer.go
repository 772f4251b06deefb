package recursive

// The one inference path: one graph (a supervision step without training)
// and one supervision loop, used by Evaluate, Predict and PredictARC.

import (
	"iter"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/parallel"
)

// query is one example to infer on: its input tokens and labels (each [L];
// nil labels: no label cells) and its puzzle identifier.
type query struct {
	tokens, labels []uint8
	id             int32
}

// stepResult is one supervision step's output for a batch, on the host;
// row i is the batch's query i (rows past the queries are padding).
type stepResult struct {
	answer                  []int32 // argmax tokens [B·L]
	qHalt, qContinue, pHalt []float32
	exact                   []bool  // whole answer right (at least one label cell)
	cellOK, cellN           []int32 // right label cells, label cells
}

// halts is the halting head's decision for row i (see [Config.haltSignal]).
func (r *stepResult) halts(c Config, i int) bool { return c.haltSignal(r.qHalt[i], r.qContinue[i]) }

// infer runs steps supervision steps, without halting, on every batch of
// queries (at most Config.Batch each) that batches yields: each batch
// starts from the initial state and is padded to Config.Batch with copies
// of its last query. After every step s (from 0) it calls visit with the
// batch's queries and the step's result. With Config.EMA > 0 and at least
// one training step it runs the EMA of the weights (usedEMA). what names
// the caller in errors.
func (t *Trainer) infer(what string, batches iter.Seq2[[]query, error], steps int, visit func(qs []query, s int, r *stepResult)) (usedEMA bool, err error) {
	cfg := t.Config
	if steps < 1 {
		return false, errors.Errorf("recursive: %s needs steps >= 1, got %d", what, steps)
	}
	if cfg.EMA > 0 && t.steps > 0 {
		restore, err := t.swapEMA()
		if err != nil {
			return false, err
		}
		defer restore()
		usedEMA = true
	}
	if t.inferExec == nil {
		exec, err := t.plan.NewExec(t.Backend, t.Store, t.inferGraph, []parallel.Layout{parallel.Batch}, t.outLayouts(0, 7))
		if err != nil {
			return usedEMA, errors.WithMessage(err, "recursive: inference graph")
		}
		t.inferExec = exec
	}
	B, L, k := cfg.Batch, cfg.SeqLen, cfg.NumStates()
	for qs, err := range batches {
		if err != nil {
			return usedEMA, errors.WithMessagef(err, "recursive: %s data", what)
		}
		tokens, labels, ids := make([]int32, B*L), make([]int32, B*L), make([]int32, B)
		reset := make([]bool, B)
		for i := range B {
			q := qs[min(i, len(qs)-1)]
			for j := range L {
				tokens[i*L+j] = int32(q.tokens[j])
				if q.labels != nil {
					labels[i*L+j] = int32(q.labels[j])
				}
			}
			if ids[i], reset[i] = q.id, true; int(q.id) < 0 || int(q.id) >= cfg.NumPuzzleIDs {
				return usedEMA, errors.Errorf("recursive: %s: puzzle id %d out of range [0, %d)", what, q.id, cfg.NumPuzzleIDs)
			}
		}
		inputs := []any{tensors.FromFlatDataAndDimensions(tokens, B, L), tensors.FromFlatDataAndDimensions(ids, B),
			tensors.FromFlatDataAndDimensions(labels, B, L)}
		inputs, err = t.putBatch(inputs)
		if err != nil {
			return usedEMA, err
		}
		state := toAny(t.zeroState(B))
		for s := range steps {
			args, err := t.putBatch(append(append(slices.Clone(inputs), tensors.FromFlatDataAndDimensions(reset, B)), state...))
			if err != nil {
				return usedEMA, err
			}
			out, err := t.plan.Call(t.inferExec, args...)
			if err != nil {
				return usedEMA, errors.WithMessagef(err, "recursive: %s, supervision step %d", what, s+1)
			}
			release(args[len(inputs):]...) // reset and the previous state
			state = out[:k]
			m, err := hostTensors(out[k:])
			if err != nil {
				return usedEMA, err
			}
			visit(qs, s, &stepResult{answer: tensors.MustCopyFlatData[int32](m[0]),
				qHalt: tensors.MustCopyFlatData[float32](m[1]), qContinue: tensors.MustCopyFlatData[float32](m[2]),
				pHalt: tensors.MustCopyFlatData[float32](m[3]), exact: tensors.MustCopyFlatData[bool](m[4]),
				cellOK: tensors.MustCopyFlatData[int32](m[5]), cellN: tensors.MustCopyFlatData[int32](m[6])})
			release(toAny(m)...)
			clear(reset)
		}
		release(append(inputs, state...)...)
	}
	return usedEMA, nil
}

// inferGraph is one supervision step without training: inputs tokens
// [B, L], puzzle ids [B], labels [B, L], reset [B] and the state; outputs
// the new state, then the argmax answer [B, L] (int32), q_halt,
// q_continue and sigmoid(q_halt) [B], and the answer statistics against
// the labels (see answerStats).
func (t *Trainer) inferGraph(root *model.Scope, in []*Node) []*Node {
	// Marked as training, so that the variables are graph parameters: the
	// Go backend embeds the current values of a non-training graph's
	// variables as constants, and later calls would not see new weights.
	// The model has no train/eval-dependent layers.
	root.Store().SetTraining(in[0].Graph(), true)
	tokens, ids, labels, reset := in[0], in[1], in[2], in[3]
	so := supervisionStep(root.At(ScopeModel), tokens, ids, reset, in[4:])
	answer := graph.ArgMax(so.Logits, -1, dtypes.Int32)
	exact, cellOK, cellN := answerStats(answer, labels)
	return append(so.State, answer, so.QHalt, so.QContinue, graph.Sigmoid(so.QHalt), exact, cellOK, cellN)
}

// supervisionStep is the start of the training and inference graphs: the
// state of the examples where reset [B] is true replaced by the initial
// state, then one supervision step of the model in ms.
func supervisionStep(ms *model.Scope, tokens, ids, reset *Node, state []*Node) StepOutput {
	return Step(ms, tokens, ids, ResetState(ms, state, reset))
}

// answerStats returns, for the answer [B, L] (argmax tokens) and labels
// [B, L], whether each answer is exactly right ([B] bool: every label cell
// right, and at least one), and its right and total label cells ([B]
// int32); label token 0 is not a cell.
func answerStats(answer, labels *Node) (exact, cellOK, cellN *Node) {
	mask := graph.NotEqual(labels, graph.ScalarZero(labels.Graph(), labels.DType()))
	ok := graph.LogicalAnd(graph.Equal(answer, labels), mask)
	cellOK = graph.ReduceSum(graph.ConvertDType(ok, dtypes.Int32), -1)
	cellN = graph.ReduceSum(graph.ConvertDType(mask, dtypes.Int32), -1)
	exact = graph.LogicalAnd(graph.Equal(cellOK, cellN), graph.GreaterThan(cellN, graph.ScalarZero(labels.Graph(), dtypes.Int32)))
	return
}

// zeroState returns the carried state of b examples, all zeros (the
// graphs reset it to the initial state where reset is true).
func (t *Trainer) zeroState(b int) []*tensors.Tensor {
	out := make([]*tensors.Tensor, t.Config.NumStates())
	for i := range out {
		out[i] = tensors.FromShape(shapes.Make(dtypes.Float32, b, t.Config.Positions(), t.Config.Hidden))
	}
	return out
}

// chunks yields qs in batches of at most b.
func chunks(qs []query, b int) iter.Seq2[[]query, error] {
	return func(yield func([]query, error) bool) {
		for from := 0; from < len(qs); from += b {
			if !yield(qs[from:min(from+b, len(qs))], nil) {
				return
			}
		}
	}
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
