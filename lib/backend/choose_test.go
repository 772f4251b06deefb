package backend

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSystem is a chooser over a temporary directory: paths like
// "/dev/nvidia0" are looked up under root.
type fakeSystem struct {
	t    *testing.T
	root string
	env  map[string]string
	site []string // python3's site-packages (already rooted)
	// cacheHome is the user's cache folder; "" (TestChoose): none, so no
	// autotuning cache (TestAutotuneCache sets it).
	cacheHome string
}

func newFake(t *testing.T) *fakeSystem {
	return &fakeSystem{t: t, root: t.TempDir(), env: map[string]string{}}
}

// path returns p under the fake root.
func (f *fakeSystem) path(p string) string { return filepath.Join(f.root, p) }

// touch creates a file (and its folders) under the fake root.
func (f *fakeSystem) touch(p string) string {
	f.t.Helper()
	full := f.path(p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(full, nil, 0o644); err != nil {
		f.t.Fatal(err)
	}
	return full
}

// mkdir creates a folder under the fake root.
func (f *fakeSystem) mkdir(p string) string {
	f.t.Helper()
	full := f.path(p)
	if err := os.MkdirAll(full, 0o755); err != nil {
		f.t.Fatal(err)
	}
	return full
}

func (f *fakeSystem) chooser() *chooser {
	rooted := func(p string) string {
		if strings.HasPrefix(p, f.root) {
			return p
		}
		return f.path(p)
	}
	return &chooser{
		lookupEnv: func(k string) (string, bool) { v, ok := f.env[k]; return v, ok },
		exists: func(p string) bool {
			_, err := os.Stat(rooted(p))
			return err == nil
		},
		glob:     func(p string) ([]string, error) { return filepath.Glob(rooted(p)) },
		readFile: func(p string) ([]byte, error) { return os.ReadFile(rooted(p)) },
		fileSize: func(p string) int64 {
			fi, err := os.Stat(rooted(p))
			if err != nil {
				return -1
			}
			return fi.Size()
		},
		home:         f.path("/home/u"),
		cacheHome:    f.cacheHome,
		sitePackages: func() []string { return f.site },
	}
}

func TestChoose(t *testing.T) {
	const jaxPlugin = "/usr/local/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
	for _, tc := range []struct {
		name       string
		setup      func(f *fakeSystem)
		wantConfig string // "ROOT" is replaced by the fake root.
		wantName   string
		wantReason string
		wantEnv    map[string]string
	}{
		{
			name: "GOMLX_BACKEND wins",
			setup: func(f *fakeSystem) {
				f.env["GOMLX_BACKEND"] = "go:ops_sequential"
				f.touch("/dev/nvidia0")
				f.touch(jaxPlugin)
			},
			wantConfig: "go:ops_sequential", wantName: "go:ops_sequential", wantReason: "GOMLX_BACKEND is set",
			wantEnv: map[string]string{"GOMLX_NO_AUTO_INSTALL": "1"},
		},
		{
			name: "GOMLX_BACKEND with a JAX plugin path gets XLA_FLAGS",
			setup: func(f *fakeSystem) {
				f.env["GOMLX_BACKEND"] = "xla:" + f.path(jaxPlugin)
				f.env["GOMLX_NO_AUTO_INSTALL"] = ""
			},
			wantConfig: "xla:ROOT" + jaxPlugin, wantName: "xla:cuda", wantReason: "GOMLX_BACKEND is set",
			wantEnv: map[string]string{
				"XLA_FLAGS":          "--xla_gpu_cuda_data_dir=ROOT/usr/local/lib/python3.12/site-packages/nvidia",
				"GOPJRT_CUDA_CHECKS": "0",
			},
		},
		{
			name:       "no GPU",
			setup:      func(f *fakeSystem) { f.touch(jaxPlugin) },
			wantConfig: "go", wantName: "go", wantReason: "no NVIDIA GPU",
			wantEnv: map[string]string{"GOMLX_NO_AUTO_INSTALL": "1", "GOMLX_BACKEND": "go"},
		},
		{
			name:       "GPU without plugin",
			setup:      func(f *fakeSystem) { f.mkdir("/proc/driver/nvidia") },
			wantConfig: "go", wantName: "go", wantReason: "no CUDA PJRT plugin found",
			wantEnv: map[string]string{"GOMLX_NO_AUTO_INSTALL": "1", "GOMLX_BACKEND": "go"},
		},
		{
			name: "JAX plugin in /usr/local site-packages",
			setup: func(f *fakeSystem) {
				f.touch("/dev/nvidia0")
				f.touch(jaxPlugin)
				f.touch("/usr/local/lib/python3.12/site-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so")
				f.env["XLA_FLAGS"] = "--xla_dump_to=/tmp/x"
			},
			wantConfig: "xla:ROOT" + jaxPlugin, wantName: "xla:cuda", wantReason: "JAX's CUDA PJRT plugin ROOT" + jaxPlugin,
			wantEnv: map[string]string{
				"GOMLX_NO_AUTO_INSTALL": "1",
				"GOPJRT_CUDA_CHECKS":    "0",
				"XLA_FLAGS":             "--xla_dump_to=/tmp/x --xla_gpu_cuda_data_dir=ROOT/usr/local/lib/python3.12/site-packages/nvidia",
				"GOMLX_BACKEND":         "xla:ROOT" + jaxPlugin,
			},
		},
		{
			name: "JAX plugin in python3's site-packages, newest Python and CUDA first",
			setup: func(f *fakeSystem) {
				f.touch("/dev/nvidia0")
				f.site = []string{f.mkdir("/venv/lib/python3.9/site-packages"), f.mkdir("/venv/lib/python3.12/site-packages")}
				f.touch("/venv/lib/python3.12/site-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so")
				f.touch("/venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
				f.touch(jaxPlugin) // Python's own dirs come first.
				f.env["GOPJRT_CUDA_CHECKS"] = "1"
				f.env["XLA_FLAGS"] = "--xla_gpu_cuda_data_dir=/mine"
			},
			wantConfig: "xla:ROOT/venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so",
			wantName:   "xla:cuda", wantReason: "JAX's CUDA PJRT plugin",
			wantEnv: map[string]string{
				"GOMLX_NO_AUTO_INSTALL": "1",
				"GOMLX_BACKEND":         "xla:ROOT/venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so",
			},
		},
		{
			name: "JAX plugin in $VIRTUAL_ENV",
			setup: func(f *fakeSystem) {
				f.touch("/dev/nvidia0")
				f.env["VIRTUAL_ENV"] = f.path("/work/.venv")
				f.touch("/work/.venv/lib/python3.11/site-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so")
				f.touch(jaxPlugin)
			},
			wantConfig: "xla:ROOT/work/.venv/lib/python3.11/site-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so",
			wantName:   "xla:cuda", wantReason: "JAX's CUDA PJRT plugin",
		},
		{
			name: "JAX plugin in /opt/*/.venv",
			setup: func(f *fakeSystem) {
				f.touch("/dev/nvidia0")
				f.touch("/opt/app/.venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
			},
			wantConfig: "xla:ROOT/opt/app/.venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so",
			wantName:   "xla:cuda", wantReason: "JAX's CUDA PJRT plugin",
		},
		{
			name: "go-xla plugin in ~/.local/lib/go-xla/nvidia beats JAX's",
			setup: func(f *fakeSystem) {
				f.touch("/dev/nvidia0")
				f.touch("/home/u/.local/lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so")
				f.touch(jaxPlugin)
			},
			wantConfig: "xla:cuda", wantName: "xla:cuda", wantReason: "CUDA PJRT plugin ROOT/home/u/.local/lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so",
			wantEnv: map[string]string{"GOMLX_NO_AUTO_INSTALL": "1", "GOMLX_BACKEND": "xla:cuda"},
		},
		{
			name: "go-xla plugin in /usr/local/lib/gomlx/pjrt",
			setup: func(f *fakeSystem) {
				f.touch("/dev/nvidia0")
				f.touch("/usr/local/lib/gomlx/pjrt/pjrt_c_api_cuda_plugin.so")
			},
			wantConfig: "xla:cuda", wantName: "xla:cuda", wantReason: "CUDA PJRT plugin",
		},
		{
			name: "PJRT_PLUGIN_LIBRARY_PATH replaces go-xla's default folders",
			setup: func(f *fakeSystem) {
				f.touch("/dev/nvidia0")
				f.touch("/usr/local/lib/go-xla/pjrt_c_api_cuda_plugin.so") // Not searched.
				f.env["PJRT_PLUGIN_LIBRARY_PATH"] = ":" + f.mkdir("/empty") + ":" + f.path("/plugins")
				f.touch("/plugins/pjrt_c_api_cuda_v0.5.1_plugin.so")
			},
			wantConfig: "xla:cuda_v0.5.1", wantName: "xla:cuda", wantReason: "CUDA PJRT plugin ROOT/plugins/",
		},
		{
			name: "plugin in an ld.so.conf include folder",
			setup: func(f *fakeSystem) {
				f.touch("/dev/nvidia0")
				if err := os.WriteFile(f.touch("/etc/ld.so.conf"), []byte("include "+f.path("/etc/ld.so.conf.d")+"/*.conf\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f.touch("/etc/ld.so.conf.d/cuda.conf"), []byte("# comment\n"+f.path("/opt/cuda/lib")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				f.touch("/opt/cuda/lib/pjrt-plugin-cuda.so")
			},
			wantConfig: "xla:cuda", wantName: "xla:cuda", wantReason: "CUDA PJRT plugin ROOT/opt/cuda/lib/pjrt-plugin-cuda.so",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			tc.setup(f)
			got, notes := f.chooser().choose()
			fix := func(s string) string { return strings.ReplaceAll(s, "ROOT", f.root) }
			if got.Config != fix(tc.wantConfig) {
				t.Errorf("Config = %q, want %q", got.Config, fix(tc.wantConfig))
			}
			if got.Name != tc.wantName {
				t.Errorf("Name = %q, want %q", got.Name, tc.wantName)
			}
			if !strings.Contains(got.Reason, fix(tc.wantReason)) {
				t.Errorf("Reason = %q, want it to contain %q", got.Reason, fix(tc.wantReason))
			}
			if tc.wantEnv != nil {
				want := map[string]string{}
				for k, v := range tc.wantEnv {
					want[k] = fix(v)
				}
				if !maps.Equal(got.Env, want) {
					t.Errorf("Env = %q, want %q", got.Env, want)
				}
			}
			if t.Failed() {
				t.Logf("notes: %q", notes)
			}
		})
	}
}

func TestShortName(t *testing.T) {
	for config, want := range map[string]string{
		"go":       "go",
		"xla:cuda": "xla:cuda",
		"xla:/a/pjrt_c_api_cuda_plugin.so,preallocate=false":      "xla:cuda,preallocate=false",
		"stablehlo:/sp/jax_plugins/xla_cuda13/xla_cuda_plugin.so": "stablehlo:cuda",
		"xla:/x/libfoo.so": "xla:libfoo",
	} {
		if got := shortName(config); got != want {
			t.Errorf("shortName(%q) = %q, want %q", config, got, want)
		}
	}
}

func TestNaturalCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"python3.9", "python3.12", -1},
		{"xla_cuda13", "xla_cuda12", 1},
		{"a", "a", 0},
		{"a1", "a01", 0},
		{"a", "ab", -1},
	} {
		if got := naturalCompare(tc.a, tc.b); got != tc.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestAutotuneCache checks where Choose puts XLA's autotuning cache: a
// folder per plugin build (its path and size hashed) under CacheEnv or the
// user's cache folder, never over the user's own flag, nothing when off.
func TestAutotuneCache(t *testing.T) {
	const jaxPlugin = "/sp/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
	const goXLA = "/home/u/.local/lib/go-xla/pjrt_c_api_cuda_plugin.so"
	folder := func(plugin string, size int64, name string) string { // the expected <name>-<id>
		id := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", plugin, size))
		return fmt.Sprintf("%s-%x", name, id[:6])
	}
	for _, tc := range []struct {
		name  string
		setup func(f *fakeSystem)
		want  func(f *fakeSystem) string // the cache folder in XLA_FLAGS ("": none)
	}{
		{"JAX plugin in GOMLX_BACKEND: the user cache folder", func(f *fakeSystem) { f.env["GOMLX_BACKEND"] = "xla:" + f.touch(jaxPlugin) },
			func(f *fakeSystem) string {
				return filepath.Join(f.cacheHome, "labnotes", "xla", folder(f.path(jaxPlugin), 0, "xla_cuda13"), "autotune")
			}},
		{"found JAX plugin: LABNOTES_XLA_CACHE", func(f *fakeSystem) {
			f.touch("/dev/nvidia0")
			f.site = []string{f.path("/sp")}
			if err := os.WriteFile(f.touch(jaxPlugin), []byte("12345"), 0o644); err != nil {
				t.Fatal(err)
			}
			f.env[CacheEnv] = "/c"
		}, func(f *fakeSystem) string {
			return filepath.Join("/c", folder(f.path(jaxPlugin), 5, "xla_cuda13"), "autotune")
		}},
		{"go-xla's plugin", func(f *fakeSystem) { f.touch("/dev/nvidia0"); f.touch(goXLA) },
			func(f *fakeSystem) string {
				return filepath.Join(f.cacheHome, "labnotes", "xla", folder(f.path(goXLA), 0, "pjrt_c_api_cuda_plugin"), "autotune")
			}},
		{"off", func(f *fakeSystem) { f.env["GOMLX_BACKEND"] = "xla:" + f.touch(jaxPlugin); f.env[CacheEnv] = "OFF" },
			func(*fakeSystem) string { return "" }},
		{"the user's own flag wins", func(f *fakeSystem) {
			f.env["GOMLX_BACKEND"] = "xla:" + f.touch(jaxPlugin)
			f.env["XLA_FLAGS"] = "--xla_gpu_per_fusion_autotune_cache_dir=/mine"
		}, func(*fakeSystem) string { return "/mine" }},
		{"no cache folder known", func(f *fakeSystem) { f.env["GOMLX_BACKEND"] = "xla:" + f.touch(jaxPlugin); f.cacheHome = "" },
			func(*fakeSystem) string { return "" }},
		{"the Go backend", func(f *fakeSystem) {}, func(*fakeSystem) string { return "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.cacheHome = f.path("/home/u/.cache")
			tc.setup(f)
			got, _ := f.chooser().choose()
			env := got.Env
			if _, ok := env["XLA_FLAGS"]; !ok {
				env = map[string]string{"XLA_FLAGS": f.env["XLA_FLAGS"]}
			}
			if dir, want := AutotuneCacheDir(env), tc.want(f); dir != want {
				t.Errorf("autotuning cache %q, want %q (XLA_FLAGS %q)", dir, want, env["XLA_FLAGS"])
			}
		})
	}
}

// TestCreateMakesCacheFolder checks that create makes the cache folder,
// and leaves the flag out of XLA_FLAGS (keeping the others) when it cannot.
func TestCreateMakesCacheFolder(t *testing.T) {
	t.Setenv("XLA_FLAGS", "") // create sets it: restored after the test
	dir := filepath.Join(t.TempDir(), "a", "autotune")
	c := Choice{Config: "go", Env: map[string]string{"XLA_FLAGS": "--x=1 " + autotuneCacheFlag + "=" + dir}}
	if _, err := create(c); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("cache folder %s not created: %v", dir, err)
	}
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c = Choice{Config: "go", Env: map[string]string{"XLA_FLAGS": "--x=1 " + autotuneCacheFlag + "=" + filepath.Join(blocked, "autotune")}}
	if _, err := create(c); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv("XLA_FLAGS"); got != "--x=1" {
		t.Errorf("XLA_FLAGS %q after a folder that cannot be made, want %q", got, "--x=1")
	}
}
