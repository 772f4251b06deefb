package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/recursive"
)

// TestBenchTiny runs the Go benchmark path for 2 timed steps of a tiny TRM
// and checks the JSON report's fields (no timing assertions).
func TestBenchTiny(t *testing.T) {
	b := backend.MustNew()
	o := Options{Batch: 4, Steps: 2, Warmup: 1, Hidden: 32, Layers: 2, T: 2, N: 2, Prefix: 2, Expansion: 4, Shape: 4, Seed: 1}
	r, err := Bench(b, o)
	if err != nil {
		t.Fatal(err)
	}
	rep := Report{Backend: backend.Choose().String(), BackendName: b.Name(), Definition: Definition, GoMLX: r}
	path := filepath.Join(t.TempDir(), "bench", "recursive_test.json")
	write(path, rep)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"backend", "backend_name", "definition", "gomlx"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	g, _ := m["gomlx"].(map[string]any)
	want := map[string]float64{"batch": 4, "hidden": 32, "layers": 2, "T": 2, "n": 2, "N_sup": 16, "prefix": 2,
		"seq_len": 16, "vocab": 6, "warmup_steps": 1, "timed_steps": 2, "mixer_inter": 48, "mlp_inter": 88}
	for k, v := range want {
		if g[k] != v {
			t.Errorf("gomlx.%s = %v, want %v", k, g[k], v)
		}
	}
	// Parameters: embed 6·32, puzzle embedding 2·32, per layer mixer
	// 18·96 + 48·18 and SwiGLU 32·176 + 88·32, head 32·6, q_head 32·2 + 2.
	if got, want := g["parameters"], float64(192+64+2*(18*96+48*18+32*176+88*32)+192+66); got != want {
		t.Errorf("parameters = %v, want %v", got, want)
	}
	for _, k := range []string{"median_step_ms", "first_step_ms", "puzzles_per_s", "whole_puzzles_per_s_at_N_sup", "peak_rss_mb", "loss_first", "loss_last"} {
		if v, ok := g[k].(float64); !ok || !(v > 0) {
			t.Errorf("gomlx.%s = %v, want > 0", k, g[k])
		}
	}
	if steps, _ := g["steps_ms"].([]any); len(steps) != 2 {
		t.Errorf("steps_ms has %d entries, want 2", len(steps))
	}
	if pps := g["puzzles_per_s"].(float64); pps != 4/(g["median_step_ms"].(float64)/1000) {
		t.Errorf("puzzles_per_s %v is not batch / median step", pps)
	}
	if args := torchArgs(r, o); len(args) == 0 || args[0] != "--batch" {
		t.Errorf("torchArgs = %v", args)
	}
}

// TestBenchPrecision: -precision bf16 runs the mixed-precision trainer and
// says so in the report; the default on the Go backend is f32.
func TestBenchPrecision(t *testing.T) {
	b := backend.MustNew()
	for _, p := range []backend.Precision{backend.Auto, backend.BFloat16} {
		o := Options{Batch: 4, Steps: 1, Warmup: 0, Hidden: 16, Layers: 1, T: 1, N: 1, Prefix: 1, Expansion: 2, Shape: 4, Seed: 1, Precision: p}
		r, err := Bench(b, o)
		if err != nil {
			t.Fatal(err)
		}
		want := string(p)
		if p == backend.Auto {
			want = "f32" // the Go backend's
		}
		if r.Precision != want {
			t.Errorf("-precision %q: report says %q, want %q", p, r.Precision, want)
		}
	}
}

// TestBenchMaze runs -task maze (generated 6x6 mazes) with the attention
// mixer at a tiny size and checks the report's shapes: sequence 36, the
// maze vocabulary (6 tokens), no MLP-mixer width, and that torch is not
// run for it.
func TestBenchMaze(t *testing.T) {
	b := backend.MustNew()
	o := Options{Task: TaskMaze, Mixer: recursive.MixAttention, Side: 6, Batch: 4, Steps: 2, Warmup: 0,
		Hidden: 16, Layers: 1, T: 2, N: 1, Prefix: 2, Expansion: 2, Seed: 1}
	r, err := Bench(b, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Task != TaskMaze || r.Mixer != "attention" || r.Shape != "6x6" || r.SeqLen != 36 || r.Vocab != 6 ||
		r.Prefix != 2 || r.MixerInter != 0 || r.Batch != 4 || len(r.StepsMS) != 2 {
		t.Errorf("report: task %q mixer %q shape %q seq_len %d vocab %d prefix %d mixer_inter %d batch %d steps %d",
			r.Task, r.Mixer, r.Shape, r.SeqLen, r.Vocab, r.Prefix, r.MixerInter, r.Batch, len(r.StepsMS))
	}
	if !(r.PuzzlesPerSecond > 0) || !(r.LossFirst > 0) || r.Parameters == 0 {
		t.Errorf("puzzles/s %v, first loss %v, %d parameters", r.PuzzlesPerSecond, r.LossFirst, r.Parameters)
	}
	if torchUnsupported(o) == "" || torchUnsupported(Options{}) != "" {
		t.Errorf("torchUnsupported: maze %q, default %q", torchUnsupported(o), torchUnsupported(Options{}))
	}
}

// TestBenchBadOptions: unknown tasks, mixers and sides are errors naming
// them.
func TestBenchBadOptions(t *testing.T) {
	ok := Options{Batch: 4, Steps: 1, Hidden: 16, Layers: 1, T: 1, N: 1, Prefix: 1, Expansion: 2, Shape: 4, Seed: 1}
	for _, tc := range []struct {
		mod  func(*Options)
		want string
	}{
		{func(o *Options) { o.Task = "chess" }, `"chess"`},
		{func(o *Options) { o.Mixer = "conv" }, `"conv"`},
		{func(o *Options) { o.Task, o.Side = TaskMaze, 2 }, "-side 2"},
	} {
		o := ok
		tc.mod(&o)
		if _, err := Bench(backend.MustNew(), o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %s", o, err, tc.want)
		}
	}
}

// TestParseXLAMemory reads go-xla's memory log line (compute/xla's
// renderMemStats through humanize.Bytes).
func TestParseXLAMemory(t *testing.T) {
	line := `I1204 21:30:00.123456   42 executable.go:94] Memory usage: On Device: [Code:1.5 MiB, Inputs:2.0 GiB, Outputs:1.0 GiB, Aliases:512.0 MiB, Temporary:10.5 GiB]; On Host: [Code:0 B, Inputs:0 B, Outputs:0 B, Aliases:0 B, Temporary:0 B]`
	m, err := parseXLAMemory(line)
	if err != nil {
		t.Fatal(err)
	}
	want := XLAMemory{CodeMB: 1.5, InputsMB: 2048, OutputsMB: 1024, AliasesMB: 512, TemporaryMB: 10.5 * 1024,
		LivePeakMB: 2048 + 1024 - 512 + 10.5*1024}
	if m != want {
		t.Errorf("parseXLAMemory = %+v, want %+v", m, want)
	}
	for _, s := range []struct {
		in   string
		want float64
	}{{"512 B", 512.0 / (1 << 20)}, {"1.0 KiB", 1.0 / 1024}, {"3.0 MiB", 3}, {"1.0 TiB", 1 << 20}} {
		if got, err := parseMB(s.in); err != nil || got != s.want {
			t.Errorf("parseMB(%q) = %v, %v; want %v", s.in, got, err, s.want)
		}
	}
	for _, bad := range []string{"12", "1.0 XB", "x MiB", "1.0 Mi"} {
		if _, err := parseMB(bad); err == nil {
			t.Errorf("parseMB(%q) accepted", bad)
		}
	}
	var l xlaLog
	if l.Memory() != nil {
		t.Error("Memory of an empty log is not nil")
	}
	fmt.Fprint(&l, "I1204 executable.go:84] Compiling \"x\"\n", line+"\n", strings.Replace(line, "Temporary:10.5 GiB", "Temporary:1.0 MiB", 1)+"\n")
	if got := l.Memory(); got == nil || got.Executables != 2 || got.LivePeakMB != want.LivePeakMB {
		t.Errorf("Memory = %+v, want the larger of 2 executables", got)
	}
}

// TestDevicesFlag checks -devices parsing, the scaling efficiency, and
// that more devices than the backend has is an error.
func TestDevicesFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{{"1", []int{1}}, {"1,2,4,8", []int{1, 2, 4, 8}}, {"0", []int{0}}, {" 2, 4", []int{2, 4}},
		{"", nil}, {"1,1", nil}, {"-1", nil}, {"a", nil}} {
		got, err := parseDevices(tc.in)
		if (err != nil) != (tc.want == nil) || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("parseDevices(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	pts := scaling([]Result{{Devices: 1, Batch: 768, PuzzlesPerSecond: 4000}, {Devices: 2, Batch: 1536, PuzzlesPerSecond: 7600},
		{Devices: 8, Batch: 6144, PuzzlesPerSecond: 27200}})
	for i, want := range []float64{1, 0.95, 0.85} {
		if got := pts[i].Efficiency; got < want-1e-9 || got > want+1e-9 {
			t.Errorf("efficiency on %d devices = %v, want %v", pts[i].Devices, got, want)
		}
	}
	b := backend.MustNew()
	o := Options{Batch: 4, Steps: 1, Hidden: 32, Layers: 1, T: 1, N: 1, Prefix: 1, Expansion: 2, Shape: 4, Seed: 1,
		Devices: b.NumDevices() + 1}
	if _, err := Bench(b, o); err == nil || !strings.Contains(err.Error(), "devices asked") {
		t.Errorf("Bench on %d devices: error %v", o.Devices, err)
	}
}
