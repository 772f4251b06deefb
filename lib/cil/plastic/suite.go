package plastic

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute"

	"github.com/labnotes/labnotes/lib/cil"
)

// Named is a learner configuration with a label for tables and plots.
type Named struct {
	Name   string
	Config Config
}

// Remedies are the learners of the loss-of-plasticity comparison on a
// network of the given sizes, at SGD step size lr: backprop with SGD and
// with Adam, L2, shrink & perturb, L2 Init and continual backprop (Dohare
// et al.'s settings scaled to a 100-unit network: ρ = 1e-4, maturity
// 100, decay 0.99).
func Remedies(sizes []int, lr float64) []Named {
	c := func(cfg Config) Config { cfg.Sizes = slices.Clone(sizes); return cfg }
	return []Named{
		{"Backprop (SGD)", c(Config{LR: lr})},
		{"Backprop (Adam)", c(Config{Optimizer: Adam, LR: DefaultAdamLR})},
		{"L2", c(Config{LR: lr, L2: 1e-3})},
		{"Shrink & Perturb", c(Config{LR: lr, Shrink: 1e-4, Perturb: 1e-3})},
		{"L2 Init", c(Config{LR: lr, L2Init: 1e-2})},
		{"Continual backprop", c(Config{LR: lr, CBP: &CBPConfig{}})},
	}
}

// PermutedRuns are the runs of RunPermutedSuite: Runs[learner][seed]
// lists the tasks.
type PermutedRuns struct {
	Learners []string        `json:"learners"`
	Seeds    []uint64        `json:"seeds"`
	Runs     [][][]TaskStats `json:"runs"`
	Seconds  [][]float64     `json:"seconds"`
}

// RunPermutedSuite runs every learner with every seed (the seed draws the
// network and the task permutations) on tasks online permuted tasks of
// data, perTask examples each. progress, if not nil, is called after every
// task with the runs done so far and the current learner.
func RunPermutedSuite(be compute.Backend, data *cil.Data, learners []Named, seeds []uint64, tasks, perTask, probe int,
	progress func(learner string, seed uint64, s TaskStats)) (*PermutedRuns, error) {
	r := &PermutedRuns{Seeds: seeds}
	for _, l := range learners {
		r.Learners = append(r.Learners, l.Name)
		var runs [][]TaskStats
		var secs []float64
		for _, seed := range seeds {
			cfg := l.Config
			cfg.Seed = seed
			o, err := NewOnline(be, cfg)
			if err != nil {
				return r, fmt.Errorf("plastic: %s: %w", l.Name, err)
			}
			ts, err := RunPermuted(o, Permuted{Data: data, Seed: seed}, tasks, perTask, probe, func(s TaskStats) {
				if progress != nil {
					progress(l.Name, seed, s)
				}
			})
			if err != nil {
				return r, fmt.Errorf("plastic: %s seed %d: %w", l.Name, seed, err)
			}
			var sec float64
			for _, t := range ts {
				sec += t.Seconds
			}
			runs, secs = append(runs, ts), append(secs, sec)
		}
		r.Runs, r.Seconds = append(r.Runs, runs), append(r.Seconds, secs)
	}
	return r, nil
}

// Index returns the position of learner name, or -1.
func (r *PermutedRuns) Index(name string) int { return slices.Index(r.Learners, name) }

// Window returns, per seed, the mean of f over tasks [from, to) of learner
// i (negative from and to count from the end: -10, 0 is the last 10 tasks).
func (r *PermutedRuns) Window(i, from, to int, f func(TaskStats) float64) []float64 {
	var out []float64
	for _, ts := range r.Runs[i] {
		a, b := from, to
		if a < 0 {
			a += len(ts)
		}
		if b <= 0 {
			b += len(ts)
		}
		var s float64
		for _, t := range ts[a:b] {
			s += f(t)
		}
		out = append(out, s/float64(b-a))
	}
	return out
}

// Curve returns the per-task mean over seeds of f for learner i.
func (r *PermutedRuns) Curve(i int, f func(TaskStats) float64) []float64 {
	runs := r.Runs[i]
	out := make([]float64, len(runs[0]))
	for _, ts := range runs {
		for t, s := range ts {
			out[t] += f(s) / float64(len(runs))
		}
	}
	return out
}

// MeanStd returns the mean and the sample standard deviation of xs (0
// for fewer than two values).
func MeanStd(xs []float64) (mean, std float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)-1))
}

// Spread is the range (max − min) of xs: the seed spread the claims
// compare effects with.
func Spread(xs []float64) float64 { return slices.Max(xs) - slices.Min(xs) }

// Accuracy, Dormant, StableRank and WeightMag pick one measure of a task
// (for Window and Curve).
func Accuracy(s TaskStats) float64   { return s.Accuracy }
func Dormant(s TaskStats) float64    { return s.Dormant }
func StableRank(s TaskStats) float64 { return float64(s.StableRank) }
func WeightMag(s TaskStats) float64  { return s.WeightMag }
