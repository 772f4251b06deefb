package study

import (
	"embed"
	"encoding/json"
	"math"
	"runtime"
	"strings"

	"github.com/labnotes/labnotes/lib/measure"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/performer"
)

// ApproxConfig configures [ApproximationExperiment], the paper's
// approximation experiment (Fig. 4): random queries, keys and values of
// Length tokens and dimension Dim, FAVOR attention with m random features
// against exact softmax attention, averaged over Samples draws of features.
type ApproxConfig struct {
	// Length (L) and Dim (d): the paper uses 4096 and 16.
	Length, Dim int
	// Features lists the numbers of random features m to try.
	Features []int
	// Samples is the number of feature draws per point (paper: 15).
	Samples int
	// Sigma is the standard deviation of the entries of q and k (the scale
	// 1/sqrt(d) is applied on top, as in attention).
	Sigma float64
	// MatrixRows is how many query rows of the [L, L] attention matrix are
	// compared (the first ones), to bound the cost. 0: all.
	MatrixRows int
	// Seed of the data and of the features.
	Seed uint64
}

// Feature variants compared by [ApproximationExperiment].
var ApproxVariants = []string{"positive/orthogonal", "positive/iid", "trig/orthogonal", "trig/iid"}

// ApproxPoint is one (variant, m) point of [ApproximationExperiment]:
// means over the samples.
type ApproxPoint struct {
	Variant string
	M       int
	// MatrixMSE is the mean squared error of the normalized attention matrix
	// (rows of the approximate D^-1 A' vs softmax).
	MatrixMSE float64
	// OutputMSE is the mean squared error of the attention output; OutputRelErr
	// its relative L2 error ||out' - out|| / ||out||.
	OutputMSE, OutputRelErr float64
	// NonPositiveDen is the fraction of rows whose denominator D was <= 0
	// (only possible with trigonometric features).
	NonPositiveDen float64
}

// ApproximationExperiment measures the error of FAVOR attention vs exact
// softmax attention for positive vs trigonometric and orthogonal vs iid
// features, for each m in cfg.Features, on backend b.
func ApproximationExperiment(b compute.Backend, cfg ApproxConfig) []ApproxPoint {
	l, d := cfg.Length, cfg.Dim
	rows := cfg.MatrixRows
	if rows <= 0 || rows > l {
		rows = l
	}
	data := func(seed uint64, sigma float64) *tensors.Tensor {
		w := performer.Projection{NumFeatures: l * d, Dim: 1}.DrawFloat64(cfg.Seed*7919 + seed)
		flat := make([]float32, l*d)
		for i, v := range w {
			flat[i] = float32(v * sigma)
		}
		return tensors.FromFlatDataAndDimensions(flat, 1, 1, l, d)
	}
	q, k, v := data(1, cfg.Sigma), data(2, cfg.Sigma), data(3, 1)
	execs := map[performer.Kernel]*Exec{}
	for _, kernel := range []performer.Kernel{performer.KernelSoftmax, performer.KernelSoftmaxTrig} {
		execs[kernel] = MustNewExec(b, func(in []*Node) []*Node {
			q, k, v, w := in[0], in[1], in[2], in[3]
			cfg := performer.Config{Kernel: kernel}
			_, exactMatrix := performer.ExactAttentionMatrix(Slice(q, AxisRange(), AxisRange(), AxisRange(0, rows)), k, v, cfg)
			exactFull := performer.ExactAttention(q, k, v, cfg)
			qp, kp := cfg.Features(q, k, w)
			out := performer.LinearAttention(qp, kp, v, 0)
			_, matrix := performer.QuadraticKernelAttention(Slice(qp, AxisRange(), AxisRange(), AxisRange(0, rows)), kp, v, false, 0)
			den := Einsum("bhlm,bhm->bhl", qp, ReduceSum(kp, 2))
			nonPos := ReduceAllMean(ConvertDType(LessOrEqual(den, ScalarZero(den.Graph(), den.DType())), den.DType()))
			diff := Sub(out, exactFull)
			return []*Node{
				ReduceAllMean(Square(Sub(matrix, exactMatrix))),
				ReduceAllMean(Square(diff)),
				Sqrt(Div(ReduceAllSum(Square(diff)), ReduceAllSum(Square(exactFull)))),
				nonPos,
			}
		})
	}
	var points []ApproxPoint
	for _, variant := range ApproxVariants {
		kernel := performer.KernelSoftmax
		if strings.HasPrefix(variant, "trig") {
			kernel = performer.KernelSoftmaxTrig
		}
		orthogonal := strings.HasSuffix(variant, "orthogonal")
		for _, m := range cfg.Features {
			p := ApproxPoint{Variant: variant, M: m}
			for s := range cfg.Samples {
				w := performer.Projection{NumFeatures: m, Dim: d, Orthogonal: orthogonal}.Draw(cfg.Seed*104729 + uint64(s))
				out := execs[kernel].MustExec(q, k, v, w)
				vals := make([]float64, len(out))
				for i, o := range out {
					vals[i] = float64(tensors.ToScalar[float32](o))
				}
				p.MatrixMSE += vals[0] / float64(cfg.Samples)
				p.OutputMSE += vals[1] / float64(cfg.Samples)
				p.OutputRelErr += vals[2] / float64(cfg.Samples)
				p.NonPositiveDen += vals[3] / float64(cfg.Samples)
			}
			points = append(points, p)
		}
	}
	return points
}

// KernelPoint is one point of [KernelSweep].
type KernelPoint struct {
	// Kernel is the true value exp(x·y).
	Kernel float64
	// PositiveRelMSE and TrigRelMSE are the MSE of the estimates divided by
	// the squared kernel value.
	PositiveRelMSE, TrigRelMSE float64
}

// KernelSweep estimates exp(x·y) for pairs with |x| = |y| = norm at angles
// from 0 (largest kernel value) to pi (smallest) with m orthogonal features,
// positive and trigonometric, over samples draws: the relative error of
// trigonometric features explodes as the kernel value goes to 0, that of
// positive features vanishes.
func KernelSweep(b compute.Backend, d, m, samples, points int, norm float64, seed uint64) []KernelPoint {
	xs := make([]float32, points*d)
	ys := make([]float32, points*d)
	kernels := make([]float64, points)
	for p := range points {
		angle := math.Pi * float64(p) / float64(points-1)
		// x = norm e1, y = norm (cos a e1 + sin a e2).
		xs[p*d] = float32(norm)
		ys[p*d] = float32(norm * math.Cos(angle))
		ys[p*d+1] = float32(norm * math.Sin(angle))
		kernels[p] = math.Exp(float64(xs[p*d])*float64(ys[p*d]) + 0)
	}
	x := tensors.FromFlatDataAndDimensions(xs, 1, 1, points, d)
	y := tensors.FromFlatDataAndDimensions(ys, 1, 1, points, d)
	res := make([]KernelPoint, points)
	for i := range res {
		res[i].Kernel = kernels[i]
	}
	for _, kernel := range []performer.Kernel{performer.KernelSoftmax, performer.KernelSoftmaxTrig} {
		e := MustNewExec(b, func(in []*Node) *Node {
			fm := performer.FeatureMap{Kernel: kernel, Projection: in[2], NoMaxSubtraction: true}
			return ReduceSum(Mul(fm.Query(in[0]), fm.Key(in[1], nil)), -1) // [1, 1, points]
		})
		for s := range samples {
			w := performer.Projection{NumFeatures: m, Dim: d, Orthogonal: true}.Draw(seed*31 + uint64(s))
			est := tensors.MustCopyFlatData[float32](e.MustExec1(x, y, w))
			for i := range res {
				rel := (float64(est[i]) - kernels[i]) * (float64(est[i]) - kernels[i]) / (kernels[i] * kernels[i]) / float64(samples)
				if kernel == performer.KernelSoftmax {
					res[i].PositiveRelMSE += rel
				} else {
					res[i].TrigRelMSE += rel
				}
			}
		}
	}
	return res
}

// MeasuredBench is a [BenchResult] with the peak memory measured in process.
type MeasuredBench struct {
	BenchResult
	// PeakDeltaMB is the growth of the process's peak resident memory
	// (VmHWM, reset before the run) over its resident memory before the
	// configuration was built: inputs, graph buffers and their garbage.
	PeakDeltaMB float64
}

// MeasureBench runs [BenchForwardBackward] and measures its peak memory in
// this process: it frees memory (GC and returning it to the OS), resets the
// kernel's peak RSS counter (/proc/self/clear_refs) and reads VmHWM after.
// Without /proc (non-Linux) PeakDeltaMB is NaN. cmd/benchattention measures
// each configuration in a fresh process instead, which is more robust.
func MeasureBench(b compute.Backend, c BenchConfig) (MeasuredBench, error) {
	runtime.GC()
	p := measure.StartPeak()
	r, err := BenchForwardBackward(b, c)
	return MeasuredBench{BenchResult: r, PeakDeltaMB: p.GrowthMB()}, err
}

//go:embed testdata/bench/*.json
var benchFiles embed.FS

// BenchReport is a result file of cmd/benchattention.
type BenchReport struct {
	Date    string `json:"date"`
	Backend string `json:"backend"`
	Results []struct {
		BenchResult
		PeakRSSMB   float64 `json:"peak_rss_mb"`
		PeakDeltaMB float64 `json:"peak_delta_mb"`
		// GPUPeakMB is the GPU memory the configuration took (nvidia-smi,
		// the allocator's high-water mark; 0 if not measured).
		GPUPeakMB float64 `json:"gpu_peak_mb"`
		Error     string  `json:"error"`
	} `json:"results"`
	Torch   []map[string]any `json:"torch"`
	LoadAvg []string         `json:"loadavg"`
}

// RecordedBench returns a committed benchmark result, by file name under
// testdata/bench: "attention_gpu_h100.json" (H100, XLA, with PyTorch) or
// "attention_cpu.json" (2 cores, Go backend, with PyTorch on CPU).
func RecordedBench(name string) (BenchReport, error) {
	var rep BenchReport
	data, err := benchFiles.ReadFile("testdata/bench/" + name)
	if err != nil {
		return rep, errors.Wrap(err, "study")
	}
	err = json.Unmarshal(data, &rep)
	return rep, err
}
