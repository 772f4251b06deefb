package blocks

import (
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/pkg/errors"
)

// EMA keeps an exponential moving average ("shadow") of the trainable
// variables for evaluation, as TRM's EMAHelper (rate 0.999). After update
// k, with w_0 the weights before the first update and w_i those after
// optimizer step i:
//
//	shadow_k = Rate·shadow_{k-1} + (1−Rate)·w_k,  shadow_0 = w_0
//	         = Rate^k·w_0 + (1−Rate)·Σ_{i=1..k} Rate^(k−i)·w_i
//
// Design: the shadows are non-trainable variables of the same
// model.Store, under /<Name>/shadow: the shadow of /layer_0/mix/qkv is
// /<Name>/shadow/layer_0/mix/qkv (float32, or float64 for float64
// variables); /<Name>/updates (int64) counts the updates. They are saved
// and loaded with the store's checkpoints like any variable.
// [EMA.UpdateGraph] updates them in the training graph, after the
// optimizer (use [WithEMA], or call it after the optimizer's UpdateGraph,
// or register it with train.AddPerStepUpdateGraphFn). To evaluate with
// them, either [EMA.EvalStore] (a copy of the store with the shadows as
// weights; TRM's ema_copy) or [EMA.Swap] (exchanges weights and shadows
// in place; call it again to swap back).
//
// Caveat (GoMLX v0.28.16, Go backend): graphs not marked as training embed
// variables that have values as constants when they are first compiled,
// so an evaluation Exec compiled before a Swap (or before more training)
// keeps the old weights. Build evaluation Execs after swapping (or on the
// EvalStore), or mark their graphs as training (scope.SetTraining(g,
// true); blocks has no train/eval-dependent layers).
type EMA struct {
	// Rate is the decay (default [DefaultEMARate]).
	Rate float64
	// Name is the scope of the EMA's variables (default "ema").
	Name string
	// Skip lists scope prefixes (e.g. "/puzzle_emb") of variables not
	// averaged; TRM's EMA leaves out its puzzle embedding table (a
	// buffer, not a parameter, in TRM).
	Skip []string
}

func (e *EMA) withDefaults() EMA {
	c := *e
	orDefault(&c.Rate, DefaultEMARate)
	orDefault(&c.Name, "ema")
	if c.Rate < 0 || c.Rate >= 1 || strings.Contains(c.Name, "/") {
		panicf("invalid EMA %+v", c)
	}
	return c
}

// ShadowPath returns the path of the shadow of the variable at varPath.
func (e *EMA) ShadowPath(varPath string) string {
	return "/" + e.withDefaults().Name + "/shadow" + varPath
}

func (e *EMA) counterPath() string { return "/" + e.withDefaults().Name + "/updates" }

func (e *EMA) skipped(varPath string) bool {
	name := e.withDefaults().Name
	if varPath == "/"+name || strings.HasPrefix(varPath, "/"+name+"/") {
		return true
	}
	for _, p := range e.Skip {
		p = "/" + strings.Trim(p, "/")
		if varPath == p || strings.HasPrefix(varPath, p+"/") {
			return true
		}
	}
	return false
}

// UpdateGraph updates the shadows of the trainable variables under scope
// that g uses (their current graph values, i.e. after the optimizer's
// update if called after it), creating them on the first call, whose
// previous shadow is taken to be the variables' values at the start of
// the step (w_0). Its signature is train.ModelGraphFn's. It needs the
// variables as graph parameters (a training graph) and panics ("blocks:
// ...") otherwise.
func (e *EMA) UpdateGraph(scope *model.Scope, g *graph.Graph) {
	c := e.withDefaults()
	store := scope.Store()
	var vars []*model.Variable
	for v := range scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) && !e.skipped(v.Path()) {
			vars = append(vars, v)
		}
	}
	if len(vars) == 0 {
		return
	}
	counter := store.VariableWithShape(e.counterPath(), shapes.Make(dtypes.Int64), initializer.Zero).SetTrainable(false)
	n := counter.NodeValue(g)
	first := graph.Equal(n, graph.ScalarZero(g, dtypes.Int64))
	counter.SetNodeValue(graph.AddScalar(n, 1))
	for _, v := range vars {
		dtype := computeDType(v)
		shadow := store.VariableWithShape(e.ShadowPath(v.Path()), shapes.Make(dtype, v.Shape().Dimensions...), initializer.Zero).
			SetTrainable(false)
		w0 := g.GetParameterByName(v.Path())
		if w0 == nil {
			panicf("EMA: variable %s is not a parameter of the graph (mark the graph as training: scope.SetTraining(g, true))", v.Path())
		}
		old := graph.Where(first, graph.ConvertDType(w0, dtype), shadow.NodeValue(g))
		cur := graph.ConvertDType(v.NodeValue(g), dtype)
		shadow.SetNodeValue(graph.Add(graph.MulScalar(old, c.Rate), graph.MulScalar(cur, 1-c.Rate)))
	}
}

// Updates returns how many updates the shadows of store have had (0 if
// none exist).
func (e *EMA) Updates(store *model.Store) int64 {
	v := store.GetVariable(e.counterPath())
	if v == nil || !v.HasValue() {
		return 0
	}
	return tensors.ToScalar[int64](v.MustValue())
}

// shadows returns (model variable, shadow) pairs of store.
func (e *EMA) shadows(store *model.Store) ([][2]*model.Variable, error) {
	if e.Updates(store) == 0 {
		return nil, errors.New("blocks: EMA has no updates yet")
	}
	prefix := "/" + e.withDefaults().Name + "/shadow"
	var pairs [][2]*model.Variable
	for s := range store.IterVariables() {
		if !strings.HasPrefix(s.Path(), prefix+"/") {
			continue
		}
		vp := strings.TrimPrefix(s.Path(), prefix)
		v := store.GetVariable(vp)
		if v == nil {
			return nil, errors.Errorf("blocks: EMA shadow %s has no variable %s", s.Path(), vp)
		}
		pairs = append(pairs, [2]*model.Variable{v, s})
	}
	return pairs, nil
}

// Swap exchanges, in store, the values of the averaged variables and their
// shadows (host-side), so the model's variables hold the EMA weights; a
// second Swap restores them. Do not train while swapped. It returns the
// number of variables swapped. See the caveat in [EMA] about Execs
// compiled before the swap.
func (e *EMA) Swap(store *model.Store) (int, error) {
	pairs, err := e.shadows(store)
	if err != nil {
		return 0, err
	}
	for _, p := range pairs {
		v, s := p[0], p[1]
		if v.DType() != s.DType() {
			return 0, errors.Errorf("blocks: EMA Swap needs float32/float64 variables, %s is %s", v.Path(), v.DType())
		}
		vt, err := v.Value()
		if err != nil {
			return 0, err
		}
		st, err := s.Value()
		if err != nil {
			return 0, err
		}
		if err := v.SetValuePreservingOld(st); err != nil {
			return 0, err
		}
		if err := s.SetValuePreservingOld(vt); err != nil {
			return 0, err
		}
	}
	return len(pairs), nil
}

// EvalStore returns a copy of store (store.Clone) whose averaged variables
// hold the EMA weights, without the EMA's own variables: TRM's ema_copy.
// store is unchanged. Like Swap, it handles float32 and float64 variables
// only (shadows of lower-precision variables are float32).
func (e *EMA) EvalStore(store *model.Store) (*model.Store, error) {
	pairs, err := e.shadows(store)
	if err != nil {
		return nil, err
	}
	clone, err := store.Clone()
	if err != nil {
		return nil, err
	}
	for _, p := range pairs {
		st, err := p[1].Value()
		if err != nil {
			return nil, err
		}
		if st.DType() != p[0].DType() {
			return nil, errors.Errorf("blocks: EMA EvalStore needs float32/float64 variables, %s is %s", p[0].Path(), p[0].DType())
		}
		value, err := st.Clone()
		if err != nil {
			return nil, err
		}
		if err := clone.GetVariable(p[0].Path()).SetValue(value); err != nil {
			return nil, err
		}
	}
	if err := clone.DeleteVariablesInScope("/" + e.withDefaults().Name); err != nil {
		return nil, err
	}
	return clone, nil
}

// WithEMA returns an optimizer that runs opt's update and then
// ema.UpdateGraph on the same scope (e.g. for train.Trainer). It does not
// implement gradient accumulation (train.OptimizeWithGradients).
func WithEMA(opt optimizer.Interface, ema *EMA) optimizer.Interface {
	return &withEMA{opt: opt, ema: ema}
}

type withEMA struct {
	opt optimizer.Interface
	ema *EMA
}

func (w *withEMA) UpdateGraph(scope *model.Scope, g *graph.Graph, loss *Node) {
	w.opt.UpdateGraph(scope, g, loss)
	w.ema.UpdateGraph(scope, g)
}

func (w *withEMA) Clear(scope *model.Scope) error { return w.opt.Clear(scope) }
