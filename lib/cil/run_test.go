package cil

import (
	"encoding/json"
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
	acc := []Floats{
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

// latest scores the newest class 2, an example's true class 1 (it peeks at
// a lookup) and the rest 0; it predicts the newest class.
type latest struct{ lookup }

func (l *latest) Predict(x *Data) ([]int32, error) {
	s, k, _ := l.Scores(x)
	return Argmax(s, k), nil
}
func (l *latest) Scores(x *Data) ([]float32, int, error) {
	k := 0
	for _, y := range l.seen {
		k = max(k, int(y)+1)
	}
	out := make([]float32, x.Len()*k)
	for i := range x.Len() {
		if y, ok := l.seen[x.Row(i)[0]]; ok {
			out[i*k+int(y)] = 1
		}
		out[i*k+k-1] = 2
	}
	return out, k, nil
}

func TestRunTaskIL(t *testing.T) {
	train, _ := Synthetic(6, 2, 5, 0, 1)
	s, _ := NewScenario(train, train, 2, 2, nil)
	r, err := Run(&latest{}, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Task-IL: every old task right, half of the newest: (2t+1)/(2t+2).
	// Class-IL: only the newest class: 1/(2t+2).
	for i, want := range []float64{0.5, 0.75, 5.0 / 6} {
		if !near(r.TaskIL[i], want) || !near(r.Total[i], 1/float64(2*i+2)) {
			t.Errorf("task %d: task-IL %v, class-IL %v; want %v, %v", i, r.TaskIL[i], r.Total[i], want, 1/float64(2*i+2))
		}
	}
	if r2, _ := Run(&lookup{}, s, nil); r2.TaskIL != nil {
		t.Errorf("TaskIL %v for a learner that is not a Scorer", r2.TaskIL)
	}
}

func TestFloatsJSON(t *testing.T) {
	r := &Result{Learner: "x", Total: Floats{0.5, 1}, Old: Floats{math.NaN(), 0.25}, Acc: []Floats{{1}, {0.5, math.Inf(1)}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"Old":[null,0.25]`) || !strings.Contains(string(b), `"Acc":[[1],[0.5,null]]`) || !strings.Contains(string(b), `"TaskIL":null`) {
		t.Errorf("JSON %s", b)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(back.Old[0]) || back.Old[1] != 0.25 || back.Total[1] != 1 || back.TaskIL != nil {
		t.Errorf("round trip: %+v", back)
	}
}

func TestTable(t *testing.T) {
	train, _ := Synthetic(4, 2, 5, 0, 1)
	s, _ := NewScenario(train, train, 2, 2, nil)
	a, _ := Run(&lookup{forget: true}, s, nil)
	b, _ := Run(&latest{}, s, nil)
	header, rows := Table(a, b)
	if len(header) != 8 || len(rows) != 2 {
		t.Fatalf("header %v, %d rows", header, len(rows))
	}
	// forgets: totals 1, 0.5 -> avg 75%, last 50%, forgetting 100 points, BWT -100, no task-IL.
	want := []any{"lookup", "75.0", "50.0", "100.0", "-100.0", "-"}
	for i, w := range want {
		if rows[0][i] != w {
			t.Errorf("row 0 column %q = %v, want %v", header[i], rows[0][i], w)
		}
	}
	if rows[1][5] != "75.0" || rows[0][6] != "0.00" {
		t.Errorf("task-IL %v, memory %v", rows[1][5], rows[0][6])
	}
}

func TestSpread(t *testing.T) {
	rs := []*Result{{Total: Floats{0.2, 0.5}}, {Total: Floats{0.1, 0.7}}, {Total: Floats{0.3, 0.9}}, {}}
	m, s := Spread(rs, (*Result).Last) // 0.5, 0.7, 0.9 (the empty run's NaN skipped)
	if !near(m, 0.7) || !near(s, 0.2) {
		t.Errorf("Spread = %v ± %v, want 0.7 ± 0.2", m, s)
	}
	if m, s := Spread(rs[:1], (*Result).Last); !near(m, 0.5) || s != 0 {
		t.Errorf("one run: %v ± %v", m, s)
	}
	if m, _ := Spread(nil, (*Result).Last); !math.IsNaN(m) {
		t.Errorf("no run: %v", m)
	}
}
