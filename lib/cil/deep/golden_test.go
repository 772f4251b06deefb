package deep

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"simd/archsimd"
	"strconv"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/cil"
)

var goldenWrite = flag.String("golden.write", "", "write the golden runs' outputs (full precision) to this file")

// goldenRun is what TestGolden records of one run: the accuracy matrix,
// every epoch's mean loss, the weight-aligning factors and the memory.
type goldenRun struct {
	Name   string
	Acc    [][]float64
	Losses []float64
	Gammas []float64
	Memory cil.Memory
}

// goldenCases are small deterministic runs covering every method, both
// backbones, both optimizers and the options that change a method's steps.
func goldenCases() []struct {
	name string
	m    Method
	o    Options
	cnn  bool
} {
	o := Options{Hidden: 16, Epochs: 2, Batch: 32, LR: 1e-2, Memory: 40, Seed: 3}
	type tc = struct {
		name string
		m    Method
		o    Options
		cnn  bool
	}
	var cases []tc
	for _, m := range Methods {
		cases = append(cases, tc{string(m), m, o, false})
	}
	sgd := o
	sgd.Optimizer, sgd.WeightDecay = SGD, 5e-4
	always := o
	always.AlignAlways = true
	perClass := o
	perClass.PerClass, perClass.Selection = 5, cil.Random
	cnn := o
	cnn.Backbone, cnn.Hidden, cnn.Epochs = CNN, 8, 1
	return append(cases,
		tc{"Replay-sgd", Replay, sgd, false},
		tc{"EWC-sgd", EWC, sgd, false},
		tc{"WA-always", WA, always, false},
		tc{"DER-always", DER, always, false},
		tc{"iCaRL-perclass-random", ICaRL, perClass, false},
		tc{"DER-cnn", DER, cnn, true},
		tc{"MEMO-cnn", MEMO, cnn, true},
	)
}

// TestGolden runs goldenCases on a synthetic stream and compares them with
// testdata/golden.json (accuracies within 0.02, losses within 1e-4
// relative, as other CPUs may round differently). -golden.write FILE writes
// the runs at full precision, for checking that a refactoring changes no
// number (diff the files of two versions).
func TestGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	be := testutil.Backend(t)
	s := imageStream(t)
	var runs []goldenRun
	for _, c := range goldenCases() {
		l, err := New(be, c.m, c.o)
		if err != nil {
			t.Fatal(err)
		}
		res, err := cil.Run(l, s, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		r := goldenRun{Name: c.name, Gammas: l.Gammas, Memory: l.Memory()}
		for _, row := range res.Acc {
			r.Acc = append(r.Acc, []float64(row))
		}
		for _, e := range l.Epochs {
			r.Losses = append(r.Losses, e.Loss)
		}
		runs = append(runs, r)
	}
	if *goldenWrite != "" {
		b, err := json.MarshalIndent(runs, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*goldenWrite, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := goldenFile()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want []goldenRun
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(runs) {
		t.Fatalf("%d runs, %s has %d", len(runs), file, len(want))
	}
	near := func(a, b, tol float64) bool { return math.Abs(a-b) <= tol*max(1, math.Abs(b)) }
	for i, r := range runs {
		w := want[i]
		ok := r.Name == w.Name && len(r.Acc) == len(w.Acc) && len(r.Losses) == len(w.Losses) &&
			len(r.Gammas) == len(w.Gammas) && r.Memory == w.Memory
		for a := 0; ok && a < len(r.Acc); a++ {
			ok = len(r.Acc[a]) == len(w.Acc[a])
			for j := 0; ok && j < len(r.Acc[a]); j++ {
				ok = near(r.Acc[a][j], w.Acc[a][j], 0.02)
			}
		}
		for j := 0; ok && j < len(r.Losses); j++ {
			ok = near(r.Losses[j], w.Losses[j], 1e-4)
		}
		for j := 0; ok && j < len(r.Gammas); j++ {
			ok = near(r.Gammas[j], w.Gammas[j], 1e-4)
		}
		if !ok {
			t.Errorf("%s: got %+v\nwant %+v (%s)", r.Name, r, w, file)
		}
	}
}

// goldenFile is the record for this machine's instruction set: the Go
// backend's float32 kernels sum in another order with AVX-512 than with
// AVX2, and these runs (hundreds of steps) amplify the last-bit
// differences beyond the tolerances (measured: losses 1e-3 apart, one
// accuracy 0.05). GOMLX_GO_SIMD_AVX512=false makes an AVX-512 machine take
// the AVX2 kernels, as the backend does.
func goldenFile() string {
	allowed, err := strconv.ParseBool(os.Getenv("GOMLX_GO_SIMD_AVX512"))
	if (err != nil || allowed) && archsimd.X86.AVX512() { // the backend's own test
		return "testdata/golden.json"
	}
	return "testdata/golden_avx2.json"
}
