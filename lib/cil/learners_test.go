package cil

import (
	"math"
	"slices"
	"testing"
)

// oneTask returns the single task of all classes of train, tested on test.
func oneTask(t *testing.T, train, test *Data) Task {
	t.Helper()
	s, err := NewScenario(train, test, train.Classes(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Task(0)
}

// Order-invariant learners give the same predictions whether they see the
// classes shuffled in one task or sorted, one class per task.
func TestOrderInvariance(t *testing.T) {
	train, test := Synthetic(8, 6, 60, 40, 4)
	tests := []struct {
		name string
		make func() Learner
		min  float64 // accuracy it must reach on the blobs (NCM is Bayes-optimal there: ~0.71).
	}{
		{"ncm", func() Learner { return &NCM{} }, 0.68},
		{"ncm cosine", func() Learner { return &NCM{Cosine: true} }, 0.65},
		{"knn", func() Learner { return &KNN{K: 5} }, 0.6},
		{"slda", func() Learner { return &SLDA{} }, 0.68},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			joint := tc.make()
			if err := joint.Learn(oneTask(t, train, test)); err != nil {
				t.Fatal(err)
			}
			want, err := joint.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			acc := Accuracy(want, test.Y)
			if acc < tc.min {
				t.Errorf("accuracy %.3f, want >= %.2f", acc, tc.min)
			}
			s, err := NewScenario(SortByClass(train), test, 1, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			stream := tc.make()
			r, err := Run(stream, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := stream.Predict(test)
			if !slices.Equal(got, want) {
				t.Errorf("ordered stream predictions differ from joint ones (accuracy %.3f vs %.3f)", Accuracy(got, test.Y), acc)
			}
			if !near(r.Last(), acc) {
				t.Errorf("Run's last accuracy %v, want %v", r.Last(), acc)
			}
			t.Logf("%s: accuracy %.3f, memory %+v", tc.name, acc, stream.Memory())
		})
	}
}

func TestNCMMeans(t *testing.T) {
	d := &Data{X: []float32{0, 0, 2, 0, 10, 10, 4, 0}, Y: []int32{0, 0, 1, 0}, Dim: 2, ExampleBytes: 2}
	m := &NCM{}
	if err := m.Learn(oneTask(t, d, d)); err != nil {
		t.Fatal(err)
	}
	if got := m.Means(); !slices.Equal(got, []float32{2, 0, 10, 10}) {
		t.Errorf("Means = %v, want [2 0 10 10]", got)
	}
	q := &Data{X: []float32{1, 1, 7, 7, 9, -3}, Y: []int32{0, 0, 0}, Dim: 2}
	if got, _ := m.Predict(q); !slices.Equal(got, []int32{0, 1, 0}) {
		t.Errorf("Predict = %v, want [0 1 0]", got)
	}
	if mem := m.Memory(); mem.Total() != 2*3*4 {
		t.Errorf("Memory %+v, want 24 bytes", mem)
	}
}

func TestKNN(t *testing.T) {
	// 1D: class 0 at 0, 1, 2; class 1 at 10, 11; class 2 at 5.
	d := &Data{X: []float32{0, 10, 1, 5, 2, 11}, Y: []int32{0, 1, 0, 2, 0, 1}, Dim: 1, ExampleBytes: 7}
	q := &Data{X: []float32{4.9, 6, 3.6, 9}, Y: make([]int32, 4), Dim: 1}
	tests := []struct {
		k    int
		want []int32
	}{
		{1, []int32{2, 2, 2, 1}},
		// k = 3: 4.9 -> {5:2, 2:0, 1:0} = 0; 6 -> {5:2, 2:0, 10:1} tie, closest 2; 3.6 -> 0; 9 -> {10,11: 1} = 1.
		{3, []int32{0, 2, 0, 1}},
		{100, []int32{0, 0, 0, 0}}, // k capped at 6: class 0 has 3 votes.
	}
	for _, tc := range tests {
		m := &KNN{K: tc.k}
		if err := m.Learn(oneTask(t, d, d)); err != nil {
			t.Fatal(err)
		}
		if got, _ := m.Predict(q); !slices.Equal(got, tc.want) {
			t.Errorf("K=%d: Predict = %v, want %v", tc.k, got, tc.want)
		}
		if m.Memory().Exemplars != 6*7 {
			t.Errorf("K=%d: Memory %+v, want 42 exemplar bytes", tc.k, m.Memory())
		}
	}
}

// SLDA's streamed covariance equals the pooled within-class covariance
// computed in one batch.
func TestSLDACovariance(t *testing.T) {
	train, test := Synthetic(3, 4, 25, 5, 9)
	m := &SLDA{}
	if err := m.Learn(oneTask(t, train, test)); err != nil {
		t.Fatal(err)
	}
	const d = 4
	var mean [3][d]float64
	var n [3]float64
	for i, y := range train.Y {
		for j := range d {
			mean[y][j] += float64(train.Row(i)[j])
		}
		n[y]++
	}
	for c := range 3 {
		for j := range d {
			mean[c][j] /= n[c]
		}
	}
	got := m.Covariance()
	for a := range d {
		for b := range d {
			var s float64
			for i, y := range train.Y {
				s += (float64(train.Row(i)[a]) - mean[y][a]) * (float64(train.Row(i)[b]) - mean[y][b])
			}
			s /= float64(train.Len())
			if math.Abs(got[a*d+b]-s) > 1e-9 {
				t.Fatalf("Covariance[%d][%d] = %v, want %v", a, b, got[a*d+b], s)
			}
		}
	}
	if mem := m.Memory(); mem.Other != 4*(3*5+16) {
		t.Errorf("Memory %+v, want Other = %d", mem, 4*(3*5+16))
	}
}

// Affine features of an extractor are used instead of the raw inputs.
func TestExtractor(t *testing.T) {
	train, test := Synthetic(4, 3, 30, 20, 6)
	twice := func(x *Data) ([]float32, int, error) {
		f := make([]float32, 0, 2*len(x.X))
		for i := range x.Len() {
			f = append(f, x.Row(i)...)
			f = append(f, x.Row(i)...)
		}
		return f, 2 * x.Dim, nil
	}
	bad := func(x *Data) ([]float32, int, error) { return []float32{1}, 2, nil }
	for _, l := range []Learner{&NCM{Features: twice, FeatureParams: 10}, &KNN{Features: twice, FeatureParams: 10}, &SLDA{Features: twice, FeatureParams: 10, Shrinkage: 0.1}} {
		if err := l.Learn(oneTask(t, train, test)); err != nil {
			t.Fatalf("%s: %v", l.Name(), err)
		}
		pred, err := l.Predict(test)
		if err != nil {
			t.Fatalf("%s: %v", l.Name(), err)
		}
		if acc := Accuracy(pred, test.Y); acc < 0.55 {
			t.Errorf("%s with duplicated features: accuracy %.3f", l.Name(), acc)
		}
		if l.Memory().Parameters != 40 {
			t.Errorf("%s: Memory %+v, want 40 parameter bytes", l.Name(), l.Memory())
		}
	}
	for _, l := range []Learner{&NCM{Features: bad}, &KNN{Features: bad}, &SLDA{Features: bad}} {
		if err := l.Learn(oneTask(t, train, test)); err == nil {
			t.Errorf("%s: no error for an extractor of the wrong size", l.Name())
		}
	}
}

func TestFLOPs(t *testing.T) {
	d := &Data{X: []float32{0, 0, 2, 0, 10, 10, 4, 0}, Y: []int32{0, 0, 1, 0}, Dim: 2, ExampleBytes: 2}
	q := &Data{X: []float32{1, 1, 7, 7, 9, -3}, Y: make([]int32, 3), Dim: 2}
	tests := []struct {
		l              Learner
		learn, predict int64
	}{
		{&NCM{}, 4 * 2, 3 * 2 * 3 * 2},
		{&KNN{}, 0, 3 * 4 * 3 * 2},
		// 4 examples x (3·2 + 2·3) + Cholesky 2·8/3 = 5 + 2 classes x (4·4 + 4); 3 x 2 classes x 4.
		{&SLDA{}, 4*12 + 5 + 2*20, 3 * 2 * 4},
	}
	for _, tc := range tests {
		if err := tc.l.Learn(oneTask(t, d, d)); err != nil {
			t.Fatal(err)
		}
		if _, err := tc.l.Predict(q); err != nil {
			t.Fatal(err)
		}
		learn, predict := tc.l.(Coster).FLOPs()
		if learn != tc.learn || predict != tc.predict {
			t.Errorf("%s: FLOPs %d, %d; want %d, %d", tc.l.Name(), learn, predict, tc.learn, tc.predict)
		}
	}
	train, test := Synthetic(4, 3, 10, 5, 1)
	s, _ := NewScenario(train, test, 2, 1, nil)
	r, err := Run(&SLDA{}, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.LearnFLOPs) != 3 || r.LearnFLOPs[0] <= 0 || r.LearnFLOPs[1] <= r.LearnFLOPs[0] || r.LearnFLOPs[2] <= r.LearnFLOPs[1] {
		t.Errorf("Run's LearnFLOPs = %v, want 3 increasing counts", r.LearnFLOPs)
	}
}

// Predict is the argmax of Scores, and Run reports task-IL accuracy at least
// as high as class-IL for these learners.
func TestScoresMatchPredict(t *testing.T) {
	train, test := Synthetic(6, 4, 40, 20, 8)
	s, _ := NewScenario(train, test, 2, 2, nil)
	for _, l := range []Learner{&NCM{}, &NCM{Cosine: true}, &KNN{K: 1}, &SLDA{}} {
		r, err := Run(l, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		scores, k, err := l.(Scorer).Scores(test)
		if err != nil || k != 6 || len(scores) != 6*test.Len() {
			t.Fatalf("%s: Scores: %d values of %d classes, %v", l.Name(), len(scores), k, err)
		}
		pred, _ := l.Predict(test)
		if got := Argmax(scores, k); !slices.Equal(got, pred) {
			t.Errorf("%s: argmax of Scores differs from Predict", l.Name())
		}
		for i := range r.Tasks() {
			if r.TaskIL[i] < r.Total[i] {
				t.Errorf("%s after task %d: task-IL %.3f below class-IL %.3f", l.Name(), i, r.TaskIL[i], r.Total[i])
			}
		}
	}
}
