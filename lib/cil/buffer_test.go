package cil

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// identity is a features function returning the raw inputs.
func identity(d *Data) ([]float32, int, error) {
	return slices.Clone(d.X), d.Dim, nil
}

func TestHerdingSelect(t *testing.T) {
	tests := []struct {
		name string
		f    []float32
		n, d int
		m    int
		want []int
	}{
		// mean (0.533, 0.6): c is closest; then (c+a)/2 = (0.8, 0.4) beats (c+b)/2 = (0.3, 0.9).
		{"hand", []float32{1, 0, 0, 1, 0.6, 0.8}, 3, 2, 3, []int{2, 0, 1}},
		{"capped", []float32{1, 0, 0, 1, 0.6, 0.8}, 3, 2, 10, []int{2, 0, 1}},
		{"one", []float32{1, 0, 0, 1, 0.6, 0.8}, 3, 2, 1, []int{2}},
		// symmetric pair: ties go to the lower index; then the pair completes the mean.
		{"ties", []float32{1, 0, -1, 0, 1, 0, -1, 0}, 4, 2, 2, []int{0, 1}},
		{"none", []float32{1, 0}, 1, 2, 0, []int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := HerdingSelect(tc.f, tc.n, tc.d, tc.m)
			if !slices.Equal(got, tc.want) {
				t.Errorf("HerdingSelect = %v, want %v", got, tc.want)
			}
		})
	}
}

// Herding's first m exemplars approximate the class mean better than a random m.
func TestHerdingBeatsRandom(t *testing.T) {
	train, _ := Synthetic(1, 8, 400, 0, 3)
	f := slices.Clone(train.X)
	Normalize(f, 8)
	gap := func(idx []int) float64 {
		var s float64
		for j := range 8 {
			var all, sub float64
			for i := range 400 {
				all += float64(f[i*8+j])
			}
			for _, i := range idx {
				sub += float64(f[i*8+j])
			}
			e := all/400 - sub/float64(len(idx))
			s += e * e
		}
		return math.Sqrt(s)
	}
	for _, m := range []int{5, 20, 50} {
		h := gap(HerdingSelect(f, 400, 8, m))
		r := gap(seq(m)) // the data is shuffled: the first m are a random sample.
		if h >= r/2 {
			t.Errorf("m=%d: herding mean is %.4f from the class mean, random %.4f; want herding < random/2", m, h, r)
		}
	}
}

func TestNormalize(t *testing.T) {
	f := []float32{3, 4, 0, 0, 1, 0}
	Normalize(f, 2)
	want := []float32{0.6, 0.8, 0, 0, 1, 0}
	for i := range f {
		if math.Abs(float64(f[i]-want[i])) > 1e-6 {
			t.Fatalf("Normalize = %v, want %v", f, want)
		}
	}
}

// labelled returns Data of dim 1 whose single feature is the example's index and labels ys.
func labelled(ys ...int32) *Data {
	d := &Data{Dim: 1, ExampleBytes: 3}
	for i, y := range ys {
		d.X = append(d.X, float32(i))
		d.Y = append(d.Y, y)
	}
	return d
}

func TestBufferQuotas(t *testing.T) {
	tests := []struct {
		name     string
		budget   int
		perClass int
		sel      Selection
		grow     int // Grow before the second Update.
		want1    []int
		want2    []int
	}{
		{"budget herding", 12, 0, Herding, 0, []int{6, 6}, []int{3, 3, 3, 3}},
		{"budget random", 12, 0, Random, 0, []int{6, 6}, []int{3, 3, 3, 3}},
		{"floor", 10, 0, Random, 0, []int{5, 5}, []int{2, 2, 2, 2}},
		{"per class", 1000, 4, Herding, 0, []int{4, 4}, []int{4, 4, 4, 4}},
		{"grow", 12, 0, Random, 8, []int{6, 6}, []int{5, 5, 5, 5}},
		{"small classes", 100, 0, Herding, 0, []int{8, 8}, []int{8, 8, 8, 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			train, _ := Synthetic(4, 3, 8, 0, 1)
			first := train.Subset(train.Where(func(y int32) bool { return y < 2 }))
			second := train.Subset(train.Where(func(y int32) bool { return y >= 2 }))
			b := NewBuffer(tc.budget, tc.perClass, tc.sel)
			if b.Data() != nil || b.Len() != 0 {
				t.Fatalf("empty buffer: Data %v, Len %d", b.Data(), b.Len())
			}
			if err := b.Update(first, 2, identity, 7); err != nil {
				t.Fatal(err)
			}
			check := func(want []int) {
				t.Helper()
				total := 0
				for c, w := range want {
					cls := b.Class(c)
					if cls.Len() != w {
						t.Errorf("class %d: %d exemplars, want %d", c, cls.Len(), w)
					}
					for _, y := range cls.Y {
						if y != int32(c) {
							t.Errorf("class %d holds label %d", c, y)
						}
					}
					total += w
				}
				if b.Len() != total || b.Data().Len() != total || b.Bytes() != int64(total*12) {
					t.Errorf("Len %d, Data().Len %d, Bytes %d; want %d, %d, %d", b.Len(), b.Data().Len(), b.Bytes(), total, total, total*12)
				}
			}
			check(tc.want1)
			before := b.Class(0).Subset(seq(b.Class(0).Len()))
			if tc.grow > 0 {
				b.Grow(tc.grow)
			}
			if err := b.Update(second, 4, identity, 7); err != nil {
				t.Fatal(err)
			}
			check(tc.want2)
			// Shrinking keeps the first exemplars of the selection order.
			after := b.Class(0)
			if !slices.Equal(after.X, before.X[:after.Len()*3]) {
				t.Errorf("class 0 after shrinking %v is not a prefix of %v", after.X, before.X)
			}
		})
	}
}

func TestBufferSelectsHerdingOrder(t *testing.T) {
	train, _ := Synthetic(2, 5, 30, 0, 2)
	b := NewBuffer(10, 0, Herding)
	if err := b.Update(train, 2, identity, 0); err != nil {
		t.Fatal(err)
	}
	for c := range 2 {
		cls := train.Subset(train.Where(func(y int32) bool { return y == int32(c) }))
		f := slices.Clone(cls.X)
		Normalize(f, 5)
		want := cls.Subset(HerdingSelect(f, cls.Len(), 5, 5))
		if !slices.Equal(b.Class(c).X, want.X) {
			t.Errorf("class %d: buffer exemplars differ from HerdingSelect's", c)
		}
	}
}

func TestBufferRandomSeeded(t *testing.T) {
	train, _ := Synthetic(3, 4, 50, 0, 5)
	get := func(seed uint64) []float32 {
		b := NewBuffer(15, 0, Random)
		if err := b.Update(train, 3, nil, seed); err != nil {
			t.Fatal(err)
		}
		return b.Data().X
	}
	if !slices.Equal(get(1), get(1)) {
		t.Error("same seed, different exemplars")
	}
	if slices.Equal(get(1), get(2)) {
		t.Error("different seeds, same exemplars")
	}
}

func TestBufferErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func(b *Buffer) error
		want string
	}{
		{"old label", func(b *Buffer) error { return b.Update(labelled(0, 2), 3, identity, 0) }, "label 0 of example 0 is not a new class, want [1, 3)"},
		{"label beyond seen", func(b *Buffer) error { return b.Update(labelled(1, 3), 3, identity, 0) }, "label 3 of example 1"},
		{"seen shrinks", func(b *Buffer) error { return b.Update(labelled(), 0, identity, 0) }, "seen = 0 but the buffer already holds 1 classes"},
		{"no features", func(b *Buffer) error { return b.Update(labelled(1), 2, nil, 0) }, "needs a features function"},
		{"bad features", func(b *Buffer) error {
			return b.Update(labelled(1, 1), 2, func(*Data) ([]float32, int, error) { return []float32{1, 2, 3}, 2, nil }, 0)
		}, "returned 3 values of width 2 for 2 examples"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuffer(10, 0, Herding)
			if err := b.Update(labelled(0, 0), 1, identity, 0); err != nil {
				t.Fatal(err)
			}
			err := tc.run(b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestBufferPanics(t *testing.T) {
	tests := []struct {
		name string
		run  func()
	}{
		{"no budget", func() { NewBuffer(0, 0, Herding) }},
		{"grow per class", func() { NewBuffer(0, 5, Random).Grow(10) }},
		{"class out of range", func() { NewBuffer(5, 0, Random).Class(0) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if e, ok := r.(error); !ok || !strings.HasPrefix(e.Error(), "cil: ") {
					t.Errorf("recovered %v, want an error starting with \"cil: \"", r)
				}
			}()
			tc.run()
		})
	}
}

// herdingDirect is the definition of herding, computed directly.
func herdingDirect(features []float32, n, f, m int) []int {
	mean := make([]float64, f)
	for i := range n {
		for j := range f {
			mean[j] += float64(features[i*f+j]) / float64(n)
		}
	}
	sum := make([]float64, f)
	used := make([]bool, n)
	var out []int
	for k := 1; k <= min(m, n); k++ {
		best, bestD := -1, math.Inf(1)
		for i := range n {
			if used[i] {
				continue
			}
			var d float64
			for j := range f {
				e := mean[j] - (sum[j]+float64(features[i*f+j]))/float64(k)
				d += e * e
			}
			if d < bestD {
				best, bestD = i, d
			}
		}
		used[best] = true
		out = append(out, best)
		for j := range f {
			sum[j] += float64(features[best*f+j])
		}
	}
	return out
}

func TestHerdingMatchesDefinition(t *testing.T) {
	for _, tc := range []struct{ n, f, m int }{{300, 16, 100}, {50, 3, 50}, {200, 64, 30}} {
		train, _ := Synthetic(1, tc.f, tc.n, 0, uint64(tc.n))
		x := slices.Clone(train.X)
		Normalize(x, tc.f)
		got, want := HerdingSelect(x, tc.n, tc.f, tc.m), herdingDirect(x, tc.n, tc.f, tc.m)
		if !slices.Equal(got, want) {
			t.Errorf("n %d f %d m %d: HerdingSelect = %v,\nthe definition gives %v", tc.n, tc.f, tc.m, got, want)
		}
	}
}
