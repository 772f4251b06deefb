package transformer

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// ParamPrecision (string, a backend.Precision as [backend.ParsePrecision]
// reads it): "" (default: by backend), "f32" or "bf16" ("float32" and
// "bfloat16" also accepted). In every precision the variables (master
// weights), gradients, optimizer state, layer normalization, softmax,
// FAVOR+'s features and normalizer, pooling and the logits given to the
// loss are float32, so checkpoints load across precisions; bfloat16
// computes matrix products, activations and attention's projections.
const ParamPrecision = "transformer_precision"

// isHalf reports whether dt is a 16-bit float dtype.
func isHalf(dt dtypes.DType) bool { return dt == dtypes.BFloat16 || dt == dtypes.Float16 }

// toFloat32 converts half-precision x to float32 (other dtypes unchanged).
func toFloat32(x *Node) *Node {
	if isHalf(x.DType()) {
		return graph.ConvertDType(x, dtypes.Float32)
	}
	return x
}
