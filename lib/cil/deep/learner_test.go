package deep

import (
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/cil"
)

// synthetic is the tiny stream of the learner tests: 6 classes of
// cil.Synthetic in 16 dimensions, 3 tasks of 2 classes.
func synthetic(t testing.TB) *cil.Scenario {
	t.Helper()
	train, test := cil.Synthetic(6, 16, 100, 50, 7)
	s, err := cil.NewScenario(train, test, 2, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tiny are the learner tests' options: a 16-32-32 MLP, 10 epochs.
var tiny = Options{Hidden: 32, Epochs: 10, Batch: 32, LR: 1e-2, Memory: 60, Seed: 1}

// TestLearners runs every method on the synthetic stream and checks the
// survey's qualitative claims: Finetune forgets the first task's classes
// once it learns the second, Replay and iCaRL keep them, and Joint has the
// best final accuracy.
func TestLearners(t *testing.T) {
	be := testutil.Backend(t)
	s := synthetic(t)
	last := map[Method]float64{}
	for _, m := range Methods {
		l, err := New(be, m, tiny)
		if err != nil {
			t.Fatal(err)
		}
		res, err := cil.Run(l, s, nil)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		last[m] = res.Last()
		// Acc[1][0]: accuracy on task 0's classes after task 1.
		t.Logf("%-8s last %.3f  avg %.3f  task-0 classes after task 0 %.3f, after task 1 %.3f  memory %+v",
			m, res.Last(), res.AverageIncremental(), res.Acc[0][0], res.Acc[1][0], l.Memory())
		switch m {
		case Finetune:
			// PyCIL's Finetune (CE over the new logits only) loses the old classes: after the last task
			// they are mostly misclassified, far below Replay's and iCaRL's.
			lastT := len(res.Old) - 1
			if !(res.Acc[0][0] > 0.9 && res.Acc[lastT][0] < res.Acc[0][0]-0.2 && res.Old[lastT] < 0.6) {
				t.Errorf("Finetune: task-0 accuracy %.3f after task 0, %.3f after the last; old classes %.3f after the last: "+
					"want > 0.9, a fall > 0.2, < 0.6 (forgetting)", res.Acc[0][0], res.Acc[lastT][0], res.Old[lastT])
			}
		case Replay, ICaRL:
			for k := 1; k < len(res.Acc); k++ {
				if res.Acc[k][0] < 0.8 || res.Old[k] < 0.8 {
					t.Errorf("%s: after task %d, task-0 accuracy %.3f, old classes %.3f: want > 0.8 (retention)", m, k, res.Acc[k][0], res.Old[k])
				}
			}
		}
	}
	for m, a := range last {
		if a > last[Joint]+0.01 {
			t.Errorf("%s's last accuracy %.3f beats Joint's %.3f", m, a, last[Joint])
		}
	}
}

// TestMemory checks Memory() against a hand count after the 3 tasks of
// the synthetic stream (16 inputs, hidden 32, 6 classes, 60 exemplars of
// 4·16 bytes).
func TestMemory(t *testing.T) {
	be := testutil.Backend(t)
	s := synthetic(t)
	const d, h, c, ex = 16, 32, 6, 60 * 4 * 16
	base, top := d*h+h, h*h+h
	head := func(k int) int64 { return int64(k*h*c + c) }
	mlp := 4 * (int64(base+top) + head(1))
	for _, tc := range []struct {
		m    Method
		want cil.Memory
	}{
		{Finetune, cil.Memory{Parameters: mlp}},
		{Replay, cil.Memory{Exemplars: ex, Parameters: mlp}},
		{ICaRL, cil.Memory{Exemplars: ex, Parameters: mlp, Other: 4 * c * h}},           // class means [6, 32]
		{EWC, cil.Memory{Parameters: mlp, Other: 2 * mlp}},                              // Fisher + θ*
		{Joint, cil.Memory{Exemplars: 6 * 100 * 4 * 16, Parameters: mlp}},               // all training data
		{GDumb, cil.Memory{Exemplars: ex, Parameters: mlp}},                             // greedy memory
		{DER, cil.Memory{Exemplars: ex, Parameters: 4 * (3*int64(base+top) + head(3))}}, // 3 backbones
		{MEMO, cil.Memory{Exemplars: ex, Parameters: 4 * (int64(base) + 3*int64(top) + head(3))}},
	} {
		o := tiny
		o.Epochs = 1
		l, err := New(be, tc.m, o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cil.Run(l, s, nil); err != nil {
			t.Fatal(err)
		}
		if got := l.Memory(); got != tc.want {
			t.Errorf("%s: Memory() = %+v, want %+v", tc.m, got, tc.want)
		}
	}
}

// TestGreedy follows GDumb's sampler on a constructed stream.
func TestGreedy(t *testing.T) {
	g := &greedy{budget: 10}
	stream := func(c int32, k int) *cil.Data {
		d := &cil.Data{Dim: 1, ExampleBytes: 1}
		for i := range k {
			d.X = append(d.X, float32(i))
			d.Y = append(d.Y, c)
		}
		return d
	}
	g.rng = newRand(3)
	for _, step := range []struct {
		c     int32
		k     int
		count []int
	}{
		{0, 12, []int{10}},        // fills up, then class 0 is at its quota 10/1
		{1, 10, []int{5, 5}},      // each class 1 example replaces a class 0 one until 5/5
		{2, 9, []int{3, 4, 3}},    // quota 10/3 = 3: takes from 0, 1, 0 (largest, smallest label on ties)
		{0, 5, []int{3, 4, 3}},    // class 0 is at its quota
		{3, 1, []int{3, 3, 3, 1}}, // quota 2 for a new class: one from the largest (1)
	} {
		g.add(stream(step.c, step.k), 0)
		for c, want := range step.count {
			if got := g.count(int32(c)); got != want {
				t.Errorf("after %d examples of class %d: class %d has %d, want %d", step.k, step.c, c, got, want)
			}
		}
	}
	if g.len() != 10 || g.data().Len() != 10 {
		t.Errorf("memory holds %d (data %d), want 10", g.len(), g.data().Len())
	}
}

// TestErrors checks that bad inputs are errors naming the problem.
func TestErrors(t *testing.T) {
	be := testutil.Backend(t)
	if _, err := New(be, "Nope", Options{}); err == nil {
		t.Error("New accepted an unknown method")
	}
	if _, err := New(be, Replay, Options{Backbone: "rnn"}); err == nil {
		t.Error("New accepted an unknown backbone")
	}
	l, err := New(be, Finetune, tiny)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Predict(&cil.Data{Dim: 16}); err == nil {
		t.Error("Predict before Learn gave no error")
	}
	task := synthetic(t).Task(1)
	if err := l.Learn(task); err == nil {
		t.Error("Learn accepted task 1 (Known 2) first")
	}
	task.Known, task.New = 0, 1 // labels 2, 3 are out of [0, 1)
	if err := l.Learn(task); err == nil {
		t.Error("Learn accepted out-of-range labels")
	}
	if err := l.Learn(synthetic(t).Task(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Predict(&cil.Data{X: make([]float32, 8), Dim: 8}); err == nil {
		t.Error("Predict accepted examples of the wrong Dim")
	}
}

// TestWithDefaults checks that zero fields take the Default constants (the
// width and learning rate following the backbone and optimizer) and set
// fields are kept.
func TestWithDefaults(t *testing.T) {
	all := Options{Backbone: MLP, Hidden: 256, Epochs: 5, Batch: 128, Optimizer: Adam, LR: 1e-3, Momentum: 0.9,
		Memory: 2000, T: 2, LwFLambda: 3, EWCLambda: 1000, FisherMax: 1e-4, AuxWeight: 1, EvalBatch: 512}
	with := func(f func(*Options)) Options { o := all; f(&o); return o }
	for _, tc := range []struct {
		name string
		in   Options
		want Options
	}{
		{"zero", Options{}, all},
		{"cnn", Options{Backbone: CNN}, with(func(o *Options) { o.Backbone, o.Hidden = CNN, 128 })},
		{"sgd", Options{Optimizer: SGD}, with(func(o *Options) { o.Optimizer, o.LR = SGD, 0.1 })},
		{"set", Options{Hidden: 7, LR: 0.5, WeightDecay: 1e-4, PerClass: 3, Seed: 9, AlignAlways: true},
			with(func(o *Options) {
				o.Hidden, o.LR, o.WeightDecay, o.PerClass, o.Seed, o.AlignAlways = 7, 0.5, 1e-4, 3, 9, true
			})},
	} {
		if got := tc.in.WithDefaults(); got != tc.want {
			t.Errorf("%s: %+v.WithDefaults() = %+v, want %+v", tc.name, tc.in, got, tc.want)
		}
	}
}
