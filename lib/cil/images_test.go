package cil

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/lib/datasets"
)

func TestFromImages(t *testing.T) {
	im := &datasets.Images{Rows: 2, Cols: 4, Labels: []byte{3, 7},
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

func TestParseCIFAR100(t *testing.T) {
	rec := make([]byte, 2*cifarRecord)
	rec[1] = 42                   // image 0: fine label 42
	rec[2] = 255                  // red of pixel 0
	rec[2+1024+5] = 51            // green of pixel 5
	rec[cifarRecord+1] = 7        // image 1: fine label 7
	rec[cifarRecord+2+2048] = 255 // blue of pixel 0
	d, err := ParseCIFAR100(rec, "x.bin")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Y, []int32{42, 7}) || d.Row(0)[0] != 1 || d.Row(0)[5*3+1] != 0.2 || d.Row(1)[2] != 1 || d.Row(1)[0] != 0 {
		t.Errorf("Y %v, pixels %v %v %v", d.Y, d.Row(0)[:3], d.Row(0)[15:18], d.Row(1)[:3])
	}
	for _, tc := range []struct {
		raw  []byte
		want string
	}{
		{rec[:100], "100 bytes is not a whole number"},
		{append([]byte{0, 100}, make([]byte, 3072)...), "record 0 has fine label 100"},
	} {
		if _, err := ParseCIFAR100(tc.raw, "x.bin"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
	if _, err := LoadCIFAR100(t.TempDir(), "test"); err == nil || !strings.Contains(err.Error(), "test.bin") {
		t.Errorf("missing file: error %v", err)
	}
}

// Split Fashion-MNIST (5 tasks of 2 classes), the order-invariant learners
// on 14x14 images, when Debian's dataset-fashion-mnist is installed.
func TestSplitFashionMNIST(t *testing.T) {
	if _, err := os.Stat(filepath.Join(datasets.FashionMNISTDebian, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Skip("Debian's dataset-fashion-mnist is not installed")
	}
	train, test, err := FashionMNIST(datasets.FashionMNISTDebian, 2)
	if err != nil {
		t.Fatal(err)
	}
	train = train.Subset(seq(12000))
	s, err := NewScenario(SortByClass(train), test, 2, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		l    Learner
		last float64 // measured: NCM 0.669, SLDA 0.793 (12,000 training images); after task 1: 0.904, 0.978
	}{{&NCM{}, 0.64}, {&SLDA{}, 0.76}} {
		r, err := Run(tc.l, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: total accuracy per task %.3f, forgetting %.3f", tc.l.Name(), r.Total, r.Forgetting())
		if r.Last() < tc.last || r.Total[0] < 0.85 {
			t.Errorf("%s: accuracy %.3f after task 1, %.3f after the last, want >= 0.85 and %.2f", tc.l.Name(), r.Total[0], r.Last(), tc.last)
		}
	}
}
