package cil

import (
	"slices"
	"testing"
)

// icarlOrder is the CIFAR-100 class order of iCaRL, PyCIL and most
// class-incremental code bases: numpy's permutation(100) after seed 1993.
var icarlOrder = []int{68, 56, 78, 8, 23, 84, 90, 65, 74, 76, 40, 89, 3, 92, 55, 9, 26, 80, 43, 38, 58, 70, 77, 1, 85, 19, 17, 50,
	28, 53, 13, 81, 45, 82, 6, 59, 83, 16, 15, 44, 91, 41, 72, 60, 79, 52, 20, 10, 31, 54, 37, 95, 14, 71, 96,
	98, 97, 2, 64, 66, 42, 22, 35, 86, 24, 34, 87, 21, 99, 0, 88, 27, 18, 94, 11, 12, 47, 25, 30, 46, 62, 69,
	36, 61, 7, 63, 75, 5, 32, 4, 51, 48, 73, 93, 39, 67, 29, 49, 57, 33}

func TestPyCILOrder(t *testing.T) {
	if got := PyCILOrder(100, PyCILSeed); !slices.Equal(got, icarlOrder) {
		t.Errorf("PyCILOrder(100, 1993) = %v,\nwant %v", got, icarlOrder)
	}
	for _, k := range []int{1, 2, 10, 37} {
		o := PyCILOrder(k, 7)
		s := slices.Clone(o)
		slices.Sort(s)
		if !slices.Equal(s, seq(k)) {
			t.Errorf("PyCILOrder(%d, 7) = %v is not a permutation", k, o)
		}
	}
}

// The reference MT19937 (init_genrand(5489)) starts 3499211612, 581869302, 3890346734.
func TestMT19937(t *testing.T) {
	m := newMT19937(5489)
	for i, want := range []uint32{3499211612, 581869302, 3890346734, 3586334585, 545404204} {
		if got := m.next(); got != want {
			t.Fatalf("output %d = %d, want %d", i, got, want)
		}
	}
}
