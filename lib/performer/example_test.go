package performer_test

import (
	"fmt"
	"math"
	"os"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/performer"
)

// The examples run on the Go backend, created (and announced) before they
// run, so their output does not depend on their order.
func init() {
	os.Setenv(backend.ConfigEnv, "go")
	backend.MustNew()
}

// FAVOR+ approximates exact softmax attention on [batch, heads, length, dim]
// tensors; with more orthogonal features the error drops.
func ExampleAttention() {
	b := backend.MustNew()
	const l, d = 128, 16
	p := performer.Projection{NumFeatures: 8, Dim: d, Orthogonal: true}
	q := performer.Projection{NumFeatures: l, Dim: d}.Draw(1) // N(0, 1) values [l, d]
	k := performer.Projection{NumFeatures: l, Dim: d}.Draw(2)
	v := performer.Projection{NumFeatures: l, Dim: d}.Draw(3)
	relErr := graph.MustNewExec(b, func(in []*graph.Node) *graph.Node {
		q, k, v := reshape(graph.MulScalar(in[0], 0.5)), reshape(graph.MulScalar(in[1], 0.5)), reshape(in[2])
		approx := performer.Attention(q, k, v, in[3], performer.Config{Causal: true})
		exact := performer.ExactAttention(q, k, v, performer.Config{Causal: true})
		diff := graph.ReduceAllSum(graph.Square(graph.Sub(approx, exact)))
		return graph.Sqrt(graph.Div(diff, graph.ReduceAllSum(graph.Square(exact))))
	})
	for _, m := range []int{8, 256} {
		p.NumFeatures = m
		e := tensors.ToScalar[float32](relErr.MustExec1(q, k, v, p.Draw(7)))
		fmt.Printf("m=%d: relative error below %.2f: %v\n", m, map[int]float64{8: 1, 256: 0.1}[m], e < float32(map[int]float64{8: 1, 256: 0.1}[m]))
	}
	// Output:
	// m=8: relative error below 1.00: true
	// m=256: relative error below 0.10: true
}

func reshape(x *graph.Node) *graph.Node {
	return graph.Reshape(x, 1, 1, x.Shape().Dim(0), x.Shape().Dim(1))
}

// The layer is a drop-in for GoMLX's attention.MultiHeadAttention: same call
// shape and variables, FAVOR+ by default.
func ExampleMultiHeadAttention() {
	x := performer.Projection{NumFeatures: 2 * 10, Dim: 32}.Draw(1) // N(0, 1) values
	store := model.NewStore()
	y := model.MustNewExec(backend.MustNew(), store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		x = graph.Reshape(x, 2, 10, 32) // [batch, length, embedding]
		return performer.SelfAttention(scope.In("layer_0"), x, 4, 8).
			WithCausalMask(true).
			WithNumFeatures(64).
			WithRedraw(performer.RedrawEverySteps, 1000).
			Done()
	}).MustExec1(x)
	for v := range store.IterVariables() {
		if v.Trainable {
			fmt.Println(v.Path(), v.Shape().Dimensions)
		}
	}
	fmt.Println("output shape:", y.Shape().Dimensions)
	fmt.Println("finite:", !math.IsNaN(float64(tensors.MustCopyFlatData[float32](y)[0])))
	// Unordered output:
	// /layer_0/MultiHeadAttention/key/dense/weights [32 32]
	// /layer_0/MultiHeadAttention/key/dense/biases [32]
	// /layer_0/MultiHeadAttention/query/dense/weights [32 32]
	// /layer_0/MultiHeadAttention/query/dense/biases [32]
	// /layer_0/MultiHeadAttention/value/dense/weights [32 32]
	// /layer_0/MultiHeadAttention/value/dense/biases [32]
	// /layer_0/MultiHeadAttention/output/dense/weights [32 32]
	// /layer_0/MultiHeadAttention/output/dense/biases [32]
	// output shape: [2 10 32]
	// finite: true
}
