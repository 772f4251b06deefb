package cil

import "github.com/pkg/errors"

// Len is the number of examples, len(Y); 0 for a nil Data.
func (d *Data) Len() int {
	if d == nil {
		return 0
	}
	return len(d.Y)
}

// Row returns the Dim features of example i, a view into X.
func (d *Data) Row(i int) []float32 { return d.X[i*d.Dim : (i+1)*d.Dim] }

// Bytes is what storing the d.Len() raw examples costs: Len * ExampleBytes.
func (d *Data) Bytes() int64 { return int64(d.Len()) * int64(d.ExampleBytes) }

// Check reports whether X, Y, Dim and Shape agree: len(X) = len(Y)*Dim, Dim
// > 0, Shape (when set) multiplies to Dim, no negative label. The error
// names what is wrong.
func (d *Data) Check() error {
	if d == nil {
		return errors.Errorf("cil: nil Data")
	}
	if d.Dim <= 0 {
		return errors.Errorf("cil: Data.Dim is %d, want > 0", d.Dim)
	}
	if len(d.X) != len(d.Y)*d.Dim {
		return errors.Errorf("cil: Data has %d features for %d labels of Dim %d, want %d", len(d.X), len(d.Y), d.Dim, len(d.Y)*d.Dim)
	}
	if d.Shape != nil {
		n := 1
		for _, s := range d.Shape {
			n *= s
		}
		if n != d.Dim {
			return errors.Errorf("cil: Data.Shape %v has %d elements, want Dim = %d", d.Shape, n, d.Dim)
		}
	}
	for i, y := range d.Y {
		if y < 0 {
			return errors.Errorf("cil: label %d of example %d is negative", y, i)
		}
	}
	return nil
}

// Classes is 1 + the largest label (0 when empty).
func (d *Data) Classes() int {
	k := int32(-1)
	for _, y := range d.Y {
		k = max(k, y)
	}
	return int(k) + 1
}

// like returns an empty Data with d's Dim, Shape and ExampleBytes, room for n examples.
func (d *Data) like(n int) *Data {
	return &Data{X: make([]float32, 0, n*d.Dim), Y: make([]int32, 0, n), Dim: d.Dim, Shape: d.Shape, ExampleBytes: d.ExampleBytes}
}

// Subset returns a copy of the examples idx (in that order; repeats allowed).
// It panics if an index is out of range.
func (d *Data) Subset(idx []int) *Data {
	out := d.like(len(idx))
	for _, i := range idx {
		if i < 0 || i >= d.Len() {
			panic(errors.Errorf("cil: Subset index %d out of range [0, %d)", i, d.Len()))
		}
		out.X = append(out.X, d.Row(i)...)
		out.Y = append(out.Y, d.Y[i])
	}
	return out
}

// First returns a copy of the first n examples (all if n <= 0 or more
// than d has).
func (d *Data) First(n int) *Data {
	if n <= 0 || n > d.Len() {
		n = d.Len()
	}
	return d.Slice(0, n)
}

// Slice returns a copy of the examples lo..hi-1. It panics unless
// 0 <= lo <= hi <= d.Len().
func (d *Data) Slice(lo, hi int) *Data {
	if lo < 0 || lo > hi || hi > d.Len() {
		panic(errors.Errorf("cil: Slice [%d, %d) out of range [0, %d]", lo, hi, d.Len()))
	}
	out := d.like(hi - lo)
	out.X = append(out.X, d.X[lo*d.Dim:hi*d.Dim]...)
	out.Y = append(out.Y, d.Y[lo:hi]...)
	return out
}

// Where returns the indices of the examples whose label satisfies keep, in order.
func (d *Data) Where(keep func(y int32) bool) []int {
	var idx []int
	for i, y := range d.Y {
		if keep(y) {
			idx = append(idx, i)
		}
	}
	return idx
}

// Concat returns a new Data holding the examples of ds in order; nil or
// empty entries are skipped (the result is nil if all are). It panics if
// two non-empty parts have different Dim.
func Concat(ds ...*Data) *Data {
	var first *Data
	n := 0
	for _, d := range ds {
		if d.Len() == 0 {
			continue
		}
		if first == nil {
			first = d
		} else if d.Dim != first.Dim {
			panic(errors.Errorf("cil: Concat of Data with Dim %d and %d", first.Dim, d.Dim))
		}
		n += d.Len()
	}
	if first == nil {
		return nil
	}
	out := first.like(n)
	for _, d := range ds {
		if d.Len() == 0 {
			continue
		}
		out.X = append(out.X, d.X...)
		out.Y = append(out.Y, d.Y...)
	}
	return out
}
