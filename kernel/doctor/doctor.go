// Package doctor checks that everything Labnotes needs is in place — the Go toolchain, the
// pinned GoNB and its tools, Jupyter, the kernelspec, the datasets — and which GoMLX backend
// notebooks will get, with a fix hint for each missing piece.
package doctor

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/labnotes/labnotes/kernel/spec"
	"github.com/labnotes/labnotes/lib/backend"
)

// Check is the outcome of one check.
type Check struct {
	// Name of what was checked, e.g. "go toolchain".
	Name string
	// Detail is the version found, or what is wrong.
	Detail string
	// OK is true when the check passed.
	OK bool
	// Required checks make Run report failure; optional ones only warn.
	Required bool
	// Fix tells how to mend a failed check.
	Fix string
}

// FashionMNISTDir is where Debian's dataset-fashion-mnist package puts the IDX files.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// Run performs every check for the checkout at root and returns them in display order.
func Run(ctx context.Context, root string) []Check {
	var checks []Check
	add := func(c Check) { checks = append(checks, c) }
	bin := filepath.Join(root, "bin")

	// Go toolchain, as the kernel's cell builds will see it: with the kernelspec's environment
	// when it is installed, else with the project's defaults.
	ks, ksErr := spec.Find(spec.Name)
	kenv := []string{"GOTOOLCHAIN=" + spec.GoToolchain, "GOEXPERIMENT=simd"}
	if ksErr == nil {
		_, kenv = ks.Command("")
	}
	goRoot, goErr := output(ctx, kenv, "go", "env", "GOROOT")
	if goErr != nil {
		add(Check{Name: "go toolchain", Detail: goErr.Error(), Required: true,
			Fix: "run `make setup` (it installs " + spec.GoToolchain + " through the Go module proxy)"})
	} else {
		v, err := output(ctx, kenv, filepath.Join(goRoot, "bin", "go"), "version")
		ok := err == nil && strings.Contains(v, spec.GoToolchain+" ")
		add(Check{Name: "go toolchain", Detail: firstLine(v, err), OK: ok, Required: true,
			Fix: "export GOTOOLCHAIN=" + spec.GoToolchain + " (the Makefile and the kernel set it)"})
		exp, _ := output(ctx, kenv, filepath.Join(goRoot, "bin", "go"), "env", "GOEXPERIMENT")
		add(Check{Name: "GOEXPERIMENT", Detail: "GOEXPERIMENT=" + exp, OK: strings.Contains(exp, "simd"),
			Required: true, Fix: "export GOEXPERIMENT=simd: without it GoMLX's pure-Go matmul is ~40x slower"})
	}
	for _, m := range []struct{ name, path string }{
		{"gomlx", "github.com/gomlx/gomlx"}, {"gomlx compute", "github.com/gomlx/compute"},
		{"go-xla", "github.com/gomlx/go-xla"}, {"gonb (go.mod)", "github.com/janpfeifer/gonb"},
		{"zmq4", "github.com/go-zeromq/zmq4"},
	} {
		add(depCheck(root, m.name, m.path))
	}

	// Kernel tools built by setup.
	gonbV, err := output(ctx, nil, filepath.Join(bin, "gonb"), "-V")
	add(Check{Name: "gonb", Detail: firstLine(gonbV, err), OK: err == nil, Required: true,
		Fix: "run `make setup` (builds bin/gonb from go.mod's tool pins)"})
	for _, tool := range []string{"goimports", "gopls"} {
		p := filepath.Join(bin, tool)
		_, err := os.Stat(p)
		add(Check{Name: tool, Detail: firstLine(p, err), OK: err == nil, Required: true,
			Fix: "run `make setup` (builds bin/" + tool + ")"})
	}

	// The kernelspec.
	switch {
	case ksErr != nil:
		add(Check{Name: "kernelspec", Detail: ksErr.Error(), Required: true, Fix: "run `make setup` or `bin/labnotes install`"})
	case !strings.Contains(strings.Join(ks.Argv, " "), "--go_work="+root):
		add(Check{Name: "kernelspec", Detail: ks.Dir + " points at another checkout: " + strings.Join(ks.Argv, " "),
			Required: true, Fix: "run `bin/labnotes install` from this checkout"})
	default:
		add(Check{Name: "kernelspec", Detail: ks.Dir + " (" + ks.DisplayName + ")", OK: true, Required: true})
	}

	// Jupyter from Debian.
	for _, c := range []struct {
		name, pkg string
		args      []string
	}{
		{"jupyter notebook", "jupyter-notebook", []string{"notebook", "--version"}},
		{"nbconvert", "jupyter-nbconvert", []string{"nbconvert", "--version"}},
	} {
		v, err := output(ctx, nil, "jupyter", c.args...)
		add(Check{Name: c.name, Detail: firstLine(v, err), OK: err == nil, Required: true,
			Fix: "sudo apt-get install --no-install-recommends " + c.pkg + " (PyPI is not needed)"})
	}
	v, err := output(ctx, nil, "/usr/bin/python3", "-c",
		"import jupyter_client, jupyter_kernel_test; print('jupyter_client', jupyter_client.__version__)")
	add(Check{Name: "jupyter_kernel_test", Detail: firstLine(v, err), OK: err == nil,
		Fix: "sudo apt-get install python3-jupyter-kernel-test (only `make test` needs it)"})
	_, err = os.Stat(filepath.Join(FashionMNISTDir, "train-images-idx3-ubyte.gz"))
	add(Check{Name: "fashion-mnist", Detail: firstLine(FashionMNISTDir, err), OK: err == nil,
		Fix: "sudo apt-get install dataset-fashion-mnist"})
	chromium, err := exec.LookPath("chromium")
	add(Check{Name: "chromium", Detail: firstLine(chromium, err), OK: err == nil,
		Fix: "sudo apt-get install chromium chromium-driver python3-selenium (only the browser test needs it)"})

	// Each backend, then the one notebooks will get.
	for _, b := range backend.Backends() {
		add(BackendCheck(b))
	}
	c := backend.Choose()
	add(Check{Name: "gomlx backend", Detail: c.Name + " — " + c.Reason + "; trainers default to " + c.Precision() + gpusNote(c.Name),
		OK: true, Required: true})
	return checks
}

// gpusNote says, for XLA on CUDA, how many NVIDIA GPUs /dev shows: the
// trainers split each batch over every device the backend has (their
// Devices option, default 0: all; lib/parallel). "" otherwise.
func gpusNote(name string) string {
	if name != "xla:cuda" {
		return ""
	}
	gpus, _ := filepath.Glob("/dev/nvidia[0-9]*")
	switch len(gpus) {
	case 0:
		return ""
	case 1:
		return "; 1 GPU"
	}
	return fmt.Sprintf("; %d GPUs (/dev/nvidia*): trainers split each batch over all of them unless their Devices option says otherwise", len(gpus))
}

// BackendCheck is the line of one backend: available (with what was found) or missing (why,
// with the install command as the fix).
func BackendCheck(b backend.Status) Check {
	return Check{Name: "backend " + b.Name, Detail: b.Detail, OK: b.Available, Fix: b.Install}
}

// Bench times each available backend (see backend.Bench), writes a table to w, records the
// result where backend.Choose reads it, and says which backend would be picked.
func Bench(w io.Writer) error {
	results, rec := backend.Bench(backend.Backends())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "backend\tmatmul %d² (ms)\tMLP step %dx%d-%d-%d (ms)\n", backend.MatmulSize, backend.MLPBatch, backend.MLPIn, backend.MLPHidden, backend.MLPOut)
	for _, r := range results {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\tfailed\t%s\n", r.Name, firstLine(r.Error, nil))
			continue
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\n", r.Name, r.MatmulMs, r.MLPStepMs)
	}
	tw.Flush()
	path := backend.BenchFile()
	if err := backend.SaveBench(path, rec); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s; recorded in %s\n", backend.BenchSummary(rec), path)
	c := backend.Choose()
	fmt.Fprintf(w, "notebooks would get: %s — %s; trainers default to %s\n", c.Name, c.Reason, c.Precision())
	return nil
}

// Print writes checks as an aligned table and returns whether all required checks passed.
func Print(w io.Writer, checks []Check) bool {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	ok := true
	for _, c := range checks {
		mark := "ok"
		if !c.OK {
			mark = "MISSING"
			if !c.Required {
				mark = "optional"
			} else {
				ok = false
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, mark, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(tw, "\t\tfix: %s\n", c.Fix)
		}
	}
	tw.Flush()
	return ok
}

// depCheck reports the version of module linked into this binary, or else the one the
// project's go.mod pins (notebooks build against go.mod through go.work).
func depCheck(root, name, module string) Check {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == module {
				return Check{Name: name, Detail: d.Version, OK: true, Required: true}
			}
		}
	}
	if data, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == module {
				return Check{Name: name, Detail: f[1] + " (go.mod)", OK: true, Required: true}
			}
		}
	}
	return Check{Name: name, Detail: "not required by go.mod", Required: true,
		Fix: "restore go.mod from the repository"}
}

func output(ctx context.Context, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if env != nil && !strings.Contains(name, "/") {
		// Resolve name on the PATH of env (its last PATH wins, as in exec), not of this process.
		name = lookPath(name, env)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v %s", name, strings.Join(args, " "), err, firstLine(string(out), nil))
	}
	return strings.TrimSpace(string(out)), nil
}

func firstLine(s string, err error) string {
	if err != nil {
		return err.Error()
	}
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// lookPath finds name on the last PATH entry of env.
func lookPath(name string, env []string) string {
	for i := len(env) - 1; i >= 0; i-- {
		p, ok := strings.CutPrefix(env[i], "PATH=")
		if !ok {
			continue
		}
		for _, d := range filepath.SplitList(p) {
			if st, err := os.Stat(filepath.Join(d, name)); err == nil && !st.IsDir() {
				return filepath.Join(d, name)
			}
		}
		break
	}
	return name
}
