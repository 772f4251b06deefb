package deep

import (
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/lib/cil"
)

// Method names a class-incremental learning method. Each method's
// constant below says what it trains on, its loss and what it does after a
// task, in the notation of [New]; the recipe beside it is that description
// as code. Adding a method is adding a constant and its recipe here, and
// listing the recipe in recipes.
type Method string

// Methods lists every method, in the order of the survey's tables.
var Methods = methodsOf(recipes)

// recipes lists the methods' recipes, in the order of the survey's tables.
var recipes = []recipe{finetune, joint, replay, icarl, lwf, ewc, wa, der, memo, gdumb}

// recipe is one method as [Learner.Learn] runs it on a task: it builds
// the network (a fresh one for the first task, or for every task if
// fresh), optionally grows it (grow, for every task after the first),
// gathers the training data from what the method keeps, computes the
// previous model's logits if it distills, trains on the objective, then
// runs the after-task steps in order.
type recipe struct {
	method Method
	keeps  keeps // what it keeps of past data, and so what it trains on
	fresh  bool  // a new network for every task
	// distill: the objective needs z_old, the previous model's logits on
	// the training data (computed before training, from the current model).
	distill bool
	// grow adds blocks and the auxiliary head before every task after the
	// first; it returns the scopes to train (nil: train everything).
	grow func(n *net, newClasses int) []*model.Scope
	// loss is the objective on a task that brings classes [k, s) (its
	// Known and T are filled in by Learn).
	loss  func(o Options, k, s int) objective
	after []step // after-task steps, in order
	nme   bool   // predicts by the nearest mean of exemplars
}

// keeps is what a method keeps of the past data between tasks.
type keeps int

const (
	keepsNothing   keeps = iota // trains on the task's data
	keepsExemplars              // a cil.Buffer; trains on the task's data + the exemplars
	keepsAll                    // every example seen; trains on all of it
	keepsGreedy                 // GDumb's greedy memory; trains on the memory only
)

// step is an after-task step.
type step func(l *Learner, task cil.Task) error

// The after-task steps.
var (
	// selectExemplars re-selects the exemplars (herding or random, on the
	// trained model's features; cil.Buffer.Update).
	selectExemplars step = (*Learner).selectExemplars
	// align applies weight aligning to the head (see WA).
	align step = func(l *Learner, t cil.Task) error { l.alignWeights(t.Known); return nil }
	// fisher computes, merges and stores EWC's Fisher and anchor weights.
	fisher step = func(l *Learner, t cil.Task) error { l.updateFisher(t.Train, t.Known, t.Seen()); return nil }
	// classMeans computes iCaRL's class means of the exemplars.
	classMeans step = func(l *Learner, t cil.Task) error { l.classMeans(t.Seen()); return nil }
)

// ce is the plain objective CE(z, y) over all seen classes.
func ce(Options, int, int) objective { return objective{CEWeight: 1} }

// Finetune trains on the new data only with CE(z[K:S], y − K) (PyCIL's
// finetune).
const Finetune Method = "Finetune"

var finetune = recipe{method: Finetune, keeps: keepsNothing,
	loss: func(_ Options, k, _ int) objective { return objective{CEWeight: 1, CEFrom: k} }}

// Joint trains on all the data seen so far with CE(z, y): the upper bound.
// It keeps every example (counted as exemplar memory) and continues
// training the same network.
const Joint Method = "Joint"

var joint = recipe{method: Joint, keeps: keepsAll, loss: ce}

// Replay trains with CE(z, y) on the new data and the exemplars; after
// each task the exemplars are chosen by herding (or at random) on the
// model's features, Memory (2000) in total, class-balanced (cil.Buffer).
const Replay Method = "Replay"

var replay = recipe{method: Replay, keeps: keepsExemplars, loss: ce, after: []step{selectExemplars}}

// ICaRL trains with CE(z, y) + KD_T(z[:K], z_old), T = 2, on the new data +
// exemplars; it predicts by the nearest mean of exemplars (NME: the nearest
// L2-normalized class mean of L2-normalized features), the means computed
// after the exemplars are selected.
const ICaRL Method = "iCaRL"

var icarl = recipe{method: ICaRL, keeps: keepsExemplars, distill: true, nme: true,
	loss:  func(Options, int, int) objective { return objective{CEWeight: 1, KD: 1} },
	after: []step{selectExemplars, classMeans}}

// LwF trains on the new data only (no exemplars) with CE(z[K:S], y − K) +
// λ·KD_T(z[:K], z_old), λ = Options.LwFLambda (3).
const LwF Method = "LwF"

var lwf = recipe{method: LwF, keeps: keepsNothing, distill: true,
	loss: func(o Options, k, _ int) objective { return objective{CEWeight: 1, CEFrom: k, KD: o.LwFLambda} }}

// EWC trains on the new data only with CE(z[K:S], y − K) + λ·Σ F_i (θ_i −
// θ*_i)²/2, λ = Options.EWCLambda (1000); F is the diagonal empirical
// Fisher (mean over minibatches of the squared gradient of the batch CE
// over all seen classes, clamped to FisherMax), computed after each task
// and merged as F = (K/S)·F_old + (1 − K/S)·F_new on the old entries; θ*
// the weights after the last task. The scale hardly matters in class-IL:
// on Split Fashion-MNIST (MLP, 3 epochs per task) λ = 1e3, 1e4, 1e6 with
// FisherMax 1e-4 or 1 all ended at 0.26-0.39 last accuracy (Finetune:
// 0.33), as the survey finds (EWC ≈ Finetune).
const EWC Method = "EWC"

var ewc = recipe{method: EWC, keeps: keepsNothing,
	loss: func(o Options, k, _ int) objective {
		obj := objective{CEWeight: 1, CEFrom: k}
		if k > 0 { // a Fisher exists once a task is learned
			obj.EWC = o.EWCLambda
		}
		return obj
	},
	after: []step{fisher}}

// WA trains on the new data + exemplars with (1 − K/S)·CE(z, y) +
// (K/S)·KD_T(z[:K], z_old) (PyCIL's WA), then aligns weights: the head's
// new-class weight vectors are multiplied by gamma = mean‖w_old‖ /
// mean‖w_new‖ (L2 norms of the per-class weight vectors, as PyCIL; biases
// unchanged) when gamma <= 1. Aligning exists to undo new-class weights
// grown larger than the old ones; with our short Adam training the fresh
// new-class weights stay smaller (gamma 1.07-2.2 measured on Split
// Fashion-MNIST), and applying gamma > 1 as PyCIL does amplified the bias
// toward new classes: last accuracy, 3 epochs per task, DER 0.378 with it
// vs 0.782 without, WA 0.656 vs 0.746. Options.AlignAlways restores
// PyCIL's behaviour. The exemplars are then re-selected.
const WA Method = "WA"

var wa = recipe{method: WA, keeps: keepsExemplars, distill: true,
	loss: func(_ Options, k, s int) objective {
		return objective{CEWeight: 1 - float64(k)/float64(s), KD: float64(k) / float64(s)}
	},
	after: []step{align, selectExemplars}}

// DER adds a new backbone per task (base and top blocks) initialized as a
// copy of the previous one, the old ones frozen; the head sees the
// concatenated features (old classes' weights kept, new rows and columns
// fresh). It trains on the new data + exemplars with CE(z, y) +
// CE(aux(φ_new(x)), ŷ), an auxiliary head over the new classes + 1 "old"
// class (ŷ = y − K + 1, 0 for old classes), dropped after the task; then
// WA's weight aligning and exemplar selection.
const DER Method = "DER"

var der = recipe{method: DER, keeps: keepsExemplars, grow: growDER, loss: auxCE,
	after: []step{align, selectExemplars}}

// MEMO is DER with the base block (the generalized, early layers) shared
// and trained in every task (PyCIL's train_base): only a new top block
// (specialized) is added per task, copied from the last, the old tops
// frozen.
const MEMO Method = "MEMO"

var memo = recipe{method: MEMO, keeps: keepsExemplars, grow: growMEMO, loss: auxCE,
	after: []step{align, selectExemplars}}

// GDumb keeps a class-balanced greedy memory of Memory examples (an
// example is stored if its class has fewer than Memory/seen; when full, one
// of the largest class is dropped at random) and at every task retrains
// the network from scratch on the memory only, CE(z, y).
const GDumb Method = "GDumb"

var gdumb = recipe{method: GDumb, keeps: keepsGreedy, fresh: true, loss: ce}

// auxCE is DER's and MEMO's objective: CE(z, y) + AuxWeight·CE(aux, ŷ)
// after the first task.
func auxCE(o Options, k, _ int) objective {
	obj := objective{CEWeight: 1}
	if k > 0 {
		obj.Aux = o.AuxWeight
	}
	return obj
}

// growDER adds backbone K as a copy of backbone K-1 (base and top) and the
// auxiliary head; it trains the new backbone and the heads.
func growDER(n *net, newClasses int) []*model.Scope {
	k := n.tops
	n.copyScope(n.baseScope(k-1), n.baseScope(k))
	n.bases++
	return n.growTop(newClasses, n.baseScope(k))
}

// growMEMO adds top block K as a copy of top K-1 and the auxiliary head;
// it trains the shared base, the new top and the heads.
func growMEMO(n *net, newClasses int) []*model.Scope {
	return n.growTop(newClasses, n.baseScope(0))
}

// growTop adds top block K as a copy of top K-1 and a fresh auxiliary head
// [Hidden, newClasses+1]; it returns base, the new top and the heads: the
// scopes to train.
func (n *net) growTop(newClasses int, base *model.Scope) []*model.Scope {
	k := n.tops
	n.copyScope(n.topScope(k-1), n.topScope(k))
	n.tops++
	n.create(n.store.RootScope(), layer{ScopeAux, false, n.hidden, newClasses + 1})
	return []*model.Scope{base, n.topScope(k), n.scope(ScopeHead), n.scope(ScopeAux)}
}

func methodsOf(rs []recipe) []Method {
	out := make([]Method, len(rs))
	for i, r := range rs {
		out[i] = r.method
	}
	return out
}
