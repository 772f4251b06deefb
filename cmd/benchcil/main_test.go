package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/cil/deep"
)

// writeIDX writes a gzipped IDX file of unsigned bytes.
func writeIDX(t *testing.T, path string, dims []uint32, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(zw, binary.BigEndian, d)
	}
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeFashion writes a Fashion-MNIST folder of n images per class per
// split (pixel values from the label, so the task is learnable).
func fakeFashion(t *testing.T, nTrain, nTest int) string {
	dir := t.TempDir()
	for _, sp := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		var img, lbl []byte
		for i := range 10 * sp.n {
			c := i % 10
			for p := range 784 {
				img = append(img, byte((p*7+c*53+i)%256*((p/78+c)%2)))
			}
			lbl = append(lbl, byte(c))
		}
		writeIDX(t, filepath.Join(dir, sp.prefix+"-images-idx3-ubyte.gz"), []uint32{uint32(10 * sp.n), 28, 28}, img)
		writeIDX(t, filepath.Join(dir, sp.prefix+"-labels-idx1-ubyte.gz"), []uint32{uint32(10 * sp.n)}, lbl)
	}
	return dir
}

// TestMeasure runs the GoMLX side on a small fake Fashion-MNIST and checks
// the report's fields (no timing assertions), then the PyTorch side's
// parsing with a stand-in script.
func TestMeasure(t *testing.T) {
	t.Setenv(backend.ConfigEnv, "go")
	dir := fakeFashion(t, 30, 5)
	s, train, test, err := scenario(dir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 5 || train.Len() != 300 || test.Len() != 50 {
		t.Fatalf("scenario: %d tasks, %d train, %d test; want 5, 300, 50", s.Len(), train.Len(), test.Len())
	}
	o := options(2, 1, "adam")
	o.Memory = 20
	rep := &Report{TrainImages: train.Len(), TestImages: test.Len()}
	for _, m := range []deep.Method{deep.Finetune, deep.Replay, deep.DER} {
		r, err := measureMethod(m, s, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.EpochSeconds) != 10 || r.MeanSeconds <= 0 || r.EpochTasks[9] != 4 {
			t.Errorf("%s: %d epochs (tasks %v), mean %g s", m, len(r.EpochSeconds), r.EpochTasks, r.MeanSeconds)
		}
		// Task 4 trains on its 60 new examples, plus for Replay and DER the
		// exemplars of the 8 old classes: floor(20/8) = 2 each.
		want := 60
		if m != deep.Finetune {
			want += 16
		}
		if r.Examples[9] != want {
			t.Errorf("%s: the last epoch had %d examples, want %d", m, r.Examples[9], want)
		}
		rep.GoMLX = append(rep.GoMLX, r)
	}
	script := filepath.Join(t.TempDir(), "fake.sh")
	os.WriteFile(script, []byte(`echo 'RESULT {"method": "Replay", "mean_s_per_epoch": 2.5, "threads": 2}'
echo 'note'
`), 0o755)
	old := *flagPython
	*flagPython = "/bin/sh"
	defer func() { *flagPython = old }()
	if err := runTorch(rep, script, []string{"Replay"}, o); err != nil {
		t.Fatal(err)
	}
	want := 2.5 / rep.GoMLX[1].MeanSeconds
	if got := rep.Ratio["Replay"]; got != want || rep.RatioThreads["Replay@2"] != want || len(rep.TorchOther) != 1 {
		t.Errorf("ratio %g (by threads %v, other %v), want %g", got, rep.RatioThreads, rep.TorchOther, want)
	}
}
