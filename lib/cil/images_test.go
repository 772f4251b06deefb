package cil

import (
	"slices"
	"testing"

	"github.com/labnotes/labnotes/lib/lra"
)

func TestFromImages(t *testing.T) {
	im := &lra.Images{Rows: 2, Cols: 4, Labels: []byte{3, 7},
		Pixels: []byte{
			0, 255, 51, 51, 0, 255, 51, 51, // image 0
			255, 255, 0, 0, 255, 255, 0, 0, // image 1
		}}
	tests := []struct {
		n, pool int
		shape   []int
		x       []float32
		y       []int32
	}{
		{0, 1, []int{2, 4, 1}, []float32{0, 1, 0.2, 0.2, 0, 1, 0.2, 0.2, 1, 1, 0, 0, 1, 1, 0, 0}, []int32{3, 7}},
		{1, 2, []int{1, 2, 1}, []float32{0.5, 0.2}, []int32{3}},
	}
	for _, tc := range tests {
		d := FromImages(im, tc.n, tc.pool)
		if err := d.Check(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Shape, tc.shape) || !slices.Equal(d.Y, tc.y) || d.ExampleBytes != d.Dim {
			t.Errorf("pool %d: Shape %v Y %v ExampleBytes %d", tc.pool, d.Shape, d.Y, d.ExampleBytes)
		}
		for i := range tc.x {
			if d := d.X[i] - tc.x[i]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("pool %d: X = %v, want %v", tc.pool, FromImages(im, tc.n, tc.pool).X, tc.x)
			}
		}
	}
}
