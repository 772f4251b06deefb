package recursive

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/parallel"
)

// TestDevicesOne checks that one device (Devices 1, or 0 on the Go
// backend, which has one) trains exactly as before: the same losses, bit
// for bit, as a trainer that changes its device count between steps.
func TestDevicesOne(t *testing.T) {
	backend := testutil.Backend(t)
	if backend.NumDevices() != 1 {
		t.Skipf("backend %s has %d devices", backend.Name(), backend.NumDevices())
	}
	losses := func(devices, switchAt int) []float64 {
		cfg := haltTestConfig(TRM)
		cfg.Devices = devices
		return trainLosses(t, backend, cfg, nil, switchAt)
	}
	want := losses(0, -1)
	for _, tc := range []struct {
		name              string
		devices, switchAt int
	}{{"Devices 1", 1, -1}, {"SetDevices(1) after 3 steps", 0, 3}} {
		got := losses(tc.devices, tc.switchAt)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: value %d = %v, want %v (Devices 0)", tc.name, i, got[i], want[i])
			}
		}
	}
}

// TestDevicesErrors checks that device counts the backend or the batch
// does not allow are errors naming Config.Devices or the batch, and that a
// failed SetDevices leaves the trainer as it was.
func TestDevicesErrors(t *testing.T) {
	backend := testutil.Backend(t)
	more := backend.NumDevices() + 1
	for _, tc := range []struct {
		devices int
		want    string
	}{{more, "Config.Devices"}, {-1, "Devices is -1"}} {
		cfg := haltTestConfig(TRM)
		cfg.Devices = tc.devices
		_, err := NewTrainer(backend, cfg, countSource{5})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "recursive: ") {
			t.Errorf("Devices %d: error %v, want one with %q", tc.devices, err, tc.want)
		}
	}
	tr, err := NewTrainer(backend, haltTestConfig(TRM), countSource{5})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.SetDevices(more); err == nil || !strings.Contains(err.Error(), "devices asked") {
		t.Errorf("SetDevices(%d): error %v", more, err)
	}
	if tr.Devices() != 1 || tr.Config.Devices != 0 {
		t.Errorf("after a failed SetDevices: %d devices, Config.Devices %d", tr.Devices(), tr.Config.Devices)
	}
	if _, err := tr.TrainStep(); err != nil {
		t.Errorf("training after a failed SetDevices: %v", err)
	}
}

// TestLayouts checks the data-parallel layout of both graphs against the
// graphs themselves, for every kind: one layout per output, a batch
// layout exactly where the output's axis 0 is the batch, replicated
// outputs scalars; and that an 8-device plan shards every input's axis 0.
func TestLayouts(t *testing.T) {
	backend := testutil.Backend(t)
	for _, kind := range []Kind{TRM, HRM, Looped, Direct} {
		cfg := haltTestConfig(kind)
		cfg.Batch = 8
		tr, err := NewTrainer(backend, cfg, countSource{9})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []struct {
			name    string
			fn      func(*model.Scope, []*Node) []*Node
			nInputs int
			layouts []parallel.Layout
		}{
			{"train", tr.trainGraph, 5, tr.outLayouts(4, 5)},
			{"infer", tr.inferGraph, 4, tr.outLayouts(0, 7)},
		} {
			var shapes []string
			var bad []string
			exec, err := model.NewExec(backend, tr.Store, func(scope *model.Scope, in []*Node) []*Node {
				out := g.fn(scope, in)
				if len(out) != len(g.layouts) {
					bad = append(bad, "count")
				}
				for i, o := range out {
					shapes = append(shapes, o.Shape().String())
					if i >= len(g.layouts) {
						break
					}
					batch := o.Rank() >= 1 && o.Shape().Dimensions[0] == cfg.Batch
					if (g.layouts[i] == parallel.Batch) != batch || (g.layouts[i] == parallel.Replicated && !o.IsScalar()) {
						bad = append(bad, o.Shape().String()+" as "+g.layouts[i].String())
					}
				}
				return out
			})
			if err != nil {
				t.Fatal(err)
			}
			tr.trainExec, tr.inferExec = nil, nil
			args := trainArgs(tr, g.nInputs)
			if _, err := exec.Call(args...); err != nil {
				t.Fatalf("%s %s: %v", kind, g.name, err)
			}
			exec.Finalize()
			if len(bad) > 0 {
				t.Errorf("%s %s graph: layouts %v do not fit outputs %v: %v", kind, g.name, g.layouts, shapes, bad)
			}
		}
		tr.Close()
	}
	p, _ := parallel.ForDevices(8)
	if err := p.CheckBatch(768); err != nil {
		t.Errorf("batch 768 on 8 devices: %v", err)
	}
	if err := p.CheckBatch(100); err == nil {
		t.Error("batch 100 on 8 devices: no error")
	}
}

// trainArgs returns inputs of the graphs for tr's batch: tokens, ids,
// labels, reset (and last with n = 5), then the carry.
func trainArgs(tr *Trainer, n int) []any {
	B, L := tr.Config.Batch, tr.Config.SeqLen
	tokens := make([]int32, B*L)
	for i := range tokens {
		tokens[i] = 2
	}
	reset := make([]bool, B)
	for i := range reset {
		reset[i] = true
	}
	args := []any{tensors.FromFlatDataAndDimensions(tokens, B, L), tensors.FromFlatDataAndDimensions(make([]int32, B), B),
		tensors.FromFlatDataAndDimensions(slices.Clone(tokens), B, L), tensors.FromFlatDataAndDimensions(reset, B)}
	if n == 5 {
		args = append(args, tensors.FromFlatDataAndDimensions(make([]bool, B), B))
	}
	return append(args, toAny(tr.zeroState(B))...)
}

// TestResumeDevices checks that a checkpoint does not hold the device
// count: a run saved with Devices 1 resumes on every device (0), and
// Checkpointed with Devices 1 takes its config's count.
func TestResumeDevices(t *testing.T) {
	backend := testutil.Backend(t)
	cfg := haltTestConfig(TRM)
	cfg.Devices = 1
	tr, err := NewTrainer(backend, cfg, countSource{9})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.Train(2); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ckpt")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	r, err := Resume(backend, path, countSource{9})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Config.Devices != 0 || r.Devices() != backend.NumDevices() {
		t.Errorf("resumed: Config.Devices %d, %d devices; want 0 and %d", r.Config.Devices, r.Devices(), backend.NumDevices())
	}
	a, err := tr.TrainStep()
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.TrainStep()
	if err != nil {
		t.Fatal(err)
	}
	if a.Loss != b.Loss {
		t.Errorf("resumed step loss %v, want %v", b.Loss, a.Loss)
	}
}

// TestMeshMatchesPlain trains and evaluates through the distributed path
// on a one-device mesh (parallel.ForceMesh) and checks it against the
// plain path: the losses within 1e-5 relative. It needs a backend with
// distributed execution (XLA, e.g. LABNOTES_TEST_BACKEND on the GPU
// machine); the Go backend skips it.
func TestMeshMatchesPlain(t *testing.T) {
	backend := testutil.Backend(t)
	if strings.HasPrefix(backend.Name(), "Go") {
		t.Skipf("backend %s has no distributed execution", backend.Name())
	}
	cfg := haltTestConfig(TRM)
	cfg.Batch = 4
	meshPlan, err := parallel.ForceMesh(backend, 1)
	if err != nil {
		t.Fatal(err)
	}
	plain, mesh := trainLosses(t, backend, cfg, nil, -1), trainLosses(t, backend, cfg, meshPlan, -1)
	for i := range plain {
		if d := plain[i] - mesh[i]; d > 1e-5*max(1, plain[i]) || -d > 1e-5*max(1, plain[i]) {
			t.Errorf("value %d: mesh %v, plain %v", i, mesh[i], plain[i])
		}
	}
}

// trainLosses trains cfg (learning rate 1e-2) on countSource{9} for 6
// steps, on plan if not nil, calling SetDevices(1) before step switchAt
// (-1: never), and returns the losses and the cell accuracy of a 2-step
// evaluation.
func trainLosses(t *testing.T, backend compute.Backend, cfg Config, plan *parallel.Plan, switchAt int) []float64 {
	t.Helper()
	cfg.LearningRate = 1e-2
	tr, err := NewTrainer(backend, cfg, countSource{9})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if plan != nil {
		tr.plan = plan
	} else if tr.Devices() != 1 {
		t.Fatalf("Devices() = %d, want 1", tr.Devices())
	}
	var out []float64
	for i := range 6 {
		if i == switchAt {
			if err := tr.SetDevices(1); err != nil {
				t.Fatal(err)
			}
		}
		s, err := tr.TrainStep()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s.Loss)
	}
	res, err := tr.Evaluate(countSource{4}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, res.CellAccuracy)
}
