package blocks

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/pkg/errors"
)

// VariableOptimizer is a GoMLX optimizer (optimizer.Interface, usable with
// train.Trainer) that can also update a given subset of variables from
// their gradients, which is what [Routed] needs (GoMLX's own optimizers
// always update every trainable variable of the scope).
type VariableOptimizer interface {
	optimizer.Interface
	// UpdateVariables builds the update of vars from their gradients
	// (grads[i] for vars[i]), in the graph of the gradients. It does not
	// increment the global step. A graph building function: it panics on
	// errors.
	UpdateVariables(scope *model.Scope, vars []*model.Variable, grads []*Node)
	// StateScope returns the absolute scope path holding the optimizer's
	// own variables (step counter, learning rate, moments).
	StateScope() string
}

// trainableVars returns the trainable variables under scope used by g, in
// the order of scope.BuildTrainableVariablesGradientsGraph.
func trainableVars(scope *model.Scope, g *graph.Graph) []*model.Variable {
	var vars []*model.Variable
	for v := range scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
		}
	}
	return vars
}

// updateGraph is the shared optimizer.Interface.UpdateGraph: gradients of
// all trainable variables of scope used by the loss's graph, one global
// step increment, then o.UpdateVariables.
func updateGraph(o VariableOptimizer, scope *model.Scope, loss *Node) {
	if !loss.Shape().IsScalar() {
		panicf("optimizer needs a scalar loss, got %s", loss.Shape())
	}
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	updateWithGradients(o, scope, grads)
}

// clearState deletes the state of o (its StateScope).
func clearState(o VariableOptimizer, scope *model.Scope) error {
	return scope.Store().DeleteVariablesInScope(o.StateScope())
}

func updateWithGradients(o VariableOptimizer, scope *model.Scope, grads []*Node) {
	if len(grads) == 0 {
		panicf("no trainable variables used by the graph")
	}
	g := grads[0].Graph()
	vars := trainableVars(scope, g)
	if len(vars) != len(grads) {
		panicf("%d gradients for %d trainable variables", len(grads), len(vars))
	}
	optimizer.IncrementGlobalStep(g, dtypes.Int64)
	o.UpdateVariables(scope, vars, grads)
}

// stepAndLR increments the optimizer's step counter (<state>/step, int64)
// and returns the step (1 for the first update) and the learning rate of
// this step, float64 scalars: the <state>/learning_rate variable (created
// with lr, float64, so a schedule can change it) times min(1, step/warmup)
// if warmup > 0 (HRM's linear warmup; its schedule is constant afterwards).
func stepAndLR(scope *model.Scope, g *graph.Graph, state string, lr float64, warmup int) (step, rate *Node) {
	st := scope.Store().Scope(state)
	step = graph.ConvertDType(optimizer.IncrementCounter(st, g, "step", dtypes.Int64), dtypes.Float64)
	rate = st.VariableWithValue("learning_rate", lr).SetTrainable(false).NodeValue(g)
	if warmup > 0 {
		rate = graph.Mul(rate, graph.Min(graph.ScalarOne(g, dtypes.Float64), graph.DivScalar(step, float64(warmup))))
	}
	return step, rate
}

// computeDType is the dtype optimizers compute a variable's update in.
func computeDType(v *model.Variable) dtypes.DType {
	if v.DType() == dtypes.Float64 {
		return dtypes.Float64
	}
	return dtypes.Float32
}

// AdamATan2 is Adam with atan2 in place of the division by sqrt(v̂)+ε
// (Everett et al. 2024, "Scaling Exponents Across Parameterizations and
// Optimizers"), as HRM and TRM train with it (the adam-atan2 package,
// adam_atan2.AdamATan2). One step t (from 1) on a variable p with gradient
// g and learning rate lr_t:
//
//	p ← p·(1 − lr_t·WeightDecay)                       decoupled weight decay
//	m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//	p ← p − lr_t·A·atan2(m/(1−β1^t), B·sqrt(v/(1−β2^t)))
//
// Sources checked: the fused CUDA kernel of the adam-atan2 package that
// HRM imports (csrc/adam_atan2.cu: param *= 1 - lr*wd; param -= lr *
// atan2(m/bc1, sqrt(v)/sqrt(bc2))), i.e. A = B = 1, weight decay scaled by
// lr; lucidrains/adam-atan2-pytorch (adam_atan2.py) has the same update
// with defaults a = 1.27, b = 1 and decays by p·(1 − lr/lr_init·wd)
// instead. Defaults here are the package HRM uses: A = B = 1.
//
// Zero fields take the defaults: LR [DefaultLR], Beta1 [DefaultBeta1],
// Beta2 [DefaultBeta2] (HRM's and TRM's), A [DefaultA], B [DefaultB],
// WeightDecay 0 (HRM: 1.0 on Sudoku/Maze, 0.1 on ARC), Warmup 0 steps (HRM: 2000; lr_t = LR·min(1, t/Warmup)), Name
// "AdamATan2". State, under /<Name>: step (int64), learning_rate
// (float64, initialized with LR; set it to schedule the rate), and
// <variable path>_1st_moment / _2nd_moment (float32, or float64 for
// float64 variables). Updates are computed in float32 (float64 for float64
// variables) and cast back to the variable's dtype.
type AdamATan2 struct {
	LR, Beta1, Beta2, A, B, WeightDecay float64
	Warmup                              int
	Name                                string
}

var _ VariableOptimizer = (*AdamATan2)(nil)

func (o *AdamATan2) withDefaults() AdamATan2 {
	c := *o
	orDefault(&c.LR, DefaultLR)
	orDefault(&c.Beta1, DefaultBeta1)
	orDefault(&c.Beta2, DefaultBeta2)
	orDefault(&c.A, DefaultA)
	orDefault(&c.B, DefaultB)
	orDefault(&c.Name, "AdamATan2")
	if c.LR < 0 || c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1 || c.WeightDecay < 0 || c.Warmup < 0 ||
		strings.Contains(c.Name, "/") {
		panicf("invalid AdamATan2 %+v", c)
	}
	return c
}

// StateScope implements [VariableOptimizer]: "/" + Name.
func (o *AdamATan2) StateScope() string { return "/" + o.withDefaults().Name }

// UpdateGraph implements optimizer.Interface: it updates every trainable
// variable of scope used by the graph, and increments the global step.
func (o *AdamATan2) UpdateGraph(scope *model.Scope, _ *graph.Graph, loss *Node) {
	updateGraph(o, scope, loss)
}

// UpdateGraphWithGradients implements train.OptimizeWithGradients (for
// gradient accumulation).
func (o *AdamATan2) UpdateGraphWithGradients(scope *model.Scope, grads []*Node, _ dtypes.DType) {
	updateWithGradients(o, scope, grads)
}

// Clear implements optimizer.Interface: it deletes the optimizer's state.
func (o *AdamATan2) Clear(scope *model.Scope) error { return clearState(o, scope) }

// UpdateVariables implements [VariableOptimizer].
func (o *AdamATan2) UpdateVariables(scope *model.Scope, vars []*model.Variable, grads []*Node) {
	if len(vars) == 0 {
		return
	}
	c := o.withDefaults()
	g := grads[0].Graph()
	state := "/" + c.Name
	step, lr := stepAndLR(scope, g, state, c.LR, c.Warmup)
	one := graph.ScalarOne(g, dtypes.Float64)
	bc1 := graph.Sub(one, graph.Pow(graph.Scalar(g, dtypes.Float64, c.Beta1), step))
	bc2 := graph.Sub(one, graph.Pow(graph.Scalar(g, dtypes.Float64, c.Beta2), step))
	decay := graph.Sub(one, graph.MulScalar(lr, c.WeightDecay))
	for i, v := range vars {
		dtype := computeDType(v)
		cast := func(x *Node) *Node { return graph.ConvertDType(x, dtype) }
		grad := cast(grads[i])
		m1, m2 := momentVars(scope, state, v, dtype)
		m := graph.Add(graph.MulScalar(m1.NodeValue(g), c.Beta1), graph.MulScalar(grad, 1-c.Beta1))
		s := graph.Add(graph.MulScalar(m2.NodeValue(g), c.Beta2), graph.MulScalar(graph.Square(grad), 1-c.Beta2))
		m1.SetNodeValue(m)
		m2.SetNodeValue(s)
		num := graph.Div(m, cast(bc1))
		den := graph.MulScalar(graph.Sqrt(graph.Div(s, cast(bc2))), c.B)
		p := graph.Mul(cast(v.NodeValue(g)), cast(decay))
		p = graph.Sub(p, graph.Mul(cast(graph.MulScalar(lr, c.A)), graph.Atan2(num, den)))
		v.SetNodeValue(graph.ConvertDType(p, v.DType()))
	}
}

// momentVars returns (creating them, zero-initialized) the two moment
// variables of v under state: <state><v's scope>/<v's name>_1st_moment and
// _2nd_moment.
func momentVars(scope *model.Scope, state string, v *model.Variable, dtype dtypes.DType) (m1, m2 *model.Variable) {
	st := scope.Store().Scope(path.Join(state, v.Scope())).WithInitializer(initializer.Zero)
	shape := shapes.Make(dtype, v.Shape().Dimensions...)
	m1 = st.VariableWithShape(v.Name()+"_1st_moment", shape).SetTrainable(false)
	m2 = st.VariableWithShape(v.Name()+"_2nd_moment", shape).SetTrainable(false)
	return m1, m2
}

// SignSGD is sign descent with decoupled weight decay, HRM's and TRM's
// optimizer for the puzzle embedding table
// (CastedSparseEmbeddingSignSGD_Distributed). One step on a variable p
// with gradient g and learning rate lr_t:
//
//	p ← p·(1 − lr_t·WeightDecay) − lr_t·sign(g)
//
// The reference updates only the table rows of the puzzle ids in the
// batch (weight decay included). GoMLX gives a dense gradient, so unless
// Dense is set, the update (and decay) of a variable of rank >= 2 is
// restricted to the rows (first axis) whose gradient is not all zero: the
// same rows, except one in the batch whose gradient is exactly zero
// (which the reference would still decay). Rank < 2 variables are always
// updated densely.
//
// Zero fields take the defaults: LR [DefaultSignLR] (HRM's puzzle_emb_lr;
// TRM uses 1e-4 on Sudoku), WeightDecay 0 (HRM 0.1, TRM 1.0), Warmup 0, Name
// "SignSGD". State, under /<Name>: step and learning_rate, as
// [AdamATan2]'s.
type SignSGD struct {
	LR, WeightDecay float64
	Warmup          int
	Dense           bool
	Name            string
}

var _ VariableOptimizer = (*SignSGD)(nil)

func (o *SignSGD) withDefaults() SignSGD {
	c := *o
	orDefault(&c.LR, DefaultSignLR)
	orDefault(&c.Name, "SignSGD")
	if c.LR < 0 || c.WeightDecay < 0 || c.Warmup < 0 || strings.Contains(c.Name, "/") {
		panicf("invalid SignSGD %+v", c)
	}
	return c
}

// StateScope implements [VariableOptimizer]: "/" + Name.
func (o *SignSGD) StateScope() string { return "/" + o.withDefaults().Name }

// UpdateGraph implements optimizer.Interface.
func (o *SignSGD) UpdateGraph(scope *model.Scope, _ *graph.Graph, loss *Node) {
	updateGraph(o, scope, loss)
}

// UpdateGraphWithGradients implements train.OptimizeWithGradients.
func (o *SignSGD) UpdateGraphWithGradients(scope *model.Scope, grads []*Node, _ dtypes.DType) {
	updateWithGradients(o, scope, grads)
}

// Clear implements optimizer.Interface.
func (o *SignSGD) Clear(scope *model.Scope) error { return clearState(o, scope) }

// UpdateVariables implements [VariableOptimizer].
func (o *SignSGD) UpdateVariables(scope *model.Scope, vars []*model.Variable, grads []*Node) {
	c := o.withDefaults()
	if len(vars) == 0 {
		return
	}
	g := grads[0].Graph()
	_, lr := stepAndLR(scope, g, "/"+c.Name, c.LR, c.Warmup)
	decay := graph.Sub(graph.ScalarOne(g, dtypes.Float64), graph.MulScalar(lr, c.WeightDecay))
	for i, v := range vars {
		dtype := computeDType(v)
		cast := func(x *Node) *Node { return graph.ConvertDType(x, dtype) }
		grad := cast(grads[i])
		old := cast(v.NodeValue(g))
		p := graph.Sub(graph.Mul(old, cast(decay)), graph.Mul(cast(lr), graph.Sign(grad)))
		if !c.Dense && v.Shape().Rank() >= 2 {
			rowAxes := make([]int, v.Shape().Rank()-1)
			for a := range rowAxes {
				rowAxes[a] = a + 1
			}
			touched := graph.GreaterThan(graph.ReduceAndKeep(graph.Abs(grad), graph.ReduceMax, rowAxes...), graph.ScalarZero(g, dtype))
			p = graph.Where(graph.BroadcastToShape(touched, p.Shape()), p, old)
		}
		v.SetNodeValue(graph.ConvertDType(p, v.DType()))
	}
}

// RoutedOptimizer sends each trainable variable to the optimizer of the
// longest scope prefix it falls under, others to a default optimizer; see
// [Routed].
type RoutedOptimizer struct {
	Default VariableOptimizer
	// Routes maps absolute scope prefixes ("/puzzle_emb") to optimizers.
	Routes map[string]VariableOptimizer
}

var _ VariableOptimizer = (*RoutedOptimizer)(nil)

// Routed returns an optimizer that updates the variables under each prefix
// of routes (a scope path, e.g. "puzzle_emb" or "/model/puzzle_emb"; a
// variable is under it if its path is prefix/...) with that prefix's
// optimizer (the longest matching prefix wins), and all other trainable
// variables with def; e.g. HRM's and TRM's setup:
//
//	opt := blocks.Routed(&blocks.AdamATan2{LR: 1e-4, WeightDecay: 1, Warmup: 2000},
//		map[string]blocks.VariableOptimizer{"puzzle_emb": &blocks.SignSGD{LR: 1e-2, WeightDecay: 0.1}})
//
// Gradients are computed once for all variables; the global step is
// incremented once per update. The optimizers must have different state
// scopes (Names) — it panics otherwise.
func Routed(def VariableOptimizer, routes map[string]VariableOptimizer) *RoutedOptimizer {
	r := &RoutedOptimizer{Default: def, Routes: map[string]VariableOptimizer{}}
	if def == nil {
		panicf("Routed: nil default optimizer")
	}
	seen := map[string]bool{def.StateScope(): true}
	for prefix, o := range routes {
		p := path.Clean("/" + strings.Trim(prefix, "/"))
		if p == "/" || o == nil {
			panicf("Routed: invalid route %q -> %v", prefix, o)
		}
		if seen[o.StateScope()] {
			panicf("Routed: two optimizers share the state scope %q (give them different Names)", o.StateScope())
		}
		seen[o.StateScope()] = true
		r.Routes[p] = o
	}
	return r
}

// Route returns the optimizer for a variable path.
func (r *RoutedOptimizer) Route(varPath string) VariableOptimizer {
	best, bestLen := r.Default, -1
	for prefix, o := range r.Routes {
		if (varPath == prefix || strings.HasPrefix(varPath, prefix+"/")) && len(prefix) > bestLen {
			best, bestLen = o, len(prefix)
		}
	}
	return best
}

// StateScope implements [VariableOptimizer]: the default optimizer's.
func (r *RoutedOptimizer) StateScope() string { return r.Default.StateScope() }

// UpdateGraph implements optimizer.Interface.
func (r *RoutedOptimizer) UpdateGraph(scope *model.Scope, _ *graph.Graph, loss *Node) {
	updateGraph(r, scope, loss)
}

// UpdateGraphWithGradients implements train.OptimizeWithGradients.
func (r *RoutedOptimizer) UpdateGraphWithGradients(scope *model.Scope, grads []*Node, _ dtypes.DType) {
	updateWithGradients(r, scope, grads)
}

// UpdateVariables implements [VariableOptimizer]: it splits vars by route.
func (r *RoutedOptimizer) UpdateVariables(scope *model.Scope, vars []*model.Variable, grads []*Node) {
	type group struct {
		vars  []*model.Variable
		grads []*Node
	}
	groups := map[VariableOptimizer]*group{}
	var order []VariableOptimizer
	for i, v := range vars {
		o := r.Route(v.Path())
		if groups[o] == nil {
			groups[o] = &group{}
			order = append(order, o)
		}
		groups[o].vars = append(groups[o].vars, v)
		groups[o].grads = append(groups[o].grads, grads[i])
	}
	for _, o := range order {
		o.UpdateVariables(scope, groups[o].vars, groups[o].grads)
	}
}

// Clear implements optimizer.Interface: it clears every optimizer's state.
func (r *RoutedOptimizer) Clear(scope *model.Scope) error {
	all := []VariableOptimizer{r.Default}
	for _, p := range slices.Sorted(maps.Keys(r.Routes)) {
		all = append(all, r.Routes[p])
	}
	for _, o := range all {
		if err := o.Clear(scope); err != nil {
			return errors.WithMessagef(err, "blocks: clearing %s", o.StateScope())
		}
	}
	return nil
}
