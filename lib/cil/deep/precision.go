package deep

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// toFloat32 casts x to float32 (a no-op on float32): the layers' outputs
// that losses, softmax and reductions read.
func toFloat32(x *Node) *Node { return graph.ConvertDType(x, dtypes.Float32) }
