package cil

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
)

// Selection is how a [Buffer] picks the exemplars of a new class.
type Selection int

const (
	// Herding picks, one at a time, the example that keeps the mean of the
	// chosen (L2-normalized) features closest to the class mean (iCaRL,
	// PyCIL's default); see [HerdingSelect].
	Herding Selection = iota
	// Random picks a seeded random sample of the class.
	Random
)

// String is "herding" or "random".
func (s Selection) String() string {
	switch s {
	case Herding:
		return "herding"
	case Random:
		return "random"
	}
	return fmt.Sprintf("Selection(%d)", int(s))
}

// DefaultBudget is PyCIL's exemplar memory for CIFAR-100: 2000 examples in all.
const DefaultBudget = 2000

// Buffer is a class-balanced exemplar memory: the raw examples a replay
// learner keeps of the classes it has seen. Each class's exemplars are kept
// in selection order, so shrinking a class keeps its best ones.
type Buffer struct {
	budget   int       // total exemplars shared by the seen classes (when perClass == 0).
	perClass int       // fixed exemplars per class, or 0.
	sel      Selection // how new classes are sampled.
	classes  []*Data   // classes[c]: exemplars of class c in selection order.
	all      *Data     // cached concatenation of classes, nil when stale.
}

// NewBuffer returns an empty buffer. With perClass > 0 it keeps perClass
// exemplars of every class (budget is ignored); otherwise the budget total
// exemplars are shared equally by the seen classes, floor(budget/seen) each
// (PyCIL's default: budget 2000). It panics if both are <= 0.
func NewBuffer(budget, perClass int, sel Selection) *Buffer {
	if perClass <= 0 && budget <= 0 {
		panic(errors.Errorf("cil: NewBuffer needs budget > 0 or perClass > 0, got budget %d, perClass %d", budget, perClass))
	}
	if sel != Herding && sel != Random {
		panic(errors.Errorf("cil: NewBuffer: unknown selection %d", int(sel)))
	}
	return &Buffer{budget: budget, perClass: perClass, sel: sel}
}

// Quota is the number of exemplars per class the buffer keeps once seen
// classes are stored: perClass, or floor(budget/seen).
func (b *Buffer) Quota(seen int) int {
	if b.perClass > 0 {
		return b.perClass
	}
	if seen <= 0 {
		return b.budget
	}
	return b.budget / seen
}

// Seen is the number of classes stored (the seen of the last Update).
func (b *Buffer) Seen() int { return len(b.classes) }

// Budget is the current total budget (0 for a per-class buffer).
func (b *Buffer) Budget() int {
	if b.perClass > 0 {
		return 0
	}
	return b.budget
}

// Grow adds extra exemplars to the total budget: the top-up that aligns an
// exemplar method's total memory with a model-expanding one. It takes effect
// at the next Update: the new classes get the larger quota and old classes
// are no longer cut as much (examples already dropped do not come back).
// It panics on a per-class buffer or a negative extra.
func (b *Buffer) Grow(extra int) {
	if b.perClass > 0 {
		panic(errors.Errorf("cil: Grow(%d) on a buffer of a fixed %d exemplars per class", extra, b.perClass))
	}
	if extra < 0 {
		panic(errors.Errorf("cil: Grow(%d): extra must be >= 0", extra))
	}
	b.budget += extra
}

// Update makes room for and stores the classes [b.Seen(), seen): it cuts
// every old class to Quota(seen) exemplars (keeping the first of its
// selection order) and selects Quota(seen) exemplars of each new class from
// train (all of them if the class has fewer), whose labels must lie in
// [b.Seen(), seen). features returns the [N, F] features of its argument
// (Update L2-normalizes them in place; its argument is a fresh copy of one
// class's examples); Herding needs it, Random ignores it (it
// may be nil). seed drives Random.
func (b *Buffer) Update(train *Data, seen int, features func(*Data) ([]float32, int, error), seed uint64) error {
	old := len(b.classes)
	if seen < old {
		return errors.Errorf("cil: Buffer.Update: seen = %d but the buffer already holds %d classes", seen, old)
	}
	if train.Len() > 0 {
		if err := train.Check(); err != nil {
			return err
		}
		for i, y := range train.Y {
			if int(y) < old || int(y) >= seen {
				return errors.Errorf("cil: Buffer.Update: label %d of example %d is not a new class, want [%d, %d)", y, i, old, seen)
			}
		}
		if old > 0 && b.classes[0].Dim != train.Dim {
			return errors.Errorf("cil: Buffer.Update: train has Dim %d, the buffer holds Dim %d", train.Dim, b.classes[0].Dim)
		}
	}
	if b.sel == Herding && features == nil && train.Len() > 0 {
		return errors.Errorf("cil: Buffer.Update: herding selection needs a features function, got nil")
	}
	q := b.Quota(seen)
	byClass := make([][]int, seen-old)
	for i, y := range train.Y {
		byClass[int(y)-old] = append(byClass[int(y)-old], i)
	}
	fresh := make([]*Data, seen-old)
	rng := rand.New(rand.NewPCG(seed, 0x62756666))
	for k, idx := range byClass {
		m := min(q, len(idx))
		if m == 0 {
			fresh[k] = train.like(0)
			continue
		}
		var pick []int
		switch b.sel {
		case Random:
			perm := rng.Perm(len(idx))
			pick = perm[:m]
		case Herding:
			cls := train.Subset(idx)
			f, dim, err := features(cls)
			if err != nil {
				return errors.WithMessagef(err, "cil: Buffer.Update: features of class %d", old+k)
			}
			if dim <= 0 || len(f) != len(idx)*dim {
				return errors.Errorf("cil: Buffer.Update: features of class %d returned %d values of width %d for %d examples, want %d x width", old+k, len(f), dim, len(idx), len(idx))
			}
			Normalize(f, dim)
			pick = HerdingSelect(f, len(idx), dim, m)
		}
		rows := make([]int, m)
		for j, p := range pick {
			rows[j] = idx[p]
		}
		fresh[k] = train.Subset(rows)
	}
	for c, d := range b.classes {
		if d.Len() > q {
			b.classes[c] = d.Subset(seq(q))
		}
	}
	b.classes = append(b.classes, fresh...)
	b.all = nil
	return nil
}

// Data returns all stored exemplars, class after class, each in selection
// order; nil before the first Update. The result is shared: do not modify it.
func (b *Buffer) Data() *Data {
	if b.all == nil {
		b.all = Concat(b.classes...)
	}
	return b.all
}

// Class returns the exemplars of class c in selection order (shared: do not
// modify). It panics if c is not a stored class.
func (b *Buffer) Class(c int) *Data {
	if c < 0 || c >= len(b.classes) {
		panic(errors.Errorf("cil: Buffer.Class(%d): the buffer holds classes [0, %d)", c, len(b.classes)))
	}
	return b.classes[c]
}

// Len is the number of stored exemplars.
func (b *Buffer) Len() int {
	n := 0
	for _, d := range b.classes {
		n += d.Len()
	}
	return n
}

// Bytes is the memory the exemplars cost: Len * ExampleBytes.
func (b *Buffer) Bytes() int64 {
	var n int64
	for _, d := range b.classes {
		n += d.Bytes()
	}
	return n
}

// Normalize scales each of the len(f)/dim rows of f ([N, dim]) to unit L2
// norm, in place; all-zero rows stay zero.
func Normalize(f []float32, dim int) {
	for i := 0; i+dim <= len(f); i += dim {
		row := f[i : i+dim]
		var s float64
		for _, v := range row {
			s += float64(v) * float64(v)
		}
		if s == 0 {
			continue
		}
		inv := float32(1 / math.Sqrt(s))
		for j := range row {
			row[j] *= inv
		}
	}
}

// HerdingSelect returns the indices of m of the n rows of features ([n, f],
// rows L2-normalized by the caller), in herding order: step k adds the row,
// not yet chosen, that brings the mean of the k chosen rows closest (L2) to
// the mean of all n rows (iCaRL; PyCIL's _construct_exemplar). Ties go to the
// lower index. m is capped at n. It costs about m·n·f multiply-adds (one dot
// product per row and step), spread over the CPUs.
func HerdingSelect(features []float32, n, f, m int) []int {
	if len(features) != n*f {
		panic(errors.Errorf("cil: HerdingSelect: %d features, want n*f = %d*%d", len(features), n, f))
	}
	m = min(m, n)
	mean := make([]float64, f)
	for i := range n {
		for j, v := range features[i*f : (i+1)*f] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	// With S the sum of the chosen rows, ||mean - (S + v_i)/k||² equals, up
	// to a constant, -2/k (mean·S + mean·v_i) + (S·S + 2 S·v_i + v_i·v_i)/k².
	a, q, sv := make([]float64, n), make([]float64, n), make([]float64, n) // mean·v_i, v_i·v_i, S·v_i.
	for i := range n {
		row := features[i*f : (i+1)*f]
		for j, v := range row {
			a[i] += mean[j] * float64(v)
			q[i] += float64(v) * float64(v)
		}
	}
	var meanS, ss float64
	used := make([]bool, n)
	out := make([]int, 0, m)
	for k := 1; k <= m; k++ {
		kk := float64(k)
		best, bestD := -1, math.Inf(1)
		for i := range n {
			if used[i] {
				continue
			}
			d := -2/kk*(meanS+a[i]) + (ss+2*sv[i]+q[i])/(kk*kk)
			if d < bestD {
				best, bestD = i, d
			}
		}
		used[best] = true
		out = append(out, best)
		meanS += a[best]
		ss += 2*sv[best] + q[best]
		if k == m {
			break
		}
		c := features[best*f : (best+1)*f]
		parallel(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if !used[i] {
					sv[i] += float64(dot(c, features[i*f:(i+1)*f]))
				}
			}
		})
	}
	return out
}

// dot is the inner product of a and b (same length).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// seq returns [0, 1, ..., n-1].
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
