package performer

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/labnotes/labnotes/lib/backend"
)

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	t.Setenv(backend.ConfigEnv, "go")
	return backend.MustNew()
}

// randTensor returns a deterministic pseudo-random float32 tensor N(0, sigma²).
func randTensor(seed uint64, sigma float64, dims ...int) *tensors.Tensor {
	p := Projection{NumFeatures: 1, Dim: 1}
	_ = p
	n := 1
	for _, d := range dims {
		n *= d
	}
	w := Projection{NumFeatures: n, Dim: 1}.DrawFloat64(seed)
	flat := make([]float32, n)
	for i, v := range w {
		flat[i] = float32(v * sigma)
	}
	return tensors.FromFlatDataAndDimensions(flat, dims...)
}

func flat32(t *tensors.Tensor) []float32 {
	return slices.Clone(tensors.MustCopyFlatData[float32](t))
}

func TestVariableNamesMatchGoMLX(t *testing.T) {
	b := testBackend(t)
	names := func(build func(scope *model.Scope, x *graph.Node) *graph.Node) []string {
		store := model.NewStore()
		e := model.MustNewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return build(scope.In("layer_0"), x)
		})
		e.MustExec(randTensor(1, 1, 2, 5, 12))
		var out []string
		for v := range store.IterVariables() {
			if v.Trainable {
				out = append(out, v.Path()+" "+v.Shape().String())
			}
		}
		slices.Sort(out)
		return out
	}
	want := names(func(scope *model.Scope, x *graph.Node) *graph.Node {
		return attention.SelfAttention(scope, x, 3, 4).Done()
	})
	for _, k := range []Kernel{KernelSoftmax, KernelReLU, KernelExact} {
		got := names(func(scope *model.Scope, x *graph.Node) *graph.Node {
			return SelfAttention(scope, x, 3, 4).WithKernel(k).WithNumFeatures(8).Done()
		})
		if !slices.Equal(got, want) {
			t.Errorf("kernel %s: variables\n%v\nwant (GoMLX)\n%v", k, got, want)
		}
	}
	if len(want) != 8 {
		t.Errorf("expected 8 variables, got %v", want)
	}
}

var _ = math.Abs
var _ = dtypes.Float32
var _ = shapes.Make
