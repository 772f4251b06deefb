package backend

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
)

// fakeBackend is a compute.Backend reporting a name and, optionally, a PJRT plugin name.
type fakeBackend struct {
	compute.Backend
	name string
}

func (f fakeBackend) Name() string { return f.name }

type fakeXLA struct {
	fakeBackend
	plugin string
}

func (f fakeXLA) PluginName() string { return f.plugin }

func TestDefaultDType(t *testing.T) {
	tests := []struct {
		name string
		b    compute.Backend
		want dtypes.DType
	}{
		{"nil", nil, dtypes.Float32},
		{"go", fakeBackend{name: "go"}, dtypes.Float32},
		{"xla cpu", fakeXLA{fakeBackend{name: "xla"}, "cpu"}, dtypes.Float32},
		{"xla cuda", fakeXLA{fakeBackend{name: "xla"}, "cuda"}, dtypes.BFloat16},
		{"xla cuda13 versioned", fakeXLA{fakeBackend{name: "xla"}, "cuda13_v0.8"}, dtypes.BFloat16},
		{"xla JAX plugin path", fakeXLA{fakeBackend{name: "xla"}, "/sp/jax_plugins/xla_cuda13/xla_cuda_plugin.so"}, dtypes.BFloat16},
		{"xla rocm", fakeXLA{fakeBackend{name: "xla"}, "rocm"}, dtypes.BFloat16},
		{"xla tpu", fakeXLA{fakeBackend{name: "xla"}, "/sp/libtpu/libtpu.so"}, dtypes.BFloat16},
		{"cpu plugin in a cuda-named folder", fakeXLA{fakeBackend{name: "xla"}, "/opt/cuda/pjrt_c_api_cpu_plugin.so"}, dtypes.Float32},
		{"not xla", fakeXLA{fakeBackend{name: "other"}, "cuda"}, dtypes.Float32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultDType(tc.b); got != tc.want {
				t.Errorf("DefaultDType = %s, want %s", got, tc.want)
			}
			wantNote := map[dtypes.DType]string{dtypes.BFloat16: "compute bf16", dtypes.Float32: "compute float32"}[tc.want]
			if got := PrecisionNote(tc.b); got != wantNote {
				t.Errorf("PrecisionNote = %q, want %q", got, wantNote)
			}
		})
	}
}

// TestDefaultDTypeGo checks the real pure-Go backend.
func TestDefaultDTypeGo(t *testing.T) {
	t.Setenv(ConfigEnv, "go")
	b, err := create(Choice{Config: "go"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if got := DefaultDType(b); got != dtypes.Float32 {
		t.Errorf("DefaultDType(go backend) = %s, want Float32", got)
	}
}
