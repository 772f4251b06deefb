package parallel

import (
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/distributed"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/dtensor"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/internal/testutil"
)

func TestNew(t *testing.T) {
	b := testutil.Backend(t)
	have := b.NumDevices()
	tests := []struct {
		devices int
		want    int
		errHas  string
	}{
		{0, have, ""},
		{have, have, ""},
		{have + 1, 0, "devices asked"},
		{-2, 0, "want 0"},
	}
	for _, tc := range tests {
		p, err := New(b, tc.devices)
		if tc.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) || !strings.HasPrefix(err.Error(), "parallel: ") {
				t.Errorf("New(%d): error %v, want one containing %q", tc.devices, err, tc.errHas)
			}
			continue
		}
		if err != nil || p.Devices() != tc.want || p.Distributed() != (tc.want > 1) {
			t.Errorf("New(%d) = %v, %v; want %d devices", tc.devices, p, err, tc.want)
		}
	}
	if _, err := ForDevices(0); err == nil {
		t.Error("ForDevices(0): no error")
	}
}

// TestSpecs checks the sharding specs of an 8-device plan: batch axis 0
// over the mesh axis, replicated otherwise, and none with one device.
func TestSpecs(t *testing.T) {
	p, err := ForDevices(8)
	if err != nil {
		t.Fatal(err)
	}
	if m := p.Mesh(); m == nil || m.NumDevices() != 8 || !slices.Equal(m.AxesNames(), []string{Axis}) {
		t.Fatalf("mesh %v, want 8 devices on axis %q", m, Axis)
	}
	batch, repl := p.Spec(Batch), p.Spec(Replicated)
	if batch.IsReplicated() || batch.Rank() != 1 || !slices.Equal(batch.Axes[0], distributed.AxisSpec{Axis}) || batch.Mesh != p.Mesh() {
		t.Errorf("batch spec %s: want axis 0 over %q of the plan's mesh", batch, Axis)
	}
	if !repl.IsReplicated() || repl.Mesh != p.Mesh() {
		t.Errorf("replicated spec %s", repl)
	}
	one, _ := ForDevices(1)
	if one.Spec(Batch) != nil || one.Spec(Replicated) != nil || one.Mesh() != nil {
		t.Error("a one-device plan has specs or a mesh")
	}
}

// TestBatchSplit is the per-device split of batches, table-driven.
func TestBatchSplit(t *testing.T) {
	tests := []struct {
		devices, B int
		ok         bool
		rows       [][2]int
	}{
		{1, 5, true, [][2]int{{0, 5}}},
		{2, 768, true, [][2]int{{0, 384}, {384, 768}}},
		{4, 8, true, [][2]int{{0, 2}, {2, 4}, {4, 6}, {6, 8}}},
		{8, 4608, true, nil},
		{8, 100, false, nil},
		{2, 0, false, nil},
	}
	for _, tc := range tests {
		p, _ := ForDevices(tc.devices)
		err := p.CheckBatch(tc.B)
		if (err == nil) != tc.ok {
			t.Errorf("%d devices, batch %d: error %v, want ok=%v", tc.devices, tc.B, err, tc.ok)
			continue
		}
		if !tc.ok {
			if !strings.Contains(err.Error(), "batch") {
				t.Errorf("error %q does not name the batch", err)
			}
			continue
		}
		covered := 0
		for d := range tc.devices {
			s, e := p.Rows(tc.B, d)
			if e-s != p.PerDevice(tc.B) || s != covered {
				t.Errorf("%d devices, batch %d: device %d rows [%d, %d)", tc.devices, tc.B, d, s, e)
			}
			if tc.rows != nil && (s != tc.rows[d][0] || e != tc.rows[d][1]) {
				t.Errorf("device %d rows [%d, %d), want %v", d, s, e, tc.rows[d])
			}
			covered = e
		}
		if covered != tc.B {
			t.Errorf("%d devices, batch %d: rows cover %d", tc.devices, tc.B, covered)
		}
	}
}

// TestPut shards host tensors on 4 devices (on the host: no backend
// needed) and merges them back.
func TestPut(t *testing.T) {
	p, _ := ForDevices(4)
	data := make([]int32, 8*3)
	for i := range data {
		data[i] = int32(i)
	}
	x := tensors.FromFlatDataAndDimensions(data, 8, 3)
	v, err := p.Put(Batch, x)
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*dtensor.Tensor)
	if d.NumShards() != 4 || !slices.Equal(d.ShardShape().Dimensions, []int{2, 3}) {
		t.Fatalf("batch: %d shards of %s, want 4 of [2 3]", d.NumShards(), d.ShardShape())
	}
	for i, s := range d.Shards() {
		got := tensors.MustCopyFlatData[int32](s)
		if !slices.Equal(got, data[i*6:(i+1)*6]) {
			t.Errorf("shard %d = %v, want rows %d-%d", i, got, 2*i, 2*i+1)
		}
	}
	again, err := p.Put(Batch, d)
	if err != nil || again != any(d) {
		t.Errorf("Put of a distributed tensor: %v, %v; want it as is", again, err)
	}
	back, err := Local(d)
	if err != nil || !slices.Equal(tensors.MustCopyFlatData[int32](back), data) {
		t.Errorf("Local(batch) = %v, %v", back, err)
	}

	r, err := p.Put(Replicated, tensors.FromFlatDataAndDimensions(data, 8, 3))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range r.(*dtensor.Tensor).Shards() {
		if !slices.Equal(tensors.MustCopyFlatData[int32](s), data) {
			t.Errorf("replicated shard %d is not the whole tensor", i)
		}
	}

	bad := []struct {
		l    Layout
		v    any
		want string
	}{
		{Batch, tensors.FromFlatDataAndDimensions(data[:18], 6, 3), "batch 6"},
		{Batch, tensors.FromValue(int32(3)), "scalar"},
		{Batch, []int32{1}, "cannot lay out"},
	}
	for _, tc := range bad {
		if _, err := p.Put(tc.l, tc.v); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Put(%s, %v): error %v, want one containing %q", tc.l, tc.v, err, tc.want)
		}
	}
	one, _ := ForDevices(1)
	if _, err := one.Put(Batch, d); err == nil {
		t.Error("one-device Put of a distributed tensor: no error")
	}
}

// TestOutputSpecs checks the positional output specs: the changed
// variables first (replicated), then the outputs' layouts, the last one
// repeating.
func TestOutputSpecs(t *testing.T) {
	p, _ := ForDevices(2)
	tests := []struct {
		changed, n int
		out        []Layout
		want       []bool // replicated?
	}{
		{3, 2, []Layout{Replicated, Batch}, []bool{true, true, true, true, false}},
		{1, 3, []Layout{Batch}, []bool{true, false, false, false}},
		{0, 2, nil, []bool{true, true}},
	}
	for _, tc := range tests {
		specs := p.outputSpecs(tc.changed, tc.n, tc.out)
		var got []bool
		for _, s := range specs {
			got = append(got, s.IsReplicated())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("outputSpecs(%d, %d, %v) replicated = %v, want %v", tc.changed, tc.n, tc.out, got, tc.want)
		}
	}
}

// TestOneDevice runs a training-like step (a variable updated in the
// graph) through a one-device plan and checks it equals model.NewExec's.
func TestOneDevice(t *testing.T) {
	b := testutil.Backend(t)
	step := func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		scope.Store().SetTraining(in[0].Graph(), true) // variables as parameters, not constants
		w := scope.VariableWithValue("w", float32(2))
		v := graph.Add(w.NodeValue(in[0].Graph()), graph.ReduceAllSum(in[0]))
		w.SetNodeValue(v)
		return []*graph.Node{graph.MulScalar(in[0], 3), v}
	}
	run := func(plain bool) []float32 {
		store := model.NewStore()
		var e *model.Exec
		var err error
		p, _ := New(b, 1)
		if plain {
			e, err = model.NewExec(b, store, step)
		} else {
			e, err = p.NewExec(b, store, step, []Layout{Batch}, []Layout{Batch, Replicated})
		}
		if err != nil {
			t.Fatal(err)
		}
		defer e.Finalize()
		var got []float32
		for i := range 2 {
			x := tensors.FromFlatDataAndDimensions([]float32{1, float32(i), 2, 3}, 2, 2)
			out, err := p.Call(e, p.MustPut(Batch, x))
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out {
				l, err := Local(o)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, tensors.MustCopyFlatData[float32](l)...)
			}
		}
		return got
	}
	plain, planned := run(true), run(false)
	if !slices.Equal(plain, planned) || len(plain) != 2*(4+1) {
		t.Errorf("one-device plan %v, plain %v", planned, plain)
	}
	if plain[4] != 2+6 || plain[9] != 8+7 {
		t.Errorf("variable updates %v, want 8 then 15", []float32{plain[4], plain[9]})
	}
	p2, _ := ForDevices(b.NumDevices() + 1)
	if _, err := p2.NewExec(b, model.NewStore(), step, nil, nil); err == nil || !strings.Contains(err.Error(), "parallel: plan for") {
		t.Errorf("a plan for more devices than the backend has: error %v", err)
	}
}

// TestForceMesh checks that ForceMesh takes the distributed path on one
// device, and, on a backend with distributed execution (XLA; the Go
// backend has none and skips), gives the plain path's numbers.
func TestForceMesh(t *testing.T) {
	b := testutil.Backend(t)
	p, err := ForceMesh(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Distributed() || p.Mesh() == nil || p.Devices() != 1 {
		t.Fatalf("ForceMesh(1): distributed %v, mesh %v, %d devices", p.Distributed(), p.Mesh(), p.Devices())
	}
	if strings.HasPrefix(b.Name(), "Go") {
		t.Skipf("backend %s has no distributed execution", b.Name())
	}
	store := model.NewStore()
	e, err := p.NewExec(b, store, func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		return []*graph.Node{graph.ReduceAllSum(in[0]), graph.MulScalar(in[0], 2)}
	}, []Layout{Batch}, []Layout{Replicated, Batch})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	out, err := p.Call(e, p.MustPut(Batch, tensors.FromValue([][]float32{{1, 2}, {3, 4}})))
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := Local(out[0])
	twice, _ := Local(out[1])
	if got := tensors.MustCopyFlatData[float32](sum); got[0] != 10 {
		t.Errorf("sum %v, want 10", got)
	}
	if got := tensors.MustCopyFlatData[float32](twice); !slices.Equal(got, []float32{2, 4, 6, 8}) {
		t.Errorf("2x %v", got)
	}
}
