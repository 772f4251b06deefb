package transformer

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/labnotes/labnotes/internal/testutil"
)

func TestGelu(t *testing.T) {
	be := testutil.Backend(t)
	rng := rand.New(rand.NewPCG(1, 2))
	x := testutil.Normal(rng, 2*8, 1)
	r := testutil.Normal(rng, 2*8, 1)
	for name, pair := range map[string]struct {
		g   func(scope *model.Scope, x *graph.Node) *graph.Node
		ref func(x []float64) []float64
	}{
		"ln": {func(s *model.Scope, x *graph.Node) *graph.Node { return LayerNorm(s, x) },
			func(x []float64) []float64 {
				return refLayerNorm(x, 8, []float64{1, 1, 1, 1, 1, 1, 1, 1}, make([]float64, 8))
			}},
		"gelu": {func(s *model.Scope, x *graph.Node) *graph.Node { return Gelu(x) },
			func(x []float64) []float64 {
				o := make([]float64, len(x))
				for i := range x {
					o[i] = gelu(x[i])
				}
				return o
			}},
	} {
		exec := model.MustNewExec(be, model.NewStore(), func(scope *model.Scope, xx, rr *graph.Node) *graph.Node {
			loss := graph.ReduceAllSum(graph.Mul(pair.g(scope, xx), rr))
			return graph.Gradient(loss, xx)[0]
		})
		got := testutil.Float64s(exec.MustExec(tensors.FromFlatDataAndDimensions(testutil.Float32s(x), 2, 8), tensors.FromFlatDataAndDimensions(testutil.Float32s(r), 2, 8))[0])
		f := func() float64 {
			o := pair.ref(x)
			s := 0.0
			for i := range o {
				s += o[i] * r[i]
			}
			return s
		}
		g := make([]float64, len(x))
		for i := range x {
			old := x[i]
			x[i] = old + 1e-5
			up := f()
			x[i] = old - 1e-5
			down := f()
			x[i] = old
			g[i] = (up - down) / 2e-5
		}
		testutil.AssertClose(t, name, got, g, 1e-3)
	}
}
