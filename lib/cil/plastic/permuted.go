package plastic

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/labnotes/labnotes/lib/cil"
)

// Permuted is an online permuted stream (Dohare et al.'s online permuted
// MNIST, here on any image set): task t shows the images of Data under a
// fixed pixel permutation of its own, in a fresh random order, each once.
type Permuted struct {
	Data *cil.Data
	Seed uint64
}

// Task returns task t's first n examples (n <= 0: all): pixels permuted by
// task t's permutation, examples in task t's order. The identity
// permutation is never special: task 0 is permuted too.
func (p Permuted) Task(t, n int) (x []float32, y []int32) {
	d := p.Data
	if n <= 0 || n > d.Len() {
		n = d.Len()
	}
	rng := rand.New(rand.NewPCG(p.Seed, uint64(t)+1))
	perm := rng.Perm(d.Dim)
	order := rng.Perm(d.Len())[:n]
	x, y = make([]float32, n*d.Dim), make([]int32, n)
	for r, i := range order {
		src, dst := d.Row(i), x[r*d.Dim:(r+1)*d.Dim]
		for j, q := range perm {
			dst[j] = src[q]
		}
		y[r] = d.Y[i]
	}
	return x, y
}

// TaskStats is one task of a permuted run.
type TaskStats struct {
	Task     int     `json:"task"`
	Accuracy float64 `json:"accuracy"` // online accuracy over the task's examples
	Loss     float64 `json:"loss"`     // mean training loss
	Stats
	Replaced []int64 `json:"replaced,omitempty"` // CBP: units replaced so far, per layer
	Seconds  float64 `json:"seconds"`
}

// RunPermuted trains o on tasks tasks of p, perTask examples each, online,
// and measures each task: online accuracy, then the Stats on the task's
// first probe examples (after training on it). after, if not nil, sees
// each task's record as it is made.
func RunPermuted(o *Online, p Permuted, tasks, perTask, probe int, after func(TaskStats)) ([]TaskStats, error) {
	if tasks <= 0 || perTask <= 0 || probe <= 0 {
		return nil, fmt.Errorf("plastic: RunPermuted: tasks %d, perTask %d, probe %d: want all > 0", tasks, perTask, probe)
	}
	var out []TaskStats
	for t := range tasks {
		start := time.Now()
		x, y := p.Task(t, perTask)
		correct, loss, err := o.Learn(x, y)
		if err != nil {
			return out, err
		}
		s, err := Measure(o, x[:min(probe, len(y))*p.Data.Dim])
		if err != nil {
			return out, err
		}
		ts := TaskStats{Task: t, Accuracy: float64(correct) / float64(len(y)), Loss: loss, Stats: s, Replaced: o.Replaced(),
			Seconds: time.Since(start).Seconds()}
		out = append(out, ts)
		if after != nil {
			after(ts)
		}
	}
	return out, nil
}
