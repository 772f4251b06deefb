// Command benchattention times forward+backward and measures the peak
// memory of exact attention vs FAVOR+ (softmax and ReLU kernels) over
// sequence lengths, on the current backend (lib/backend's choice), and writes
// JSON (default reports/bench/attention_<backend>.json).
//
// Each configuration runs in a child process of its own, so its peak
// resident memory (getrusage's maxrss, minus the child's baseline before the
// graph is built) is its own. With -torch it also runs
// cmd/benchattention/torch_bench.py (PyTorch: the same FAVOR+ and exact
// attention, and scaled_dot_product_attention on a GPU) on the same shapes.
// With -dtype bfloat16 q, k and v are bfloat16 (exact attention then takes
// XLA's fused kernel on a GPU; FAVOR keeps its features and normalizer in
// float32 unless -half-features); see README.md for the GPU command.
//
//	go run ./cmd/benchattention -lengths 256,512,1024,2048,4096,8192 -torch
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/measure"
	"github.com/labnotes/labnotes/lib/performer/study"
)

var (
	flagLengths   = flag.String("lengths", "256,512,1024,2048,4096,8192,16384", "comma-separated sequence lengths")
	flagMethods   = flag.String("methods", "exact,favor_softmax,favor_relu", "comma-separated methods: exact, exact_causal, favor_softmax, favor_softmax_causal, favor_relu")
	flagBatch     = flag.Int("batch", 1, "batch size")
	flagHeads     = flag.Int("heads", 8, "number of heads")
	flagDim       = flag.Int("dim", 64, "head dimension")
	flagFeatures  = flag.Int("features", 256, "number of random features m")
	flagChunk     = flag.Int("chunk", 0, "chunk size of causal FAVOR (0: the default)")
	flagDType     = flag.String("dtype", "float32", "dtype of q, k, v: f32 (float32) or bf16 (bfloat16; FAVOR then computes its features and normalizer in float32); empty: the backend's (backend.DefaultDType)")
	flagHalfFeat  = flag.Bool("half-features", false, "with -dtype bfloat16: FAVOR entirely in bfloat16 (performer.Config.HalfFeatures)")
	flagMaxExact  = flag.Int("max-exact", 8192, "longest sequence for exact attention (its memory is quadratic)")
	flagMinRuns   = flag.Int("min-runs", 3, "minimum timed runs")
	flagMinTime   = flag.Duration("min-time", 2*time.Second, "minimum total timed duration per configuration")
	flagTimeout   = flag.Duration("timeout", 5*time.Minute, "time limit per configuration")
	flagOut       = flag.String("o", "", "output JSON (default reports/bench/attention_<backend>.json)")
	flagTorch     = flag.Bool("torch", false, "also run the PyTorch benchmark script on the same shapes")
	flagPython    = flag.String("python", "/usr/bin/python3", "python for -torch")
	flagTorchArgs = flag.String("torch-args", "", "extra arguments for torch_bench.py (e.g. '--device cuda')")
	flagChild     = flag.String("child", "", "internal: run one configuration method:length and print its JSON")
)

// Result is one configuration's measurement, as written to the JSON.
type Result struct {
	study.BenchResult
	// PeakRSSMB is the child's peak resident memory; PeakDeltaMB the same
	// minus its resident memory before building the graph (inputs included).
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	PeakDeltaMB float64 `json:"peak_delta_mb"`
	// GPU memory on a CUDA machine, from nvidia-smi's memory.used of the
	// device (the child is the only process using it): GPUContextMB is what
	// creating the backend took (CUDA context, libraries), GPUPeakMB what
	// the configuration added on top by the end of its runs. XLA's BFC
	// allocator (no preallocation, go-xla's default on CUDA) keeps what it
	// has grown to, so this is its high-water mark: an upper bound of the
	// live peak, rounded up to the allocator's regions. Zero without a GPU.
	GPUContextMB float64 `json:"gpu_context_mb,omitempty"`
	GPUPeakMB    float64 `json:"gpu_peak_mb,omitempty"`
	Error        string  `json:"error,omitempty"`
}

// Report is the JSON written.
type Report struct {
	Date       string           `json:"date"`
	Backend    string           `json:"backend"`
	GoMaxProcs int              `json:"gomaxprocs"`
	Host       string           `json:"host"`
	Results    []Result         `json:"results"`
	Torch      []map[string]any `json:"torch,omitempty"`
	// LoadAvg is /proc/loadavg at the start and at the end: other processes
	// on the machine distort timings.
	LoadAvg    []string `json:"loadavg,omitempty"`
	TorchError string   `json:"torch_error,omitempty"`
}

// qkvDType returns the dtype of q, k and v on b that -dtype names, as
// study.BenchConfig.DType spells it: "float32" or "bfloat16".
func qkvDType(b compute.Backend) (string, error) {
	p, err := backend.ParsePrecision(*flagDType)
	if err != nil {
		return "", fmt.Errorf("benchattention: -dtype: %w", err)
	}
	if p.Resolve(b) == backend.BFloat16 {
		return "bfloat16", nil
	}
	return "float32", nil
}

func config(b compute.Backend, method string, length int) study.BenchConfig {
	dtype, err := qkvDType(b)
	if err != nil {
		panic(err) // main checked it before starting children.
	}
	return study.BenchConfig{Method: method, Batch: *flagBatch, Heads: *flagHeads, Length: length, Dim: *flagDim,
		NumFeatures: *flagFeatures, ChunkSize: *flagChunk, DType: dtype, HalfFeatures: *flagHalfFeat,
		MinRuns: *flagMinRuns, MinTime: *flagMinTime}
}

func runChild(spec string) {
	method, l, _ := strings.Cut(spec, ":")
	length, err := strconv.Atoi(l)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad -child %q\n", spec)
		os.Exit(2)
	}
	gpu0, hasGPU := measure.GPUMemoryUsedMB()
	b := backend.MustNew()
	base := float64(measure.RSS()) / (1 << 20)
	gpu1, _ := measure.GPUMemoryUsedMB()
	r := Result{}
	r.BenchResult, err = study.BenchForwardBackward(b, config(b, method, length))
	if err != nil {
		r.Error = err.Error()
	}
	r.PeakRSSMB = float64(measure.PeakRSS()) / (1 << 20)
	r.PeakDeltaMB = r.PeakRSSMB - base
	if gpu2, ok := measure.GPUMemoryUsedMB(); ok && hasGPU && !strings.HasPrefix(b.Name(), "go") {
		r.GPUContextMB, r.GPUPeakMB = gpu1-gpu0, gpu2-gpu1
	}
	out, _ := json.Marshal(r)
	fmt.Printf("RESULT %s\n", out)
}

func main() {
	flag.Parse()
	if *flagChild != "" {
		runChild(*flagChild)
		return
	}
	b := backend.MustNew()
	dtype, err := qkvDType(b)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	rep := Report{Date: time.Now().UTC().Format(time.RFC3339), Backend: backend.Choose().String(), GoMaxProcs: runtime.GOMAXPROCS(0)}
	rep.Host, _ = os.Hostname()
	rep.LoadAvg = append(rep.LoadAvg, measure.LoadAvg())
	_ = b
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	var lengths []int
	for _, s := range strings.Split(*flagLengths, ",") {
		l, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			panic(err)
		}
		lengths = append(lengths, l)
	}
	out := *flagOut
	if out == "" {
		name := strings.ToLower(strings.Fields(b.Name() + " x")[0]) // "go", "xla", ...
		if dtype != "float32" {
			name += "_" + dtype
		}
		out = filepath.Join("reports", "bench", "attention_"+name+".json")
	}
	for _, l := range lengths {
		for _, method := range strings.Split(*flagMethods, ",") {
			if strings.HasPrefix(method, "exact") && l > *flagMaxExact {
				continue
			}
			args := append([]string{}, os.Args[1:]...)
			args = append(args, "-child", fmt.Sprintf("%s:%d", method, l))
			cmd := exec.Command(self, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				panic(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var r Result
			select {
			case err = <-done:
			case <-time.After(*flagTimeout):
				_ = cmd.Process.Kill()
				err = fmt.Errorf("timed out after %s", *flagTimeout)
				<-done
			}
			found := false
			sc := bufio.NewScanner(&stdout)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if js, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
					found = json.Unmarshal([]byte(js), &r) == nil
				}
			}
			if !found {
				r.BenchResult.BenchConfig = config(b, method, l)
				r.Error = fmt.Sprintf("child failed: %v: %s", err, lastLines(stderr.String(), 5))
			}
			if r.Error != "" {
				fmt.Printf("%-22s L=%-6d ERROR %s\n", method, l, r.Error)
			} else {
				fmt.Printf("%-22s L=%-6d %9.2f ms  peak RSS %8.0f MB (+%.0f)", method, l, r.MedianMS, r.PeakRSSMB, r.PeakDeltaMB)
				if r.GPUPeakMB != 0 {
					fmt.Printf("  GPU +%.0f MB (context %.0f MB)", r.GPUPeakMB, r.GPUContextMB)
				}
				fmt.Println()
			}
			rep.Results = append(rep.Results, r)
			write(out, rep)
		}
	}
	if *flagTorch {
		script := filepath.Join(filepath.Dir(mustAbs(os.Args[0])), "torch_bench.py")
		if _, err := os.Stat(script); err != nil {
			script = filepath.Join("cmd", "benchattention", "torch_bench.py")
		}
		args := []string{script, "--lengths", *flagLengths, "--batch", strconv.Itoa(*flagBatch), "--heads", strconv.Itoa(*flagHeads),
			"--dim", strconv.Itoa(*flagDim), "--features", strconv.Itoa(*flagFeatures), "--max-exact", strconv.Itoa(*flagMaxExact),
			"--min-time", fmt.Sprint(flagMinTime.Seconds())}
		args = append(args, strings.Fields(*flagTorchArgs)...)
		results, _, err := measure.RunResults(*flagPython, args...)
		if err != nil {
			rep.TorchError = err.Error()
			fmt.Println("torch:", err)
		}
		for _, m := range results {
			rep.Torch = append(rep.Torch, m)
			fmt.Printf("torch %-16v L=%-6v %9.2f ms  peak %v MB\n", m["method"], m["length"], m["median_ms"], m["peak_mb"])
		}
	}
	rep.LoadAvg = append(rep.LoadAvg, measure.LoadAvg())
	write(out, rep)
	fmt.Println("wrote", out)
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func write(path string, rep Report) {
	if err := measure.WriteJSON(path, rep); err != nil {
		panic(err)
	}
}
