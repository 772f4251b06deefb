package deep

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/cil"
	"github.com/labnotes/labnotes/lib/cil/plastic"
)

// plasticOpts are the plasticity tests' options: a 16-32-32 MLP, one task
// of 200 examples in batches of 32 (7 steps an epoch), SGD.
var plasticOpts = Options{Hidden: 32, Epochs: 2, Batch: 32, Optimizer: SGD, LR: 0.05, Seed: 3}

// cnnPlasticOpts are plasticOpts on the CNN (hidden 8) and imageStream's
// 8x8 images (80 examples a task: 3 steps an epoch).
var cnnPlasticOpts = func() Options { o := plasticOpts; o.Backbone, o.Hidden = CNN, 8; return o }()

// learnFirst trains a Finetune learner with o on the first task of the
// synthetic stream (the MLP) or of imageStream (the CNN).
func learnFirst(t *testing.T, o Options) (*Learner, *cil.Scenario) {
	t.Helper()
	s := synthetic(t)
	if o.Backbone == CNN {
		s = imageStream(t)
	}
	l, err := New(testutil.Backend(t), Finetune, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Learn(s.Tasks()[0]); err != nil {
		t.Fatal(err)
	}
	return l, s
}

// weightsOf returns every variable's values under /net and /head, by path.
func weightsOf(l *Learner) map[string][]float32 {
	out := map[string][]float32{}
	for _, v := range vars(l.net.scope(ScopeNet), l.net.scope(ScopeHead)) {
		out[v.Path()], _ = values(v)
	}
	return out
}

// TestPlasticityRejects checks the options New refuses.
func TestPlasticityRejects(t *testing.T) {
	be := testutil.Backend(t)
	for _, c := range []struct {
		name string
		m    Method
		o    Options
	}{
		{"CBP with DER", DER, Options{Plasticity: Plasticity{CBP: &plastic.CBPConfig{}}}},
		{"CBP with MEMO", MEMO, Options{Plasticity: Plasticity{CBP: &plastic.CBPConfig{}}}},
		{"Rho > 1", Finetune, Options{Plasticity: Plasticity{CBP: &plastic.CBPConfig{Rho: 2}}}},
		{"Shrink 1", Finetune, Options{Plasticity: Plasticity{Shrink: 1}}},
		{"negative Noise", Finetune, Options{Plasticity: Plasticity{Noise: -1}}},
		{"negative L2Init", Finetune, Options{Plasticity: Plasticity{L2Init: -1}}},
	} {
		if _, err := New(be, c.m, c.o); err == nil {
			t.Errorf("%s: New accepted %+v", c.name, c.o.Plasticity)
		}
	}
	o := Options{Plasticity: Plasticity{CBP: &plastic.CBPConfig{}}}.WithDefaults()
	want := plastic.CBPConfig{Rho: plastic.DefaultRho, Maturity: plastic.DefaultMaturity, Decay: plastic.DefaultDecay}
	if *o.Plasticity.CBP != want {
		t.Errorf("CBP defaults %+v, want %+v", *o.Plasticity.CBP, want)
	}
}

// TestCBPCount checks that continual backprop replaces Rho times the
// number of mature units per step in each hidden layer, over two tasks,
// on the MLP (dense_0, dense_1: 32 units each, 28 steps) and the CNN
// (conv_0, conv_1, dense: 16, 32 and 8 units, 12 steps): the count is
// replayed step by step by cbpReplay. It also checks that the training
// graph keeps the utilities and that each step reads the replacements
// written on the host after the previous one.
func TestCBPCount(t *testing.T) {
	for _, tc := range []struct {
		name   string
		o      Options
		widths []int
	}{
		{"mlp", plasticOpts, []int{32, 32}},
		{"cnn", cnnPlasticOpts, []int{convChannels[0], convChannels[1], 8}},
	} {
		for _, rho := range []float64{1.0 / 64, 1.0 / 2} {
			o := tc.o
			o.Plasticity.CBP = &plastic.CBPConfig{Rho: rho, Maturity: 1}
			l, s := learnFirst(t, o)
			if err := l.Learn(s.Tasks()[1]); err != nil {
				t.Fatal(err)
			}
			steps := 0
			for _, e := range l.Epochs {
				steps += e.Steps
			}
			var want []int64
			for _, n := range tc.widths {
				want = append(want, cbpReplay(steps, n, rho, 1))
			}
			got := l.Replaced()
			t.Logf("%s, rho %g: %d steps, replaced %v, want %v", tc.name, rho, steps, got, want)
			if slices.Max(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s, rho %g: replaced %v after %d steps, want %v (some > 0)", tc.name, rho, got, steps, want)
			}
			fresh := 0
			for layer, c := range l.net.cbpLayers() {
				util, _ := value(l.net.mirror(l.net.scope(scopePlastic).At("util"), variable(c.in, "w")), "w")
				if len(util) != tc.widths[layer] || slices.Max(util) <= 0 || slices.Min(util) < 0 {
					t.Errorf("%s, rho %g, layer %d: %d utilities in [%g, %g], want %d, >= 0 and some > 0", tc.name, rho, layer, len(util), slices.Min(util), slices.Max(util), tc.widths[layer])
				}
				// A unit replaced after the last-but-one step (age 1) went through one more step with
				// zero outgoing weights, hence a zero bias gradient and a reset momentum: its bias is
				// still 0 if that step read the replacement written on the host.
				b, _ := value(c.in, "b")
				for u, a := range l.plast.cbp.Ages(layer) {
					if a == 1 {
						fresh++
						if b[u] != 0 {
							t.Errorf("%s, rho %g, layer %d unit %d, replaced one step before the end: bias %g, want 0", tc.name, rho, layer, u, b[u])
						}
					}
				}
			}
			if rho == 0.5 && fresh == 0 {
				t.Errorf("%s, rho %g: no unit replaced one step before the end, nothing checked", tc.name, rho)
			}
		}
	}
}

// cbpReplay counts the replacements of one layer of n units after steps
// steps at rate rho and maturity mat, written out independently of
// plastic.CBP: each step ages every unit; the accumulator gains
// rho·(units older than mat); its integer part is replaced (the oldest
// eligible are as good as any for the count: replaced units restart at 0).
func cbpReplay(steps, n int, rho float64, mat int) int64 {
	ages := make([]int, n)
	acc, total := 0.0, int64(0)
	for range steps {
		eligible := []int{}
		for u := range ages {
			ages[u]++
			if ages[u] > mat {
				eligible = append(eligible, u)
			}
		}
		acc += rho * float64(len(eligible))
		if acc >= 1 {
			k := int(math.Floor(acc))
			acc -= float64(k)
			for _, u := range eligible[:min(k, len(eligible))] {
				ages[u] = 0
			}
			total += int64(min(k, len(eligible)))
		}
	}
	return total
}

// TestCBPReplaceKeepsOutputs replaces units of each hidden layer of a
// trained network, the MLP's and the CNN's, and checks that the new units
// do not change the network's outputs (their outgoing weights are zero):
// the logits right after the replacement are bit-identical to those of
// the same network with the replaced units' old input weights and bias
// put back (the old units are gone either way: their outgoing weights are
// zero). It also checks the replaced units' outgoing weights (every row
// g·N + u of the next layer's weights seen as [Groups·N, FanOut]), bias
// and optimizer moments are zero, and their input weights redrawn.
func TestCBPReplaceKeepsOutputs(t *testing.T) {
	for _, base := range []Options{plasticOpts, cnnPlasticOpts} {
		o := base
		o.Optimizer = Adam
		o.LR = 1e-2
		o.Plasticity.CBP = &plastic.CBPConfig{Rho: 1e-6, Maturity: 1}
		l, s := learnFirst(t, o)
		n := l.net
		l.optimizerVars(vars(n.scope(ScopeNet), n.scope(ScopeHead)))
		for _, v := range vars(n.scope(scopeOpt)) { // moments of all ones, to see them reset
			vals, dims := values(v)
			for i := range vals {
				vals[i] = 1
			}
			v.MustSetValue(tensors.FromFlatDataAndDimensions(vals, dims...))
		}
		x := s.Tasks()[0].Train.X
		for layer, c := range n.cbpLayers() {
			in, out := c.in, c.out
			name := string(o.Backbone) + " " + in.Scope()
			w0, _ := value(in, "w")
			b0, _ := value(in, "b")
			done := l.replace(layer, 3)
			if len(done) != 3 {
				t.Fatalf("%s: replaced %v, want 3 units", name, done)
			}
			after := n.logits(x, l.opts.EvalBatch)
			w, wd := value(in, "w")
			b, bd := value(in, "b")
			units := wd[len(wd)-1] // w as [fanIn, units]
			fanIn := len(w) / units
			old, oldB := slices.Clone(w), slices.Clone(b)
			for _, u := range done {
				for i := range fanIn {
					old[i*units+u] = w0[i*units+u]
				}
				oldB[u] = b0[u]
			}
			n.set(in, "w", tensors.FromFlatDataAndDimensions(old, wd...))
			n.set(in, "b", tensors.FromFlatDataAndDimensions(oldB, bd...))
			if back := n.logits(x, l.opts.EvalBatch); !slices.Equal(back, after) {
				t.Errorf("%s: the new units %v change the logits", name, done)
			}
			n.set(in, "w", tensors.FromFlatDataAndDimensions(w, wd...))
			n.set(in, "b", tensors.FromFlatDataAndDimensions(b, bd...))
			ow, od := value(out, "w")
			fanOut := od[len(od)-1] // the next layer's w as [rows, fanOut]; unit u's rows: r % units == u
			mIn, _ := value(n.mirror(n.scope(scopeOpt).At("v"), variable(in, "w")), "w")
			mOut, _ := value(n.mirror(n.scope(scopeOpt).At("m"), variable(out, "w")), "w")
			for _, u := range done {
				changed := false
				for i := range fanIn {
					changed = changed || w[i*units+u] != w0[i*units+u]
					if mIn[i*units+u] != 0 {
						t.Errorf("%s unit %d: Adam's v of input weight %d is %g, want 0", name, u, i, mIn[i*units+u])
					}
				}
				if !changed || b[u] != 0 {
					t.Errorf("%s unit %d: input weights redrawn %v, bias %g: want redrawn and 0", name, u, changed, b[u])
				}
				rows := 0
				for r := u; r < len(ow)/fanOut; r += units {
					rows++
					for j := range fanOut {
						if at := r*fanOut + j; ow[at] != 0 || mOut[at] != 0 {
							t.Errorf("%s unit %d: outgoing weight [%d, %d] = %g, its m %g: want 0", name, u, r, j, ow[at], mOut[at])
						}
					}
				}
				if want := len(ow) / fanOut / units; rows != want {
					t.Errorf("%s unit %d: %d outgoing rows checked, want %d", name, u, rows, want)
				}
			}
			if mIn[0] != 1 && !slices.Contains(done, 0) {
				t.Errorf("%s: a kept unit's moment was reset", name)
			}
			kept := slices.IndexFunc(ow, func(v float32) bool { return v != 0 })
			if kept < 0 {
				t.Errorf("%s: every outgoing weight is zero", name)
			}
		}
	}
}

// TestShrinkNoNoise checks that shrink & perturb with Noise 0 multiplies
// every weight by (1 − Shrink) after each update: on one step (a single
// batch holds the task), the shrunk learner's weights are (1 − Shrink)
// times the plain learner's.
func TestShrinkNoNoise(t *testing.T) {
	const shrink = 0.25
	o := plasticOpts
	o.Epochs, o.Batch = 1, 256
	plain, _ := learnFirst(t, o)
	o.Plasticity.Shrink = shrink
	shrunk, _ := learnFirst(t, o)
	pw, sw := weightsOf(plain), weightsOf(shrunk)
	for path, p := range pw {
		for i := range p {
			want := float32(1-shrink) * p[i]
			if d := math.Abs(float64(sw[path][i] - want)); d > 1e-6*math.Max(1, math.Abs(float64(want))) {
				t.Fatalf("%s[%d] = %g, want (1 − %g)·%g = %g", path, i, sw[path][i], shrink, p[i], want)
			}
		}
	}
	if st := shrunk.Memory().Other; st != 0 {
		t.Errorf("Shrink keeps %d bytes of state, want 0", st)
	}
}

// TestL2Init checks the L2Init term by hand on SGD: the first step is the
// plain one (θ = θ₀), the second differs from the plain learner's by
// exactly −lr·L2Init·(θ₁ − θ₀), pulling the weights back toward θ₀.
func TestL2Init(t *testing.T) {
	const lambda = 0.5
	o := plasticOpts
	o.Batch = 256 // one step per epoch
	o.Epochs = 1
	one, _ := learnFirst(t, o) // θ₁
	o.Epochs = 2
	plain, _ := learnFirst(t, o)
	o.Plasticity.L2Init = lambda
	pulled, _ := learnFirst(t, o)
	w1, wp, wl := weightsOf(one), weightsOf(plain), weightsOf(pulled)
	var distPlain, distPulled float64
	for _, v := range vars(pulled.net.scope(scopePlastic).At("init")) {
		w0, _ := values(v)
		path := v.Path()[len("/plastic/init"):]
		for i := range w0 {
			want := wp[path][i] - float32(o.LR*lambda)*(w1[path][i]-w0[i])
			if d := math.Abs(float64(wl[path][i] - want)); d > 1e-6 {
				t.Fatalf("%s[%d] = %g, want plain %g − lr·λ·(θ₁ − θ₀) = %g", path, i, wl[path][i], wp[path][i], want)
			}
			distPlain += math.Abs(float64(wp[path][i] - w0[i]))
			distPulled += math.Abs(float64(wl[path][i] - w0[i]))
		}
	}
	if len(wl) == 0 || !(distPulled < distPlain) {
		t.Errorf("Σ|θ − θ₀|: %g with L2Init, %g without: want smaller with", distPulled, distPlain)
	}
	if got, want := pulled.Memory().Other, 4*pulled.Parameters(); got != want {
		t.Errorf("L2Init's θ₀ counted as %d bytes, want %d", got, want)
	}
}

// TestPlasticityMeasure checks the per-task measures and that noise,
// L2Init and continual backprop together train.
func TestPlasticityMeasure(t *testing.T) {
	o := plasticOpts
	o.Plasticity = Plasticity{Shrink: 1e-4, Noise: 1e-3, L2Init: 1e-3, CBP: &plastic.CBPConfig{Rho: 1e-3, Maturity: 5}, Probe: 100}
	l, err := New(testutil.Backend(t), Finetune, o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cil.Run(l, synthetic(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Plasticity) != 3 {
		t.Fatalf("%d measures for 3 tasks", len(l.Plasticity))
	}
	for k, st := range l.Plasticity {
		t.Logf("task %d: acc %.3f, %+v", k, res.Acc[k][k], st)
		if len(st.DormantByLayer) != 2 || st.Dormant < 0 || st.Dormant > 1 || st.StableRank < 1 || st.StableRank > 32 || !(st.WeightMag > 0) {
			t.Errorf("task %d: measures %+v out of range", k, st)
		}
		if res.Acc[k][k] < 0.8 {
			t.Errorf("task %d: accuracy %.3f on its own classes, want > 0.8", k, res.Acc[k][k])
		}
	}
}

// TestMeasureCNN checks that Measure counts the CNN's conv channels (a
// channel's activation on an example is its mean over positions): three
// layers (conv_0, conv_1, dense), and a dormant fraction weighted by their
// widths (16, 32, 8).
func TestMeasureCNN(t *testing.T) {
	l, s := learnFirst(t, cnnPlasticOpts)
	st, err := l.Measure(s.Tasks()[0].Train)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", st)
	if len(st.DormantByLayer) != 3 {
		t.Fatalf("%d layers measured, want 3 (conv_0, conv_1, dense)", len(st.DormantByLayer))
	}
	want := (16*st.DormantByLayer[0] + 32*st.DormantByLayer[1] + 8*st.DormantByLayer[2]) / 56
	if math.Abs(st.Dormant-want) > 1e-12 || st.StableRank < 1 || st.StableRank > 8 {
		t.Errorf("dormant %g (want %g from the layers), stable rank %d (want 1..8, the dense layer's)", st.Dormant, want, st.StableRank)
	}
}
