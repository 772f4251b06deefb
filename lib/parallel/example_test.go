package parallel_test

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/parallel"
)

// Example is the package documentation's snippet on the Go backend (one
// device): the same code shards the batch over every GPU of a host.
func Example() {
	b := backend.MustNew()
	p, err := parallel.New(b, 0)
	if err != nil {
		panic(err)
	}
	const B = 4
	if err := p.CheckBatch(B); err != nil {
		panic(err)
	}
	store := model.NewStore()
	// A step: per-example sums (batch layout) and their mean (replicated).
	stepFn := func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		sums := graph.ReduceSum(in[0], -1)
		return []*graph.Node{graph.ReduceAllMean(sums), sums}
	}
	exec, err := p.NewExec(b, store, stepFn, []parallel.Layout{parallel.Batch},
		[]parallel.Layout{parallel.Replicated, parallel.Batch})
	if err != nil {
		panic(err)
	}
	defer exec.Finalize()
	x := tensors.FromValue([][]float32{{1, 2}, {3, 4}, {5, 6}, {7, 8}})
	in, err := p.Put(parallel.Batch, x)
	if err != nil {
		panic(err)
	}
	out, err := p.Call(exec, in)
	if err != nil {
		panic(err)
	}
	mean, _ := parallel.Local(out[0])
	sums, _ := parallel.Local(out[1])
	fmt.Println("devices:", p.Devices(), "rows per device:", p.PerDevice(B))
	fmt.Println("mean:", mean.Value(), "sums:", sums.Value())
	// Output:
	// devices: 1 rows per device: 4
	// mean: 9 sums: [3 7 11 15]
}
