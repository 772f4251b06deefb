package blocks

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/labnotes/labnotes/internal/testutil"
)

// refAdamATan2 is one AdamATan2 step (t from 1) in float64.
type refAdamATan2 struct {
	o    AdamATan2
	m, v []float64
}

func (r *refAdamATan2) step(t int, p, g []float64) {
	o := r.o.withDefaults()
	if r.m == nil {
		r.m, r.v = make([]float64, len(p)), make([]float64, len(p))
	}
	lr := o.LR
	if o.Warmup > 0 {
		lr *= math.Min(1, float64(t)/float64(o.Warmup))
	}
	bc1, bc2 := 1-math.Pow(o.Beta1, float64(t)), 1-math.Pow(o.Beta2, float64(t))
	for i := range p {
		p[i] *= 1 - lr*o.WeightDecay
		r.m[i] = o.Beta1*r.m[i] + (1-o.Beta1)*g[i]
		r.v[i] = o.Beta2*r.v[i] + (1-o.Beta2)*g[i]*g[i]
		p[i] -= lr * o.A * math.Atan2(r.m[i]/bc1, o.B*math.Sqrt(r.v[i]/bc2))
	}
}

// refSignSGD is one SignSGD step on a [rows, cols] table.
func refSignSGD(o SignSGD, t int, p, g []float64, cols int) {
	o = o.withDefaults()
	lr := o.LR
	if o.Warmup > 0 {
		lr *= math.Min(1, float64(t)/float64(o.Warmup))
	}
	sign := func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	}
	for r := 0; r < len(p)/cols; r++ {
		touched := false
		for c := range cols {
			touched = touched || g[r*cols+c] != 0
		}
		if !touched && !o.Dense {
			continue
		}
		for c := range cols {
			i := r*cols + c
			p[i] = p[i]*(1-lr*o.WeightDecay) - lr*sign(g[i])
		}
	}
}

// TestOptimizersClosedForm runs 4 steps of AdamATan2 / SignSGD / Routed on
// loss = a·w + ½|w|² + sum over table rows 0 and 2 of (b ⊙ row + ½ row²)
// and compares the variables after every step with float64 references;
// routed SignSGD must leave the table rows without gradient (1, 3)
// untouched, unless Dense.
func TestOptimizersClosedForm(t *testing.T) {
	be := testutil.Backend(t)
	a := []float64{0.5, -1, 2}
	bt := []float64{1, -2, 0.5, 3}
	w0 := []float64{0.3, -0.2, 1}
	tab0 := []float64{0.1, -0.1, 1, 2, -0.5, 0.25, 3, -3} // [4, 2]
	rowUsed := []bool{true, false, true, false}
	for _, c := range []struct {
		name   string
		adam   AdamATan2
		sign   *SignSGD // nil: AdamATan2 for all variables
		routes string
	}{
		{"routed, HRM defaults, warmup", AdamATan2{LR: 0.1, WeightDecay: 0.1, Warmup: 3}, &SignSGD{LR: 0.05, WeightDecay: 0.5}, "puzzle_emb"},
		{"routed, a=1.27 b=2 betas .8/.99, dense SignSGD", AdamATan2{LR: 0.05, A: 1.27, B: 2, Beta1: 0.8, Beta2: 0.99, WeightDecay: 1},
			&SignSGD{LR: 0.02, WeightDecay: 1, Dense: true, Warmup: 2}, "/puzzle_emb/"},
		{"AdamATan2 alone", AdamATan2{LR: 0.03}, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var opt optimizer.Interface = &c.adam
			if c.sign != nil {
				opt = Routed(&c.adam, map[string]VariableOptimizer{c.routes: c.sign})
			}
			store := model.NewStore()
			exec := model.MustNewExec(be, store, func(scope *model.Scope, g *graph.Graph) *graph.Node {
				scope.SetTraining(g, true)
				w := scope.VariableWithValue("w", testutil.Float32s(w0)).NodeValue(g)
				tab := scope.In("puzzle_emb").VariableWithValue("table", tensorOf(tab0, 4, 2)).NodeValue(g)
				mask := graph.Const(g, [][]float32{{1}, {0}, {1}, {0}})
				loss := graph.Add(graph.ReduceAllSum(graph.Mul(w, graph.Const(g, testutil.Float32s(a)))), graph.MulScalar(graph.ReduceAllSum(graph.Square(w)), 0.5))
				rows := graph.Add(graph.Mul(tab, graph.Const(g, tensorOf(bt, 4, 1))), graph.MulScalar(graph.Square(tab), 0.5))
				loss = graph.Add(loss, graph.ReduceAllSum(graph.Mul(rows, mask)))
				opt.UpdateGraph(scope, g, loss)
				return loss
			})
			w, tab := slices.Clone(w0), slices.Clone(tab0)
			refW := &refAdamATan2{o: c.adam}
			refT := &refAdamATan2{o: c.adam}
			for step := 1; step <= 4; step++ {
				exec.MustExec()
				gw := make([]float64, 3)
				for i := range w {
					gw[i] = a[i] + w[i]
				}
				gt := make([]float64, 8)
				for r := range 4 {
					for col := range 2 {
						if rowUsed[r] {
							gt[r*2+col] = bt[r] + tab[r*2+col]
						}
					}
				}
				refW.step(step, w, gw)
				if c.sign != nil {
					refSignSGD(*c.sign, step, tab, gt, 2)
				} else {
					refT.step(step, tab, gt)
				}
				testutil.AssertClose(t, "w", testutil.Float64s(store.GetVariable("/w").MustValue()), w, 2e-6)
				gotT := testutil.Float64s(store.GetVariable("/puzzle_emb/table").MustValue())
				testutil.AssertClose(t, "table", gotT, tab, 2e-6)
				if c.sign != nil && !c.sign.Dense {
					for r, used := range rowUsed {
						if !used && (gotT[2*r] != tab0[2*r] || gotT[2*r+1] != tab0[2*r+1]) {
							t.Errorf("step %d: table row %d without gradient changed: %v", step, r, gotT[2*r:2*r+2])
						}
					}
				}
			}
			if gs := optimizer.GetGlobalStep(store); gs != 4 {
				t.Errorf("global step %d, want 4", gs)
			}
			var state []string
			for v := range store.IterVariables() {
				if !v.Trainable && !strings.HasPrefix(v.Path(), "/#") {
					state = append(state, v.Path())
				}
			}
			slices.Sort(state)
			want := []string{"/AdamATan2/learning_rate", "/AdamATan2/step", "/AdamATan2/w_1st_moment", "/AdamATan2/w_2nd_moment", "/global_step"}
			if c.sign != nil {
				want = append(want, "/SignSGD/learning_rate", "/SignSGD/step")
			} else {
				want = append(want, "/AdamATan2/puzzle_emb/table_1st_moment", "/AdamATan2/puzzle_emb/table_2nd_moment")
			}
			slices.Sort(want)
			if !slices.Equal(state, want) {
				t.Errorf("optimizer state variables %v, want %v", state, want)
			}
			if st := tensors.ToScalar[int64](store.GetVariable("/AdamATan2/step").MustValue()); st != 4 {
				t.Errorf("AdamATan2 step %d, want 4", st)
			}
		})
	}
}

func TestRoutedRoute(t *testing.T) {
	def, emb, sub := &AdamATan2{}, &SignSGD{}, &SignSGD{Name: "Sub"}
	r := Routed(def, map[string]VariableOptimizer{"puzzle_emb": emb, "/puzzle_emb/special/": sub})
	for p, want := range map[string]VariableOptimizer{
		"/puzzle_emb/table":         emb,
		"/puzzle_emb":               emb,
		"/puzzle_emb_x/table":       def,
		"/layer_0/mix/qkv":          def,
		"/puzzle_emb/special/table": sub,
		"/x/puzzle_emb/table":       def,
	} {
		if got := r.Route(p); got != want {
			t.Errorf("Route(%q) = %s, want %s", p, got.StateScope(), want.StateScope())
		}
	}
	defer func() {
		if err, ok := recover().(error); !ok || !strings.HasPrefix(err.Error(), "blocks: ") {
			t.Errorf("two SignSGD with the same Name: recovered %v, want a blocks: error", err)
		}
	}()
	Routed(def, map[string]VariableOptimizer{"a": &SignSGD{}, "b": &SignSGD{}})
}

// TestLearningRateVariable: the <Name>/learning_rate variable drives the
// step: set to 0 host-side, an AdamATan2 step (with weight decay) leaves
// the weights unchanged; set to 0.2, the first step moves each weight by
// 0.2·atan2(ĝ, |ĝ|) = 0.2·π/4 against its gradient (after decay).
func TestLearningRateVariable(t *testing.T) {
	be := testutil.Backend(t)
	opt := &AdamATan2{LR: 0.1, WeightDecay: 0.5}
	store := model.NewStore()
	exec := model.MustNewExec(be, store, func(scope *model.Scope, g *graph.Graph) {
		scope.SetTraining(g, true)
		w := scope.VariableWithValue("w", []float32{1, -2}).NodeValue(g)
		opt.UpdateGraph(scope, g, graph.ReduceAllSum(graph.Mul(w, graph.Const(g, []float32{3, -1}))))
	})
	if _, err := exec.Compile(); err != nil {
		t.Fatal(err)
	}
	lrVar := store.GetVariable("/AdamATan2/learning_rate")
	if lrVar == nil {
		t.Fatal("no /AdamATan2/learning_rate variable")
	}
	lrVar.MustSetValue(tensors.FromScalar(0.0))
	exec.MustExec()
	testutil.AssertClose(t, "w with lr 0", testutil.Float64s(store.GetVariable("/w").MustValue()), []float64{1, -2}, 0)
	lrVar.MustSetValue(tensors.FromScalar(0.2))
	exec.MustExec()
	// Second AdamATan2 step, constant gradient g: m̂ = g, v̂ = g², so the update is 0.2·atan2(g, |g|).
	want := []float64{1*(1-0.2*0.5) - 0.2*math.Pi/4, -2*(1-0.2*0.5) + 0.2*math.Pi/4}
	testutil.AssertClose(t, "w with lr 0.2", testutil.Float64s(store.GetVariable("/w").MustValue()), want, 1e-6)
}
