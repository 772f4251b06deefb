package cil

import (
	"math/rand/v2"
	"slices"

	"github.com/pkg/errors"
)

// Scenario cuts a labelled dataset into a class-incremental stream: the
// classes, taken in a class order, are split into tasks of Init, then
// Increment classes each (the last task takes what remains). Task t's Train
// holds the training examples of its new classes only; its Test holds the
// test examples of every class seen so far. Labels are renumbered to the
// class's position in the order, so task t brings the classes
// [Known, Known+New). "CIFAR-100 B0 Inc10" is NewScenario(train, test, 10, 10, order).
type Scenario struct {
	train, test *Data
	order       []int // order[p]: original label of position p.
	bounds      []int // task t holds positions [bounds[t], bounds[t+1]).
	pos         []int // pos[original label] = position.
}

// NewScenario returns the stream of train and test with init classes in the
// first task and increment in each later one. order lists the original
// labels in the order they arrive (a permutation of 0..K-1, K = the number
// of classes of train and test); nil means 0, 1, ..., K-1 (see
// [PyCILOrder] for the papers' order, [ShuffledOrder] for any seeded
// shuffle). Errors name the bad argument.
func NewScenario(train, test *Data, init, increment int, order []int) (*Scenario, error) {
	for _, d := range []*Data{train, test} {
		if err := d.Check(); err != nil {
			return nil, err
		}
	}
	if train.Dim != test.Dim {
		return nil, errors.Errorf("cil: NewScenario: train has Dim %d, test %d", train.Dim, test.Dim)
	}
	k := max(train.Classes(), test.Classes())
	if init <= 0 || increment <= 0 {
		return nil, errors.Errorf("cil: NewScenario: init %d and increment %d must be > 0", init, increment)
	}
	if init > k {
		return nil, errors.Errorf("cil: NewScenario: init %d is more than the %d classes of the data", init, k)
	}
	if order == nil {
		order = seq(k)
	}
	if len(order) != k {
		return nil, errors.Errorf("cil: NewScenario: order has %d classes, the data has %d", len(order), k)
	}
	pos := make([]int, k)
	for i := range pos {
		pos[i] = -1
	}
	for p, c := range order {
		if c < 0 || c >= k || pos[c] >= 0 {
			return nil, errors.Errorf("cil: NewScenario: order %v is not a permutation of 0..%d (entry %d = %d)", order, k-1, p, c)
		}
		pos[c] = p
	}
	bounds := []int{0, init}
	for b := init; b < k; {
		b = min(b+increment, k)
		bounds = append(bounds, b)
	}
	return &Scenario{train: train, test: test, order: slices.Clone(order), bounds: bounds, pos: pos}, nil
}

// ShuffledOrder returns a seeded random permutation of 0..classes-1, a class
// order for [NewScenario].
func ShuffledOrder(classes int, seed uint64) []int {
	return rand.New(rand.NewPCG(seed, 0x6f72646572)).Perm(classes)
}

// Len is the number of tasks.
func (s *Scenario) Len() int { return len(s.bounds) - 1 }

// Classes is the number of classes of the whole stream.
func (s *Scenario) Classes() int { return len(s.order) }

// Order returns the class order: Order()[p] is the original label of the
// class numbered p in the tasks.
func (s *Scenario) Order() []int { return slices.Clone(s.order) }

// TaskClasses returns the classes task t brings, [start, end) in
// renumbered labels.
func (s *Scenario) TaskClasses(t int) (start, end int) { return s.bounds[t], s.bounds[t+1] }

// TaskOf returns the task that brings the renumbered class c.
func (s *Scenario) TaskOf(c int) int {
	t, found := slices.BinarySearch(s.bounds, c)
	if !found {
		t--
	}
	return t
}

// Task returns task t (0 <= t < Len()), building its Train and Test sets
// (copies, labels renumbered, examples in dataset order). It panics if t is
// out of range.
func (s *Scenario) Task(t int) Task {
	if t < 0 || t >= s.Len() {
		panic(errors.Errorf("cil: Scenario.Task(%d): the scenario has tasks [0, %d)", t, s.Len()))
	}
	lo, hi := s.bounds[t], s.bounds[t+1]
	return Task{
		Index: t, Known: lo, New: hi - lo,
		Train: s.relabel(s.train, lo, hi),
		Test:  s.relabel(s.test, 0, hi),
	}
}

// Tasks returns every task, in order (all Train and Test sets at once: for
// small data; use Task(t) to build one at a time).
func (s *Scenario) Tasks() []Task {
	out := make([]Task, s.Len())
	for t := range out {
		out[t] = s.Task(t)
	}
	return out
}

// Relabel returns the examples of d whose class is in [lo, hi) of the
// renumbered labels, with labels renumbered.
func (s *Scenario) relabel(d *Data, lo, hi int) *Data {
	out := d.Subset(d.Where(func(y int32) bool { p := s.pos[y]; return p >= lo && p < hi }))
	for i, y := range out.Y {
		out.Y[i] = int32(s.pos[y])
	}
	return out
}

// SortByClass returns a copy of d with the examples sorted by label (stable:
// within a class, dataset order): the extreme "ordered stream" in which all
// 0s arrive, then all 1s, ...
func SortByClass(d *Data) *Data {
	idx := seq(d.Len())
	slices.SortStableFunc(idx, func(a, b int) int { return int(d.Y[a]) - int(d.Y[b]) })
	return d.Subset(idx)
}
