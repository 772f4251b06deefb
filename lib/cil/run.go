package cil

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/pkg/errors"
)

// Result is what [Run] measures of a learner on a scenario. Accuracies are
// fractions in [0, 1].
type Result struct {
	Learner string
	// Acc[t][j] is the accuracy on the test examples of task j's classes
	// after learning task t (j <= t): the accuracy matrix.
	Acc []Floats
	// Total[t] is the accuracy on the test examples of all classes seen after
	// task t (PyCIL's "top-1 total").
	Total Floats
	// Old[t] and New[t] split Total[t] into the classes of tasks before t and
	// of task t itself (Old[0] is NaN).
	Old, New Floats
	// TaskIL[t] is the task-incremental accuracy after task t: each test
	// example is classified among the classes of its own task only (the
	// task identity is given), from the learner's scores; nil unless the
	// learner is a [Scorer]. Class-IL (Total) is the harder setting.
	TaskIL Floats
	// Memory[t] is the learner's memory after task t.
	Memory []Memory
	// LearnTime[t] and PredictTime[t] are the wall-clock durations of Learn(task t)
	// and of predicting task t's test set.
	LearnTime, PredictTime []time.Duration
	// LearnFLOPs[t] is the learner's total training arithmetic after task t,
	// for learners that count it ([Coster]); nil for others.
	LearnFLOPs []int64
}

// Scorer is implemented by learners that can score every seen class: for
// the N examples of x, [N, classes] scores, higher meaning more likely
// (logits, negative distances). [Run] uses it for task-IL accuracy.
type Scorer interface {
	Scores(x *Data) (scores []float32, classes int, err error)
}

// Coster is implemented by learners that count their arithmetic, the
// compute axis of a comparison: floating-point operations (a multiply-add
// counts 2) spent in Learn and in Predict since the learner was made,
// excluding a feature extractor's.
type Coster interface {
	FLOPs() (learn, predict int64)
}

// Run feeds the tasks of s to l one after the other and, after each, tests
// it on every class seen so far (class-IL, with Predict); if l is a
// [Scorer], it also scores the test set for task-IL accuracy. after, if not
// nil, is called with the result so far after each task (for progress bars
// and live tables). It stops at the first error, returning the tasks done.
func Run(l Learner, s *Scenario, after func(r *Result)) (*Result, error) {
	r := &Result{Learner: l.Name()}
	for t := range s.Len() {
		task := s.Task(t)
		start := time.Now()
		if err := l.Learn(task); err != nil {
			return r, errors.WithMessagef(err, "cil: %s on task %d", l.Name(), t)
		}
		r.LearnTime = append(r.LearnTime, time.Since(start))
		start = time.Now()
		pred, err := l.Predict(task.Test)
		if err != nil {
			return r, errors.WithMessagef(err, "cil: %s predicting after task %d", l.Name(), t)
		}
		r.PredictTime = append(r.PredictTime, time.Since(start))
		if len(pred) != task.Test.Len() {
			return r, errors.Errorf("cil: %s returned %d predictions for %d test examples after task %d", l.Name(), len(pred), task.Test.Len(), t)
		}
		r.add(s, task, pred)
		if sc, ok := l.(Scorer); ok {
			til, err := taskIL(sc, s, task)
			if err != nil {
				return r, errors.WithMessagef(err, "cil: %s scoring after task %d", l.Name(), t)
			}
			r.TaskIL = append(r.TaskIL, til)
		}
		r.Memory = append(r.Memory, l.Memory())
		if c, ok := l.(Coster); ok {
			learn, _ := c.FLOPs()
			r.LearnFLOPs = append(r.LearnFLOPs, learn)
		}
		if after != nil {
			after(r)
		}
	}
	return r, nil
}

// add records the accuracies of the predictions after task.
func (r *Result) add(s *Scenario, task Task, pred []int32) {
	nt := task.Index + 1
	right, count := make([]int, nt), make([]int, nt)
	for i, y := range task.Test.Y {
		j := s.TaskOf(int(y))
		count[j]++
		if pred[i] == y {
			right[j]++
		}
	}
	row := make(Floats, nt)
	var all, n, old, nOld int
	for j := range nt {
		row[j] = frac(right[j], count[j])
		all += right[j]
		n += count[j]
		if j < task.Index {
			old += right[j]
			nOld += count[j]
		}
	}
	r.Acc = append(r.Acc, row)
	r.Total = append(r.Total, frac(all, n))
	r.Old = append(r.Old, frac(old, nOld))
	r.New = append(r.New, row[task.Index])
}

// taskIL is the accuracy on task.Test when each example is classified
// among the classes of its own task.
func taskIL(sc Scorer, s *Scenario, task Task) (float64, error) {
	scores, k, err := sc.Scores(task.Test)
	if err != nil {
		return 0, err
	}
	n := task.Test.Len()
	if k < task.Seen() || len(scores) != n*k {
		return 0, errors.Errorf("cil: %d scores of %d classes for %d examples, want %d classes (or more)", len(scores), k, n, task.Seen())
	}
	right := 0
	for i, y := range task.Test.Y {
		lo, hi := s.TaskClasses(s.TaskOf(int(y)))
		row := scores[i*k : (i+1)*k]
		best := lo
		for c := lo + 1; c < hi; c++ {
			if row[c] > row[best] {
				best = c
			}
		}
		if best == int(y) {
			right++
		}
	}
	return frac(right, n), nil
}

// frac is a/b, NaN when b = 0.
func frac(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// Tasks is the number of tasks recorded.
func (r *Result) Tasks() int { return len(r.Total) }

// AverageIncremental is the mean over tasks of Total: the average
// incremental accuracy.
func (r *Result) AverageIncremental() float64 { return mean(r.Total) }

// Last is the accuracy on all classes after the last task (NaN before any).
func (r *Result) Last() float64 {
	if len(r.Total) == 0 {
		return math.NaN()
	}
	return r.Total[len(r.Total)-1]
}

// Forgetting is the mean, over the tasks before the last, of the best
// accuracy the task ever had before the last task minus its accuracy after
// the last task (Chaudhry et al.; 0 is no forgetting). NaN with fewer than
// two tasks.
func (r *Result) Forgetting() float64 { return Forgetting(r.Acc) }

// BWT is backward transfer: the mean, over the tasks before the last, of
// the accuracy after the last task minus the accuracy right after learning
// it (negative when learning later tasks hurts). NaN with fewer than two tasks.
func (r *Result) BWT() float64 { return BWT(r.Acc) }

// Forgetting of an accuracy matrix acc[t][j] (j <= t); see [Result.Forgetting].
func Forgetting(acc []Floats) float64 {
	last := len(acc) - 1
	var f []float64
	for j := 0; j < last; j++ {
		best := math.Inf(-1)
		for t := j; t < last; t++ {
			best = max(best, acc[t][j])
		}
		f = append(f, best-acc[last][j])
	}
	return mean(f)
}

// BWT of an accuracy matrix acc[t][j] (j <= t); see [Result.BWT].
func BWT(acc []Floats) float64 {
	last := len(acc) - 1
	var b []float64
	for j := 0; j < last; j++ {
		b = append(b, acc[last][j]-acc[j][j])
	}
	return mean(b)
}

// mean of xs, NaN if empty.
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// AUC is the area under a piecewise-linear curve through the points (x[i],
// y[i]), x increasing (trapezoid rule): with x the total memory in MB and y
// the average incremental (AUC-A) or last (AUC-L) accuracy as a fraction,
// it is the memory-aligned score of Zhou et al. (2023) (FOSTER: AUC-A 11.12
// over 7.6 ... 23.5 MB on CIFAR-100). It panics if the lengths differ or x
// is not increasing.
func AUC(x, y []float64) float64 {
	if len(x) != len(y) {
		panic(errors.Errorf("cil: AUC of %d x values and %d y values", len(x), len(y)))
	}
	var a float64
	for i := 1; i < len(x); i++ {
		if x[i] <= x[i-1] {
			panic(errors.Errorf("cil: AUC: x[%d] = %g is not above x[%d] = %g", i, x[i], i-1, x[i-1]))
		}
		a += (x[i] - x[i-1]) * (y[i] + y[i-1]) / 2
	}
	return a
}

// Accuracy is the fraction of pred equal to y (NaN for none). It panics if
// the lengths differ.
func Accuracy(pred, y []int32) float64 {
	if len(pred) != len(y) {
		panic(errors.Errorf("cil: Accuracy of %d predictions for %d labels", len(pred), len(y)))
	}
	right := 0
	for i := range y {
		if pred[i] == y[i] {
			right++
		}
	}
	return frac(right, len(y))
}

// Floats is a []float64 whose JSON form writes NaN (a metric with nothing
// to measure, such as Old[0]) as null, which encoding/json cannot otherwise
// write, and reads null back as NaN.
type Floats []float64

// MarshalJSON writes the numbers, NaN and ±Inf as null.
func (f Floats) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	b := []byte{'['}
	for i, v := range f {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads numbers, null as NaN.
func (f *Floats) UnmarshalJSON(data []byte) error {
	var raw []*float64
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		*f = nil
		return nil
	}
	out := make(Floats, len(raw))
	for i, p := range raw {
		out[i] = math.NaN()
		if p != nil {
			out[i] = *p
		}
	}
	*f = out
	return nil
}

// Table returns a header and one row per result for nb.Table: learner,
// average incremental and last accuracy (%), forgetting and BWT
// (percentage points), task-IL accuracy after the last task (% or "-"),
// final memory (MB) and total learning time.
func Table(rs ...*Result) (header []string, rows [][]any) {
	header = []string{"learner", "avg inc. acc %", "last acc %", "forgetting", "BWT", "task-IL last %", "memory MB", "learn time"}
	pct := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return strconv.FormatFloat(100*v, 'f', 1, 64)
	}
	for _, r := range rs {
		til, mem := math.NaN(), math.NaN()
		if len(r.TaskIL) > 0 {
			til = r.TaskIL[len(r.TaskIL)-1]
		}
		if len(r.Memory) > 0 {
			mem = r.Memory[len(r.Memory)-1].MB()
		}
		var total time.Duration
		for _, d := range r.LearnTime {
			total += d
		}
		rows = append(rows, []any{r.Learner, pct(r.AverageIncremental()), pct(r.Last()), pct(r.Forgetting()), pct(r.BWT()), pct(til),
			strconv.FormatFloat(mem, 'f', 2, 64), total.Round(time.Millisecond).String()})
	}
	return header, rows
}

// Spread is the mean and sample standard deviation of metric over several
// runs (seeds or class orders) of one learner, e.g.
// Spread(rs, (*Result).Last); NaN values are skipped, Std is 0 for one run
// and both are NaN for none.
func Spread(rs []*Result, metric func(*Result) float64) (mean, std float64) {
	var xs []float64
	for _, r := range rs {
		if v := metric(r); !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) == 1 {
		return mean, 0
	}
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)-1))
}
