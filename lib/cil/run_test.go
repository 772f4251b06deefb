package cil

import (
	"math"
	"strings"
	"testing"
)

// lookup memorizes the exact features of training examples; with forget it
// keeps only the last task's (so it forgets all old classes). Unknown
// examples get class -1.
type lookup struct {
	forget bool
	seen   map[float32]int32
}

func (l *lookup) Name() string { return "lookup" }
func (l *lookup) Learn(task Task) error {
	if l.seen == nil || l.forget {
		l.seen = map[float32]int32{}
	}
	for i, y := range task.Train.Y {
		l.seen[task.Train.Row(i)[0]] = y
	}
	return nil
}
func (l *lookup) Predict(x *Data) ([]int32, error) {
	out := make([]int32, x.Len())
	for i := range out {
		y, ok := l.seen[x.Row(i)[0]]
		if !ok {
			y = -1
		}
		out[i] = y
	}
	return out, nil
}
func (l *lookup) Memory() Memory { return Memory{Other: int64(8 * len(l.seen))} }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 || (math.IsNaN(a) && math.IsNaN(b)) }

func TestRun(t *testing.T) {
	train, _ := Synthetic(6, 2, 5, 0, 1)
	// Testing on the training set: the lookup learner knows exactly what it kept.
	s, err := NewScenario(train, train, 2, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                   string
		l                      Learner
		total, old             []float64
		avg, last, forget, bwt float64
	}{
		{"remembers", &lookup{}, []float64{1, 1, 1}, []float64{math.NaN(), 1, 1}, 1, 1, 0, 0},
		{"forgets", &lookup{forget: true}, []float64{1, 0.5, 1.0 / 3}, []float64{math.NaN(), 0, 0}, (1 + 0.5 + 1.0/3) / 3, 1.0 / 3, 1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			r, err := Run(tc.l, s, func(r *Result) {
				calls++
				if r.Tasks() != calls {
					t.Errorf("after(): %d tasks recorded on call %d", r.Tasks(), calls)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls != 3 || r.Learner != "lookup" || len(r.Memory) != 3 || len(r.LearnTime) != 3 || len(r.PredictTime) != 3 {
				t.Errorf("calls %d, learner %q, %d memories, %d/%d times", calls, r.Learner, len(r.Memory), len(r.LearnTime), len(r.PredictTime))
			}
			for i := range 3 {
				if !near(r.Total[i], tc.total[i]) || !near(r.Old[i], tc.old[i]) || r.New[i] != 1 {
					t.Errorf("task %d: total %v old %v new %v, want %v %v 1", i, r.Total[i], r.Old[i], r.New[i], tc.total[i], tc.old[i])
				}
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"avg", r.AverageIncremental(), tc.avg}, {"last", r.Last(), tc.last}, {"forgetting", r.Forgetting(), tc.forget}, {"bwt", r.BWT(), tc.bwt}} {
				if !near(c.got, c.want) {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
		})
	}
}

type failing struct{ lookup }

func (f *failing) Predict(x *Data) ([]int32, error) { return make([]int32, 1), nil }

func TestRunRejectsShortPredictions(t *testing.T) {
	train, _ := Synthetic(4, 2, 5, 0, 1)
	s, _ := NewScenario(train, train, 2, 2, nil)
	r, err := Run(&failing{}, s, nil)
	if err == nil || !strings.Contains(err.Error(), "returned 1 predictions for 10 test examples after task 0") {
		t.Errorf("error %v", err)
	}
	if r.Tasks() != 0 {
		t.Errorf("%d tasks recorded", r.Tasks())
	}
}

func TestMetrics(t *testing.T) {
	acc := [][]float64{
		{0.9},
		{0.6, 0.8},
		{0.5, 0.7, 0.95},
	}
	// forgetting: task 0: max(0.9, 0.6) - 0.5 = 0.4; task 1: 0.8 - 0.7 = 0.1.
	if f := Forgetting(acc); !near(f, 0.25) {
		t.Errorf("Forgetting = %v, want 0.25", f)
	}
	// bwt: (0.5-0.9 + 0.7-0.8)/2.
	if b := BWT(acc); !near(b, -0.25) {
		t.Errorf("BWT = %v, want -0.25", b)
	}
	if f := Forgetting(acc[:1]); !math.IsNaN(f) {
		t.Errorf("Forgetting of one task = %v, want NaN", f)
	}
	tests := []struct {
		x, y []float64
		want float64
	}{
		{[]float64{0, 1}, []float64{1, 1}, 1},
		{[]float64{7.6, 23.5}, []float64{0.6, 0.8}, 15.9 * 0.7},
		{[]float64{1, 2, 4}, []float64{0, 1, 1}, 0.5 + 2},
		{[]float64{3}, []float64{0.5}, 0},
	}
	for _, tc := range tests {
		if a := AUC(tc.x, tc.y); !near(a, tc.want) {
			t.Errorf("AUC(%v, %v) = %v, want %v", tc.x, tc.y, a, tc.want)
		}
	}
	if a := Accuracy([]int32{1, 2, 3, 4}, []int32{1, 2, 0, 0}); a != 0.5 {
		t.Errorf("Accuracy = %v", a)
	}
}
