package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/labnotes/labnotes/lib/backend"
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
