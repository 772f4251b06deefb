package backend

import (
	"path/filepath"
	"strings"
)

// Install hints for the XLA plugins (printed by labnotes doctor). Nothing here downloads.
const (
	installerCmd = "go run github.com/gomlx/go-xla/cmd/pjrt_installer@latest" // as go-xla's README says; not run here (no network to its downloads)
	// InstallCUDA installs a CUDA PJRT plugin.
	InstallCUDA = "python3 -m venv ~/.venv && ~/.venv/bin/pip install 'jax[cuda13]' (lib/backend finds its plugin via $VIRTUAL_ENV or ~/.venv), or " + installerCmd + " -autoinstall"
	// InstallCPU installs go-xla's CPU PJRT plugin into ~/.local/lib/go-xla.
	InstallCPU = installerCmd + " (choose the cpu plugin; it goes to ~/.local/lib/go-xla), then `labnotes doctor --bench` to measure it against go"
	// InstallTPU installs libtpu on a Cloud TPU VM.
	InstallTPU = "on a Cloud TPU VM: pip install libtpu (or 'jax[tpu]'), or " + installerCmd + " -autoinstall (pjrt_c_api_tpu_plugin.so in ~/.local/lib/go-xla)"
)

// tpuPluginPatterns are go-xla's TPU plugin names.
var tpuPluginPatterns = []string{"pjrt_c_api_tpu*_plugin.so"}

// libtpuPaths are the system places of libtpu.so (those go-xla's installer checks).
var libtpuPaths = []string{"/usr/local/lib/libtpu.so", "/usr/lib/libtpu.so", "/lib/libtpu.so"}

// tpuDevice returns the path showing a TPU (/dev/accel0 on TPU v2-v4 VMs, /dev/vfio/N on v5e
// and later), or "".
func (c *chooser) tpuDevice() string {
	if c.exists("/dev/accel0") {
		return "/dev/accel0"
	}
	if m, _ := c.glob("/dev/vfio/[0-9]*"); len(m) > 0 {
		return m[0]
	}
	return ""
}

// findTPU returns the config of a TPU plugin: go-xla's (xla:tpu), then libtpu from a Python
// site-packages folder (the libtpu pip package), then a system libtpu.so.
func (c *chooser) findTPU(dirs []string) (config, path string, ok bool) {
	if p, name, ok := c.findPlugin(dirs, tpuPluginPatterns); ok {
		return "xla:" + name, p, true
	}
	for _, sp := range c.sitePackageDirs() {
		if p := filepath.Join(sp, "libtpu", "libtpu.so"); c.exists(p) {
			return "xla:" + p, p, true
		}
	}
	for _, p := range libtpuPaths {
		if c.exists(p) {
			return "xla:" + p, p, true
		}
	}
	return "", "", false
}

// tpu returns the XLA TPU choice when a TPU and its plugin are present, or nil, with notes.
func (c *chooser) tpu(dirs []string) (*Choice, []string) {
	dev := c.tpuDevice()
	if dev == "" {
		return nil, []string{"TPU: none (neither /dev/accel0 nor /dev/vfio/N exists)"}
	}
	config, path, ok := c.findTPU(dirs)
	if !ok {
		return nil, []string{"TPU: " + dev + " exists", "TPU plugin: none (no pjrt_c_api_tpu_plugin.so in go-xla's folders, no libtpu/libtpu.so in site-packages, no system libtpu.so)"}
	}
	return &Choice{Config: config, Name: "xla:tpu", Reason: "TPU " + dev + ", plugin " + path},
		[]string{"TPU: " + dev + " exists", "TPU plugin: " + path}
}

// Status is one backend as `labnotes doctor` lists it.
type Status struct {
	// Name is "go", "xla:cuda", "xla:cpu" or "xla:tpu".
	Name string
	// Available is true when the backend can be created here.
	Available bool
	// Config is the GOMLX_BACKEND value that selects it ("" when not available).
	Config string
	// Detail says what was found, or what is missing.
	Detail string
	// Install is the command that would make it available ("" when available).
	Install string
	// Env holds variables it needs (JAX's CUDA plugin: XLA_FLAGS, ...).
	Env map[string]string
}

// Backends lists the four backends Labnotes knows — go, xla:cuda, xla:cpu, xla:tpu — with what
// was found for each and, for a missing one, how to install it. It looks at the system the same
// way [Choose] does and has no side effects.
func Backends() []Status { return systemChooser().backends() }

func (c *chooser) backends() []Status {
	dirs := c.goXLADirs()
	where := strings.Join(dirs, ":")
	out := []Status{{Name: "go", Available: true, Config: "go", Detail: "pure Go, always compiled in (SIMD with GOEXPERIMENT=simd)"}}

	cuda := Status{Name: "xla:cuda", Install: InstallCUDA}
	env := map[string]string{}
	if ch, _ := c.cuda(dirs, env); ch != nil {
		cuda = Status{Name: "xla:cuda", Available: true, Config: ch.Config, Detail: ch.Reason, Env: env}
	} else if c.gpuDevice() == "" {
		cuda.Detail = "no NVIDIA GPU (neither /dev/nvidia0 nor /proc/driver/nvidia exists)"
		cuda.Install = "needs an NVIDIA GPU; then " + InstallCUDA
	} else {
		cuda.Detail = "NVIDIA GPU present, no CUDA PJRT plugin in go-xla's folders or a Python site-packages"
	}
	out = append(out, cuda)

	cpu := Status{Name: "xla:cpu", Install: InstallCPU, Detail: "no CPU PJRT plugin (pjrt_c_api_cpu*_plugin.so) in " + where}
	if path, name, ok := c.findPlugin(dirs, cpuPluginPatterns); ok {
		cpu = Status{Name: "xla:cpu", Available: true, Config: "xla:" + name, Detail: "CPU PJRT plugin " + path}
	}
	out = append(out, cpu)

	tpu := Status{Name: "xla:tpu", Install: InstallTPU}
	if ch, notes := c.tpu(dirs); ch != nil {
		tpu = Status{Name: "xla:tpu", Available: true, Config: ch.Config, Detail: ch.Reason}
	} else {
		tpu.Detail = strings.Join(notes, "; ")
	}
	return append(out, tpu)
}

// Precision returns the phrase for the compute precision trainers use on this choice (see
// [DefaultDType]): "compute bf16" for XLA on a GPU or TPU, "compute float32" otherwise.
func (c Choice) Precision() string {
	if isXLAName(strings.SplitN(c.Config, ":", 2)[0]) && (acceleratorPlugin(c.Name) || acceleratorPlugin(pluginPath(c.Config))) {
		return "compute bf16"
	}
	return "compute float32"
}
