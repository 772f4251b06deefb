package performer

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// Dense is GoMLX's layers.Dense (variables dense/weights [in, out] and
// dense/biases [out] under scope, out the product of outputDims; output
// [<x's batch axes>, outputDims...]) with mixed precision's master weights:
// for half-precision x (bfloat16, float16) the variables are float32 and
// converted to x's dtype in the graph, so gradients and optimizer state stay
// float32 and a checkpoint loads in either precision. For other dtypes it is
// layers.Dense.
func Dense(scope *model.Scope, x *Node, useBias bool, outputDims ...int) *Node {
	if !isHalf(x.DType()) {
		return layers.Dense(scope, x, useBias, outputDims...)
	}
	scope = scope.In("dense")
	g, dt := x.Graph(), x.DType()
	out := 1
	for _, d := range outputDims {
		out *= d
	}
	w := scope.VariableWithShape("weights", shapes.Make(dtypes.Float32, x.Shape().Dim(-1), out)).NodeValue(g)
	var bias *Node
	if useBias {
		bias = ConvertDType(scope.VariableWithShape("biases", shapes.Make(dtypes.Float32, out)).NodeValue(g), dt)
	}
	y := nn.Dense(x, ConvertDType(w, dt), bias, compute.DenseLayoutInputOutputs)
	if len(outputDims) > 1 {
		y = Reshape(y, append(x.Shape().Dimensions[:x.Rank()-1:x.Rank()-1], outputDims...)...)
	}
	return y
}
