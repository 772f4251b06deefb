package transformer

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/labnotes/labnotes/lib/backend"
)

// Precision selects the dtype a model computes in. Variables (master
// weights), gradients, optimizer state, layer normalization, softmax,
// FAVOR+'s features and normalizer, pooling and the logits given to the loss
// are float32 in every precision, so checkpoints load across precisions.
type Precision string

const (
	// PrecisionAuto follows the backend (lib/backend's DefaultDType):
	// [BFloat16] on XLA on a GPU or TPU, [Float32] elsewhere (the Go
	// backend: CPU numbers unchanged). The default.
	PrecisionAuto Precision = ""
	// Float32 computes everything in float32.
	Float32 Precision = "float32"
	// BFloat16 is mixed precision: matrix products, activations and
	// attention's projections in bfloat16, with the float32 parts above.
	BFloat16 Precision = "bfloat16"
)

// ParamPrecision (string, a [Precision]): "" (default: by backend),
// "float32" or "bfloat16".
const ParamPrecision = "transformer_precision"

// DType returns the compute dtype of precision p in graph g's backend.
func (p Precision) DType(g *graph.Graph) dtypes.DType {
	switch p {
	case PrecisionAuto:
		return backend.DefaultDType(g.Backend())
	case Float32:
		return dtypes.Float32
	case BFloat16:
		return dtypes.BFloat16
	}
	panicf("unknown precision %q (want %q, %q or %q)", p, PrecisionAuto, Float32, BFloat16)
	return dtypes.InvalidDType
}

// isHalf reports whether dt is a 16-bit float dtype.
func isHalf(dt dtypes.DType) bool { return dt == dtypes.BFloat16 || dt == dtypes.Float16 }

// toFloat32 converts half-precision x to float32 (other dtypes unchanged).
func toFloat32(x *Node) *Node {
	if isHalf(x.DType()) {
		return graph.ConvertDType(x, dtypes.Float32)
	}
	return x
}
