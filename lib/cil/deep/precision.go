package deep

import (
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// Precision is the number format the network computes in.
type Precision string

const (
	// PrecisionAuto, the zero value, follows the backend: [New] replaces
	// it with [DefaultPrecision].
	PrecisionAuto Precision = ""
	// Float32 computes everything in float32.
	Float32 Precision = "float32"
	// BFloat16 is mixed precision: the layers (matmuls, convolutions, bias
	// additions, ReLU, pooling) compute in bfloat16 on bfloat16 copies of
	// the weights, cast where each layer reads them; the weights themselves
	// (the master copy the optimizer updates), the optimizer state, EWC's
	// Fisher and anchor, the logits and everything after them (softmax,
	// cross-entropy, distillation, the EWC penalty, the batch means) stay in
	// float32, and so do the features returned for herding and iCaRL's class
	// means. Gradients reach the float32 weights through the casts.
	BFloat16 Precision = "bfloat16"
)

// DefaultPrecision is the precision a learner on be uses when
// Options.Precision is empty: BFloat16 on XLA with an accelerator plugin
// (a GPU), Float32 elsewhere (the Go backend, XLA's CPU plugin), so CPU
// numbers are unchanged.
func DefaultPrecision(be compute.Backend) Precision {
	if be == nil || be.Name() != "xla" {
		return Float32
	}
	if p, ok := be.(interface{ PluginName() string }); ok && strings.Contains(strings.ToLower(p.PluginName()), "cpu") {
		return Float32
	}
	return BFloat16
}

// dtype is p's compute dtype.
func (p Precision) dtype() dtypes.DType {
	if p == BFloat16 {
		return dtypes.BFloat16
	}
	return dtypes.Float32
}

// toFloat32 casts x to float32 (a no-op on float32): the layers' outputs
// that losses, softmax and reductions read.
func toFloat32(x *Node) *Node { return graph.ConvertDType(x, dtypes.Float32) }
