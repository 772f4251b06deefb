package study

import (
	"math"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
)

func TestCrossoverAndMemoryGrowth(t *testing.T) {
	mk := func(method string, l int, ms, mb float64) MeasuredBench {
		r := MeasuredBench{PeakDeltaMB: mb}
		r.Method, r.Length, r.MedianMS = method, l, ms
		return r
	}
	res := []MeasuredBench{
		mk(BenchExact, 256, 1, 10), mk(BenchFavorSoftmax, 256, 2, 10),
		mk(BenchExact, 512, 3, 40), mk(BenchFavorSoftmax, 512, 2.5, 20),
		mk(BenchExact, 1024, 12, 160), mk(BenchFavorSoftmax, 1024, 5, 41),
		mk(BenchFavorSoftmax, 4096, 20, 200),
	}
	if got := Crossover(res, BenchFavorSoftmax); got != 512 {
		t.Errorf("Crossover = %d, want 512", got)
	}
	res[3].MedianMS = 4 // slower again at 512: the crossover moves to 1024
	if got := Crossover(res, BenchFavorSoftmax); got != 1024 {
		t.Errorf("Crossover = %d, want 1024", got)
	}
	if got := Speedup(res, BenchFavorSoftmax, 1024); math.Abs(got-2.4) > 1e-9 {
		t.Errorf("Speedup = %g, want 2.4", got)
	}
	// 20 -> 41 (x2.05 per doubling), 41 -> 200 over two doublings (x2.21 per doubling).
	if got := MemoryGrowth(res, BenchFavorSoftmax, 512); math.Abs(got-math.Sqrt(200.0/41)) > 1e-9 {
		t.Errorf("MemoryGrowth = %g, want %g", got, math.Sqrt(200.0/41))
	}
	if got := MemoryGrowth(res, BenchFavorSoftmax, 4096); !math.IsNaN(got) {
		t.Errorf("MemoryGrowth with one length = %g, want NaN", got)
	}
	if got := MemoryGrowthFit(res, BenchFavorSoftmax, 256); !(got > 1.9 && got < 2.3) {
		t.Errorf("MemoryGrowthFit = %g, want about 2", got)
	}
	header, rows := ScalingTable(res, []string{BenchExact, BenchFavorSoftmax})
	if len(header) != 6 || len(rows) != 4 || rows[2][5] != "2.4x" {
		t.Errorf("ScalingTable = %v %v", header, rows)
	}
}

func TestRecordedGPUBench(t *testing.T) {
	rep, err := RecordedBench("attention_gpu_h100.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Measured()) == 0 || len(rep.Torch) == 0 {
		t.Fatalf("empty report: %d results, %d torch", len(rep.Measured()), len(rep.Torch))
	}
	if ms, _ := rep.TorchMS("sdpa_bf16", 16384); math.IsNaN(ms) || ms <= 0 {
		t.Errorf("TorchMS(sdpa_bf16, 16384) = %g", ms)
	}
}

func TestApproximationExperimentSmall(t *testing.T) {
	pts := ApproximationExperiment(testutil.Backend(t), ApproxConfig{Length: 64, Dim: 8, Features: []int{8, 512}, Samples: 2, Sigma: 0.5, MatrixRows: 16, Seed: 1})
	if len(pts) != 2*len(ApproxVariants) {
		t.Fatalf("got %d points", len(pts))
	}
	for _, p := range pts {
		if p.Variant == "positive/orthogonal" && p.M == 512 && !(p.OutputRelErr < 0.2 && p.OutputRelErr < pts[0].OutputRelErr/2) {
			t.Errorf("m=512 positive orthogonal relative error %g, want < 0.2 and < half of m=8's %g", p.OutputRelErr, pts[0].OutputRelErr)
		}
		if math.IsNaN(p.MatrixMSE) || p.MatrixMSE < 0 {
			t.Errorf("%+v", p)
		}
	}
	sweep := KernelSweep(testutil.Backend(t), 8, 16, 20, 5, 2, 1)
	if last := sweep[len(sweep)-1]; !(last.PositiveRelMSE < last.TrigRelMSE) {
		t.Errorf("smallest kernel: positive %g, trig %g", last.PositiveRelMSE, last.TrigRelMSE)
	}
}

// TestBenchDTypes: every method runs forward+backward in float32 and bfloat16 with finite
// results; an unknown dtype or method is an error.
func TestBenchDTypes(t *testing.T) {
	b := testutil.Backend(t)
	for _, dt := range []string{"float32", "bfloat16"} {
		for _, m := range BenchMethods {
			t.Run(dt+"/"+m, func(t *testing.T) {
				r, err := BenchForwardBackward(b, BenchConfig{Method: m, Batch: 1, Heads: 2, Length: 40, Dim: 8, NumFeatures: 16, ChunkSize: 16, DType: dt, MinRuns: 1})
				if err != nil || !r.Finite || len(r.RunsMS) != 1 {
					t.Errorf("%+v, %v", r, err)
				}
			})
		}
	}
	if _, err := BenchForwardBackward(b, BenchConfig{Method: BenchExact, DType: "float8"}); err == nil {
		t.Errorf("dtype float8: no error")
	}
	if _, err := BenchForwardBackward(b, BenchConfig{Method: "nope"}); err == nil {
		t.Errorf("method nope: no error")
	}
}
