// Command benchonline measures online training speed: examples per second
// of SGD with batch size 1 (one update per example, each example seen
// once) on a 784-100-100-10 ReLU MLP over Fashion-MNIST's training images,
// with lib/cil/plastic's Online learner (many updates per call of one
// compiled graph) on the current backend (the Go backend on CPU), and with
// -torch the same loop in PyTorch (torch_online.py, a child process), and
// writes JSON (default reports/bench/online.json).
//
// Definition. Examples/s = examples / wall time of one pass over the n
// examples in order, one SGD update (lr 0.01, softmax cross-entropy) per
// example, the online accuracy (each example predicted before its update)
// counted on the way and read at the end; after a warm-up pass over the
// first 1,000 examples on both sides (graph compilation, first-touch
// pages). ratio_gomlx_over_torch above 1 means GoMLX is faster.
//
//	go run ./cmd/benchonline -torch
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/cil"
	"github.com/labnotes/labnotes/lib/cil/plastic"
	"github.com/labnotes/labnotes/lib/measure"
)

var (
	flagN       = flag.Int("n", 60000, "examples in the timed pass")
	flagHidden  = flag.Int("hidden", 100, "units per hidden layer (two hidden layers)")
	flagChunk   = flag.Int("chunk", plastic.DefaultChunk, "updates per executable call on the GoMLX side")
	flagLR      = flag.Float64("lr", 0.01, "SGD step size")
	flagDir     = flag.String("data", "", "Fashion-MNIST folder (default: lra.LoadFashionMNIST's)")
	flagSeed    = flag.Uint64("seed", 1, "seed of the weights")
	flagOut     = flag.String("o", "reports/bench/online.json", "output JSON")
	flagTorch   = flag.Bool("torch", false, "also run torch_online.py (the same loop in PyTorch)")
	flagPython  = flag.String("python", "/usr/bin/python3", "python for -torch")
	flagThreads = flag.String("threads", "2:passive,2,1", "PyTorch runs, comma-separated: N threads, N:passive adds OMP_WAIT_POLICY=PASSIVE; the first is the anchor of ratio_gomlx_over_torch")
	flagBackend = flag.String("backend", "go", "GoMLX backend config used when $GOMLX_BACKEND is not set (empty: lib/backend's choice)")
	flagOpt     = flag.String("optimizer", "sgd", "sgd or adam (lr 1e-3 unless -lr is given), on both sides")
	flagProfile = flag.String("cpuprofile", "", "write a CPU profile of the GoMLX pass to this file")
)

// Warmup is the number of examples of the untimed first pass.
const Warmup = 1000

// Definition is written into every report.
const Definition = "examples/s = examples / wall time of one in-order pass, one update (batch 1, softmax cross-entropy) per example, " +
	"online accuracy counted on the way and read at the end; after an untimed warm-up pass over 1,000 examples; " +
	"ratio_gomlx_over_torch > 1: GoMLX faster"

// Side is one measurement.
type Side struct {
	ExamplesPerSec float64 `json:"examples_per_s"`
	Seconds        float64 `json:"seconds"`
	Examples       int     `json:"examples"`
	OnlineAccuracy float64 `json:"online_accuracy"`
}

// Report is the JSON written.
type Report struct {
	Date       string           `json:"date"`
	Command    string           `json:"command"`
	Definition string           `json:"definition"`
	Backend    string           `json:"backend"`
	GoMaxProcs int              `json:"gomaxprocs"`
	Sizes      []int            `json:"sizes"`
	Optimizer  string           `json:"optimizer"`
	LR         float64          `json:"lr"`
	Chunk      int              `json:"chunk"`
	GoMLX      Side             `json:"gomlx"`
	Torch      []map[string]any `json:"torch,omitempty"`
	TorchOther []string         `json:"torch_other,omitempty"`
	// Ratio is GoMLX's examples/s over PyTorch's, keyed by PyTorch variant
	// ("2:passive", "2", "1").
	Ratio map[string]float64 `json:"ratio_gomlx_over_torch,omitempty"`
	// LoadAvg is /proc/loadavg before GoMLX, after GoMLX and after each
	// PyTorch run: other processes share the cores.
	LoadAvg []string `json:"loadavg"`
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// config is the learner measured.
func config(hidden, chunk int, lr float64, opt string, seed uint64) plastic.Config {
	return plastic.Config{Sizes: []int{784, hidden, hidden, 10}, Optimizer: plastic.Optimizer(opt), LR: lr, Batch: 1, Chunk: chunk, Seed: seed}
}

// measureGo runs the warm-up and the timed pass on the GoMLX side.
func measureGo(train *cil.Data, cfg plastic.Config, n int) (Side, error) {
	be, err := backend.New()
	if err != nil {
		return Side{}, err
	}
	o, err := plastic.NewOnline(be, cfg)
	if err != nil {
		return Side{}, err
	}
	w := min(Warmup, train.Len())
	if _, _, err := o.Learn(train.X[:w*train.Dim], train.Y[:w]); err != nil {
		return Side{}, err
	}
	n = min(n, train.Len())
	if *flagProfile != "" {
		f, err := os.Create(*flagProfile)
		if err != nil {
			return Side{}, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return Side{}, err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	correct, _, err := o.Learn(train.X[:n*train.Dim], train.Y[:n])
	if err != nil {
		return Side{}, err
	}
	sec := time.Since(start).Seconds()
	return Side{ExamplesPerSec: float64(n) / sec, Seconds: sec, Examples: n, OnlineAccuracy: float64(correct) / float64(n)}, nil
}

func run() error {
	if _, set := os.LookupEnv(backend.ConfigEnv); !set && *flagBackend != "" {
		os.Setenv(backend.ConfigEnv, *flagBackend)
	}
	if *flagOpt != "sgd" && *flagOpt != "adam" {
		return fmt.Errorf("benchonline: -optimizer %q: want sgd or adam", *flagOpt)
	}
	lr := *flagLR
	if *flagOpt == "adam" && !flagSet("lr") {
		lr = plastic.DefaultAdamLR
	}
	be, err := backend.New()
	if err != nil {
		return err
	}
	train, _, err := cil.FashionMNIST(*flagDir, 0)
	if err != nil {
		return err
	}
	cfg := config(*flagHidden, *flagChunk, lr, *flagOpt, *flagSeed)
	rep := &Report{Date: time.Now().UTC().Format(time.RFC3339), Command: strings.Join(os.Args, " "), Definition: Definition,
		Backend: be.Name(), GoMaxProcs: runtime.GOMAXPROCS(0), Sizes: cfg.Sizes, Optimizer: *flagOpt, LR: lr, Chunk: *flagChunk,
		LoadAvg: []string{measure.LoadAvg()}}
	rep.GoMLX, err = measureGo(train, cfg, *flagN)
	if err != nil {
		return err
	}
	rep.LoadAvg = append(rep.LoadAvg, measure.LoadAvg())
	fmt.Printf("GoMLX   %8.0f examples/s (%d in %.2f s, chunk %d)  online accuracy %.3f\n", rep.GoMLX.ExamplesPerSec,
		rep.GoMLX.Examples, rep.GoMLX.Seconds, *flagChunk, rep.GoMLX.OnlineAccuracy)
	if *flagTorch {
		wd, _ := os.Getwd()
		script := filepath.Join(wd, "cmd", "benchonline", "torch_online.py")
		if _, err := os.Stat(script); err != nil {
			return fmt.Errorf("benchonline: -torch needs %s (run from the repository root): %w", script, err)
		}
		if err := runTorch(rep, script, lr); err != nil {
			return err
		}
	}
	fmt.Printf("load average: %s\n", strings.Join(rep.LoadAvg, " | "))
	if err := measure.WriteJSON(*flagOut, rep); err != nil {
		return err
	}
	fmt.Printf("wrote %s\n", *flagOut)
	return nil
}

// flagSet reports whether the flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// runTorch runs the PyTorch script once per thread variant and records
// its results and the ratios.
func runTorch(rep *Report, script string, lr float64) error {
	rep.Ratio = map[string]float64{}
	for _, variant := range strings.Split(*flagThreads, ",") {
		variant = strings.TrimSpace(variant)
		th, passive := strings.CutSuffix(variant, ":passive")
		args := []string{script, "--n", fmt.Sprint(rep.GoMLX.Examples), "--hidden", fmt.Sprint(*flagHidden), "--lr", fmt.Sprint(lr),
			"--threads", th, "--warmup", fmt.Sprint(Warmup), "--seed", fmt.Sprint(*flagSeed), "--optimizer", rep.Optimizer}
		if passive {
			args = append(args, "--omp-passive")
		}
		if *flagDir != "" {
			args = append(args, "--data", *flagDir)
		}
		results, other, err := measure.RunResults(*flagPython, args...)
		rep.TorchOther = append(rep.TorchOther, other...)
		if err != nil {
			return fmt.Errorf("benchonline: %s %s: %w", *flagPython, strings.Join(args, " "), err)
		}
		for _, r := range results {
			r["variant"] = variant
			rep.Torch = append(rep.Torch, r)
			if eps, _ := r["examples_per_s"].(float64); eps > 0 {
				rep.Ratio[variant] = rep.GoMLX.ExamplesPerSec / eps
			}
			fmt.Printf("PyTorch %8.0f examples/s (threads %s)  online accuracy %.3f  GoMLX/PyTorch %.2f\n", r["examples_per_s"], variant,
				r["online_accuracy"], rep.Ratio[variant])
		}
		rep.LoadAvg = append(rep.LoadAvg, measure.LoadAvg())
	}
	return nil
}
