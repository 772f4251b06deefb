package spec

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Module is the Go module path of the Labnotes project.
const Module = "github.com/labnotes/labnotes"

// GoToolchain is the Go toolchain every build of the project uses.
const GoToolchain = "go1.27.4"

// Project describes a Labnotes checkout the kernel is installed from.
type Project struct {
	// Root is the absolute path of the checkout (the directory holding go.mod).
	Root string
	// GoRoot is the GOROOT of GoToolchain; its bin/ goes first on the kernel's PATH so cell
	// builds do not pay for toolchain switching.
	GoRoot string
	// Backend, if not empty, pins GOMLX_BACKEND for every cell; empty lets lib/backend choose.
	Backend string
}

// FindRoot walks up from dir to the directory whose go.mod declares Module.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if modulePath(filepath.Join(d, "go.mod")) == Module {
			return d, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("spec: no Labnotes checkout (a go.mod with module %s) at or above %s", Module, dir)
}

func modulePath(goMod string) string {
	f, err := os.Open(goMod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// Kernel returns the kernelspec of the Labnotes kernel for p: the project's pinned GoNB
// (bin/gonb, built by the setup script) with the checkout on its go.work, so notebooks
// import lib/... from local sources with no network, and cell builds use GoToolchain with
// GOEXPERIMENT=simd. path is the PATH the kernel's tools are appended to.
func (p Project) Kernel(path string) *Spec {
	bin := filepath.Join(p.Root, "bin")
	goBin := ""
	if p.GoRoot != "" {
		goBin = filepath.Join(p.GoRoot, "bin")
	}
	env := map[string]string{
		"GOTOOLCHAIN":   GoToolchain,
		"GOEXPERIMENT":  "simd",
		"PATH":          strings.Join(nonEmpty(p.shimDir(), bin, goBin, path), string(os.PathListSeparator)),
		"LABNOTES_ROOT": p.Root,
		// Cell binaries are linked without DWARF: every cell relinks the program, and for a
		// notebook that imported GoMLX this takes the warm round trip from 3.05 s to 1.88 s
		// (median, 2 cores, `make bench-kernel`). Panics still report file:line.
		"GOFLAGS": "-ldflags=-w",
	}
	if p.Backend != "" {
		env["GOMLX_BACKEND"] = p.Backend
	}
	return &Spec{
		Argv: []string{
			filepath.Join(bin, "gonb"), "--kernel", "{connection_file}",
			"--go_work=" + p.Root,
			// Plain-text errors: the error replies carry the compiler's message and the
			// traceback, which headless runs and jupyter_kernel_test need.
			"--raw_error",
		},
		DisplayName:   DisplayName,
		Language:      "go",
		InterruptMode: "signal",
		Env:           env,
		Metadata:      map[string]any{"labnotes_root": p.Root},
	}
}

// nonEmpty returns the non-empty path lists in xs split into single entries, without repeats.
func nonEmpty(xs ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		for _, e := range filepath.SplitList(x) {
			if e != "" && !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// Install writes the Labnotes kernelspec for p under dataDir/kernels/labnotes (dataDir ""
// means UserDataDir()) and returns the directory written.
func (p Project) Install(dataDir, path string) (string, error) {
	if dataDir == "" {
		dataDir = UserDataDir()
	}
	for _, tool := range []string{"gonb", "goimports", "gopls"} {
		if _, err := os.Stat(filepath.Join(p.Root, "bin", tool)); err != nil {
			return "", fmt.Errorf("spec: %s is missing from %s; build the tools first with `make setup`",
				tool, filepath.Join(p.Root, "bin"))
		}
	}
	if err := p.writeGoShim(); err != nil {
		return "", err
	}
	dir := filepath.Join(dataDir, "kernels", Name)
	return dir, p.Kernel(path).Write(dir)
}

// shimDir holds the kernel's `go` wrapper (see writeGoShim); it comes first on the kernel's PATH.
func (p Project) shimDir() string { return filepath.Join(p.Root, "bin", "kernel") }

// goShim wraps go for GoNB. Before compiling a cell GoNB runs a bare `go get` in its
// temporary module, which looks up @latest of every package a cell imports: with the
// project's go.work that would raise pinned modules (GoMLX, GoNB) to their newest release,
// and offline, or where the proxy refuses version lists, the cell fails. In a Labnotes kernel
// the versions come from the project's go.mod, so the bare `go get` is skipped; an explicit
// `!*go get module@version` in a cell still runs.
const goShim = `#!/bin/sh
# Written by "labnotes install": see kernel/spec/labnotes.go (goShim) for why.
if [ "$1" = get ]; then
  for a in "$@"; do
    case "$a" in get|-*) ;; *) exec %q "$@" ;; esac
  done
  exit 0
fi
exec %q "$@"
`

func (p Project) writeGoShim() error {
	goBin := "go"
	if p.GoRoot != "" {
		goBin = filepath.Join(p.GoRoot, "bin", "go")
	}
	if err := os.MkdirAll(p.shimDir(), 0o755); err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	script := fmt.Sprintf(goShim, goBin, goBin)
	return os.WriteFile(filepath.Join(p.shimDir(), "go"), []byte(script), 0o755)
}
