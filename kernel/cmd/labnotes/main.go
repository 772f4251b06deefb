// Command labnotes installs the Labnotes Jupyter kernel, checks the environment, and runs
// notebooks headlessly into executed notebooks and HTML reports.
//
// Usage:
//
//	labnotes install [--backend CONFIG] [--data-dir DIR]
//	labnotes doctor
//	labnotes run NOTEBOOK [-p name=value ...] [-o OUT.ipynb] [--timeout D]
//	labnotes report [-p name=value ...] [--timeout D] [--dir reports] [NOTEBOOK ...]
//	labnotes data [list|fetch|verify] [NAME ...]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/labnotes/labnotes/kernel/doctor"
	"github.com/labnotes/labnotes/kernel/report"
	"github.com/labnotes/labnotes/kernel/runner"
	"github.com/labnotes/labnotes/kernel/spec"
)

const usage = `labnotes: the Labnotes notebook environment for Go.

Usage:
  labnotes install [--backend CONFIG] [--data-dir DIR]
      register the "labnotes" Jupyter kernel ("Go (Labnotes)") for this checkout
  labnotes doctor
      versions of everything, the GoMLX backend notebooks will use and why, fix hints
  labnotes run NOTEBOOK [-p name=value ...] [-o OUT.ipynb] [--timeout D]
      execute a notebook headlessly; the input file is never modified
  labnotes report [-p name=value ...] [--timeout D] [--dir DIR] [NOTEBOOK ...]
      run notebooks (default: notebooks/*.ipynb) into self-contained HTML under DIR (reports/)
  labnotes data [list|fetch|verify] [NAME ...]
      the published datasets notebooks read: where they are, fetch (verified), verify
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "install":
		err = install(args)
	case "doctor":
		err = runDoctor(ctx, args)
	case "run":
		err = run(ctx, args)
	case "report":
		err = runReport(ctx, args)
	case "data":
		err = dataCommand(ctx, args)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		err = usageError("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "labnotes:", err)
		var u usageErr
		if errors.As(err, &u) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageErr struct{ msg string }

func (u usageErr) Error() string { return u.msg }

func usageError(format string, args ...any) error { return usageErr{fmt.Sprintf(format, args...)} }

// params collects repeated -p name=value flags.
type params []string

func (p *params) String() string { return strings.Join(*p, ",") }
func (p *params) Set(v string) error {
	if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
		return fmt.Errorf("parameter %q: expected name=value", v)
	}
	*p = append(*p, v)
	return nil
}

// parseInterleaved parses flags that may come before or after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageErr{err.Error()}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func projectRoot() (string, error) {
	// The binary lives in ROOT/bin; fall back to the working directory.
	if exe, err := os.Executable(); err == nil {
		if root, err := spec.FindRoot(filepath.Dir(exe)); err == nil {
			return root, nil
		}
	}
	wd, _ := os.Getwd()
	return spec.FindRoot(wd)
}

func install(args []string) error {
	fs := flag.NewFlagSet("install", flag.ContinueOnError)
	backend := fs.String("backend", "", "pin GOMLX_BACKEND for all cells (default: lib/backend chooses per run)")
	dataDir := fs.String("data-dir", "", "Jupyter data directory (default: $JUPYTER_DATA_DIR or ~/.local/share/jupyter)")
	if rest, err := parseInterleaved(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError("install takes no arguments, got %q", rest)
	}
	root, err := projectRoot()
	if err != nil {
		return err
	}
	goRoot, err := toolchainRoot()
	if err != nil {
		return err
	}
	p := spec.Project{Root: root, GoRoot: goRoot, Backend: *backend}
	dir, err := p.Install(*dataDir, os.Getenv("PATH"))
	if err != nil {
		return err
	}
	fmt.Printf("installed kernel %q (%s) in %s\n", spec.Name, spec.DisplayName, dir)
	return nil
}

// toolchainRoot returns the GOROOT of spec.GoToolchain, downloading it through the module
// proxy if needed (go does that when GOTOOLCHAIN names a newer toolchain).
func toolchainRoot() (string, error) {
	cmd := exec.Command("go", "env", "GOROOT")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+spec.GoToolchain)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("finding the %s toolchain (GOTOOLCHAIN=%s go env GOROOT): %w; run `make setup`",
			spec.GoToolchain, spec.GoToolchain, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func runDoctor(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return usageError("doctor takes no arguments, got %q", args)
	}
	root, err := projectRoot()
	if err != nil {
		return err
	}
	fmt.Printf("labnotes checkout: %s\n", root)
	if !doctor.Print(os.Stdout, doctor.Run(ctx, root)) {
		return errors.New("doctor: required pieces are missing (see the fix lines above)")
	}
	return nil
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var ps params
	fs.Var(&ps, "p", "parameter name=value, injected after the cell tagged `parameters` (repeatable)")
	out := fs.String("o", "", "executed notebook to write (default: reports/NAME.ipynb)")
	timeout := fs.Duration("timeout", 0, "interrupt a cell running longer than this (e.g. 10m); 0: no limit")
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usageError("run takes exactly one NOTEBOOK, got %d", len(positional))
	}
	nb := positional[0]
	if *out == "" {
		*out = filepath.Join("reports", strings.TrimSuffix(filepath.Base(nb), ".ipynb")+".ipynb")
	}
	if same(nb, *out) {
		return fmt.Errorf("run: output %s is the input notebook; the input is never overwritten, choose another -o", *out)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	ks, err := spec.Find(spec.Name)
	if err != nil {
		return err
	}
	res, err := runner.Run(ctx, runner.Options{
		Path: nb, Output: *out, Params: ps, CellTimeout: *timeout, Spec: ks, Log: os.Stderr,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "labnotes: %s ok in %.1fs (backend: %s) -> %s\n", nb, res.Duration.Seconds(), res.Backend, *out)
	return nil
}

func same(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	return aa == bb
}

func runReport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var ps params
	fs.Var(&ps, "p", "parameter name=value passed to every notebook (repeatable)")
	timeout := fs.Duration("timeout", 0, "interrupt a cell running longer than this; 0: no limit")
	dir := fs.String("dir", "reports", "directory for the reports")
	notebooks, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(notebooks) == 0 {
		root, err := projectRoot()
		if err != nil {
			return err
		}
		notebooks, _ = filepath.Glob(filepath.Join(root, "notebooks", "*.ipynb"))
		sort.Strings(notebooks)
		if len(notebooks) == 0 {
			return fmt.Errorf("report: no notebooks in %s", filepath.Join(root, "notebooks"))
		}
	}
	ks, err := spec.Find(spec.Name)
	if err != nil {
		return err
	}
	start := time.Now()
	entries, err := report.Run(ctx, notebooks, report.Options{
		Dir: *dir, Params: ps, CellTimeout: *timeout, Spec: ks, Log: os.Stderr,
	})
	fmt.Fprintf(os.Stderr, "labnotes: %d notebooks in %.1fs; index: %s\n",
		len(entries), time.Since(start).Seconds(), filepath.Join(*dir, "index.html"))
	return err
}
