package backend

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/pkg/errors"
)

// Sizes of the benchmark of [Bench]: a MatmulSize² float32 matrix product, and one SGD step of
// an MLP MLPIn → MLPHidden (ReLU) → MLPOut on a batch of MLPBatch, each timed BenchRuns times
// after BenchWarmup untimed runs (the first compiles).
const (
	MatmulSize  = 512
	MLPBatch    = 256
	MLPIn       = 784
	MLPHidden   = 512
	MLPOut      = 10
	BenchRuns   = 10
	BenchWarmup = 2
)

// BenchFileEnv overrides where `labnotes doctor --bench` records its measurement.
const BenchFileEnv = "LABNOTES_BENCH_FILE"

// BenchRecord is what `labnotes doctor --bench` measured on this machine, saved so that
// [Choose] can prefer the CPU PJRT plugin only where it was measured faster than go.
type BenchRecord struct {
	// CPUPlugin is the CPU plugin measured ("" when none was present).
	CPUPlugin string `json:"cpu_plugin"`
	// Pick is the CPU backend that was faster: "go" or "xla:cpu".
	Pick string `json:"pick"`
	// Results are the measurements, one per backend.
	Results []BenchResult `json:"results"`
	// Time is when it was measured.
	Time time.Time `json:"time"`
}

// Speedup returns how many times faster the picked CPU backend's MLP step was than the other's
// (1 when not measured).
func (r *BenchRecord) Speedup() float64 {
	var g, x float64
	for _, b := range r.Results {
		switch b.Name {
		case "go":
			g = b.MLPStepMs
		case "xla:cpu":
			x = b.MLPStepMs
		}
	}
	if g <= 0 || x <= 0 {
		return 1
	}
	if r.Pick == "xla:cpu" {
		return g / x
	}
	return x / g
}

// BenchFile returns where the benchmark record is kept: $LABNOTES_BENCH_FILE, else
// $XDG_CONFIG_HOME/labnotes/backend-bench.json, else ~/.config/labnotes/backend-bench.json.
func BenchFile() string { return systemChooser().benchFile() }

func (c *chooser) benchFile() string {
	if p := c.getenv(BenchFileEnv); p != "" {
		return p
	}
	if x := c.getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "labnotes", "backend-bench.json")
	}
	return filepath.Join(c.home, ".config", "labnotes", "backend-bench.json")
}

// readBench reads the benchmark record.
func (c *chooser) readBench() (*BenchRecord, error) {
	path := c.benchFile()
	data, err := c.readFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("none at %s", path)
	}
	if err != nil {
		return nil, err
	}
	var r BenchRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &r, nil
}

// SaveBench writes r to path (made with its folder; atomically).
func SaveBench(path string, r *BenchRecord) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("backend: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("backend: %w", err)
	}
	return os.Rename(tmp, path)
}

// BenchResult is one backend's measurement: median milliseconds per run.
type BenchResult struct {
	Name      string  `json:"name"`
	Config    string  `json:"config"`
	MatmulMs  float64 `json:"matmul_ms"`
	MLPStepMs float64 `json:"mlp_step_ms"`
	Error     string  `json:"error,omitempty"`
}

// benchSizes are the benchmark's sizes (tests use smaller ones).
type benchSizes struct{ matmul, batch, in, hidden, out, runs, warmup int }

var defaultSizes = benchSizes{MatmulSize, MLPBatch, MLPIn, MLPHidden, MLPOut, BenchRuns, BenchWarmup}

// Bench times a matmul and an MLP training step on each available backend of statuses (see
// [Backends]), in this process, and returns the results in the same order, and the record
// [Choose] reads: which CPU backend, go or xla:cpu, ran the MLP step faster. A backend that
// fails to run gets its Error set. Environment variables a backend needs are set while it runs.
func Bench(statuses []Status) ([]BenchResult, *BenchRecord) {
	return bench(statuses, defaultSizes)
}

func bench(statuses []Status, sz benchSizes) ([]BenchResult, *BenchRecord) {
	rec := &BenchRecord{Pick: "go", Time: time.Now().UTC()}
	var results []BenchResult
	for _, s := range statuses {
		if !s.Available {
			continue
		}
		r := BenchResult{Name: s.Name, Config: s.Config}
		if s.Name == "xla:cpu" {
			rec.CPUPlugin = s.Detail[len("CPU PJRT plugin "):]
		}
		restore := setEnv(s.Env)
		var err error
		r.MatmulMs, r.MLPStepMs, err = benchConfig(s.Config, sz)
		restore()
		if err != nil {
			r.Error = err.Error()
		}
		results = append(results, r)
	}
	rec.Results = results
	var goMs, cpuMs float64
	for _, r := range results {
		if r.Error != "" {
			continue
		}
		switch r.Name {
		case "go":
			goMs = r.MLPStepMs
		case "xla:cpu":
			cpuMs = r.MLPStepMs
		}
	}
	if cpuMs > 0 && (goMs == 0 || cpuMs < goMs) {
		rec.Pick = "xla:cpu"
	}
	return results, rec
}

// setEnv sets env and returns a function restoring the previous values.
func setEnv(env map[string]string) func() {
	old := map[string]*string{}
	for k := range env {
		if v, ok := os.LookupEnv(k); ok {
			old[k] = &v
		} else {
			old[k] = nil
		}
		os.Setenv(k, env[k])
	}
	return func() {
		for k, v := range old {
			if v == nil {
				os.Unsetenv(k)
			} else {
				os.Setenv(k, *v)
			}
		}
	}
}

// benchConfig creates the backend config and times the matmul and the MLP step on it.
func benchConfig(config string, sz benchSizes) (matmulMs, mlpMs float64, err error) {
	b, err := create(Choice{Config: config})
	if err != nil {
		return 0, 0, err
	}
	defer b.Finalize()
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("backend: benchmark on %q: %v", config, r)
		}
	}()
	matmul, err := graph.NewExec(b, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
	if err != nil {
		return 0, 0, err
	}
	defer matmul.Finalize()
	a := fill(sz.matmul, sz.matmul)
	if matmulMs, err = median(sz, func() error { return run(matmul, a, a) }); err != nil {
		return 0, 0, err
	}
	const lr = 0.01
	step, err := graph.NewExec(b, func(x, w1, w2 *graph.Node) (*graph.Node, *graph.Node) {
		h := graph.MaxScalar(graph.MatMul(x, w1), 0) // ReLU
		loss := graph.ReduceAllMean(graph.Square(graph.MatMul(h, w2)))
		g := graph.Gradient(loss, w1, w2)
		return graph.Sub(w1, graph.MulScalar(g[0], lr)), graph.Sub(w2, graph.MulScalar(g[1], lr))
	})
	if err != nil {
		return 0, 0, err
	}
	defer step.Finalize()
	x, w1, w2 := fill(sz.batch, sz.in), fill(sz.in, sz.hidden), fill(sz.hidden, sz.out)
	mlpMs, err = median(sz, func() error { return run(step, x, w1, w2) })
	return matmulMs, mlpMs, err
}

// run executes e and waits for its outputs (materialized on the host, then freed).
func run(e *graph.Exec, args ...any) error {
	outs, err := e.Exec(args...)
	if err != nil {
		return err
	}
	for _, o := range outs {
		o.MaterializeLocal()
		o.FinalizeAll()
	}
	return nil
}

// median returns the median duration of f in milliseconds, after sz.warmup untimed calls.
func median(sz benchSizes, f func() error) (float64, error) {
	var ms []float64
	for i := range sz.warmup + sz.runs {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if i >= sz.warmup {
			ms = append(ms, float64(time.Since(t).Microseconds())/1000)
		}
	}
	slices.Sort(ms)
	return ms[len(ms)/2], nil
}

// fill returns a rows×cols float32 tensor of small deterministic values.
func fill(rows, cols int) *tensors.Tensor {
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(i%17-8) / 64
	}
	return tensors.FromFlatDataAndDimensions(data, rows, cols)
}

// BenchSummary returns one line naming the picked CPU backend and why.
func BenchSummary(rec *BenchRecord) string {
	if rec.CPUPlugin == "" {
		return "no CPU PJRT plugin installed: go is the CPU backend"
	}
	return fmt.Sprintf("CPU backend picked: %s (%.1fx as fast on the MLP step)", rec.Pick, rec.Speedup())
}
