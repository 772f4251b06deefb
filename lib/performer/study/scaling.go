package study

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gomlx/compute"
)

// ScalingConfig configures [ScalingSweep]: forward+backward of each method at
// each length on [Batch, Heads, L, Dim].
type ScalingConfig struct {
	Lengths []int
	// Methods are Bench... constants.
	Methods []string
	// MaxExactLength skips exact attention above it (quadratic memory).
	MaxExactLength              int
	Batch, Heads, Dim, Features int
	MinRuns                     int
	MinTime                     time.Duration
	// Progress, if set, is called after each configuration.
	Progress func(done, total int, last MeasuredBench)
}

// ScalingSweep measures every method at every length with [MeasureBench]
// on backend b. Configurations that fail are reported with a NaN time.
func ScalingSweep(b compute.Backend, cfg ScalingConfig) []MeasuredBench {
	// Method by method, exact attention last, lengths increasing: the Go
	// backend keeps freed buffers for reuse, and a configuration reusing the
	// (larger) buffers of the previous one would show too little memory.
	methods := slices.Clone(cfg.Methods)
	slices.SortStableFunc(methods, func(a, b string) int {
		isExact := func(m string) int {
			if m == BenchExact || m == BenchExactCausal {
				return 1
			}
			return 0
		}
		return isExact(a) - isExact(b)
	})
	var todo []BenchConfig
	for _, m := range methods {
		for _, l := range cfg.Lengths {
			if (m == BenchExact || m == BenchExactCausal) && cfg.MaxExactLength > 0 && l > cfg.MaxExactLength {
				continue
			}
			todo = append(todo, BenchConfig{Method: m, Batch: cfg.Batch, Heads: cfg.Heads, Length: l, Dim: cfg.Dim,
				NumFeatures: cfg.Features, MinRuns: cfg.MinRuns, MinTime: cfg.MinTime})
		}
	}
	var res []MeasuredBench
	for i, c := range todo {
		r, err := MeasureBench(b, c)
		if err != nil {
			r.MedianMS = math.NaN()
		}
		res = append(res, r)
		if cfg.Progress != nil {
			cfg.Progress(i+1, len(todo), r)
		}
	}
	return res
}

// lookup returns the result of method at length l.
func lookup(results []MeasuredBench, method string, l int) (MeasuredBench, bool) {
	for _, r := range results {
		if r.Method == method && r.Length == l {
			return r, true
		}
	}
	return MeasuredBench{}, false
}

func lengthsOf(results []MeasuredBench) []int {
	var ls []int
	for _, r := range results {
		if !slices.Contains(ls, r.Length) {
			ls = append(ls, r.Length)
		}
	}
	slices.Sort(ls)
	return ls
}

// Crossover returns the smallest length from which method is faster than
// exact attention at every measured length (where both were measured), or
// 0 if it never is.
func Crossover(results []MeasuredBench, method string) int {
	cross := 0
	for _, l := range lengthsOf(results) {
		e, ok1 := lookup(results, BenchExact, l)
		f, ok2 := lookup(results, method, l)
		if !ok1 || !ok2 {
			continue
		}
		if f.MedianMS < e.MedianMS {
			if cross == 0 {
				cross = l
			}
		} else {
			cross = 0
		}
	}
	return cross
}

// Speedup returns exact's time over method's time at length l (NaN if either is missing).
func Speedup(results []MeasuredBench, method string, l int) float64 {
	e, ok1 := lookup(results, BenchExact, l)
	f, ok2 := lookup(results, method, l)
	if !ok1 || !ok2 {
		return math.NaN()
	}
	return e.MedianMS / f.MedianMS
}

// MemoryGrowth returns the largest ratio of method's peak memory between
// consecutive measured lengths from fromLength on, normalized per doubling
// of L (ratio^(1/log2(L2/L1))). NaN if fewer than two lengths.
func MemoryGrowth(results []MeasuredBench, method string, fromLength int) float64 {
	worst := math.NaN()
	prev := MeasuredBench{}
	for _, l := range lengthsOf(results) {
		r, ok := lookup(results, method, l)
		if !ok || l < fromLength {
			continue
		}
		if prev.Length > 0 {
			perDoubling := math.Pow(r.PeakDeltaMB/prev.PeakDeltaMB, 1/math.Log2(float64(l)/float64(prev.Length)))
			if math.IsNaN(worst) || perDoubling > worst {
				worst = perDoubling
			}
		}
		prev = r
	}
	return worst
}

// ScalingTable returns a table of the results: one row per length, time
// (ms) and peak memory (MB) per method, and FAVOR+'s speedup over exact.
func ScalingTable(results []MeasuredBench, methods []string) (header []string, rows [][]any) {
	header = []string{"L"}
	for _, m := range methods {
		header = append(header, m+" ms")
	}
	for _, m := range methods {
		header = append(header, m+" MB")
	}
	header = append(header, "exact / favor_softmax")
	for _, l := range lengthsOf(results) {
		row := []any{l}
		for _, m := range methods {
			if r, ok := lookup(results, m, l); ok {
				row = append(row, r.MedianMS)
			} else {
				row = append(row, "")
			}
		}
		for _, m := range methods {
			if r, ok := lookup(results, m, l); ok {
				row = append(row, math.Round(r.PeakDeltaMB))
			} else {
				row = append(row, "")
			}
		}
		if s := Speedup(results, BenchFavorSoftmax, l); !math.IsNaN(s) {
			row = append(row, fmt.Sprintf("%.1fx", s))
		} else {
			row = append(row, "")
		}
		rows = append(rows, row)
	}
	return header, rows
}

// Measured converts a recorded report's GoMLX results to [MeasuredBench]
// values (PeakDeltaMB from the child processes' measurement).
func (rep BenchReport) Measured() []MeasuredBench {
	var res []MeasuredBench
	for _, r := range rep.Results {
		if r.Error != "" {
			continue
		}
		res = append(res, MeasuredBench{BenchResult: r.BenchResult, PeakDeltaMB: r.PeakDeltaMB})
	}
	return res
}

// MeasuredGPU is [BenchReport.Measured] with the GPU memory a
// configuration took (GPUPeakMB) as its PeakDeltaMB, for reports recorded on
// a GPU; results without a GPU measurement are left out.
func (rep BenchReport) MeasuredGPU() []MeasuredBench {
	var res []MeasuredBench
	for _, r := range rep.Results {
		if r.Error != "" || r.GPUPeakMB <= 0 {
			continue
		}
		res = append(res, MeasuredBench{BenchResult: r.BenchResult, PeakDeltaMB: r.GPUPeakMB})
	}
	return res
}

// TorchMS returns the recorded PyTorch median time (ms) of method at length
// l, and its peak memory (MB); NaN if missing.
func (rep BenchReport) TorchMS(method string, l int) (ms, peakMB float64) {
	for _, t := range rep.Torch {
		if t["method"] == method && t["length"] == float64(l) {
			ms, _ := t["median_ms"].(float64)
			mb, _ := t["peak_mb"].(float64)
			if d, ok := t["peak_delta_mb"].(float64); ok {
				mb = d
			}
			if _, failed := t["error"]; failed {
				break
			}
			return ms, mb
		}
	}
	return math.NaN(), math.NaN()
}

// MemoryGrowthFit returns the growth of method's peak memory per doubling of
// L from fromLength on, fitted by least squares on log2(memory) vs log2(L)
// (2 for linear memory, 4 for quadratic); less sensitive to one noisy
// measurement than [MemoryGrowth]. NaN if fewer than two lengths.
func MemoryGrowthFit(results []MeasuredBench, method string, fromLength int) float64 {
	var xs, ys []float64
	for _, l := range lengthsOf(results) {
		if r, ok := lookup(results, method, l); ok && l >= fromLength && r.PeakDeltaMB > 0 {
			xs, ys = append(xs, math.Log2(float64(l))), append(ys, math.Log2(r.PeakDeltaMB))
		}
	}
	if len(xs) < 2 {
		return math.NaN()
	}
	var mx, my float64
	for i := range xs {
		mx, my = mx+xs[i]/float64(len(xs)), my+ys[i]/float64(len(xs))
	}
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	return math.Pow(2, num/den)
}
