// Package measure reads what benchmarks and notebooks report about the
// machine they ran on: the process's resident and peak memory (Linux
// /proc/self/status), a peak-memory window ([StartPeak]), the GPU memory in
// use (nvidia-smi), the load average, and writes results as JSON; it also
// sums a GPU profile's kernel durations (Nsight Compute's CSV: [ParseNCU],
// [SummarizeKernels]).
//
//	p := measure.StartPeak()
//	buf := make([]byte, 64<<20)
//	for i := range buf {
//		buf[i] = 1 // touch every page
//	}
//	fmt.Println(p.GrowthMB() >= 60)
//	// Output: true
//
// Memory values are bytes (or MB where the name says so); unknown values
// (no /proc, no nvidia-smi) are reported as such, never as zero usage.
package measure
