// Command benchrecursive measures the training throughput of TRM-MLP on 9x9
// Sudoku (-task maze: on generated mazes; -mixer attention: TRM with
// attention) at the papers' size (hidden 512, 2 layers, T = 3, n = 6, 16
// puzzle-prefix positions, expansion 4; lib/recursive.PaperConfig) on the
// current backend (lib/backend's choice), and writes JSON (default
// reports/bench/recursive_<backend>.json). With -torch it also runs
// cmd/benchrecursive/torch_trm.py, the same model, loss and update written
// in PyTorch as the reference implementation writes them, on the same
// shapes and batch, and reports GoMLX's throughput over PyTorch's.
//
// Definition. One training puzzle-step is one supervision step of one
// puzzle: the forward of one deep_recursion (T-1 = 2 recursions without
// gradient, one with: 3·(n+1) = 21 applications of the 2-layer network),
// the output and halting heads, the stablemax cross-entropy plus halting
// losses, their backward, the AdamATan2 (network) and SignSGD (puzzle
// embedding) update and the EMA update of the weights. One training step
// (recursive.Trainer.TrainStep) does that for the B puzzles of the batch,
// and its wall time includes the host work (slot bookkeeping, input copies,
// reading back the losses and halting logits). Training puzzles/second is
// B / median step time, over the timed steps; the first step (graph
// compilation) and -warmup further steps are not timed. A puzzle is trained
// for up to N_sup = 16 such steps, so whole puzzles/second at N_sup steps
// each is 1/16 of it.
//
// The GoMLX benchmark runs in a child process (this program with -child),
// so that its memory, XLA's device memory included, is freed before
// PyTorch runs.
//
//	go run ./cmd/benchrecursive -batch 32 -steps 5 -torch
package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/measure"
	"github.com/labnotes/labnotes/lib/recursive"
	"github.com/labnotes/labnotes/lib/recursive/blocks"
	"github.com/labnotes/labnotes/lib/recursive/maze"
	"github.com/labnotes/labnotes/lib/recursive/puzzle"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

var (
	flagBatch     = flag.Int("batch", 0, "batch size B per device (0: 768, the papers' per-GPU batch, on XLA; 32 on the Go backend)")
	flagDevices   = flag.String("devices", "1", "devices to train on (data parallel, lib/parallel; 0: every device of the backend); a comma list (1,2,4,8) measures each count in its own process at the same per-device batch and reports the scaling efficiency")
	flagSteps     = flag.Int("steps", 10, "timed training steps")
	flagWarmup    = flag.Int("warmup", 2, "untimed training steps after the first one (which compiles)")
	flagHidden    = flag.Int("hidden", 512, "hidden size D")
	flagLayers    = flag.Int("layers", 2, "blocks per network")
	flagT         = flag.Int("T", 3, "TRM's T (recursions per supervision step, the first T-1 without gradient)")
	flagN         = flag.Int("n", 6, "TRM's n (latent updates per recursion)")
	flagPrefix    = flag.Int("prefix", 16, "puzzle-embedding prefix positions")
	flagExpansion = flag.Float64("expansion", 4, "SwiGLU expansion")
	flagTask      = flag.String("task", TaskSudoku, "puzzles: sudoku (-shape) or maze (-side, generated mazes)")
	flagMixer     = flag.String("mixer", string(recursive.MixMLP), "token mixer of the blocks: mlp or attention")
	flagShape     = flag.Int("shape", 9, "Sudoku size: 4, 6 or 9")
	flagSide      = flag.Int("side", 30, "maze side N (sequence N*N), with -task maze")
	flagPuzzles   = flag.Int("puzzles", 0, "generated training puzzles (0: the batch size)")
	flagSeed      = flag.Uint64("seed", 1, "seed of the puzzles and the weights")
	flagOut       = flag.String("o", "", "output JSON (default reports/bench/recursive_<backend>.json)")
	flagPrecision = flag.String("precision", "", "compute precision: f32 or bf16 (mixed precision: float32 weights); empty: the backend's (bf16 on a GPU, f32 elsewhere)")
	flagChild     = flag.Bool("child", false, "internal: run the GoMLX benchmark and print its result as JSON")
	flagTorch     = flag.Bool("torch", false, "also run torch_trm.py on the same shapes and batch")
	flagPython    = flag.String("python", "/usr/bin/python3", "python for -torch")
	flagTorchArgs = flag.String("torch-args", "", "extra arguments for torch_trm.py (e.g. '--device cuda')")
	flagXLACache  = flag.String("xla-cache", XLACacheOff, "XLA's on-disk GPU autotuning cache (lib/backend): off (every compilation cold, as a first run), twice (a fresh cache: the benchmark runs cold, then again with the cache it filled, and reports both first steps) or a folder to use as it is")
)

// Values of -xla-cache besides a folder.
const (
	// XLACacheOff runs without the on-disk autotuning cache.
	XLACacheOff = "off"
	// XLACacheTwice runs cold with a fresh cache, then again warm.
	XLACacheTwice = "twice"
)

// Definition is written into every report.
const Definition = "training puzzles/s = batch / median training-step time; one training step = one supervision step " +
	"of each of the batch's puzzles: forward of one deep_recursion (T-1 recursions without gradient, 1 with; each " +
	"n latent updates + 1 answer update), output and q_halt heads, stablemax cross-entropy + 0.5 halting BCE, " +
	"backward, AdamATan2 (network) and SignSGD (puzzle embedding) update, EMA update, with the host work of the step; " +
	"the first step (compilation) and the warm-up steps are excluded"

// Tasks (-task).
const (
	// TaskSudoku is generated Sudoku puzzles of -shape.
	TaskSudoku = "sudoku"
	// TaskMaze is generated -side x -side mazes (maze.GenerateN): the
	// sequence of notebook 08's Maze-Hard (900 tokens at side 30).
	TaskMaze = "maze"
)

// Options are the benchmark's settings (the flags).
type Options struct {
	Task                         string // TaskSudoku (default) or TaskMaze
	Mixer                        recursive.Mixer
	Side                         int // maze side, with TaskMaze
	Batch, Steps, Warmup         int
	Hidden, Layers, T, N, Prefix int
	Expansion                    float64
	Shape, Puzzles               int
	Seed                         uint64
	Precision                    backend.Precision
	// Devices is the device count (0: every device of the backend); the
	// global batch is Batch·Devices.
	Devices int
}

// ScalingPoint is the throughput on Devices devices at the same
// per-device batch, and its scaling efficiency: (puzzles/s per device) over
// that of the list's first count.
type ScalingPoint struct {
	Devices          int     `json:"devices"`
	Batch            int     `json:"batch"`
	PuzzlesPerSecond float64 `json:"puzzles_per_s"`
	MedianStepMS     float64 `json:"median_step_ms"`
	FirstStepMS      float64 `json:"first_step_ms"`
	Efficiency       float64 `json:"efficiency"`
	Result           Result  `json:"result"`
}

// parseDevices parses -devices: one count or a comma list of distinct
// counts, each >= 0 (0: every device), at most one 0.
func parseDevices(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || slices.Contains(out, n) {
			return nil, fmt.Errorf("benchrecursive: -devices %q: want distinct counts >= 0 separated by commas (0: every device)", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// scaling returns the scaling points of results (one per device count, in
// order): efficiency relative to the first.
func scaling(results []Result) []ScalingPoint {
	var out []ScalingPoint
	for _, r := range results {
		p := ScalingPoint{Devices: r.Devices, Batch: r.Batch, PuzzlesPerSecond: r.PuzzlesPerSecond,
			MedianStepMS: r.MedianStepMS, FirstStepMS: r.FirstStepMS, Result: r}
		if base := results[0]; base.PuzzlesPerSecond > 0 && r.Devices > 0 {
			p.Efficiency = (r.PuzzlesPerSecond / float64(r.Devices)) / (base.PuzzlesPerSecond / float64(base.Devices))
		}
		out = append(out, p)
	}
	return out
}

// Result is the GoMLX measurement.
type Result struct {
	Model       string  `json:"model"`
	BackendName string  `json:"backend_name,omitempty"`
	Task        string  `json:"task"`
	Mixer       string  `json:"mixer"`
	Shape       string  `json:"shape"`
	SeqLen      int     `json:"seq_len"`
	Vocab       int     `json:"vocab"`
	Hidden      int     `json:"hidden"`
	Layers      int     `json:"layers"`
	T           int     `json:"T"`
	N           int     `json:"n"`
	NSup        int     `json:"N_sup"`
	Prefix      int     `json:"prefix"`
	Expansion   float64 `json:"expansion"`
	MixerInter  int     `json:"mixer_inter"`
	MLPInter    int     `json:"mlp_inter"`
	EMA         float64 `json:"ema"`
	Precision   string  `json:"precision"`
	Batch       int     `json:"batch"`
	Devices     int     `json:"devices"`
	// BatchPerDevice is Batch / Devices.
	BatchPerDevice int       `json:"batch_per_device"`
	Parameters     int       `json:"parameters"`
	WarmupSteps    int       `json:"warmup_steps"`
	TimedSteps     int       `json:"timed_steps"`
	SetupMS        float64   `json:"setup_ms"`
	FirstStepMS    float64   `json:"first_step_ms"`
	CompileMS      float64   `json:"compile_ms"`
	MedianStepMS   float64   `json:"median_step_ms"`
	MinStepMS      float64   `json:"min_step_ms"`
	MeanStepMS     float64   `json:"mean_step_ms"`
	StepsMS        []float64 `json:"steps_ms"`
	// PuzzlesPerSecond is Batch / MedianStepMS (see Definition).
	PuzzlesPerSecond float64 `json:"puzzles_per_s"`
	// WholePuzzlesPerSecond is PuzzlesPerSecond / N_sup: puzzles trained
	// for all N_sup supervision steps per second.
	WholePuzzlesPerSecond float64 `json:"whole_puzzles_per_s_at_N_sup"`
	LossFirst             float64 `json:"loss_first"`
	LossLast              float64 `json:"loss_last"`
	PeakRSSMB             float64 `json:"peak_rss_mb"`
	// GPUContextMB and GPUPeakMB are nvidia-smi's memory.used growth:
	// creating the backend, and the benchmark (XLA's BFC allocator
	// high-water mark, rounded up to its regions: up to 2x the live peak).
	GPUContextMB float64 `json:"gpu_context_mb,omitempty"`
	GPUPeakMB    float64 `json:"gpu_peak_mb,omitempty"`
	// XLAMemory is XLA's own compiled memory statistics (the live peak of
	// the largest executable); absent on the Go backend.
	XLAMemory *XLAMemory `json:"xla_memory,omitempty"`
}

// Report is the JSON written.
type Report struct {
	Date        string `json:"date"`
	Command     string `json:"command"`
	Backend     string `json:"backend"`
	BackendName string `json:"backend_name"`
	GoMaxProcs  int    `json:"gomaxprocs"`
	Host        string `json:"host"`
	Definition  string `json:"definition"`
	GoMLX       Result `json:"gomlx"`
	// Scaling holds one point per device count of a -devices list.
	Scaling []ScalingPoint   `json:"scaling,omitempty"`
	Torch   []map[string]any `json:"torch,omitempty"`
	// Ratio is GoMLX's puzzles/s over each PyTorch variant's ("f32",
	// "bf16", ...): above 1 GoMLX is faster.
	Ratio      map[string]float64 `json:"ratio_gomlx_over_torch,omitempty"`
	TorchError string             `json:"torch_error,omitempty"`
	// LoadAvg is /proc/loadavg at the start and at the end: other processes
	// on the machine distort timings.
	LoadAvg []string `json:"loadavg,omitempty"`
	// XLACache is -xla-cache's folder (LABNOTES_XLA_CACHE), or "off";
	// XLACacheFiles the files it held when the benchmark started (0: the
	// GoMLX result's compilation was cold).
	XLACache      string `json:"xla_cache"`
	XLACacheFiles int    `json:"xla_cache_files_before"`
	// Warm is, with -xla-cache twice, the same benchmark run again with
	// the autotuning cache the first run filled: its first step is a
	// compilation that reuses the autotuner's results.
	Warm *Result `json:"warm_cache,omitempty"`
}

// setXLACache sets LABNOTES_XLA_CACHE (inherited by the benchmark's child
// processes) for -xla-cache v, and returns the folder ("off" for none),
// the files it holds, and a cleanup.
func setXLACache(v string) (dir string, files int, cleanup func(), err error) {
	cleanup = func() {}
	switch v {
	case XLACacheOff:
		return v, 0, cleanup, os.Setenv(backend.CacheEnv, XLACacheOff)
	case XLACacheTwice:
		if dir, err = os.MkdirTemp("", "benchrecursive-xla-cache-*"); err != nil {
			return "", 0, cleanup, err
		}
		cleanup = func() { os.RemoveAll(dir) }
	default:
		if dir, err = filepath.Abs(v); err != nil {
			return "", 0, cleanup, err
		}
	}
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files++
		}
		return nil
	})
	return dir, files, cleanup, os.Setenv(backend.CacheEnv, dir)
}

// check returns an error naming the first unknown or out-of-range
// setting of o.
func (o Options) check() error {
	switch {
	case o.Task != "" && o.Task != TaskSudoku && o.Task != TaskMaze:
		return fmt.Errorf("benchrecursive: -task %q: want %s or %s", o.Task, TaskSudoku, TaskMaze)
	case o.Mixer != "" && o.Mixer != recursive.MixMLP && o.Mixer != recursive.MixAttention:
		return fmt.Errorf("benchrecursive: -mixer %q: want %s or %s", o.Mixer, recursive.MixMLP, recursive.MixAttention)
	case o.Task == TaskMaze && (o.Side < 4 || o.Side > maze.MaxN):
		return fmt.Errorf("benchrecursive: -side %d: want 4..%d", o.Side, maze.MaxN)
	case o.Steps < 1 || o.Warmup < 0 || o.Batch < 1 || o.Devices < 0:
		return fmt.Errorf("benchrecursive: need steps >= 1, warmup >= 0, batch >= 1, devices >= 0 (got %d, %d, %d, %d)", o.Steps, o.Warmup, o.Batch, o.Devices)
	}
	return nil
}

// Config is the recursive.Config benchmarked: PaperConfig(TRM) for o's
// task (9x9 Sudoku by default; -side x -side mazes with TaskMaze) with o's
// mixer (default MLP) and sizes, on devices devices (o.Devices resolved
// against the backend) with o.Batch examples each.
func (o Options) Config(devices int) recursive.Config {
	var cfg recursive.Config
	if o.Task == TaskMaze {
		cfg = recursive.PaperConfig(recursive.TRM, o.Side*o.Side, len(maze.Chars)+1)
	} else {
		shape := shapeOf(o.Shape)
		cfg = recursive.PaperConfig(recursive.TRM, shape.Cells(), sudoku.Vocab(shape))
	}
	cfg.Mixer = o.Mixer
	if cfg.Mixer == "" {
		cfg.Mixer = recursive.MixMLP
	}
	cfg.Hidden, cfg.Layers, cfg.T, cfg.SmallN, cfg.PuzzlePrefix, cfg.Expansion = o.Hidden, o.Layers, o.T, o.N, o.Prefix, o.Expansion
	cfg.Batch, cfg.Devices, cfg.Seed, cfg.Precision = o.Batch*devices, devices, o.Seed, o.Precision
	if cfg.Mixer == recursive.MixMLP && (cfg.Hidden%cfg.Heads != 0 || (cfg.Hidden/cfg.Heads)%2 != 0) {
		cfg.Heads = 1 // unused by the MLP mixer, but validated
	}
	return cfg.WithDefaults()
}

func shapeOf(n int) sudoku.Shape {
	switch n {
	case 4:
		return sudoku.Shape4
	case 6:
		return sudoku.Shape6
	}
	return sudoku.Shape9
}

// puzzles returns n random 9x9 (or o.Shape) puzzles: random solution grids
// with about half of the cells blanked. Their content does not change the
// cost of a step.
func puzzles(shape sudoku.Shape, n int, seed uint64) *sudoku.Dataset {
	rng := rand.New(rand.NewPCG(seed, 0xbe7c4))
	d := &sudoku.Dataset{Shape: shape}
	for range n {
		sol := sudoku.RandomSolution(shape, rng)
		p := sol
		for c := range shape.Cells() {
			if rng.IntN(2) == 0 {
				p.Cells[c] = 0
			}
		}
		d.Puzzles = append(d.Puzzles, p)
		d.Solutions = append(d.Solutions, sol)
	}
	return d
}

// data returns n generated training examples of o's task and their
// shape's name ("9x9", "30x30").
func (o Options) data(n int) (puzzle.Source, string, error) {
	if o.Task != TaskMaze {
		shape := shapeOf(o.Shape)
		return puzzles(shape, n, o.Seed), shape.String(), nil
	}
	gen, err := maze.GenerateN(maze.Options{N: o.Side}, o.Seed, n, 0)
	if err != nil {
		return nil, "", fmt.Errorf("benchrecursive: generating mazes: %w", err)
	}
	d := &maze.Dataset{}
	for _, g := range gen {
		d.Pairs = append(d.Pairs, maze.Pair{Puzzle: g.Puzzle, Solution: g.Solution})
	}
	return d, fmt.Sprintf("%dx%d", o.Side, o.Side), nil
}

// Bench builds the trainer of o.Config (o.Devices resolved on b) on b and times its training steps.
func Bench(b compute.Backend, o Options) (r Result, err error) {
	if err := o.check(); err != nil {
		return Result{}, err
	}
	defer func() {
		if p := recover(); p != nil { // recursive's panics on an invalid Config
			err = fmt.Errorf("benchrecursive: %v", p)
		}
	}()
	devices := o.Devices
	if devices == 0 {
		devices = b.NumDevices()
	}
	cfg := o.Config(devices)
	n := o.Puzzles
	if n <= 0 {
		n = cfg.Batch
	}
	start := time.Now()
	data, shape, err := o.data(n)
	if err != nil {
		return Result{}, err
	}
	tr, err := recursive.NewTrainer(b, cfg, data)
	if err != nil {
		return Result{}, err
	}
	defer tr.Close()
	mixerInter := 0
	if cfg.Mixer == recursive.MixMLP {
		mixerInter = blocks.SwiGLUInter(cfg.Positions(), cfg.Expansion)
	}
	r = Result{Model: tr.String(), Task: cmp.Or(o.Task, TaskSudoku), Mixer: string(cfg.Mixer), Shape: shape, SeqLen: cfg.SeqLen, Vocab: cfg.Vocab,
		Hidden: cfg.Hidden, Layers: cfg.Layers, T: cfg.T, N: cfg.SmallN, NSup: cfg.NSup, Prefix: cfg.Prefix(),
		Expansion: cfg.Expansion, MixerInter: mixerInter,
		MLPInter: blocks.SwiGLUInter(cfg.Hidden, cfg.Expansion), EMA: cfg.EMA, Precision: string(tr.Precision()), Batch: cfg.Batch,
		Devices: tr.Devices(), BatchPerDevice: cfg.Batch / tr.Devices(), WarmupSteps: o.Warmup, TimedSteps: o.Steps}
	r.SetupMS = ms(time.Since(start))
	var times []float64
	for i := range 1 + o.Warmup + o.Steps {
		info, err := tr.TrainStep()
		if err != nil {
			return r, err
		}
		if math.IsNaN(info.Loss) || math.IsInf(info.Loss, 0) {
			return r, fmt.Errorf("benchrecursive: loss %v at step %d", info.Loss, info.Step)
		}
		switch {
		case i == 0:
			r.FirstStepMS, r.LossFirst = ms(info.Duration), info.Loss
		case i > o.Warmup:
			times = append(times, ms(info.Duration))
		}
		r.LossLast = info.Loss
	}
	r.Parameters = tr.NumParameters()
	r.StepsMS = times
	sorted := slices.Sorted(slices.Values(times))
	r.MedianStepMS = median(sorted)
	r.MinStepMS = sorted[0]
	for _, t := range times {
		r.MeanStepMS += t / float64(len(times))
	}
	r.CompileMS = max(r.FirstStepMS-r.MedianStepMS, 0)
	r.PuzzlesPerSecond = float64(cfg.Batch) / (r.MedianStepMS / 1000)
	r.WholePuzzlesPerSecond = r.PuzzlesPerSecond / float64(cfg.NSup)
	r.PeakRSSMB = float64(measure.PeakRSS()) / (1 << 20)
	return r, nil
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// shortName is the backend's short name for file names: "go", "xla", ...
func shortName(b compute.Backend) string {
	return strings.ToLower(strings.Fields(b.Name() + " x")[0])
}

// torchArgs are torch_trm.py's arguments for the shapes of r.
func torchArgs(r Result, o Options) []string {
	return []string{"--batch", strconv.Itoa(r.BatchPerDevice), "--seq-len", strconv.Itoa(r.SeqLen), "--vocab", strconv.Itoa(r.Vocab),
		"--hidden", strconv.Itoa(r.Hidden), "--layers", strconv.Itoa(r.Layers), "--T", strconv.Itoa(r.T),
		"--n", strconv.Itoa(r.N), "--prefix", strconv.Itoa(r.Prefix), "--mixer-inter", strconv.Itoa(r.MixerInter),
		"--mlp-inter", strconv.Itoa(r.MLPInter), "--ema", fmt.Sprint(r.EMA), "--steps", strconv.Itoa(o.Steps),
		"--warmup", strconv.Itoa(o.Warmup), "--seed", fmt.Sprint(o.Seed), "--go-params", strconv.Itoa(r.Parameters)}
}

// torchUnsupported says why torch_trm.py cannot run o ("" if it can): it
// implements only TRM-MLP on Sudoku.
func torchUnsupported(o Options) string {
	if o.Task == TaskMaze || o.Mixer == recursive.MixAttention {
		return fmt.Sprintf("torch_trm.py implements only the Sudoku TRM-MLP (here -task %s -mixer %s)", cmp.Or(o.Task, TaskSudoku), cmp.Or(o.Mixer, recursive.MixMLP))
	}
	return ""
}

// runTorch runs the PyTorch script and adds its RESULT lines and the
// ratios to rep.
func runTorch(rep *Report, o Options) {
	script := filepath.Join(filepath.Dir(mustAbs(os.Args[0])), "torch_trm.py")
	if _, err := os.Stat(script); err != nil {
		script = filepath.Join("cmd", "benchrecursive", "torch_trm.py")
	}
	args := append([]string{script}, torchArgs(rep.GoMLX, o)...)
	args = append(args, strings.Fields(*flagTorchArgs)...)
	results, other, err := measure.RunResults(*flagPython, args...)
	if err != nil {
		rep.TorchError = err.Error()
		fmt.Println("torch:", err)
	}
	for _, line := range other {
		fmt.Println("torch:", line)
	}
	for _, m := range results {
		rep.Torch = append(rep.Torch, m)
		if e, ok := m["error"]; ok {
			fmt.Printf("torch %-14v ERROR %v\n", m["variant"], e)
			continue
		}
		pps, _ := m["puzzles_per_s"].(float64)
		fmt.Printf("torch %-14v %9.1f puzzles/s  median step %8.2f ms  first step %8.0f ms  %.0f parameters",
			m["variant"], pps, m["median_step_ms"], m["first_step_ms"], m["parameters"])
		if pps > 0 {
			if rep.Ratio == nil {
				rep.Ratio = map[string]float64{}
			}
			ratio := rep.GoMLX.PuzzlesPerSecond / pps
			rep.Ratio[fmt.Sprint(m["variant"])] = ratio
			fmt.Printf("  GoMLX/torch %.3f", ratio)
		}
		fmt.Println()
	}
}

func main() {
	flag.Parse()
	cacheDir, cacheFiles, cleanup := "", 0, func() {}
	if !*flagChild { // a child inherits LABNOTES_XLA_CACHE
		var err error
		if cacheDir, cacheFiles, cleanup, err = setXLACache(*flagXLACache); err != nil {
			fmt.Fprintln(os.Stderr, "benchrecursive: -xla-cache:", err)
			os.Exit(2)
		}
	}
	exit := func(code int) { cleanup(); os.Exit(code) } // os.Exit runs no deferred call
	defer cleanup()
	choice := backend.Choose()
	name, _, _ := strings.Cut(strings.ToLower(choice.Name), ":") // "go", "xla"
	o := Options{Task: *flagTask, Mixer: recursive.Mixer(*flagMixer), Side: *flagSide, Batch: *flagBatch, Steps: *flagSteps, Warmup: *flagWarmup, Hidden: *flagHidden, Layers: *flagLayers,
		T: *flagT, N: *flagN, Prefix: *flagPrefix, Expansion: *flagExpansion, Shape: *flagShape, Puzzles: *flagPuzzles, Seed: *flagSeed,
	}
	p, err := backend.ParsePrecision(*flagPrecision)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchrecursive: -precision: %v\n", err)
		exit(2)
	}
	o.Precision = p
	if o.Batch == 0 {
		o.Batch = 32
		if name != "go" {
			o.Batch = 768
		}
	}
	counts, err := parseDevices(*flagDevices)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		exit(2)
	}
	o.Devices = counts[0]
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		exit(2)
	}
	if *flagChild {
		runChild(o)
		return
	}
	rep := Report{Date: time.Now().UTC().Format(time.RFC3339), Command: strings.Join(os.Args, " "),
		Backend: choice.String(), GoMaxProcs: runtime.GOMAXPROCS(0), Definition: Definition,
		XLACache: cacheDir, XLACacheFiles: cacheFiles}
	rep.Host, _ = os.Hostname()
	rep.LoadAvg = append(rep.LoadAvg, measure.LoadAvg())
	out := *flagOut
	if out == "" {
		out = filepath.Join("reports", "bench", "recursive_"+name+".json")
	}
	var results []Result
	for _, d := range counts {
		o.Devices = d
		r, err := benchInChild(o)
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchrecursive: -devices %d: %v\n", d, err)
			exit(1)
		}
		results = append(results, r)
	}
	r := results[0]
	rep.GoMLX, rep.BackendName = r, r.BackendName
	if *flagXLACache == XLACacheTwice {
		o.Devices = counts[0]
		w, err := benchInChild(o)
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchrecursive: the run with a warm cache: %v\n", err)
			exit(1)
		}
		rep.Warm = &w
		fmt.Printf("GoMLX first step with XLA's autotuning cache cold %8.0f ms (compile ~%.0f ms), warm %8.0f ms (compile ~%.0f ms); median step %.2f vs %.2f ms\n",
			r.FirstStepMS, r.CompileMS, w.FirstStepMS, w.CompileMS, r.MedianStepMS, w.MedianStepMS)
	}
	if len(counts) > 1 {
		rep.Scaling = scaling(results)
		for _, p := range rep.Scaling {
			fmt.Printf("GoMLX on %d devices, batch %d (%d per device): %9.1f puzzles/s  median step %8.2f ms  first step %8.0f ms  efficiency %.3f\n",
				p.Devices, p.Batch, p.Result.BatchPerDevice, p.PuzzlesPerSecond, p.MedianStepMS, p.FirstStepMS, p.Efficiency)
		}
	}
	fmt.Printf("GoMLX %s on %s, %d device(s), batch %d, %d parameters\n", r.Model, name, r.Devices, r.Batch, r.Parameters)
	fmt.Printf("GoMLX %-14s %9.1f puzzles/s  median step %8.2f ms  first step %8.0f ms (compile ~%.0f ms)  peak RSS %.0f MB",
		r.Precision, r.PuzzlesPerSecond, r.MedianStepMS, r.FirstStepMS, r.CompileMS, r.PeakRSSMB)
	if m := r.XLAMemory; m != nil {
		fmt.Printf("  XLA live peak %.0f MB (temporary %.0f MB, %d executables)", m.LivePeakMB, m.TemporaryMB, m.Executables)
	}
	if r.GPUPeakMB != 0 {
		fmt.Printf("  nvidia-smi +%.0f MB (context %.0f MB)", r.GPUPeakMB, r.GPUContextMB)
	}
	fmt.Println()
	write(out, rep)
	if *flagTorch {
		if why := torchUnsupported(o); why != "" {
			rep.TorchError = why
			fmt.Println("torch: not run:", why)
		} else {
			runTorch(&rep, o)
		}
	}
	rep.LoadAvg = append(rep.LoadAvg, measure.LoadAvg())
	write(out, rep)
	fmt.Println("wrote", out)
}

// runChild creates the backend, runs the benchmark and prints its Result
// as a line "RESULT {json}".
func runChild(o Options) {
	xlaLog, err := captureXLAMemory()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrecursive: XLA memory statistics unavailable:", err)
	}
	gpu0, hasGPU := measure.GPUMemoryUsedMB()
	b := backend.MustNew()
	gpu1, _ := measure.GPUMemoryUsedMB()
	r, err := Bench(b, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrecursive:", err)
		os.Exit(1)
	}
	r.BackendName = b.Name()
	if xlaLog != nil {
		r.XLAMemory = xlaLog.Memory()
	}
	if gpu2, ok := measure.GPUMemoryUsedMB(); ok && hasGPU && shortName(b) != "go" {
		// nvidia-smi's memory.used: what creating the backend took, and
		// what the benchmark added (XLA's BFC allocator high-water mark).
		r.GPUContextMB, r.GPUPeakMB = gpu1-gpu0, gpu2-gpu1
	}
	js, _ := json.Marshal(r)
	fmt.Printf("RESULT %s\n", js)
}

// benchInChild runs the GoMLX benchmark in a child process (this program
// with -child), so that its memory (XLA's device memory included) is freed
// before PyTorch runs, and its peak RSS is its own.
func benchInChild(o Options) (Result, error) {
	self, err := os.Executable()
	if err != nil {
		return Result{}, err
	}
	args := append(append([]string{}, os.Args[1:]...), "-child", "-batch", strconv.Itoa(o.Batch), "-devices", strconv.Itoa(o.Devices))
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.Output()
	for line := range strings.Lines(string(stdout)) {
		if js, ok := strings.CutPrefix(strings.TrimSpace(line), "RESULT "); ok {
			var r Result
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				return r, err
			}
			return r, nil
		}
		fmt.Print(line)
	}
	return Result{}, fmt.Errorf("benchmark child failed: %v", err)
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

func write(path string, rep Report) {
	if err := measure.WriteJSON(path, rep); err != nil {
		panic(err)
	}
}
