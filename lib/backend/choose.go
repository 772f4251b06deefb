package backend

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Environment variables read or set by this package.
const (
	// ConfigEnv selects the backend explicitly, e.g. "go" or "xla:cuda".
	ConfigEnv = "GOMLX_BACKEND"
	// NoAutoInstallEnv, when present, stops go-xla from downloading plugins.
	NoAutoInstallEnv = "GOMLX_NO_AUTO_INSTALL"

	// CacheEnv names the folder of the on-disk cache of XLA's GPU
	// autotuning results (see [Choose]); "off" turns it off. Default:
	// <user cache folder>/labnotes/xla.
	CacheEnv = "LABNOTES_XLA_CACHE"

	pluginPathEnv     = "PJRT_PLUGIN_LIBRARY_PATH"
	xlaFlagsEnv       = "XLA_FLAGS"
	cudaChecksEnv     = "GOPJRT_CUDA_CHECKS"
	cudaDataDirFlag   = "--xla_gpu_cuda_data_dir"
	autotuneCacheFlag = "--xla_gpu_per_fusion_autotune_cache_dir"
)

// Choice is the backend [Choose] picked, and why.
type Choice struct {
	// Config is the GoMLX backend configuration, as given to
	// compute.NewWithConfig, e.g. "go" or "xla:/path/to/xla_cuda_plugin.so".
	Config string
	// Name is a short name for the backend, e.g. "go" or "xla:cuda".
	Name string
	// Reason says why this backend was chosen.
	Reason string
	// Env holds the environment variables [New] sets before creating the
	// backend.
	Env map[string]string
}

// String returns "<name> (<reason>)", as in the line [New] prints.
func (c Choice) String() string {
	return fmt.Sprintf("%s (%s)", c.Name, c.Reason)
}

// Choose decides which backend to use, without side effects: see the
// package documentation for the order of preference.
func Choose() Choice {
	c, _ := systemChooser().choose()
	return c
}

// chooser holds the decision logic; its lookups are injectable for tests.
type chooser struct {
	lookupEnv    func(key string) (string, bool)
	exists       func(path string) bool
	glob         func(pattern string) ([]string, error)
	readFile     func(path string) ([]byte, error)
	fileSize     func(path string) int64 // -1 when it cannot be read
	home         string
	cacheHome    string          // the user's cache folder ("": none)
	sitePackages func() []string // Python's own site-packages folders.
}

// systemChooser returns a chooser looking at the real environment.
func systemChooser() *chooser {
	home, _ := os.UserHomeDir()
	cacheHome, _ := os.UserCacheDir()
	return &chooser{
		lookupEnv: os.LookupEnv,
		exists: func(path string) bool {
			_, err := os.Stat(path)
			return err == nil
		},
		glob:     filepath.Glob,
		readFile: os.ReadFile,
		fileSize: func(path string) int64 {
			fi, err := os.Stat(path)
			if err != nil {
				return -1
			}
			return fi.Size()
		},
		home:         home,
		cacheHome:    cacheHome,
		sitePackages: pythonSitePackages,
	}
}

// pythonSitePackages asks python3 (once per process, with a timeout) for
// its site-packages folders.
var pythonSitePackages = sync.OnceValue(func() []string {
	python, err := exec.LookPath("python3")
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c",
		"import site\nfor p in site.getsitepackages()+[site.getusersitepackages()]: print(p)").Output()
	if err != nil {
		return nil
	}
	var dirs []string
	for line := range strings.Lines(string(out)) {
		if line = strings.TrimSpace(line); line != "" {
			dirs = append(dirs, line)
		}
	}
	return dirs
})

// getenv returns the value of key, or "" if unset.
func (c *chooser) getenv(key string) string {
	v, _ := c.lookupEnv(key)
	return v
}

// choose returns the choice and notes about what it looked at (for Describe).
func (c *chooser) choose() (Choice, []string) {
	var notes []string
	env := map[string]string{}
	if _, ok := c.lookupEnv(NoAutoInstallEnv); !ok {
		env[NoAutoInstallEnv] = "1"
	}

	if config := c.getenv(ConfigEnv); config != "" {
		if sp, ok := jaxSitePackages(pluginPath(config)); ok {
			c.jaxEnv(env, sp)
			c.autotuneCache(env, pluginPath(config))
		}
		return Choice{
			Config: config,
			Name:   shortName(config),
			Reason: ConfigEnv + " is set",
			Env:    env,
		}, notes
	}

	goChoice := func(reason string) Choice {
		env[ConfigEnv] = "go"
		return Choice{Config: "go", Name: "go", Reason: reason, Env: env}
	}

	dirs := c.goXLADirs()
	if cuda, cnotes := c.cuda(dirs, env); cuda != nil {
		return *cuda, append(notes, cnotes...)
	} else {
		notes = append(notes, cnotes...)
	}
	if tpu, tnotes := c.tpu(dirs); tpu != nil {
		env[ConfigEnv] = tpu.Config
		tpu.Env = env
		return *tpu, append(notes, tnotes...)
	} else {
		notes = append(notes, tnotes...)
	}
	cpuPath, cpuName, ok := c.findPlugin(dirs, cpuPluginPatterns)
	if !ok {
		notes = append(notes, "CPU PJRT plugin: none in "+strings.Join(dirs, ":"))
		return goChoice(c.noAcceleratorReason(notes)), notes
	}
	notes = append(notes, "CPU PJRT plugin: "+cpuPath)
	rec, err := c.readBench()
	switch {
	case err != nil:
		notes = append(notes, "benchmark record: "+err.Error())
	case rec.CPUPlugin != cpuPath:
		notes = append(notes, "benchmark record "+c.benchFile()+" measured another CPU plugin ("+rec.CPUPlugin+")")
	case rec.Pick == "xla:cpu":
		config := "xla:" + cpuName
		env[ConfigEnv] = config
		return Choice{Config: config, Name: "xla:cpu",
			Reason: fmt.Sprintf("CPU PJRT plugin %s, measured %.1fx as fast as go by `labnotes doctor --bench`", cpuPath, rec.Speedup()),
			Env:    env}, notes
	default:
		return goChoice(fmt.Sprintf("measured faster than the CPU PJRT plugin %s by `labnotes doctor --bench`", cpuPath)), notes
	}
	return goChoice("CPU PJRT plugin " + cpuPath + " found but not yet measured: run `labnotes doctor --bench`"), notes
}

// noAcceleratorReason says why the pure-Go backend is used when nothing else was found.
func (c *chooser) noAcceleratorReason(notes []string) string {
	for _, n := range notes {
		if strings.HasPrefix(n, "NVIDIA GPU: ") && strings.HasSuffix(n, " exists") {
			return "NVIDIA GPU present but no CUDA PJRT plugin found"
		}
	}
	return "no NVIDIA GPU: neither /dev/nvidia0 nor /proc/driver/nvidia exists"
}

// gpuDevice returns the path showing an NVIDIA GPU, or "".
func (c *chooser) gpuDevice() string {
	for _, p := range []string{"/dev/nvidia0", "/proc/driver/nvidia"} {
		if c.exists(p) {
			return p
		}
	}
	return ""
}

// cuda returns the XLA CUDA choice when a GPU and a CUDA plugin are present (it adds JAX's
// variables to env), or nil, with notes.
func (c *chooser) cuda(dirs []string, env map[string]string) (*Choice, []string) {
	gpu := c.gpuDevice()
	if gpu == "" {
		return nil, []string{"NVIDIA GPU: none (neither /dev/nvidia0 nor /proc/driver/nvidia exists)"}
	}
	notes := []string{"NVIDIA GPU: " + gpu + " exists"}
	if path, name, ok := c.findPlugin(dirs, goXLAPluginPatterns); ok {
		notes = append(notes, "go-xla CUDA plugin: "+path)
		config := "xla:" + name
		env[ConfigEnv] = config
		c.autotuneCache(env, path)
		return &Choice{Config: config, Name: "xla:cuda", Reason: "CUDA PJRT plugin " + path, Env: env}, notes
	}
	notes = append(notes, "go-xla CUDA plugin: none in "+strings.Join(dirs, ":"))
	sps := c.sitePackageDirs()
	if path, sp, ok := c.findJAXPlugin(sps); ok {
		notes = append(notes, "JAX CUDA plugin: "+path)
		c.jaxEnv(env, sp)
		c.autotuneCache(env, path)
		config := "xla:" + path
		env[ConfigEnv] = config
		return &Choice{Config: config, Name: "xla:cuda", Reason: "JAX's CUDA PJRT plugin " + path, Env: env}, notes
	}
	return nil, append(notes, "JAX CUDA plugin: none in "+strings.Join(sps, ":"))
}

// jaxEnv adds the variables the CUDA plugin from JAX's pip package needs:
// XLA must find the CUDA libraries pip installed in <site-packages>/nvidia.
func (c *chooser) jaxEnv(env map[string]string, sitePackages string) {
	flags := c.getenv(xlaFlagsEnv)
	if !strings.Contains(flags, cudaDataDirFlag) {
		flag := cudaDataDirFlag + "=" + filepath.Join(sitePackages, "nvidia")
		env[xlaFlagsEnv] = strings.TrimSpace(flags + " " + flag)
	}
	if _, ok := c.lookupEnv(cudaChecksEnv); !ok {
		env[cudaChecksEnv] = "0"
	}
}

// autotuneCache adds XLA's on-disk cache of GPU autotuning results
// (autotuneCacheFlag) to env's XLA_FLAGS, for the CUDA plugin at plugin:
// the autotuner's choices (kernel tilings timed on the GPU, much of a first
// step's compilation) are kept per fusion in <CacheEnv or the user's cache
// folder/labnotes/xla>/<plugin>-<id>/autotune and reused when the same
// fusions compile again, in this process or a later one (a resumed
// training, a notebook run again). XLA leaves versioning to its user: id
// hashes the plugin's path and size, so another plugin build gets another
// folder. Nothing is added when XLA_FLAGS already has the flag, CacheEnv
// is "off", or no cache folder is known. [New] creates the folder (and
// drops the flag when it cannot).
func (c *chooser) autotuneCache(env map[string]string, plugin string) {
	flags, ok := env[xlaFlagsEnv]
	if !ok {
		flags = c.getenv(xlaFlagsEnv)
	}
	root := c.getenv(CacheEnv)
	if root == "" && c.cacheHome != "" {
		root = filepath.Join(c.cacheHome, "labnotes", "xla")
	}
	if strings.Contains(flags, autotuneCacheFlag) || root == "" || strings.EqualFold(root, "off") {
		return
	}
	id := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", plugin, c.fileSize(plugin)))
	name := strings.TrimSuffix(filepath.Base(plugin), ".so")
	if _, ok := jaxSitePackages(plugin); ok { // JAX's plugins share a file name: take their folder's (xla_cuda13)
		name = filepath.Base(filepath.Dir(plugin))
	}
	dir := filepath.Join(root, fmt.Sprintf("%s-%x", name, id[:6]), "autotune")
	env[xlaFlagsEnv] = strings.TrimSpace(flags + " " + autotuneCacheFlag + "=" + dir)
}

// AutotuneCacheDir returns the folder of XLA's autotuning cache that env's
// XLA_FLAGS name (see [Choose]), or "".
func AutotuneCacheDir(env map[string]string) string {
	for f := range strings.FieldsSeq(env[xlaFlagsEnv]) {
		if dir, ok := strings.CutPrefix(f, autotuneCacheFlag+"="); ok {
			return dir
		}
	}
	return ""
}

// goXLADirs returns the folders go-xla (v0.4.13, pjrt/dynamiclib_*.go)
// searches for PJRT plugins, in its order.
func (c *chooser) goXLADirs() []string {
	if v, ok := c.lookupEnv(pluginPathEnv); ok {
		return slices.DeleteFunc(strings.Split(v, ":"), func(p string) bool { return p == "" })
	}
	var dirs []string
	if c.home != "" {
		goXLA := filepath.Join(c.home, ".local", "lib", "go-xla")
		dirs = append(dirs, goXLA, filepath.Join(goXLA, "nvidia"),
			filepath.Join(c.home, ".local", "lib", "gomlx", "pjrt"))
	}
	dirs = append(dirs, "/usr/local/lib/go-xla", "/usr/local/lib/go-xla/nvidia", "/usr/local/lib/gomlx/pjrt")
	for p := range strings.SplitSeq(c.getenv("LD_LIBRARY_PATH"), ":") {
		if filepath.IsAbs(p) {
			dirs = append(dirs, p)
		}
	}
	dirs = c.ldConfDirs(dirs, "/etc/ld.so.conf", 0)
	return dedupe(dirs)
}

// ldConfDirs appends the folders listed in an ld.so.conf file (following
// its include lines).
func (c *chooser) ldConfDirs(dirs []string, file string, depth int) []string {
	data, err := c.readFile(file)
	if err != nil || depth > 4 {
		return dirs
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "include"):
			matches, _ := c.glob(strings.TrimSpace(strings.TrimPrefix(line, "include")))
			for _, m := range matches {
				dirs = c.ldConfDirs(dirs, m, depth+1)
			}
		default:
			dirs = append(dirs, line)
		}
	}
	return dirs
}

// goXLAPluginPatterns are the CUDA plugin names go-xla recognizes.
var goXLAPluginPatterns = []string{"pjrt_c_api_cuda*_plugin.so", "pjrt-plugin-cuda*.so", "pjrt_plugin_cuda*.so"}

// cpuPluginPatterns are the CPU plugin names go-xla recognizes (its installer writes
// pjrt_c_api_cpu_<version>_plugin.so and a pjrt_c_api_cpu_plugin.so link).
var cpuPluginPatterns = []string{"pjrt_c_api_cpu*_plugin.so", "pjrt-plugin-cpu*.so", "pjrt_plugin_cpu*.so"}

// rePluginName extracts the plugin name as go-xla does.
var rePluginName = []*regexp.Regexp{
	regexp.MustCompile(`^.*/pjrt_c_api_(.+)_plugin\.so$`),
	regexp.MustCompile(`^.*/pjrt[-_]plugin[-_](.+)\.so$`),
}

// findPlugin returns the first plugin in dirs matching patterns, and its plugin name.
func (c *chooser) findPlugin(dirs, patterns []string) (path, name string, ok bool) {
	for _, dir := range dirs {
		for _, pattern := range patterns {
			matches, _ := c.glob(filepath.Join(dir, pattern))
			slices.Sort(matches)
			for _, m := range matches {
				for _, re := range rePluginName {
					if sub := re.FindStringSubmatch(m); sub != nil {
						return m, sub[1], true
					}
				}
			}
		}
	}
	return "", "", false
}

// sitePackageDirs returns the Python package folders to search for JAX's
// plugin: $VIRTUAL_ENV's, python3's own, then the usual places.
func (c *chooser) sitePackageDirs() []string {
	var dirs []string
	if venv := c.getenv("VIRTUAL_ENV"); venv != "" {
		dirs = append(dirs, c.globNewestFirst(filepath.Join(venv, "lib", "python3*", "site-packages"))...)
	}
	if c.sitePackages != nil {
		dirs = append(dirs, c.sitePackages()...)
	}
	patterns := []string{
		"/usr/local/lib/python3*/site-packages",
		"/usr/local/lib/python3*/dist-packages",
		"/usr/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages",
		"/opt/*/.venv/lib/python3*/site-packages",
		"/opt/*/venv/lib/python3*/site-packages",
		"/opt/*/lib/python3*/site-packages",
	}
	if c.home != "" {
		patterns = append(patterns, filepath.Join(c.home, ".local", "lib", "python3*", "site-packages"))
	}
	for _, p := range patterns {
		dirs = append(dirs, c.globNewestFirst(p)...)
	}
	return dedupe(dirs)
}

// globNewestFirst returns the matches of pattern, highest version first
// (python3.12 before python3.9, xla_cuda13 before xla_cuda12).
func (c *chooser) globNewestFirst(pattern string) []string {
	matches, _ := c.glob(pattern)
	slices.SortFunc(matches, func(a, b string) int { return naturalCompare(b, a) })
	return matches
}

// naturalCompare compares strings treating runs of digits as numbers.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			na := strings.TrimLeft(a[:da], "0")
			nb := strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

// digitPrefix returns the number of leading ASCII digits of s.
func digitPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// findJAXPlugin returns the first jax_plugins/xla_cuda*/xla_cuda_plugin.so
// (the newest CUDA first) in the given site-packages folders.
func (c *chooser) findJAXPlugin(sitePackages []string) (path, sitePackage string, ok bool) {
	for _, sp := range sitePackages {
		matches := c.globNewestFirst(filepath.Join(sp, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
		if len(matches) > 0 {
			return matches[0], sp, true
		}
	}
	return "", "", false
}

// jaxSitePackages returns the site-packages folder of a JAX CUDA plugin path
// (<sp>/jax_plugins/xla_cuda*/xla_cuda_plugin.so).
func jaxSitePackages(plugin string) (string, bool) {
	if !filepath.IsAbs(plugin) || filepath.Base(plugin) != "xla_cuda_plugin.so" {
		return "", false
	}
	dir := filepath.Dir(plugin)
	if !strings.HasPrefix(filepath.Base(dir), "xla_cuda") || filepath.Base(filepath.Dir(dir)) != "jax_plugins" {
		return "", false
	}
	return filepath.Dir(filepath.Dir(dir)), true
}

// xlaAliases are the names the XLA backend registers.
var xlaAliases = []string{"xla", "stablehlo", "hlo", "shlo"}

// pluginPath returns the plugin part of an XLA config ("xla:<plugin>,opts").
func pluginPath(config string) string {
	name, rest, _ := strings.Cut(config, ":")
	if !slices.Contains(xlaAliases, name) {
		return ""
	}
	plugin, _, _ := strings.Cut(rest, ",")
	return plugin
}

// shortName shortens a config for display: a plugin given by its absolute
// path is shown by its name ("xla:/x/pjrt_c_api_cuda_plugin.so" → "xla:cuda").
func shortName(config string) string {
	plugin := pluginPath(config)
	if !filepath.IsAbs(plugin) {
		return config
	}
	short := strings.TrimSuffix(filepath.Base(plugin), ".so")
	if _, ok := jaxSitePackages(plugin); ok {
		short = "cuda"
	} else if short == "libtpu" {
		short = "tpu"
	} else {
		for _, re := range rePluginName {
			if sub := re.FindStringSubmatch(plugin); sub != nil {
				short = sub[1]
				break
			}
		}
	}
	name, _, _ := strings.Cut(config, ":")
	return name + ":" + short + strings.TrimPrefix(config, name+":"+plugin)
}

// dedupe removes repeated entries, keeping the first.
func dedupe(xs []string) []string {
	seen := make(map[string]bool, len(xs))
	out := xs[:0:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
