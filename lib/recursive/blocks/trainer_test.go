package blocks

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/labnotes/labnotes/internal/testutil"
)

// TestTrainerIntegration trains a tiny puzzle model (label = (token +
// puzzle id) mod V: solvable only through the puzzle embedding) with
// GoMLX's train.Trainer, WithEMA(Routed(AdamATan2, puzzle_emb: SignSGD)),
// and checks the loss falls, the optimizers' state is where documented,
// and the EMA weights evaluate to a finite, reduced loss.
func TestTrainerIntegration(t *testing.T) {
	be := testutil.Backend(t)
	const batch, l, v, numIDs, d = 16, 4, 5, 4, 16
	cfg := Config{Hidden: d, Heads: 2, Expansion: 2}
	modelFn := func(scope *model.Scope, _ any, in []*graph.Node) []*graph.Node {
		tokens, ids := in[0], in[1]
		embed := scope.WithInitializer(TruncatedNormal(scope, 1)).
			VariableWithShape("embed", shapes.Make(dtypes.Float32, v, d)).NodeValue(tokens.Graph())
		x := graph.Gather(embed, graph.InsertAxes(tokens, -1)) // [b, l, d]
		prefix := PuzzleEmbedding(scope.In("puzzle_emb"), ids, numIDs, 1, d)
		h := Stack(scope.In("net"), graph.Concatenate([]*graph.Node{prefix, x}, 1), cfg, 1)
		h = graph.Slice(h, graph.AxisRange(), graph.AxisRange(1, l+1))
		head := scope.WithInitializer(LeCunNormal(scope)).
			VariableWithShape("head", shapes.Make(dtypes.Float32, d, v)).NodeValue(tokens.Graph())
		return []*graph.Node{graph.Einsum("bld,dv->blv", h, head)}
	}
	lossFn := func(labels, pred []*graph.Node) *graph.Node {
		mask := graph.GreaterOrEqual(labels[0], graph.ZerosLike(labels[0])) // All true here.
		return graph.ReduceAllMean(StablemaxCrossEntropy(pred[0], labels[0], mask))
	}
	ema := &EMA{Rate: 0.9}
	opt := WithEMA(Routed(&AdamATan2{LR: 3e-3}, map[string]VariableOptimizer{"puzzle_emb": &SignSGD{LR: 3e-3}}), ema)
	store := model.NewStore()
	store.SetParam(initializer.ParamInitialSeed, int64(3))
	trainer := train.NewTrainer(be, store, modelFn, lossFn, opt, nil, nil)

	rng := rand.New(rand.NewPCG(5, 6))
	makeBatch := func() ([]*tensors.Tensor, []*tensors.Tensor) {
		tok, ids, lab := make([]int32, batch*l), make([]int32, batch), make([]int32, batch*l)
		for b := range batch {
			ids[b] = int32(rng.IntN(numIDs))
			for i := range l {
				tok[b*l+i] = int32(rng.IntN(v))
				lab[b*l+i] = (tok[b*l+i] + ids[b]) % v
			}
		}
		return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(tok, batch, l), tensors.FromFlatDataAndDimensions(ids, batch)},
			[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(lab, batch, l)}
	}
	evalIn, evalLab := makeBatch()
	evalLoss := func(s *model.Store) float64 {
		out := model.MustExecOnceN(be, s, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
			return []*graph.Node{lossFn(in[2:], modelFn(scope, nil, in[:2]))}
		}, evalIn[0], evalIn[1], evalLab[0])
		return toF64(out[0])[0]
	}
	var first, last float64
	for step := range 300 {
		in, lab := makeBatch()
		metrics, err := trainer.TrainStep(train.Batch{Inputs: in, Labels: lab})
		if err != nil {
			t.Fatal(err)
		}
		loss := toF64(metrics[0])[0]
		if step == 0 {
			first = loss
		}
		last = loss
	}
	t.Logf("train loss %.3f -> %.3f", first, last)
	if !(last < 0.5*first) {
		t.Errorf("training did not reduce the loss enough: %.3f -> %.3f", first, last)
	}
	for _, p := range []string{"/AdamATan2/net/layer_0/mix/qkv_1st_moment", "/AdamATan2/head_2nd_moment", "/SignSGD/step",
		"/ema/shadow/puzzle_emb/table", "/ema/shadow/net/layer_0/mlp/down", "/global_step"} {
		if store.GetVariable(p) == nil {
			t.Errorf("no variable %s", p)
		}
	}
	if store.GetVariable("/AdamATan2/puzzle_emb/table_1st_moment") != nil {
		t.Errorf("AdamATan2 also updated the puzzle embedding")
	}
	evalStore, err := ema.EvalStore(store)
	if err != nil {
		t.Fatal(err)
	}
	weightsLoss, emaLoss := evalLoss(store), evalLoss(evalStore)
	t.Logf("eval loss: weights %.3f, EMA weights %.3f", weightsLoss, emaLoss)
	if !(emaLoss < 0.5*first) || emaLoss == weightsLoss {
		t.Errorf("EMA evaluation loss %.3f (weights: %.3f, first train loss %.3f)", emaLoss, weightsLoss, first)
	}
}
