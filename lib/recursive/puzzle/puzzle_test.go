package puzzle

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

// counter is a Source whose example (i, k) has tokens i and k, and whose
// augmentations draw from the rng (to check reproducibility).
type counter struct {
	n, seqLen int
	failAt    int
}

func (c counter) Len() int    { return c.n }
func (c counter) SeqLen() int { return c.seqLen }
func (c counter) Example(i, k int, rng *rand.Rand, in, lab []uint8) (int32, error) {
	if i == c.failAt {
		return 0, errors.New("boom")
	}
	for j := range in {
		in[j], lab[j] = uint8(i), uint8(k)
	}
	if k > 0 {
		lab[len(lab)-1] = uint8(rng.IntN(256))
	}
	return int32(i*100 + k), nil
}

func TestPerm(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 7, 64, 1000, 4097} {
		p := NewPerm(n, n*7)
		seen := make([]bool, n)
		for i := range n {
			j := p.At(i)
			if j >= n || seen[j] {
				t.Fatalf("n=%d: At(%d)=%d repeats or out of range", n, i, j)
			}
			seen[j] = true
		}
	}
	a, b := NewPerm(1000, 1), NewPerm(1000, 2)
	same := 0
	for i := range uint64(1000) {
		if a.At(i) == b.At(i) {
			same++
		}
	}
	if same > 20 {
		t.Errorf("seeds 1 and 2 agree on %d of 1000 positions", same)
	}
}

func TestStream(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		batches  int
		lastSize int
		shuffled bool
		examples int
	}{
		{"default", Config{Seed: 1}, 1, 30, true, 30},
		{"augmented", Config{Seed: 2, PerPuzzle: 4, BatchSize: 7}, 18, 1, true, 120},
		{"drop last", Config{Seed: 2, PerPuzzle: 4, BatchSize: 7, DropLast: true}, 17, 7, true, 119},
		{"ordered", Config{PerPuzzle: 2, BatchSize: 8, NoShuffle: true, Workers: 3}, 8, 4, false, 60},
		{"one worker", Config{Seed: 2, PerPuzzle: 4, BatchSize: 7, Workers: 1}, 18, 1, true, 120},
	}
	src := counter{n: 30, seqLen: 5, failAt: -1}
	var ref [][]uint8
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[[2]int32]bool{}
			nb, last := 0, 0
			var flat []uint8
			ordered := true
			prev := -1
			for b, err := range Stream(src, tc.cfg) {
				if err != nil {
					t.Fatal(err)
				}
				if b.Index != nb {
					t.Fatalf("batch index %d, want %d", b.Index, nb)
				}
				nb++
				last = b.Size
				for j := range b.Size {
					in, lab := b.Row(j)
					if int32(in[0]) != b.Base[j] || int32(lab[0]) != b.Aug[j] || b.PuzzleIDs[j] != b.Base[j]*100+b.Aug[j] {
						t.Fatal("row does not match its base/aug/id")
					}
					e := int(b.Base[j])*max(tc.cfg.PerPuzzle, 1) + int(b.Aug[j])
					if e < prev {
						ordered = false
					}
					prev = e
					seen[[2]int32{b.Base[j], b.Aug[j]}] = true
					flat = append(flat, lab...)
				}
				in32, lab32 := b.Int32()
				if len(in32) != b.Size*b.SeqLen || int32(b.Labels[0]) != lab32[0] {
					t.Fatal("Int32")
				}
			}
			if nb != tc.batches || last != tc.lastSize || len(seen) != tc.examples {
				t.Errorf("%d batches, last %d, %d distinct examples; want %d, %d, %d", nb, last, len(seen), tc.batches, tc.lastSize, tc.examples)
			}
			if ordered == tc.shuffled {
				t.Errorf("ordered=%v", ordered)
			}
			if tc.name == "augmented" {
				ref = append(ref, flat)
			}
			if tc.name == "one worker" && !reflect.DeepEqual(flat, ref[0]) {
				t.Error("output depends on the number of workers")
			}
		})
	}
}

func TestStreamErrorsAndEarlyStop(t *testing.T) {
	n := 0
	var got error
	for _, err := range Stream(counter{n: 100, seqLen: 3, failAt: 50}, Config{BatchSize: 4, NoShuffle: true}) {
		if err != nil {
			got = err
			break
		}
		n++
	}
	if got == nil || got.Error() != "puzzle 50, augmentation 0: boom" || n != 12 {
		t.Errorf("after %d batches: %v", n, got)
	}
	// Breaking early stops the workers (the test would leak or hang otherwise).
	for range 100 {
		for range Stream(counter{n: 1000, seqLen: 3, failAt: -1}, Config{BatchSize: 4}) {
			break
		}
	}
	for range Stream(counter{n: 0, seqLen: 3, failAt: -1}, Config{}) {
		t.Error("empty source yielded a batch")
	}
}

func TestSplitGroups(t *testing.T) {
	keys := []string{"a", "b", "a", "c", "d", "b", "e", "f", "g", "h"}
	train, test := SplitGroups(keys, 0.3, 1)
	if len(train)+len(test) != len(keys) || len(test) < 3 {
		t.Fatalf("train %v test %v", train, test)
	}
	pick := func(idx []int) []string {
		var ks []string
		for _, i := range idx {
			ks = append(ks, keys[i])
		}
		return ks
	}
	if l := Leaks(pick(train), pick(test)); len(l) != 0 {
		t.Errorf("leaks %v", l)
	}
	if l := Leaks([]string{"a", "b"}, []string{"b", "c", "b"}); !reflect.DeepEqual(l, []string{"b"}) {
		t.Errorf("Leaks = %v", l)
	}
	tr2, te2 := SplitGroups(keys, 0.3, 1)
	if !reflect.DeepEqual(tr2, train) || !reflect.DeepEqual(te2, test) {
		t.Error("split not reproducible")
	}
}

func TestMix(t *testing.T) {
	if Mix(1, 2, 3) == Mix(1, 3, 2) || Mix(1, 2) != Mix(1, 2) {
		t.Error("Mix")
	}
}

func TestQuantileAndCDF(t *testing.T) {
	xs := []float64{3, 1, 2, 2, 10}
	tests := []struct{ q, want float64 }{{0, 1}, {0.5, 2}, {1, 10}, {0.25, 2}, {0.875, 6.5}}
	for _, tc := range tests {
		if got := Quantile(xs, tc.q); got != tc.want {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	x, y := CDF(xs)
	if !reflect.DeepEqual(x, []float64{1, 2, 3, 10}) || !reflect.DeepEqual(y, []float64{0.2, 0.6, 0.8, 1}) {
		t.Errorf("CDF = %v %v", x, y)
	}
	if xs[0] != 3 {
		t.Error("input modified")
	}
}
