package cil

import (
	"slices"
	"testing"
)

// TestSliceAndFirst checks the copies of a range of examples, and that a bad range panics.
func TestSliceAndFirst(t *testing.T) {
	d := &Data{X: []float32{0, 1, 2, 3, 4, 5, 6, 7}, Y: []int32{0, 1, 2, 3}, Dim: 2, ExampleBytes: 2}
	for _, tc := range []struct {
		name  string
		got   *Data
		wantX []float32
		wantY []int32
	}{
		{"Slice(1, 3)", d.Slice(1, 3), []float32{2, 3, 4, 5}, []int32{1, 2}},
		{"Slice(2, 2)", d.Slice(2, 2), nil, nil},
		{"First(3)", d.First(3), []float32{0, 1, 2, 3, 4, 5}, []int32{0, 1, 2}},
		{"First(0)", d.First(0), d.X, d.Y},
	} {
		if !slices.Equal(tc.got.X, tc.wantX) || !slices.Equal(tc.got.Y, tc.wantY) || tc.got.Dim != 2 {
			t.Errorf("%s = %v %v, want %v %v", tc.name, tc.got.X, tc.got.Y, tc.wantX, tc.wantY)
		}
	}
	s := d.Slice(0, 1)
	s.X[0] = 99
	if d.X[0] != 0 {
		t.Error("Slice shares its backing array with d")
	}
	for _, r := range [][2]int{{-1, 1}, {2, 1}, {0, 5}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Slice(%d, %d) did not panic", r[0], r[1])
				}
			}()
			d.Slice(r[0], r[1])
		}()
	}
}
