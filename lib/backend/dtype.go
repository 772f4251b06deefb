package backend

import (
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
)

// DefaultDType returns the compute precision trainers use on b by default:
// dtypes.BFloat16 for XLA on an accelerator (a CUDA or ROCm GPU, or a TPU,
// whose matrix units run bfloat16 at several times the float32 rate), and
// dtypes.Float32 otherwise (the pure-Go backend, XLA on CPU, a nil backend).
// Parameters and optimizer state stay float32 either way; this is the dtype of
// the forward and backward computation.
func DefaultDType(b compute.Backend) dtypes.DType {
	if accelerated(b) {
		return dtypes.BFloat16
	}
	return dtypes.Float32
}

// PrecisionNote returns the phrase the "backend:" lines use for
// [DefaultDType], e.g. "compute bf16" or "compute float32".
func PrecisionNote(b compute.Backend) string {
	if DefaultDType(b) == dtypes.BFloat16 {
		return "compute bf16"
	}
	return "compute float32"
}

// pluginNamer is implemented by the XLA backend (go-xla's *xla.Backend).
type pluginNamer interface{ PluginName() string }

// accelerated reports whether b is XLA on a GPU or TPU plugin.
func accelerated(b compute.Backend) bool {
	if b == nil {
		return false
	}
	p, ok := b.(pluginNamer)
	if !ok || !isXLAName(b.Name()) {
		return false
	}
	return acceleratorPlugin(p.PluginName())
}

// acceleratorPlugin reports whether a PJRT plugin name or path is a GPU or
// TPU plugin ("cuda", "cuda13", "/x/xla_cuda_plugin.so", "tpu", "libtpu.so").
func acceleratorPlugin(name string) bool {
	base := strings.ToLower(name)
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	for _, k := range []string{"cuda", "rocm", "tpu"} {
		if strings.Contains(base, k) {
			return true
		}
	}
	return false
}

// isXLAName reports whether a backend name is one the XLA backend registers.
func isXLAName(name string) bool {
	for _, a := range xlaAliases {
		if name == a {
			return true
		}
	}
	return false
}
