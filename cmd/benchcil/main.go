// Command benchcil measures the training seconds per epoch of class-
// incremental learners of lib/cil/deep (Finetune, Replay and DER by
// default) on Split Fashion-MNIST (B0-Inc2: 5 tasks of 2 classes, classes in
// label order), MLP backbone 784-256-256, Adam lr 1e-3, batch 128, on the
// current backend (lib/backend's choice; the Go backend on CPU), and with
// -torch the same loop written the same way in PyTorch (torch_cil.py, run
// as a child process), and writes JSON (default reports/bench/cil.json).
//
// Definition. One epoch is one pass over a task's training set (Finetune:
// the task's 12,000 examples; Replay and DER: those plus the exemplars, up
// to 2,000) in shuffled minibatches of 128 (the last one padded on the Go
// side, smaller in PyTorch): batches gathered, forward, loss, backward,
// Adam update, loss read back each step. Seconds per epoch is the mean over
// every epoch of the 5 tasks (the first epoch of each task includes
// building its graph on the Go side); exemplar selection, weight aligning
// and evaluation are not timed. ratio_torch_over_gomlx above 1 means GoMLX
// is faster.
//
//	go run ./cmd/benchcil -epochs 2 -torch
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/cil"
	"github.com/labnotes/labnotes/lib/cil/deep"
	"github.com/labnotes/labnotes/lib/measure"
	"github.com/pkg/errors"
)

var (
	flagEpochs    = flag.Int("epochs", 2, "epochs per task")
	flagMethods   = flag.String("methods", "Finetune,Replay,DER", "comma-separated deep.Method names")
	flagTrain     = flag.Int("train", 0, "training images used (0: all 60,000)")
	flagTest      = flag.Int("test", 0, "test images used (0: all 10,000)")
	flagDir       = flag.String("data", "", "Fashion-MNIST folder (default: cil.FashionMNIST's)")
	flagSeed      = flag.Uint64("seed", 1, "seed of weights, shuffling and exemplars")
	flagOut       = flag.String("o", "reports/bench/cil.json", "output JSON")
	flagTorch     = flag.Bool("torch", false, "also run torch_cil.py (the same loop in PyTorch)")
	flagPython    = flag.String("python", "/usr/bin/python3", "python for -torch")
	flagThreads   = flag.String("threads", "2", "PyTorch runs, comma-separated: N threads (torch.set_num_threads), N:passive adds OMP_WAIT_POLICY=PASSIVE; the first is the anchor of ratio_torch_over_gomlx")
	flagBackend   = flag.String("backend", "go:ops_sequential", "GoMLX backend config used when $GOMLX_BACKEND is not set (empty: lib/backend's choice); on 2 cores ops_sequential lets a matmul use both")
	flagTorchArgs = flag.String("torch-args", "", "extra arguments for torch_cil.py")
	flagOptimizer = flag.String("optimizer", "adam", "adam (lr 1e-3) or sgd (momentum 0.9, lr 0.01), on both sides")
	flagProfile   = flag.String("cpuprofile", "", "write a CPU profile of the GoMLX part to this file")
	flagPrecision = flag.String("precision", "", "GoMLX side: f32 (float32) or bf16 (bfloat16, mixed); empty: the backend's default (backend.DefaultDType)")
	flagDevices   = flag.Int("devices", 0, "GoMLX side: devices each batch is split over (deep.Options.Devices; 0: every device of the backend)")
)

// Definition is written into every report.
const Definition = "seconds per epoch = mean wall time of one pass over a task's training set (new data, plus exemplars " +
	"for Replay and DER) in shuffled minibatches of 128: batch gathering, forward, loss, backward, Adam update, loss read " +
	"each step; mean over all epochs of the 5 tasks of Split Fashion-MNIST B0-Inc2 (MLP 784-256-256); exemplar " +
	"selection, weight aligning and evaluation not timed; ratio_torch_over_gomlx > 1: GoMLX faster"

// Run is one learner's measurement.
type Run struct {
	Method       string    `json:"method"`
	Epochs       int       `json:"epochs"`
	EpochSeconds []float64 `json:"epoch_seconds"`
	EpochTasks   []int     `json:"epoch_tasks"`
	Examples     []int     `json:"epoch_examples"`
	MeanSeconds  float64   `json:"mean_s_per_epoch"`
	MedianSec    float64   `json:"median_s_per_epoch"`
	TotalSeconds float64   `json:"train_s"`
	LastAccuracy float64   `json:"last_accuracy"`
	AvgAccuracy  float64   `json:"avg_incremental_accuracy"`
	Parameters   int64     `json:"parameters"`
	MemoryBytes  int64     `json:"memory_bytes"`
	Devices      int       `json:"devices"` // devices each batch was split over
}

// Report is the JSON written.
type Report struct {
	Date        string             `json:"date"`
	Command     string             `json:"command"`
	Definition  string             `json:"definition"`
	Backend     string             `json:"backend"`
	GoMaxProcs  int                `json:"gomaxprocs"`
	Hidden      int                `json:"hidden"`
	Batch       int                `json:"batch"`
	Optimizer   string             `json:"optimizer"`
	Precision   string             `json:"precision"`
	LR          float64            `json:"lr"`
	Memory      int                `json:"memory"`
	TrainImages int                `json:"train_images"`
	TestImages  int                `json:"test_images"`
	GoMLX       []Run              `json:"gomlx"`
	Torch       []map[string]any   `json:"torch,omitempty"`
	TorchOther  []string           `json:"torch_other,omitempty"`
	Ratio       map[string]float64 `json:"ratio_torch_over_gomlx,omitempty"`
	// RatioThreads is the ratio for every PyTorch run, keyed "<method>@<threads>[:passive]".
	RatioThreads map[string]float64 `json:"ratio_torch_over_gomlx_by_threads,omitempty"`
	// LoadAvg is /proc/loadavg before GoMLX, after GoMLX and after each PyTorch run:
	// other processes share the cores.
	LoadAvg []string `json:"loadavg"`
}

// options are the learners' settings, shared with torch_cil.py's defaults
// (opt "sgd": SGD with momentum 0.9 at lr 0.01 instead of Adam at 1e-3).
func options(epochs int, seed uint64, opt string) deep.Options {
	o := deep.Options{Backbone: deep.MLP, Hidden: 256, Epochs: epochs, Batch: 128, Optimizer: deep.Adam, LR: 1e-3, Memory: 2000, Seed: seed}
	if opt == "sgd" {
		o.Optimizer, o.LR = deep.SGD, 0.01
	}
	return o
}

// measureMethod runs method m on every task of s and returns its epochs.
func measureMethod(m deep.Method, s *cil.Scenario, o deep.Options) (Run, error) {
	be, err := backend.New()
	if err != nil {
		return Run{}, err
	}
	l, err := deep.New(be, m, o)
	if err != nil {
		return Run{}, err
	}
	res, err := cil.Run(l, s, nil)
	if err != nil {
		return Run{}, err
	}
	r := Run{Method: string(m), Epochs: o.Epochs, LastAccuracy: res.Last(), AvgAccuracy: res.AverageIncremental(),
		Parameters: l.Parameters(), MemoryBytes: l.Memory().Total(), Devices: l.Devices()}
	for _, e := range l.Epochs {
		r.EpochSeconds = append(r.EpochSeconds, e.Seconds)
		r.EpochTasks = append(r.EpochTasks, e.Task)
		r.Examples = append(r.Examples, e.Examples)
		r.TotalSeconds += e.Seconds
	}
	r.MeanSeconds = r.TotalSeconds / float64(max(len(r.EpochSeconds), 1))
	r.MedianSec = median(r.EpochSeconds)
	return r, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// scenario loads Fashion-MNIST (cil.FashionMNIST: pixels / 255, Shape
// [28, 28, 1], one byte per pixel of exemplar memory; the first nTrain and
// nTest images, all if 0) and cuts it into B0-Inc2.
func scenario(dir string, nTrain, nTest int) (*cil.Scenario, *cil.Data, *cil.Data, error) {
	train, test, err := cil.FashionMNIST(dir, 1)
	if err != nil {
		return nil, nil, nil, err
	}
	train, test = train.First(nTrain), test.First(nTest)
	s, err := cil.NewScenario(train, test, 2, 2, nil)
	return s, train, test, err
}

// runTorch runs torch_cil.py once per thread count and adds its results
// and ratios to rep.
func runTorch(rep *Report, script string, methods []string, o deep.Options) error {
	rep.Ratio, rep.RatioThreads = map[string]float64{}, map[string]float64{}
	for i, variant := range strings.Split(*flagThreads, ",") {
		variant = strings.TrimSpace(variant)
		th, passive := strings.CutSuffix(variant, ":passive")
		args := []string{script, "--epochs", fmt.Sprint(o.Epochs), "--methods", strings.Join(methods, ","),
			"--threads", th, "--train", fmt.Sprint(rep.TrainImages), "--test", fmt.Sprint(rep.TestImages),
			"--seed", fmt.Sprint(o.Seed), "--optimizer", string(o.Optimizer), "--lr", fmt.Sprint(o.LR)}
		if passive {
			args = append(args, "--omp-passive")
		}
		if *flagDir != "" {
			args = append(args, "--data", *flagDir)
		}
		args = append(args, strings.Fields(*flagTorchArgs)...)
		results, other, err := measure.RunResults(*flagPython, args...)
		rep.Torch, rep.TorchOther = append(rep.Torch, results...), append(rep.TorchOther, other...)
		if err != nil {
			return errors.WithMessagef(err, "benchcil: %s %s", *flagPython, strings.Join(args, " "))
		}
		for _, t := range results {
			t["variant"] = variant
			name, _ := t["method"].(string)
			sec, _ := t["mean_s_per_epoch"].(float64)
			for _, g := range rep.GoMLX {
				if g.Method == name && g.MeanSeconds > 0 && sec > 0 {
					rep.RatioThreads[name+"@"+variant] = sec / g.MeanSeconds
					if i == 0 {
						rep.Ratio[name] = sec / g.MeanSeconds
					}
				}
			}
		}
		rep.LoadAvg = append(rep.LoadAvg, measure.LoadAvg())
	}
	return nil
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	if _, set := os.LookupEnv(backend.ConfigEnv); !set && *flagBackend != "" {
		os.Setenv(backend.ConfigEnv, *flagBackend)
	}
	be, err := backend.New()
	if err != nil {
		return err
	}
	s, train, test, err := scenario(*flagDir, *flagTrain, *flagTest)
	if err != nil {
		return err
	}
	if *flagOptimizer != "adam" && *flagOptimizer != "sgd" {
		return errors.Errorf("benchcil: -optimizer %q: want adam or sgd", *flagOptimizer)
	}
	o := options(*flagEpochs, *flagSeed, *flagOptimizer)
	p, err := backend.ParsePrecision(*flagPrecision)
	if err != nil {
		return errors.Wrap(err, "benchcil: -precision")
	}
	o.Precision = p.Resolve(be)
	o.Devices = *flagDevices
	rep := &Report{Date: time.Now().UTC().Format(time.RFC3339), Command: strings.Join(os.Args, " "), Definition: Definition,
		Backend: be.Name(), GoMaxProcs: runtime.GOMAXPROCS(0), Hidden: o.Hidden, Batch: o.Batch, Optimizer: string(o.Optimizer),
		Precision: string(o.Precision), LR: o.LR, Memory: o.Memory,
		TrainImages: train.Len(), TestImages: test.Len(), LoadAvg: []string{measure.LoadAvg()}}
	methods := strings.Split(*flagMethods, ",")
	if *flagProfile != "" {
		f, err := os.Create(*flagProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	for _, name := range methods {
		r, err := measureMethod(deep.Method(name), s, o)
		if err != nil {
			return errors.WithMessagef(err, "benchcil: %s", name)
		}
		fmt.Printf("GoMLX   %-8s %.3f s/epoch (median %.3f, %d epochs, %.1f s)  last acc %.3f  avg acc %.3f\n", r.Method,
			r.MeanSeconds, r.MedianSec, len(r.EpochSeconds), r.TotalSeconds, r.LastAccuracy, r.AvgAccuracy)
		rep.GoMLX = append(rep.GoMLX, r)
	}
	if *flagProfile != "" {
		pprof.StopCPUProfile()
	}
	rep.LoadAvg = append(rep.LoadAvg, measure.LoadAvg())
	if *flagTorch {
		exe, _ := os.Getwd()
		script := filepath.Join(exe, "cmd", "benchcil", "torch_cil.py")
		if _, err := os.Stat(script); err != nil {
			return errors.WithMessagef(err, "benchcil: -torch needs %s (run from the repository root)", script)
		}
		if err := runTorch(rep, script, methods, o); err != nil {
			return err
		}
		for _, t := range rep.Torch {
			name, th := fmt.Sprint(t["method"]), fmt.Sprint(t["variant"])
			fmt.Printf("PyTorch %-8s threads %-9s %.3f s/epoch (median %.3f)  last acc %.3f  torch/GoMLX %.2f\n", name, th,
				t["mean_s_per_epoch"], t["median_s_per_epoch"], t["last_accuracy"], rep.RatioThreads[name+"@"+th])
		}
	}
	fmt.Printf("load average: %s\n", strings.Join(rep.LoadAvg, " | "))
	if err := measure.WriteJSON(*flagOut, rep); err != nil {
		return err
	}
	fmt.Printf("wrote %s\n", *flagOut)
	return nil
}
