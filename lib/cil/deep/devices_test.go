package deep

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/dtensor"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/cil"
	"github.com/labnotes/labnotes/lib/parallel"
)

// devicesRun is what TestDevicesUnchanged compares of a short run: every
// epoch's loss, the predictions on the last task's test set (every
// class) and every weight.
type devicesRun struct {
	losses  []float64
	pred    []int32
	weights [][]float32
}

// runDevices trains method m on the synthetic stream with o and records it.
func runDevices(t *testing.T, m Method, o Options) devicesRun {
	t.Helper()
	be := testutil.Backend(t)
	l, err := New(be, m, o)
	if err != nil {
		t.Fatal(err)
	}
	s := synthetic(t)
	if _, err := cil.Run(l, s, nil); err != nil {
		t.Fatalf("%s: %v", m, err)
	}
	var r devicesRun
	for _, e := range l.Epochs {
		r.losses = append(r.losses, e.Loss)
	}
	if r.pred, err = l.Predict(s.Task(s.Len() - 1).Test); err != nil {
		t.Fatal(err)
	}
	for _, v := range vars(l.net.scope(ScopeNet), l.net.scope(ScopeHead), l.net.scope(scopeEWC)) {
		w, _ := values(v)
		r.weights = append(r.weights, w)
	}
	return r
}

// bitsEqual reports whether a and b hold the same float32 bits.
func bitsEqual(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// TestDevicesUnchanged checks that Devices 0 and 1 train exactly as the
// default on the Go backend's one device: the same losses, predictions and
// weights, bit for bit, for methods that use every exec (the training
// step; LwF's old logits; EWC's Fisher; iCaRL's features).
func TestDevicesUnchanged(t *testing.T) {
	base := tiny
	base.Epochs, base.EvalBatch = 2, 48 // evaluation batches padded (50-example test classes)
	for _, m := range []Method{LwF, EWC, ICaRL} {
		want := runDevices(t, m, base)
		for _, tc := range []struct {
			name    string
			devices int
		}{{"every", 0}, {"one", 1}} {
			o := base
			o.Devices = tc.devices
			got := runDevices(t, m, o)
			if !slices.Equal(got.losses, want.losses) {
				t.Errorf("%s, Devices %d: losses %v, default %v", m, tc.devices, got.losses, want.losses)
			}
			if !slices.Equal(got.pred, want.pred) {
				t.Errorf("%s, Devices %d: predictions differ from the default's", m, tc.devices)
			}
			if len(got.weights) != len(want.weights) || len(want.weights) == 0 {
				t.Fatalf("%s, Devices %d: %d variables, default %d", m, tc.devices, len(got.weights), len(want.weights))
			}
			for i := range want.weights {
				if !bitsEqual(got.weights[i], want.weights[i]) {
					t.Errorf("%s, Devices %d: variable %d differs from the default's", m, tc.devices, i)
				}
			}
		}
	}
}

// TestDevicesOption checks Options.Devices on the Go backend's one
// device: 0 and 1 resolve to it (the options keep the count asked), more
// than the backend has or a negative count are errors.
func TestDevicesOption(t *testing.T) {
	be := testutil.Backend(t)
	have := be.NumDevices()
	for _, tc := range []struct {
		devices int
		want    int
		errHas  []string
	}{
		{0, have, nil},
		{have, have, nil},
		{have + 1, 0, []string{"Options.Devices", "devices asked", be.Name()}},
		{8, 0, []string{"Options.Devices", "8 devices asked"}},
		{-1, 0, []string{"Options.Devices -1", "want 0"}},
	} {
		l, err := New(be, Replay, Options{Devices: tc.devices})
		if tc.errHas != nil {
			if err == nil || !strings.HasPrefix(err.Error(), "deep: ") {
				t.Errorf("Devices %d: error %v, want a deep: error", tc.devices, err)
				continue
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Devices %d: error %q does not say %q", tc.devices, err, s)
				}
			}
			continue
		}
		if err != nil {
			t.Fatalf("Devices %d: %v", tc.devices, err)
		}
		if l.Devices() != tc.want || l.Options().Devices != tc.devices {
			t.Errorf("Devices %d: learner on %d devices, options say %d; want %d and %d",
				tc.devices, l.Devices(), l.Options().Devices, tc.want, tc.devices)
		}
	}
}

// TestCheckBatch is the training batch rule on an 8-device plan: Batch a
// multiple of the device count, else an error naming both.
func TestCheckBatch(t *testing.T) {
	p8, _ := parallel.ForDevices(8)
	p1, _ := parallel.ForDevices(1)
	for _, tc := range []struct {
		plan  *parallel.Plan
		batch int
		ok    bool
	}{
		{p8, 128, true}, {p8, 8, true}, {p8, 100, false}, {p8, 4, false}, {p1, 5, true}, {p1, 1, true},
	} {
		err := checkBatch(tc.batch, tc.plan)
		if (err == nil) != tc.ok {
			t.Errorf("batch %d on %d devices: error %v, want ok=%v", tc.batch, tc.plan.Devices(), err, tc.ok)
			continue
		}
		if err != nil && (!strings.HasPrefix(err.Error(), fmt.Sprintf("deep: Options.Batch %d ", tc.batch)) ||
			!strings.Contains(err.Error(), "over 8 devices")) {
			t.Errorf("batch %d: error %q does not name the batch and the device count", tc.batch, err)
		}
	}
}

// TestEvalRows is apply's padding rule: the evaluation batch rounded up to
// a multiple of the device count, unchanged on one device.
func TestEvalRows(t *testing.T) {
	for _, tc := range []struct{ batch, devices, want int }{
		{512, 1, 512}, {5, 1, 5}, {512, 8, 512}, {100, 8, 104}, {4, 8, 8}, {1, 2, 2}, {9, 4, 12},
	} {
		if got := evalRows(tc.batch, tc.devices); got != tc.want {
			t.Errorf("evalRows(%d, %d) = %d, want %d", tc.batch, tc.devices, got, tc.want)
		}
	}
}

// TestLayouts checks the execs' layouts and place on an 8-device plan (on
// the host: no backend): per-example inputs split by example, 2 rows per
// device of a batch of 16; the loss and the Fisher replicated, apply's
// outputs split; a batch of 12 refused; one device passes the tensors as
// they are.
func TestLayouts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ls       execLayouts
		ins      int
		in, out  parallel.Layout
		outsMore parallel.Layout // of a further output (the Fisher's second variable)
	}{
		{"train", trainLayouts, 4, parallel.Batch, parallel.Replicated, parallel.Replicated},
		{"fisher", fisherLayouts, 3, parallel.Batch, parallel.Replicated, parallel.Replicated},
		{"apply", applyLayouts, 1, parallel.Batch, parallel.Batch, parallel.Batch},
	} {
		for i := range tc.ins {
			if l := layoutAt(tc.ls.in, i); l != tc.in {
				t.Errorf("%s: input %d %s, want %s", tc.name, i, l, tc.in)
			}
		}
		if l, m := layoutAt(tc.ls.out, 0), layoutAt(tc.ls.out, 3); l != tc.out || m != tc.outsMore {
			t.Errorf("%s: outputs %s, %s; want %s, %s", tc.name, l, m, tc.out, tc.outsMore)
		}
	}
	if layoutAt(nil, 2) != parallel.Replicated {
		t.Error("no layouts: want replicated")
	}

	p8, _ := parallel.ForDevices(8)
	const B, dim, known = 16, 3, 2
	x := make([]float32, B*dim)
	for i := range x {
		x[i] = float32(i)
	}
	y := make([]int32, B)
	for i := range y {
		y[i] = int32(i)
	}
	args := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, B, dim), tensors.FromFlatDataAndDimensions(y, B),
		tensors.FromFlatDataAndDimensions(make([]float32, B), B), tensors.FromFlatDataAndDimensions(make([]float32, B*known), B, known)}
	in, err := place(p8, trainLayouts.in, args)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range in {
		d, ok := v.(*dtensor.Tensor)
		if !ok || d.NumShards() != 8 || d.ShardShape().Dim(0) != B/8 {
			t.Fatalf("train input %d: %T, want 8 shards of %d rows", i, v, B/8)
		}
		if i == 1 {
			for s, sh := range d.Shards() {
				if got := tensors.MustCopyFlatData[int32](sh); !slices.Equal(got, y[s*2:s*2+2]) {
					t.Errorf("device %d holds labels %v, want %v", s, got, y[s*2:s*2+2])
				}
			}
		}
	}
	if _, err := place(p8, applyLayouts.in, []*tensors.Tensor{tensors.FromFlatDataAndDimensions(make([]float32, 12*dim), 12, dim)}); err == nil ||
		!strings.HasPrefix(err.Error(), "deep: ") || !strings.Contains(err.Error(), "12 examples") || !strings.Contains(err.Error(), "8 devices") {
		t.Errorf("a batch of 12 on 8 devices: error %v, want one naming 12 examples and 8 devices", err)
	}
	rep, err := place(p8, []parallel.Layout{parallel.Replicated}, []*tensors.Tensor{tensors.FromScalar(float32(1))})
	if err != nil || !rep[0].(*dtensor.Tensor).ShardingSpec().IsReplicated() {
		t.Errorf("a replicated scalar: %v, %v", rep, err)
	}

	p1, _ := parallel.ForDevices(1)
	one, err := place(p1, trainLayouts.in, args[:3])
	if err != nil {
		t.Fatal(err)
	}
	for i := range one {
		if one[i] != any(args[i]) {
			t.Errorf("one device: input %d is %T, want the tensor itself", i, one[i])
		}
	}
}
