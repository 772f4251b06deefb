package deep

import (
	"math/rand/v2"
	"slices"

	"github.com/labnotes/labnotes/lib/cil"
)

// greedy is GDumb's class-balanced greedy sampler (Prabhu et al. 2020):
// an incoming example is stored while the memory has room; once it is
// full, it is stored only if its class holds fewer than budget/k examples
// (k: classes stored so far, its own included), in place of a random
// example of the largest class.
type greedy struct {
	budget int
	rng    *rand.Rand
	rows   map[int32][][]float32 // per class, the stored examples
	n      int
	dim    int
	shape  []int
	bytes  int
}

func (g *greedy) len() int { return g.n }

// add streams the examples of d through the sampler, in d's order.
func (g *greedy) add(d *cil.Data, _ int) {
	if g.rows == nil {
		g.rows = map[int32][][]float32{}
		g.dim, g.shape, g.bytes = d.Dim, slices.Clone(d.Shape), d.ExampleBytes
	}
	for i := range d.Len() {
		y := d.Y[i]
		x := slices.Clone(d.X[i*d.Dim : (i+1)*d.Dim])
		if g.n < g.budget {
			g.rows[y] = append(g.rows[y], x)
			g.n++
			continue
		}
		k := len(g.rows)
		if _, ok := g.rows[y]; !ok {
			k++
		}
		if len(g.rows[y]) >= g.budget/k {
			continue
		}
		// Drop a random example of the largest class (the smallest label on ties).
		var big int32 = -1
		for _, c := range g.classes() {
			if big < 0 || len(g.rows[c]) > len(g.rows[big]) {
				big = c
			}
		}
		r := g.rows[big]
		j := g.rng.IntN(len(r))
		r[j] = r[len(r)-1]
		g.rows[big] = r[:len(r)-1]
		g.rows[y] = append(g.rows[y], x)
	}
}

// classes returns the stored classes, sorted.
func (g *greedy) classes() []int32 {
	var cs []int32
	for c := range g.rows {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	return cs
}

// data returns the memory as one data set, by class.
func (g *greedy) data() *cil.Data {
	out := &cil.Data{Dim: g.dim, Shape: g.shape, ExampleBytes: g.bytes}
	for _, c := range g.classes() {
		for _, x := range g.rows[c] {
			out.X = append(out.X, x...)
			out.Y = append(out.Y, c)
		}
	}
	return out
}

// count returns the examples stored of class c.
func (g *greedy) count(c int32) int { return len(g.rows[c]) }
