// Command benchkernel measures the Labnotes kernel's round trip: the median time to execute a
// trivial cell, and a cell in a notebook that already imported GoMLX (warm: the first cell of
// each kind is a warm-up and is reported apart). It runs a generated notebook through the
// headless runner and reads each cell's client-side timestamps (execute_request sent →
// execute_reply received). It prints a JSON summary and writes it to -o.
//
//	go run ./kernel/cmd/benchkernel -n 10 -o reports/bench/kernel.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/labnotes/labnotes/kernel/notebook"
	"github.com/labnotes/labnotes/kernel/runner"
	"github.com/labnotes/labnotes/kernel/spec"
)

const (
	// Each cell prints its own number, so no two cells are the same program (no build-cache hit
	// on an identical binary).
	trivialCell = "%%%%\nfmt.Println(%d)"
	gomlxDecls  = `import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/labnotes/labnotes/lib/backend"
)

// double is a tiny GoMLX graph function.
func double(x *graph.Node) *graph.Node { return graph.MulScalar(x, 2) }`
	gomlxCell = "%%%%\nout := graph.MustNewExec(backend.MustNew(), double).MustExec([]float32{1, %d})\nfmt.Println(out[0])"
)

// Summary is what the benchmark reports.
type Summary struct {
	Cells                int       `json:"cells_per_kind"`
	TrivialMedianSeconds float64   `json:"trivial_cell_median_seconds"`
	GoMLXMedianSeconds   float64   `json:"gomlx_cell_median_seconds"`
	TrivialFirstSeconds  float64   `json:"trivial_cell_first_seconds"`
	GoMLXFirstSeconds    float64   `json:"gomlx_cell_first_seconds"`
	Trivial              []float64 `json:"trivial_cell_seconds"`
	GoMLX                []float64 `json:"gomlx_cell_seconds"`
	Backend              string    `json:"backend"`
	Measured             string    `json:"measured"`
	Date                 string    `json:"date"`
}

func main() {
	n := flag.Int("n", 10, "warm cells of each kind")
	out := flag.String("o", "reports/bench/kernel.json", "JSON output")
	flag.Parse()
	if err := run(*n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchkernel:", err)
		os.Exit(1)
	}
}

func run(n int, out string) error {
	ks, err := spec.Find(spec.Name)
	if err != nil {
		return err
	}
	nb := &notebook.Notebook{NBFormat: 4, NBFormatMinor: 5, Metadata: map[string]any{
		"kernelspec": map[string]any{"name": spec.Name, "display_name": spec.DisplayName, "language": "go"}}}
	code := func(src string) *notebook.Cell {
		return &notebook.Cell{Type: "code", Source: src, Metadata: map[string]any{}}
	}
	for i := range n + 1 {
		nb.Cells = append(nb.Cells, code(fmt.Sprintf(trivialCell, i)))
	}
	nb.Cells = append(nb.Cells, code(gomlxDecls))
	for i := range n + 1 {
		nb.Cells = append(nb.Cells, code(fmt.Sprintf(gomlxCell, i)))
	}
	dir, err := os.MkdirTemp("", "benchkernel-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	in, executed := filepath.Join(dir, "bench.ipynb"), filepath.Join(dir, "bench.out.ipynb")
	if err := nb.WriteFile(in); err != nil {
		return err
	}
	res, err := runner.Run(context.Background(), runner.Options{Path: in, Output: executed, Spec: ks, Log: os.Stderr})
	if err != nil {
		return err
	}
	done, err := notebook.ReadFile(executed)
	if err != nil {
		return err
	}
	var times []float64
	for _, c := range done.Cells {
		if c.Type != "code" || c.Source == gomlxDecls {
			continue
		}
		t, err := roundTrip(c)
		if err != nil {
			return err
		}
		times = append(times, t)
	}
	if len(times) != 2*(n+1) {
		return fmt.Errorf("expected %d timed cells, got %d", 2*(n+1), len(times))
	}
	s := Summary{
		Cells: n, Trivial: times[1 : n+1], GoMLX: times[n+2:],
		TrivialFirstSeconds: times[0], GoMLXFirstSeconds: times[n+1],
		Backend:  res.Backend,
		Measured: "client round trip per cell: execute_request sent to execute_reply received; the first cell of each kind is excluded from the medians",
		Date:     time.Now().UTC().Format(time.RFC3339),
	}
	s.TrivialMedianSeconds, s.GoMLXMedianSeconds = median(s.Trivial), median(s.GoMLX)
	js, _ := json.MarshalIndent(s, "", "  ")
	fmt.Println(string(js))
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, append(js, '\n'), 0o644)
}

func roundTrip(c *notebook.Cell) (float64, error) {
	ex, _ := c.Metadata["execution"].(map[string]any)
	start, _ := ex["labnotes.request_sent"].(string)
	end, _ := ex["labnotes.reply_received"].(string)
	t0, err0 := time.Parse(time.RFC3339Nano, start)
	t1, err1 := time.Parse(time.RFC3339Nano, end)
	if err0 != nil || err1 != nil {
		return 0, fmt.Errorf("cell %q has no execution timings (%v)", c.FirstLine(), ex)
	}
	return t1.Sub(t0).Seconds(), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
