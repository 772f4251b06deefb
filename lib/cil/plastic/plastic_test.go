package plastic

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/cil"
)

// testUnits is a Units view of n units with fanIn inputs and fanOut
// outputs, weights from rng and every optimizer state entry 1 (two states
// per weight, as Adam's m and v).
func testUnits(n, fanIn, fanOut int, rng *rand.Rand) Units {
	fill := func(k int, v func() float32) []float32 {
		s := make([]float32, k)
		for i := range s {
			s[i] = v()
		}
		return s
	}
	r := func() float32 { return float32(rng.NormFloat64()) }
	one := func() float32 { return 1 }
	return Units{N: n, FanIn: fanIn, FanOut: fanOut, In: fill(fanIn*n, r), Bias: fill(n, r), Out: fill(n*fanOut, r),
		InState:   [][]float32{fill(fanIn*n, one), fill(fanIn*n, one)},
		BiasState: [][]float32{fill(n, one)}, OutState: [][]float32{fill(n*fanOut, one), fill(n*fanOut, one)}}
}

// TestCBPReplacementRate checks that the units replaced per step follow
// rho: the test tracks ages and the accumulator itself and expects
// floor(acc) replacements whenever acc += rho·(mature units) reaches 1.
func TestCBPReplacementRate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		units    int
		rho      float64
		maturity int
		steps    int
	}{
		{"3 per step", 300, 0.01, 5, 60},
		{"one every 10 steps", 100, 0.001, 0, 100},
		{"none before maturity", 50, 0.5, 40, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			c := NewCBP([]int{tc.units}, CBPConfig{Rho: tc.rho, Maturity: tc.maturity, Decay: 0.99}, 3)
			u := testUnits(tc.units, 4, 3, rng)
			ages := make([]int, tc.units)
			acc, total, wantTotal := 0.0, 0, 0
			for step := range tc.steps {
				for i := range ages {
					ages[i]++
				}
				mature := 0
				for _, a := range ages {
					if a > tc.maturity {
						mature++
					}
				}
				acc += tc.rho * float64(mature)
				want := int(math.Floor(acc))
				acc -= float64(want)
				if n := c.Next(tc.steps); n != 1 && want > 0 {
					t.Fatalf("step %d: Next says %d steps to the next replacement, one is due now", step, n)
				}
				due := c.Advance(1)
				if due[0] != want {
					t.Fatalf("step %d: %d units due, want %d (%d mature, rho %g)", step, due[0], want, mature, tc.rho)
				}
				util := make([]float32, tc.units)
				for i := range util {
					util[i] = rng.Float32()
				}
				got := c.Replace(0, due[0], util, u, 0.1)
				if len(got) != want {
					t.Fatalf("step %d: replaced %d units, want %d", step, len(got), want)
				}
				for _, k := range got {
					ages[k] = 0
				}
				total += len(got)
				wantTotal += want
			}
			if total != wantTotal || c.Replaced()[0] != int64(total) {
				t.Errorf("replaced %d (counter %d), want %d", total, c.Replaced()[0], wantTotal)
			}
		})
	}
}

// TestCBPPicksLowestUtility checks the choice: the mature units of lowest
// bias-corrected utility, never an immature one.
func TestCBPPicksLowestUtility(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	c := NewCBP([]int{6}, CBPConfig{Rho: 1, Maturity: 2, Decay: 0.5}, 1)
	c.Advance(3)     // every unit age 3, mature
	c.ages[0][1] = 1 // unit 1 immature
	c.ages[0][4] = 10
	u := testUnits(6, 2, 2, rng)
	// Bias-corrected: util / (1 − 0.5^age): unit 4's 0.2 stays 0.2, unit 0's 0.15 becomes 0.171.
	util := []float32{0.15, 0.0, 0.5, 0.3, 0.2, 0.9}
	got := c.Replace(0, 2, util, u, 0.1)
	if !slices.Equal(got, []int{0, 4}) {
		t.Errorf("replaced %v, want [0 4] (unit 1 is immature)", got)
	}
	if util[0] != 0 || util[4] != 0 || util[2] != 0.5 {
		t.Errorf("utilities after replacement %v: want the replaced ones zeroed, the others kept", util)
	}
}

// TestReinitResetsState checks Units.Reinit: input column redrawn within the
// bound, bias and outgoing row zero, their optimizer state zero, everything
// else untouched.
func TestReinitResetsState(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	u := testUnits(5, 3, 4, rng)
	before := testUnits(5, 3, 4, rand.New(rand.NewPCG(6, 7)))
	const k, bound = 2, 0.05
	u.Reinit(k, bound, rng)
	for i := range u.FanIn {
		for j := range u.N {
			at := i*u.N + j
			if j == k {
				if math.Abs(float64(u.In[at])) > bound || u.In[at] == before.In[at] || u.InState[0][at] != 0 || u.InState[1][at] != 0 {
					t.Errorf("In[%d][%d] = %g (state %g, %g): want redrawn within ±%g, state 0", i, j, u.In[at], u.InState[0][at], u.InState[1][at], bound)
				}
			} else if u.In[at] != before.In[at] || u.InState[0][at] != 1 {
				t.Errorf("In[%d][%d] changed", i, j)
			}
		}
	}
	for j := range u.N {
		for o := range u.FanOut {
			at := j*u.FanOut + o
			want, wantState := before.Out[at], float32(1)
			if j == k {
				want, wantState = 0, 0
			}
			if u.Out[at] != want || u.OutState[0][at] != wantState || u.OutState[1][at] != wantState {
				t.Errorf("Out[%d][%d] = %g (state %g): want %g (state %g)", j, o, u.Out[at], u.OutState[0][at], want, wantState)
			}
		}
		if (j == k) != (u.Bias[j] == 0 && u.BiasState[0][j] == 0) {
			t.Errorf("Bias[%d] = %g (state %g)", j, u.Bias[j], u.BiasState[0][j])
		}
	}
}

// TestShrinkPerturbFormula checks (1 − λ)·w + σ·ε on a hand example.
func TestShrinkPerturbFormula(t *testing.T) {
	be := testutil.Backend(t)
	e := graph.MustNewExec(be, func(w, noise *Node) *Node { return ShrinkPerturb(w, noise, 0.1, 0.01) })
	out := e.MustExec([]float32{1, -2, 3}, []float32{0.5, 1, -1})[0]
	got := tensors.MustCopyFlatData[float32](out)
	want := []float32{0.9*1 + 0.005, 0.9*-2 + 0.01, 0.9*3 - 0.01} // 0.905, -1.79, 2.69
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Errorf("ShrinkPerturb = %v, want %v", got, want)
			break
		}
	}
}

// TestUtility checks the running utility on a hand example.
func TestUtility(t *testing.T) {
	be := testutil.Backend(t)
	e := graph.MustNewExec(be, func(util, act, out *Node) *Node { return Utility(util, act, out, 0.9) })
	// 2 examples, 2 units, 3 outputs.
	got := tensors.MustCopyFlatData[float32](e.MustExec([]float32{1, 2}, [][]float32{{1, 0}, {3, 4}},
		[][]float32{{1, -2, 3}, {0, 0, 3}})[0])
	// unit 0: mean|act| 2, mean|out| 2: 0.9·1 + 0.1·4 = 1.3; unit 1: 2 · 1 → 0.9·2 + 0.1·2 = 2.
	if math.Abs(float64(got[0])-1.3) > 1e-6 || math.Abs(float64(got[1])-2) > 1e-6 {
		t.Errorf("Utility = %v, want [1.3 2]", got)
	}
}

// TestUtilityConv checks the utility of a convolution's channels against a
// plain loop: act [B, h, w, N] averaged over examples and positions, out
// [Groups·N, FanOut] averaged over unit u's rows g·N + u.
func TestUtilityConv(t *testing.T) {
	be := testutil.Backend(t)
	const b, h, w, n, groups, fanOut, decay = 2, 3, 2, 4, 9, 5, 0.75
	rng := rand.New(rand.NewPCG(8, 9))
	act, out, util := make([]float32, b*h*w*n), make([]float32, groups*n*fanOut), make([]float32, n)
	for _, s := range [][]float32{act, out, util} {
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
	}
	e := graph.MustNewExec(be, func(u, a, o *Node) *Node { return Utility(u, a, o, decay) })
	got := tensors.MustCopyFlatData[float32](e.MustExec(util, tensors.FromFlatDataAndDimensions(act, b, h, w, n),
		tensors.FromFlatDataAndDimensions(out, groups*n, fanOut))[0])
	for u := range n {
		var ma, mo float64
		for i := range b * h * w {
			ma += math.Abs(float64(act[i*n+u])) / (b * h * w)
		}
		for g := range groups {
			for j := range fanOut {
				mo += math.Abs(float64(out[(g*n+u)*fanOut+j])) / (groups * fanOut)
			}
		}
		want := decay*float64(util[u]) + (1-decay)*ma*mo
		if math.Abs(float64(got[u])-want) > 1e-5 {
			t.Errorf("unit %d: Utility %g, want %g", u, got[u], want)
		}
	}
}

// TestReinitGroups checks that Reinit zeroes all Groups rows of a unit's
// outgoing weights and state (rows g·N + k), and no other.
func TestReinitGroups(t *testing.T) {
	const n, fanIn, fanOut, groups, k = 4, 6, 3, 9, 1
	rng := rand.New(rand.NewPCG(1, 2))
	u := testUnits(n, fanIn, fanOut*groups, rng) // Out and OutState of Groups·N·FanOut values
	u.FanOut, u.Groups = fanOut, groups
	before := slices.Clone(u.Out)
	u.Reinit(k, 0.1, rng)
	for row := range groups * n {
		for j := range fanOut {
			at := row*fanOut + j
			mine := row%n == k
			if mine && (u.Out[at] != 0 || u.OutState[0][at] != 0) || !mine && (u.Out[at] != before[at] || u.OutState[0][at] != 1) {
				t.Errorf("row %d (unit %d), column %d: Out %g (was %g), state %g", row, row%n, j, u.Out[at], before[at], u.OutState[0][at])
			}
		}
	}
	bad := u
	bad.Groups = 2
	if bad.check() == nil {
		t.Error("Units with Out of 9 groups passed as 2: no error")
	}
}

// hostStep is one SGD step of batch 1 on the host (softmax cross-entropy),
// the reference for the graph's hand-written backward pass.
func hostStep(n *Net, x []float32, y int32, lr float64) {
	logits, hidden := n.Forward(x, 1)
	acts := append([][]float32{x}, hidden...)
	mx := slices.Max(logits)
	var z float64
	for _, v := range logits {
		z += math.Exp(float64(v - mx))
	}
	delta := make([]float64, len(logits))
	for c, v := range logits {
		delta[c] = math.Exp(float64(v-mx)) / z
	}
	delta[y]--
	for l := len(n.Layers) - 1; l >= 0; l-- {
		ly, a := n.Layers[l], acts[l]
		back := make([]float64, ly.In)
		for i := range ly.In {
			for o := range ly.Out {
				back[i] += delta[o] * float64(ly.W[i*ly.Out+o])
			}
		}
		for i := range ly.In {
			for o := range ly.Out {
				ly.W[i*ly.Out+o] -= float32(lr * float64(a[i]) * delta[o])
			}
		}
		for o := range ly.Out {
			ly.B[o] -= float32(lr * delta[o])
		}
		for i := range back {
			if a[i] <= 0 {
				back[i] = 0
			}
		}
		delta = back
	}
}

// randomStream is n examples of dim features in [0, 1) with labels < classes.
func randomStream(n, dim, classes int, seed uint64) ([]float32, []int32) {
	rng := rand.New(rand.NewPCG(seed, 9))
	x, y := make([]float32, n*dim), make([]int32, n)
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range y {
		y[i] = int32(rng.IntN(classes))
	}
	return x, y
}

// maxDiff is the largest |a − b| over two networks' weights and biases.
func maxDiff(a, b *Net) float64 {
	var d float64
	for l := range a.Layers {
		for i, v := range a.Layers[l].W {
			d = max(d, math.Abs(float64(v-b.Layers[l].W[i])))
		}
		for i, v := range a.Layers[l].B {
			d = max(d, math.Abs(float64(v-b.Layers[l].B[i])))
		}
	}
	return d
}

// TestOnlineMatchesHostSGD checks the graph's forward pass and SGD updates
// against the host reference, example by example, across chunk sizes.
func TestOnlineMatchesHostSGD(t *testing.T) {
	be := testutil.Backend(t)
	sizes := []int{12, 8, 6, 4}
	x, y := randomStream(23, 12, 4, 1)
	for _, chunk := range []int{1, 5, 64} {
		o, err := NewOnline(be, Config{Sizes: sizes, LR: 0.1, Chunk: chunk, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		ref := o.Net()
		logits, _, err := o.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ref.Forward(x, 23)
		for i := range want {
			if math.Abs(float64(logits[i]-want[i])) > 1e-5 {
				t.Fatalf("Forward[%d] = %g, host %g", i, logits[i], want[i])
			}
		}
		if _, _, err := o.Learn(x, y); err != nil {
			t.Fatal(err)
		}
		for i := range y {
			hostStep(ref, x[i*12:(i+1)*12], y[i], 0.1)
		}
		if d := maxDiff(o.Net(), ref); d > 1e-4 {
			t.Errorf("chunk %d: weights after 23 updates differ from the host's by %g", chunk, d)
		}
		if o.Steps() != 23 || o.Seen() != 23 {
			t.Errorf("chunk %d: %d steps, %d seen; want 23", chunk, o.Steps(), o.Seen())
		}
	}
}

// TestChunksAgree checks that the chunk size changes nothing for every
// configuration (Adam, L2, L2 Init, shrink without noise, CBP): the same
// weights and the same replacements.
func TestChunksAgree(t *testing.T) {
	be := testutil.Backend(t)
	x, y := randomStream(120, 10, 3, 2)
	for _, cfg := range []Config{
		{Optimizer: Adam, LR: 0.01},
		{L2: 0.01, L2Init: 0.1, Shrink: 0.001},
		{Optimizer: Adam, CBP: &CBPConfig{Rho: 0.02, Maturity: 10}},
		{Batch: 4, CBP: &CBPConfig{Rho: 0.05, Maturity: 5}},
	} {
		var nets []*Net
		var replaced [][]int64
		for _, chunk := range []int{1, 7} {
			c := cfg
			c.Sizes, c.Chunk, c.Seed = []int{10, 9, 7, 3}, chunk, 5
			o, err := NewOnline(be, c)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := o.Learn(x, y); err != nil {
				t.Fatal(err)
			}
			nets = append(nets, o.Net())
			replaced = append(replaced, o.Replaced())
		}
		if d := maxDiff(nets[0], nets[1]); d > 1e-4 || !slices.Equal(replaced[0], replaced[1]) {
			t.Errorf("%+v: chunk 1 and 7 differ by %g, replaced %v vs %v", cfg, d, replaced[0], replaced[1])
		}
		if cfg.CBP != nil && replaced[0][0]+replaced[0][1] == 0 {
			t.Errorf("%+v: no unit replaced in 120 steps", cfg)
		}
	}
}

// TestReplaceKeepsOutputs replaces a unit of a trained network (Adam) and
// checks that the outputs are identical at that moment, and that the
// replaced weights' optimizer state (m, v and the step count) is zero.
func TestReplaceKeepsOutputs(t *testing.T) {
	be := testutil.Backend(t)
	x, y := randomStream(200, 10, 3, 3)
	o, err := NewOnline(be, Config{Sizes: []int{10, 9, 7, 3}, Optimizer: Adam, CBP: &CBPConfig{Rho: 1e-6, Maturity: 5}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.Learn(x, y); err != nil {
		t.Fatal(err)
	}
	// Make unit 4 of the first hidden layer dormant (inputs are >= 0):
	// negative input weights and bias; its utility is then the lowest.
	const k = 4
	u := o.units(0)
	for i := range u.FanIn {
		u.In[i*u.N+k] = -1
	}
	u.Bias[k] = -1
	o.setUnits(0, u)
	util := o.Utility(0)
	util[k] = 0
	o.state[o.nParams()+o.nOpt()] = tensors.FromFlatDataAndDimensions(util, len(util))
	before, _, err := o.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	o.replace([]int{1, 0})
	after, _, err := o.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Errorf("outputs changed when unit %d was replaced", k)
	}
	if ages := o.cbp.Ages(0); ages[k] != 0 || o.Replaced()[0] != 1 {
		t.Fatalf("unit %d not replaced (ages %v, replaced %v)", k, ages, o.Replaced())
	}
	u = o.units(0)
	for _, st := range u.BiasState {
		if st[k] != 0 {
			t.Errorf("bias optimizer state of unit %d = %g, want 0", k, st[k])
		}
	}
	for s := range 3 { // m, v, step
		for i := range u.FanIn {
			if v := u.InState[s][i*u.N+k]; v != 0 {
				t.Fatalf("input weight %d of unit %d: optimizer state %d = %g, want 0", i, k, s, v)
			}
		}
		for j := range u.FanOut {
			if v := u.OutState[s][k*u.FanOut+j]; v != 0 {
				t.Fatalf("outgoing weight %d of unit %d: optimizer state %d = %g, want 0", j, k, s, v)
			}
		}
		if u.InState[s][k+1] == 0 || u.OutState[s][(k+1)*u.FanOut] == 0 {
			t.Errorf("optimizer state %d of unit %d zeroed too", s, k+1)
		}
	}
	if slices.Max(u.Out[k*u.FanOut:(k+1)*u.FanOut]) != 0 || slices.Min(u.Out[k*u.FanOut:(k+1)*u.FanOut]) != 0 || u.Bias[k] != 0 {
		t.Errorf("unit %d: outgoing weights %v, bias %g; want zero", k, u.Out[k*u.FanOut:(k+1)*u.FanOut], u.Bias[k])
	}
}

// TestMeasure checks the measures on a constructed network and probe.
func TestMeasure(t *testing.T) {
	// Layer of 4 units on 200 examples: unit 3 never active, unit 2 active once (< 1%).
	n, units := 200, 4
	act := make([]float32, n*units)
	for i := range n {
		act[i*units+0] = float32(i%3) + 1
		act[i*units+1] = float32(i % 2)
	}
	act[7*units+2] = 1
	net := &Net{Layers: []Layer{{In: 1, Out: 2, W: []float32{1, -3}, B: []float32{5, 5}}}}
	s := MeasureActs([][]float32{act}, []int{units}, net)
	if s.Dormant != 0.5 || s.WeightMag != 2 {
		t.Errorf("Dormant %g, WeightMag %g; want 0.5, 2", s.Dormant, s.WeightMag)
	}
	if s.StableRank < 1 || s.StableRank > 3 {
		t.Errorf("StableRank %d, want 1..3 (three units ever active)", s.StableRank)
	}
}

// TestConfigErrors checks that bad settings are named.
func TestConfigErrors(t *testing.T) {
	be := testutil.Backend(t)
	for _, cfg := range []Config{
		{Sizes: []int{5}},
		{Sizes: []int{5, 3}, Optimizer: "rmsprop"},
		{Sizes: []int{5, 3}, Shrink: 1},
		{Sizes: []int{5, 3}, CBP: &CBPConfig{Rho: 2}},
	} {
		if _, err := NewOnline(be, cfg); err == nil {
			t.Errorf("NewOnline(%+v): no error", cfg)
		}
	}
	o, _ := NewOnline(be, Config{Sizes: []int{5, 3}})
	if _, _, err := o.Learn(make([]float32, 10), []int32{0, 7}); err == nil {
		t.Error("Learn with label 7 of 3 classes: no error")
	}
}

// TestRunOrdered runs order-invariant and gradient learners on a sorted
// and a shuffled synthetic stream: NCM predicts the same after both, online
// SGD without memory ends on the last class, replay keeps the old ones, and
// the axes are filled in.
func TestRunOrdered(t *testing.T) {
	be := testutil.Backend(t)
	train, test := cil.Synthetic(4, 8, 150, 40, 1)
	cfg := Config{Sizes: []int{8, 16, 16, 4}, LR: 0.05, Seed: 1}
	makers := []Maker{
		{Name: "NCM", New: func() (cil.Learner, error) { return &cil.NCM{}, nil }},
		{Name: "SGD", New: func() (cil.Learner, error) { return NewStream(be, "SGD", cfg, 0, 0) }},
		{Name: "Replay", New: func() (cil.Learner, error) { return NewStream(be, "Replay", cfg, 100, 4) }},
	}
	rs, err := RunOrdered(makers, train, test, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	ncm, sgd, rep := rs[0], rs[1], rs[2]
	if ncm.Agree != 1 || ncm.Sorted != ncm.Shuffled || ncm.Sorted < 0.8 {
		t.Errorf("NCM: sorted %.3f, shuffled %.3f, agreement %.3f; want identical predictions, accuracy >= 0.8", ncm.Sorted, ncm.Shuffled, ncm.Agree)
	}
	if sgd.Sorted > 0.3 || sgd.Shuffled < 0.6 {
		t.Errorf("online SGD: sorted %.3f, shuffled %.3f; want a collapse on the sorted stream only", sgd.Sorted, sgd.Shuffled)
	}
	if rep.Sorted < sgd.Sorted+0.2 {
		t.Errorf("replay on the sorted stream %.3f, not above online SGD's %.3f", rep.Sorted, sgd.Sorted)
	}
	if a := sgd.Axes; a.LearnFLOPs <= 0 || a.PredictFLOPs != 160*2*(8*16+16*16+16*4) || a.StateBytes != 4*(8*16+16+16*16+16+16*4+4) {
		t.Errorf("SGD axes %+v", a)
	}
	if a := rep.Axes; a.StateBytes != sgd.Axes.StateBytes+100*32 || a.LearnFLOPs != 5*sgd.Axes.LearnFLOPs {
		t.Errorf("Replay axes %+v: want SGD's state plus 100 examples of 32 bytes, 5x its FLOPs", a)
	}
}
