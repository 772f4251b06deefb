// Command kernels summarizes where a profiled GPU run's time went: it reads
// the CSV that Nsight Compute writes with
//
//	ncu --clock-control none --metrics gpu__time_duration.sum --csv --log-file kernels.csv PROGRAM ...
//
// (scripts/gpu-profile.sh runs it on cmd/benchrecursive's training step),
// and prints the GPU time by category (matmul, attention, reduction,
// transpose/copy, gather/scatter, elementwise fusion, other) and the top
// kernels, per training step when -steps says how many the profile covers;
// -o writes the summary as JSON.
//
//	kernels -steps 3 -o testdata/profile.json kernels.csv
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/labnotes/labnotes/lib/measure"
)

var (
	flagSteps = flag.Int("steps", 0, "training steps the profile covers (0: unknown; per-step times are then left out)")
	flagTop   = flag.Int("top", 25, "kernels listed")
	flagOut   = flag.String("o", "", "write the summary as JSON to this file")
)

func main() {
	flag.Parse()
	if flag.NArg() != 1 || *flagSteps < 0 || *flagTop < 0 {
		fmt.Fprintln(os.Stderr, "usage: kernels [-steps N] [-top N] [-o summary.json] NCU.csv")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernels:", err)
		os.Exit(2)
	}
	launches, err := measure.ParseNCU(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kernels: %s: %v\n", flag.Arg(0), err)
		os.Exit(2)
	}
	s := measure.SummarizeKernels(launches, *flagSteps, *flagTop)
	fmt.Printf("%d kernel launches, %.2f ms of GPU time", s.Launches, s.TotalMS)
	if s.Steps > 0 {
		fmt.Printf(" (%d steps: %.2f ms and %d launches a step)", s.Steps, s.PerStepMS, s.Launches/s.Steps)
	}
	fmt.Println()
	fmt.Printf("\n%-22s %9s %10s %7s\n", "category", "launches", "ms", "share")
	for _, c := range s.Categories {
		fmt.Printf("%-22s %9d %10.3f %6.1f%%\n", c.Name, c.Launches, c.MS, 100*c.Share)
	}
	fmt.Printf("\n%-60s %-20s %9s %10s %7s\n", "kernel", "category", "launches", "ms", "share")
	for _, k := range s.Top {
		name := k.Name
		if len(name) > 60 {
			name = name[:57] + "..."
		}
		fmt.Printf("%-60s %-20s %9d %10.3f %6.1f%%\n", name, k.Category, k.Launches, k.MS, 100*k.Share)
	}
	if *flagOut != "" {
		b, _ := json.MarshalIndent(s, "", "  ")
		if err := os.WriteFile(*flagOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "kernels:", err)
			os.Exit(1)
		}
	}
}
