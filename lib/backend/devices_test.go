package backend

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// writeBench writes a benchmark record into the fake tree and points the chooser at it.
func (f *fakeSystem) writeBench(rec BenchRecord) {
	f.t.Helper()
	p := f.touch("/home/u/.config/labnotes/backend-bench.json")
	data, _ := json.Marshal(rec)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func TestChooseCPUAndTPU(t *testing.T) {
	const cpuPlugin = "/home/u/.local/lib/go-xla/pjrt_c_api_cpu_plugin.so"
	const sitePackages = "/usr/local/lib/python3.12/site-packages"
	measured := func(pick string) func(f *fakeSystem) {
		return func(f *fakeSystem) {
			f.touch(cpuPlugin)
			f.writeBench(BenchRecord{CPUPlugin: f.path(cpuPlugin), Pick: pick, Results: []BenchResult{
				{Name: "go", MLPStepMs: 30}, {Name: "xla:cpu", MLPStepMs: 10}}})
		}
	}
	for _, tc := range []struct {
		name                         string
		setup                        func(f *fakeSystem)
		wantConfig, wantName, reason string // "ROOT" is replaced by the fake root
		precision                    string
	}{
		{"GOMLX_BACKEND=xla:cpu is honoured", func(f *fakeSystem) { f.env["GOMLX_BACKEND"] = "xla:cpu" },
			"xla:cpu", "xla:cpu", "GOMLX_BACKEND is set", "compute float32"},
		{"CPU plugin not yet measured", func(f *fakeSystem) { f.touch(cpuPlugin) },
			"go", "go", "found but not yet measured: run `labnotes doctor --bench`", "compute float32"},
		{"CPU plugin measured faster", measured("xla:cpu"),
			"xla:cpu", "xla:cpu", "CPU PJRT plugin ROOT" + cpuPlugin + ", measured 3.0x as fast as go", "compute float32"},
		{"CPU plugin measured slower", measured("go"),
			"go", "go", "measured faster than the CPU PJRT plugin", "compute float32"},
		{"record of another plugin", func(f *fakeSystem) {
			measured("xla:cpu")(f)
			f.writeBench(BenchRecord{CPUPlugin: "/elsewhere/pjrt_c_api_cpu_plugin.so", Pick: "xla:cpu"})
		}, "go", "go", "not yet measured", "compute float32"},
		{"versioned CPU plugin in /usr/local/lib/go-xla", func(f *fakeSystem) {
			f.touch("/usr/local/lib/go-xla/pjrt_c_api_cpu_v0.83.1_plugin.so")
			f.writeBench(BenchRecord{CPUPlugin: f.path("/usr/local/lib/go-xla/pjrt_c_api_cpu_v0.83.1_plugin.so"), Pick: "xla:cpu"})
		}, "xla:cpu_v0.83.1", "xla:cpu", "measured", "compute float32"},
		{"CUDA beats the CPU plugin", func(f *fakeSystem) {
			measured("xla:cpu")(f)
			f.touch("/dev/nvidia0")
			f.touch("/home/u/.local/lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so")
		}, "xla:cuda", "xla:cuda", "CUDA PJRT plugin", "compute bf16"},
		{"TPU with go-xla's plugin", func(f *fakeSystem) {
			f.touch("/dev/accel0")
			f.touch("/home/u/.local/lib/go-xla/pjrt_c_api_tpu_plugin.so")
			measured("xla:cpu")(f)
		}, "xla:tpu", "xla:tpu", "TPU /dev/accel0, plugin ROOT/home/u/.local/lib/go-xla/pjrt_c_api_tpu_plugin.so", "compute bf16"},
		{"TPU v5e with libtpu from pip", func(f *fakeSystem) {
			f.touch("/dev/vfio/0")
			f.touch(sitePackages + "/libtpu/libtpu.so")
		}, "xla:ROOT" + sitePackages + "/libtpu/libtpu.so", "xla:tpu", "TPU ROOT/dev/vfio/0", "compute bf16"},
		{"TPU with a system libtpu", func(f *fakeSystem) {
			f.touch("/dev/accel0")
			f.touch("/usr/lib/libtpu.so")
		}, "xla:/usr/lib/libtpu.so", "xla:tpu", "plugin /usr/lib/libtpu.so", "compute bf16"}, // the fake roots lookups, not the names
		{"libtpu without a TPU is ignored", func(f *fakeSystem) { f.touch(sitePackages + "/libtpu/libtpu.so") },
			"go", "go", "no NVIDIA GPU", "compute float32"},
		{"TPU without libtpu", func(f *fakeSystem) { f.touch("/dev/accel0") },
			"go", "go", "no NVIDIA GPU", "compute float32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			tc.setup(f)
			got, notes := f.chooser().choose()
			fix := func(s string) string { return strings.ReplaceAll(s, "ROOT", f.root) }
			if got.Config != fix(tc.wantConfig) || got.Name != tc.wantName || !strings.Contains(got.Reason, fix(tc.reason)) {
				t.Errorf("choice = %+v\nwant config %q, name %q, reason containing %q\nnotes: %q", got, fix(tc.wantConfig), tc.wantName, fix(tc.reason), notes)
			}
			if got.Name != "go" && !strings.HasPrefix(got.Name, "go:") && got.Env[ConfigEnv] != got.Config && got.Reason != "GOMLX_BACKEND is set" {
				t.Errorf("Env[%s] = %q, want %q", ConfigEnv, got.Env[ConfigEnv], got.Config)
			}
			if p := got.Precision(); p != tc.precision {
				t.Errorf("Precision = %q, want %q", p, tc.precision)
			}
		})
	}
}

func TestBackends(t *testing.T) {
	f := newFake(t)
	list := f.chooser().backends()
	var names []string
	for _, s := range list {
		names = append(names, s.Name)
		if s.Name == "go" {
			if !s.Available {
				t.Errorf("go not available")
			}
			continue
		}
		if s.Available || s.Install == "" || s.Detail == "" {
			t.Errorf("%s on an empty machine: %+v, want missing with a detail and an install hint", s.Name, s)
		}
	}
	if strings.Join(names, " ") != "go xla:cuda xla:cpu xla:tpu" {
		t.Errorf("backends %q", names)
	}
	if !strings.Contains(list[2].Install, "pjrt_installer") || !strings.Contains(list[3].Install, "libtpu") || !strings.Contains(list[1].Install, "jax[cuda13]") {
		t.Errorf("install hints: %q | %q | %q", list[1].Install, list[2].Install, list[3].Install)
	}

	f = newFake(t)
	f.touch("/dev/nvidia0")
	f.site = []string{f.mkdir("/venv/lib/python3.12/site-packages")}
	f.touch("/venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	f.touch("/usr/local/lib/go-xla/pjrt_c_api_cpu_plugin.so")
	f.touch("/dev/accel0")
	f.touch("/usr/local/lib/libtpu.so")
	for _, s := range f.chooser().backends() {
		if !s.Available || s.Config == "" || s.Install != "" {
			t.Errorf("%s with everything installed: %+v", s.Name, s)
		}
		if s.Name == "xla:cuda" && !strings.Contains(s.Env["XLA_FLAGS"], "--xla_gpu_cuda_data_dir=") {
			t.Errorf("JAX's CUDA plugin without its XLA_FLAGS: %v", s.Env)
		}
	}
}

// TestBench times the go backend (small sizes) and a CPU plugin that cannot load: the failure
// is recorded and go stays the pick.
func TestBench(t *testing.T) {
	t.Setenv(NoAutoInstallEnv, "1")
	small := benchSizes{matmul: 32, batch: 8, in: 16, hidden: 8, out: 4, runs: 3, warmup: 1}
	statuses := []Status{
		{Name: "go", Available: true, Config: "go"},
		{Name: "xla:cuda"},
		{Name: "xla:cpu", Available: true, Config: "xla:/nonexistent/pjrt_c_api_cpu_plugin.so", Detail: "CPU PJRT plugin /nonexistent/pjrt_c_api_cpu_plugin.so"},
	}
	results, rec := bench(statuses, small)
	if len(results) != 2 || results[0].Name != "go" || results[1].Name != "xla:cpu" {
		t.Fatalf("results %+v", results)
	}
	if g := results[0]; g.Error != "" || g.MatmulMs <= 0 || g.MLPStepMs <= 0 {
		t.Errorf("go: %+v", g)
	}
	if results[1].Error == "" {
		t.Errorf("a missing plugin gave no error: %+v", results[1])
	}
	if rec.Pick != "go" || rec.CPUPlugin != "/nonexistent/pjrt_c_api_cpu_plugin.so" {
		t.Errorf("record %+v", rec)
	}
	path := t.TempDir() + "/sub/bench.json"
	if err := SaveBench(path, rec); err != nil {
		t.Fatal(err)
	}
	t.Setenv(BenchFileEnv, path)
	back, err := systemChooser().readBench()
	if err != nil || back.Pick != "go" || len(back.Results) != 2 {
		t.Errorf("read back %+v, %v", back, err)
	}
}
