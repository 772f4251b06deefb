package study

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/performer"
)

// Attention implementations timed by [BenchForwardBackward].
const (
	// BenchExact is GoMLX's own exact attention (attention.Core, fused
	// attention allowed only on backends other than "go", where the fused op
	// has no fused backward).
	BenchExact = "exact"
	// BenchFavorSoftmax is FAVOR+ (positive orthogonal features, softmax kernel).
	BenchFavorSoftmax = "favor_softmax"
	// BenchFavorReLU is FAVOR with the ReLU kernel on m random features.
	BenchFavorReLU = "favor_relu"
	// BenchFavorSoftmaxCausal is causal FAVOR+ in chunks (BenchConfig.ChunkSize, or AutoChunkSize).
	BenchFavorSoftmaxCausal = "favor_softmax_causal"
	// BenchExactCausal is GoMLX's exact causal attention.
	BenchExactCausal = "exact_causal"
)

// BenchMethods lists the methods [BenchForwardBackward] knows.
var BenchMethods = []string{BenchExact, BenchFavorSoftmax, BenchFavorReLU, BenchFavorSoftmaxCausal, BenchExactCausal}

// BenchConfig is one benchmark configuration: attention on [Batch, Heads,
// Length, Dim] tensors of DType, forward and backward (gradients with
// respect to q, k and v of sum(out·r)).
type BenchConfig struct {
	Method                    string
	Batch, Heads, Length, Dim int
	// NumFeatures is m for FAVOR methods.
	NumFeatures int
	// ChunkSize is the chunk of causal FAVOR (0: AutoChunkSize).
	ChunkSize int `json:",omitempty"`
	// DType of q, k, v: "float32" (also for "") or "bfloat16". In bfloat16
	// FAVOR computes its features and normalizer in float32 unless
	// HalfFeatures (performer.Config.HalfFeatures); exact attention may take
	// the backend's fused kernel (cuDNN flash attention on XLA's GPU).
	DType        string `json:",omitempty"`
	HalfFeatures bool   `json:",omitempty"`
	// MinRuns and MinTime: the timed runs continue until both are reached
	// (after one untimed warm-up run).
	MinRuns int
	MinTime time.Duration
}

// BenchResult holds the timings of one configuration.
type BenchResult struct {
	BenchConfig
	Backend string `json:"backend"`
	// CompileMS is the time of the first call (graph build, compilation, first run).
	CompileMS float64 `json:"compile_ms"`
	// MedianMS, MinMS are over the timed runs.
	MedianMS float64   `json:"median_ms"`
	MinMS    float64   `json:"min_ms"`
	RunsMS   []float64 `json:"runs_ms"`
	Finite   bool      `json:"finite"`
}

// BenchForwardBackward times forward+backward of one attention method on
// random inputs on backend b.
func BenchForwardBackward(b compute.Backend, c BenchConfig) (BenchResult, error) {
	res := BenchResult{BenchConfig: c, Backend: b.Name()}
	if !slices.Contains(BenchMethods, c.Method) {
		return res, errors.Errorf("study: unknown benchmark method %q (known: %v)", c.Method, BenchMethods)
	}
	var half bool
	switch c.DType {
	case "", "float32":
	case "bfloat16":
		half = true
	default:
		return res, errors.Errorf("study: benchmark dtype %q: want \"float32\" or \"bfloat16\"", c.DType)
	}
	dims := []int{c.Batch, c.Heads, c.Length, c.Dim}
	n := c.Batch * c.Heads * c.Length * c.Dim
	inputs := make([]any, 0, 5)
	for i := range 4 {
		w := tensors.MustCopyFlatData[float32](performer.Projection{NumFeatures: n, Dim: 1}.Draw(uint64(100 + i)))
		if half {
			inputs = append(inputs, tensors.FromFlatDataAndDimensions(toBFloat16(w), dims...))
		} else {
			inputs = append(inputs, tensors.FromFlatDataAndDimensions(w, dims...))
		}
	}
	m := max(c.NumFeatures, 1)
	inputs = append(inputs, performer.Projection{NumFeatures: m, Dim: c.Dim, Orthogonal: true}.Draw(7))
	exec, err := graph.NewExec(b, func(in []*graph.Node) []*graph.Node {
		q, k, v, r, w := in[0], in[1], in[2], in[3], in[4]
		var out *graph.Node
		switch c.Method {
		case BenchExact, BenchExactCausal:
			opts := attention.CoreOptions{UseCausalMask: c.Method == BenchExactCausal, DisableFusion: b.Name() == "go"}
			if half && !strings.HasPrefix(b.Name(), "xla") {
				// The Go backend has no bfloat16 softmax (GoMLX v0.28.16: "FusedSoftmax: dtype
				// BFloat16: op not implemented", a panic with parallel execution): float32 there,
				// as lib/performer's layer does.
				f32 := func(x *graph.Node) *graph.Node { return graph.ConvertDType(x, dtypes.Float32) }
				out, _ = attention.Core(f32(q), f32(k), f32(v), attention.LayoutBHSD, opts)
				out = graph.ConvertDType(out, q.DType())
			} else {
				out, _ = attention.Core(q, k, v, attention.LayoutBHSD, opts)
			}
		case BenchFavorSoftmax:
			out = performer.Attention(q, k, v, w, performer.Config{HalfFeatures: c.HalfFeatures})
		case BenchFavorSoftmaxCausal:
			out = performer.Attention(q, k, v, w, performer.Config{Causal: true, ChunkSize: c.ChunkSize, HalfFeatures: c.HalfFeatures})
		case BenchFavorReLU:
			out = performer.Attention(q, k, v, w, performer.Config{Kernel: performer.KernelReLURandom, HalfFeatures: c.HalfFeatures})
		}
		grads := graph.Gradient(graph.ReduceAllSum(graph.Mul(out, r)), q, k, v)
		// Return small float32 reductions so transfers do not dominate the timing.
		sum := func(x *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.ConvertDType(x, dtypes.Float32)) }
		finite := graph.Add(sum(out), sum(grads[0]))
		return []*graph.Node{finite, sum(grads[1]), sum(grads[2])}
	})
	if err != nil {
		return res, err
	}
	defer exec.Finalize()
	call := func() (float64, error) {
		start := time.Now()
		out, err := exec.Exec(inputs...)
		if err != nil {
			return 0, err
		}
		v := float64(tensors.ToScalar[float32](out[0]))
		res.Finite = !math.IsNaN(v) && !math.IsInf(v, 0)
		for _, o := range out {
			o.MustFinalizeAll()
		}
		return float64(time.Since(start).Microseconds()) / 1000, nil
	}
	if res.CompileMS, err = call(); err != nil {
		return res, err
	}
	start := time.Now()
	for len(res.RunsMS) < max(c.MinRuns, 1) || time.Since(start) < c.MinTime {
		ms, err := call()
		if err != nil {
			return res, err
		}
		res.RunsMS = append(res.RunsMS, ms)
	}
	sorted := slices.Sorted(slices.Values(res.RunsMS))
	res.MedianMS, res.MinMS = sorted[len(sorted)/2], sorted[0]
	return res, nil
}

// toBFloat16 rounds xs to bfloat16.
func toBFloat16(xs []float32) []bfloat16.BFloat16 {
	out := make([]bfloat16.BFloat16, len(xs))
	for i, x := range xs {
		out[i] = bfloat16.FromFloat32(x)
	}
	return out
}

// String summarizes a result in one line.
func (r BenchResult) String() string {
	return fmt.Sprintf("%s L=%d: median %.2f ms (min %.2f, %d runs, first call %.0f ms)",
		r.Method, r.Length, r.MedianMS, r.MinMS, len(r.RunsMS), r.CompileMS)
}
