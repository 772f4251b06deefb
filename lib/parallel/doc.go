// Package parallel spreads a training step over the devices of one host:
// data parallelism through XLA's SPMD partitioner, reached with GoMLX's
// distributed package (a 1-D [distributed.DeviceMesh] with axis "data",
// [model.Exec.AutoSharding] and sharding specs). No collective is written by
// hand: the step's graph stays the single-device graph of the whole batch,
// and XLA shards it, reducing the gradients with its own all-reduces (NCCL
// on GPUs).
//
// A [Plan] is built for a backend and a device count (0: every device the
// backend has):
//
//	p, err := parallel.New(backend, 0)
//	err = p.CheckBatch(B) // B must split evenly: B/p.Devices() rows per device
//	exec, err := p.NewExec(backend, store, stepFn,
//		[]parallel.Layout{parallel.Batch, parallel.Batch, parallel.Replicated}, // inputs
//		[]parallel.Layout{parallel.Replicated, parallel.Batch})                 // outputs
//	in, err := p.Put(parallel.Batch, tokens) // a host tensor, sharded
//	out, err := p.Call(exec, in...)           // []any: *tensors.Tensor or *dtensor.Tensor
//	loss, err := parallel.Local(out[0])       // one host tensor of the logical value
//
// In a [Layout] of [Batch] a tensor's axis 0 (the examples) is split evenly
// over the devices; [Replicated] tensors are whole on every device. The
// model's variables (weights, optimizer state, EMA) are replicated. Values
// a step returns in the [Batch] layout (e.g. a recursive model's per-slot
// carry) stay sharded on the devices and go back into the next step as
// they are.
//
// With one device (the Go backend always has exactly one) a Plan is the
// plain single-device path: [Plan.NewExec] is model.NewExec, [Plan.Put]
// returns its tensor, and the numbers are exactly those of code that never
// heard of this package. Checkpoints do not depend on the device count:
// variables merge their shards when read ([model.Variable.Value]).
package parallel
