package transformer

import (
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/dtensor"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/parallel"
)

// DefaultDevices is the default of [Config].Devices: 0, every device the
// backend has.
const DefaultDevices = 0

// Layouts of the evaluation graph of [Run.Evaluate] (the last one repeats):
// its inputs and labels split along axis 0, the examples; its loss and
// accuracy (scalars) replicated, XLA averaging them over every device's rows.
var (
	evalInputLayouts  = []parallel.Layout{parallel.Batch}
	evalOutputLayouts = []parallel.Layout{parallel.Replicated}
)

// Plan returns the data-parallel plan of the run: Config.Devices devices
// of its backend (0: every one), built at the first call. It is an error if
// the backend has fewer devices than asked.
func (r *Run) Plan() (*parallel.Plan, error) {
	if r.plan != nil {
		return r.plan, nil
	}
	p, err := parallel.New(r.Backend, r.Config.Devices)
	if err != nil {
		return nil, errors.WithMessagef(err, "transformer: run %s: Config.Devices %d", r.Name, r.Config.Devices)
	}
	r.plan = p
	return p, nil
}

// batchLayouts returns the layouts on plan p of a batch's tensors (inputs,
// then labels): every one is split along its axis 0 ([parallel.Batch]), so
// each must have rank >= 1 and the same axis 0, the batch size, which must
// split evenly over p's devices.
func batchLayouts(p *parallel.Plan, ts ...*tensors.Tensor) ([]parallel.Layout, error) {
	if len(ts) == 0 {
		return nil, errors.New("transformer: empty batch")
	}
	B := -1
	layouts := make([]parallel.Layout, len(ts))
	for i, t := range ts {
		if t == nil || t.Rank() < 1 {
			return nil, errors.Errorf("transformer: batch tensor #%d is a scalar or nil: want axis 0 over the examples", i)
		}
		if b := t.Shape().Dimensions[0]; B < 0 {
			B = b
		} else if b != B {
			return nil, errors.Errorf("transformer: batch tensor #%d (%s) has %d examples, tensor #0 has %d", i, t.Shape(), b, B)
		}
		layouts[i] = parallel.Batch
	}
	if err := p.CheckBatch(B); err != nil {
		return nil, errors.WithMessagef(err, "transformer: batch size %d on %d devices", B, p.Devices())
	}
	return layouts, nil
}

// distribute lays the tensors of batch out on p's devices (as
// batchLayouts says) for Trainer.DistributedTrainStep, finalizing
// batch's host tensors.
func distribute(p *parallel.Plan, batch train.Batch) (train.DistributedBatch, error) {
	defer func() { _ = batch.Finalize() }()
	all := append(append([]*tensors.Tensor(nil), batch.Inputs...), batch.Labels...)
	layouts, err := batchLayouts(p, all...)
	if err != nil {
		return train.DistributedBatch{}, err
	}
	out := train.DistributedBatch{Spec: batch.Spec}
	for i, t := range all {
		v, err := p.Put(layouts[i], t)
		if err == nil {
			d, ok := v.(*dtensor.Tensor)
			if !ok {
				err = errors.Errorf("transformer: laying out %s: got a %T, want a *dtensor.Tensor", t.Shape(), v)
			} else if i < len(batch.Inputs) {
				out.Inputs = append(out.Inputs, d)
			} else {
				out.Labels = append(out.Labels, d)
			}
		}
		if err != nil {
			_ = out.Finalize()
			return train.DistributedBatch{}, errors.WithMessage(err, "transformer: sharding a batch")
		}
	}
	return out, nil
}
