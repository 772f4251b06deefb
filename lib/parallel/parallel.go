package parallel

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/distributed"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/dtensor"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"
)

// Axis is the name of the device mesh's one axis, over which batches are split.
const Axis = "data"

// Layout is how a tensor lies on the devices of a [Plan].
type Layout int

const (
	// Batch splits a tensor's axis 0 evenly over the devices (rank >= 1).
	Batch Layout = iota
	// Replicated puts the whole tensor on every device.
	Replicated
)

// String returns "batch" or "replicated".
func (l Layout) String() string {
	switch l {
	case Batch:
		return "batch"
	case Replicated:
		return "replicated"
	}
	return "parallel.Layout(?)"
}

// Plan is data parallelism over Devices() devices of one backend; see the
// package documentation. The zero Plan is not usable: use [New] or [ForDevices].
type Plan struct {
	n    int
	mesh *distributed.DeviceMesh // nil with one device
}

// New returns the plan for devices devices of backend b; 0 means every
// device b has. More devices than b has is an error naming both counts.
func New(b compute.Backend, devices int) (*Plan, error) {
	if b == nil {
		return nil, errors.New("parallel: nil backend")
	}
	have := b.NumDevices()
	if devices < 0 {
		return nil, errors.Errorf("parallel: device count %d: want 0 (every device) or a positive count", devices)
	}
	if devices == 0 {
		devices = have
	}
	if devices > have {
		return nil, errors.Errorf("parallel: %d devices asked, backend %s has %d", devices, b.Name(), have)
	}
	return ForDevices(devices)
}

// ForDevices returns the plan for n devices without looking at a backend
// (its specs and splits can be inspected anywhere; running it needs a
// backend with n devices).
func ForDevices(n int) (*Plan, error) { return forDevices(n, false) }

// ForceMesh returns a plan for n devices of backend b (0: all) that takes the
// distributed path even for one device: a mesh of one, AutoSharding and
// sharded values. It exists to check that path against the plain one on a
// machine with one GPU; the Go backend cannot run it (no distributed
// execution).
func ForceMesh(b compute.Backend, n int) (*Plan, error) {
	p, err := New(b, n)
	if err != nil {
		return nil, err
	}
	return forDevices(p.n, true)
}

// forDevices returns the plan for n devices, with a mesh when n > 1 or
// mesh is true.
func forDevices(n int, mesh bool) (*Plan, error) {
	if n < 1 {
		return nil, errors.Errorf("parallel: device count %d: want >= 1", n)
	}
	p := &Plan{n: n}
	if n > 1 || mesh {
		m, err := distributed.NewDeviceMesh([]int{n}, []string{Axis})
		if err != nil {
			return nil, errors.WithMessage(err, "parallel: device mesh")
		}
		p.mesh = m
	}
	return p, nil
}

// Devices returns the number of devices the plan spreads over.
func (p *Plan) Devices() int { return p.n }

// Distributed reports whether the plan takes the distributed path: more
// than one device, or a plan from [ForceMesh].
func (p *Plan) Distributed() bool { return p.mesh != nil }

// Mesh returns the 1-D device mesh (axis [Axis]), or nil on the plain
// one-device path.
func (p *Plan) Mesh() *distributed.DeviceMesh { return p.mesh }

// CheckBatch returns an error unless a batch of B examples splits evenly
// over the devices.
func (p *Plan) CheckBatch(B int) error {
	if B < 1 || B%p.n != 0 {
		return errors.Errorf("parallel: batch %d does not split over %d devices: want a positive multiple of %d", B, p.n, p.n)
	}
	return nil
}

// PerDevice returns the rows of a batch of B examples each device holds
// (B must pass [Plan.CheckBatch]).
func (p *Plan) PerDevice(B int) int { return B / p.n }

// Rows returns the rows [start, end) of a batch of B examples that device d
// (0-based, in mesh order) holds.
func (p *Plan) Rows(B, d int) (start, end int) {
	k := p.PerDevice(B)
	return d * k, (d + 1) * k
}

// Spec returns the sharding spec of layout l (nil with one device).
func (p *Plan) Spec(l Layout) *distributed.ShardingSpec {
	if p.mesh == nil {
		return nil
	}
	if l == Batch {
		spec, err := distributed.NewShardingSpec(p.mesh, distributed.AxisSpec{Axis})
		if err != nil { // only for an axis the mesh lacks: a bug here
			panic(errors.WithMessage(err, "parallel: batch sharding spec"))
		}
		return spec
	}
	return distributed.NewReplicatedShardingSpec(p.mesh)
}

// specs returns the specs of layouts.
func (p *Plan) specs(ls []Layout) []*distributed.ShardingSpec {
	out := make([]*distributed.ShardingSpec, len(ls))
	for i, l := range ls {
		out[i] = p.Spec(l)
	}
	return out
}

// NewExec returns the executor of fn on store: model.NewExec with one
// device; with several, fn's graph is sharded by XLA (AutoSharding on the
// plan's mesh) with its inputs in the layouts in and its outputs in the
// layouts out (the last layout of each list repeats for further inputs or
// outputs; empty: every one replicated). The store's variables are
// replicated.
func (p *Plan) NewExec(b compute.Backend, store *model.Store, fn func(*model.Scope, []*graph.Node) []*graph.Node,
	in, out []Layout) (*model.Exec, error) {
	if !p.Distributed() {
		return model.NewExec(b, store, fn)
	}
	if b.NumDevices() < p.n {
		return nil, errors.Errorf("parallel: plan for %d devices, backend %s has %d", p.n, b.Name(), b.NumDevices())
	}
	var e *model.Exec
	wrapped := func(scope *model.Scope, xs []*graph.Node) []*graph.Node {
		ys := fn(scope, xs)
		// model.Exec returns the variables the graph changed first (in the
		// store's order), then fn's outputs; output specs are positional.
		g := xs[0].Graph()
		changed := 0
		for v := range store.IterVariables() {
			if v.ChangedInGraph(g) {
				changed++
			}
		}
		e.WithOutputShardingSpecs(p.outputSpecs(changed, len(ys), out)...)
		return ys
	}
	e, err := model.NewExec(b, store, wrapped)
	if err != nil {
		return nil, err
	}
	e.AutoSharding(p.mesh)
	if len(in) > 0 {
		e.WithInputShardingSpecs(p.specs(in)...)
	}
	return e, nil
}

// outputSpecs returns the output specs of a graph that changed `changed`
// variables (replicated) and returns n outputs in the layouts out.
func (p *Plan) outputSpecs(changed, n int, out []Layout) []*distributed.ShardingSpec {
	specs := make([]*distributed.ShardingSpec, 0, changed+n)
	for range changed {
		specs = append(specs, p.Spec(Replicated))
	}
	for i := range n {
		l := Replicated
		if len(out) > 0 {
			l = out[min(i, len(out)-1)]
		}
		specs = append(specs, p.Spec(l))
	}
	return specs
}

// Put returns t laid out as l for a call of an exec of this plan: t itself
// with one device; with several, a dtensor.Tensor of host shards (an
// axis-0 split for [Batch], whose axis 0 must split evenly). A
// *dtensor.Tensor (e.g. a sharded output of the previous step) is
// returned as is.
func (p *Plan) Put(l Layout, t any) (any, error) {
	switch v := t.(type) {
	case *dtensor.Tensor:
		if !p.Distributed() {
			return nil, errors.New("parallel: a distributed tensor given to a one-device plan")
		}
		return v, nil
	case *tensors.Tensor:
		if !p.Distributed() {
			return v, nil
		}
		if l == Batch {
			if v.Rank() < 1 {
				return nil, errors.Errorf("parallel: a scalar cannot be laid out as %s", l)
			}
			if err := p.CheckBatch(v.Shape().Dimensions[0]); err != nil {
				return nil, errors.WithMessagef(err, "parallel: tensor %s", v.Shape())
			}
		}
		d, err := dtensor.ShardTensor(p.Spec(l), v)
		if err != nil {
			return nil, errors.WithMessagef(err, "parallel: sharding %s as %s", v.Shape(), l)
		}
		return d, nil
	}
	return nil, errors.Errorf("parallel: cannot lay out a %T: want *tensors.Tensor or *dtensor.Tensor", t)
}

// MustPut is [Plan.Put] for tensors known to fit the layout; it panics
// with the error otherwise.
func (p *Plan) MustPut(l Layout, t any) any {
	v, err := p.Put(l, t)
	if err != nil {
		panic(err)
	}
	return v
}

// Call runs e (an exec of [Plan.NewExec]) on args (from [Plan.Put]) and
// returns its outputs: *tensors.Tensor with one device, *dtensor.Tensor
// with several (pass them to [Local], or back to the next call).
func (p *Plan) Call(e *model.Exec, args ...any) ([]any, error) {
	if !p.Distributed() {
		out, err := e.Call(args...)
		return anys(out), err
	}
	out, err := e.DistributedExec(args...)
	return anys(out), err
}

// anys converts a slice of pointers to []any (nil for nil).
func anys[T any](xs []*T) []any {
	if xs == nil {
		return nil
	}
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// Local returns v's logical value as one tensor: v itself for a
// *tensors.Tensor, a new host tensor of the merged shards of a
// *dtensor.Tensor (v stays valid: [Release] it when done).
func Local(v any) (*tensors.Tensor, error) {
	switch x := v.(type) {
	case *tensors.Tensor:
		return x, nil
	case *dtensor.Tensor:
		t, err := x.Merge()
		if err != nil {
			return nil, errors.WithMessage(err, "parallel: merging shards")
		}
		return t, nil
	}
	return nil, errors.Errorf("parallel: cannot read a %T: want *tensors.Tensor or *dtensor.Tensor", v)
}

// Release frees the memory of values (host and device) now rather than at
// garbage collection; nil values and other types are skipped.
func Release(vs ...any) {
	for _, v := range vs {
		switch x := v.(type) {
		case *tensors.Tensor:
			if x != nil {
				_ = x.FinalizeAll()
			}
		case *dtensor.Tensor:
			if x != nil {
				_ = x.FinalizeAll()
			}
		}
	}
}
