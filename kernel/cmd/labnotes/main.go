// Command labnotes installs the Labnotes Jupyter kernel, checks the environment, and runs
// notebooks headlessly into executed notebooks and HTML reports.
//
// Usage:
//
//	labnotes install [--backend CONFIG] [--data-dir DIR]
//	labnotes doctor [--bench]
//	labnotes params NOTEBOOK [--json]
//	labnotes run NOTEBOOK [-p name=value ...] [-f params.yaml] [-o OUT.ipynb] [--timeout D] [--allow-errors]
//	labnotes report [-p name=value ...] [-f params.yaml] [--timeout D] [--allow-errors] [--dir reports] [NOTEBOOK ...]
//	labnotes data [list|fetch|verify] [NAME ...]
//
// Exit statuses of run and report: 0 success, 1 a cell failed, 2 bad input or usage, 3 a cell
// timed out, 4 the kernel died (or did not start), 130 cancelled (SIGINT/SIGTERM).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/labnotes/labnotes/kernel/doctor"
	"github.com/labnotes/labnotes/kernel/notebook"
	"github.com/labnotes/labnotes/kernel/report"
	"github.com/labnotes/labnotes/kernel/runner"
	"github.com/labnotes/labnotes/kernel/spec"
)

const usage = `labnotes: the Labnotes notebook environment for Go.

Usage:
  labnotes install [--backend CONFIG] [--data-dir DIR]
      register the "labnotes" Jupyter kernel ("Go (Labnotes)") for this checkout
  labnotes doctor [--bench]
      versions of everything, each GoMLX backend (available or how to install it), the one
      notebooks will use and why; --bench times a matmul and an MLP step on each available one
  labnotes params NOTEBOOK [--json]
      the notebook's parameters: names, types, defaults and the parameters cell's comments
  labnotes run NOTEBOOK [-p name=value ...] [-f params.yaml|.json] [-o OUT.ipynb] [--timeout D] [--allow-errors]
      execute a notebook headlessly; the input file is never modified
  labnotes report [-p name=value ...] [-f FILE] [--timeout D] [--allow-errors] [--dir DIR] [NOTEBOOK ...]
      run notebooks (default: notebooks/*.ipynb) into self-contained HTML under DIR (reports/)
  labnotes data [list|fetch|verify] [NAME ...]
      the published datasets notebooks read: where they are, fetch (verified), verify

Exit status of run and report: 0 ok, 1 a cell failed, 2 bad input or usage, 3 a cell timed out,
4 the kernel died or did not start, 130 cancelled.
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
	case "params":
		err = showParams(args)
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
			os.Exit(runner.ExitBadInput)
		}
		os.Exit(runner.ExitCode(err))
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

// parseAtRoot parses args into the flags of fs, a command that takes no
// arguments (any is a usage error naming the command), and returns the
// checkout the command works on (projectRoot).
func parseAtRoot(fs *flag.FlagSet, args []string) (string, error) {
	if rest, err := parseInterleaved(fs, args); err != nil {
		return "", err
	} else if len(rest) > 0 {
		return "", usageError("%s takes no arguments, got %q", fs.Name(), rest)
	}
	return projectRoot()
}

func install(args []string) error {
	fs := flag.NewFlagSet("install", flag.ContinueOnError)
	backend := fs.String("backend", "", "pin GOMLX_BACKEND for all cells (default: lib/backend chooses per run)")
	dataDir := fs.String("data-dir", "", "Jupyter data directory (default: $JUPYTER_DATA_DIR or ~/.local/share/jupyter)")
	root, err := parseAtRoot(fs, args)
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
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	bench := fs.Bool("bench", false, "time a matmul and an MLP step on each available backend and record which CPU backend is faster")
	root, err := parseAtRoot(fs, args)
	if err != nil {
		return err
	}
	fmt.Printf("labnotes checkout: %s\n", root)
	ok := doctor.Print(os.Stdout, doctor.Run(ctx, root))
	if *bench {
		fmt.Println()
		if err := doctor.Bench(os.Stdout); err != nil {
			return err
		}
	}
	if !ok {
		return errors.New("doctor: required pieces are missing (see the fix lines above)")
	}
	return nil
}

// runFlags are the flags run and report share.
type runFlags struct {
	params      params
	file        string
	timeout     time.Duration
	allowErrors bool
}

func (r *runFlags) register(fs *flag.FlagSet) {
	fs.Var(&r.params, "p", "parameter name=value, injected after the cell tagged `parameters` (repeatable; after -f's)")
	fs.StringVar(&r.file, "f", "", "parameters file, .yaml/.yml (flat name: value) or .json (an object); -p values override it")
	fs.DurationVar(&r.timeout, "timeout", 0, "interrupt a cell running longer than this (e.g. 10m); 0: no limit")
	fs.BoolVar(&r.allowErrors, "allow-errors", false, "run on past failing cells, record every error, exit non-zero at the end")
}

// assignments returns the parameters: the file's, then -p's.
func (r *runFlags) assignments() ([]string, error) {
	if r.timeout < 0 {
		return nil, usageError("--timeout %s is negative; use 0 for no limit", r.timeout)
	}
	var as []string
	if r.file != "" {
		fas, err := notebook.ReadParamsFile(r.file)
		if err != nil {
			return nil, &runner.Error{Failure: runner.BadInput, Err: err}
		}
		as = fas
	}
	return append(as, r.params...), nil
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var rf runFlags
	rf.register(fs)
	out := fs.String("o", "", "executed notebook to write (default: reports/NAME.ipynb)")
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usageError("run takes exactly one NOTEBOOK, got %d", len(positional))
	}
	ps, err := rf.assignments()
	if err != nil {
		return err
	}
	nb := positional[0]
	if *out == "" {
		*out = filepath.Join("reports", strings.TrimSuffix(filepath.Base(nb), ".ipynb")+".ipynb")
	}
	if runner.SameFile(nb, *out) {
		return &runner.Error{Failure: runner.BadInput,
			Err: fmt.Errorf("run: output %s is the input notebook; the input is never overwritten, choose another -o", *out)}
	}
	ks, err := spec.Find(spec.Name)
	if err != nil {
		return &runner.Error{Failure: runner.DeadKernel, Err: err}
	}
	res, err := runner.Run(ctx, runner.Options{
		Path: nb, Output: *out, Params: ps, CellTimeout: rf.timeout, Spec: ks, Log: os.Stderr,
		AllowErrors: rf.allowErrors,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "labnotes: %s ok in %.1fs (backend: %s) -> %s\n", nb, res.Duration.Seconds(), res.Backend, *out)
	return nil
}

// showParams prints a notebook's parameters.
func showParams(args []string) error {
	fs := flag.NewFlagSet("params", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON: a list of {name, type, go_type, default, doc}")
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usageError("params takes exactly one NOTEBOOK, got %d", len(positional))
	}
	nb, err := notebook.ReadFile(positional[0])
	if err != nil {
		return &runner.Error{Failure: runner.BadInput, Err: err}
	}
	ps, err := nb.Parameters()
	if err != nil {
		return &runner.Error{Failure: runner.BadInput, Err: fmt.Errorf("params: %s: %w", positional[0], err)}
	}
	return printParams(os.Stdout, positional[0], nb.ParametersCell() >= 0, ps, *asJSON)
}

// printParams writes the parameters as a table, or as JSON.
func printParams(w io.Writer, path string, hasCell bool, ps []notebook.Parameter, asJSON bool) error {
	if asJSON {
		type param struct {
			Name    string `json:"name"`
			Type    string `json:"type"`
			GoType  string `json:"go_type,omitempty"`
			Default string `json:"default"`
			Doc     string `json:"doc,omitempty"`
		}
		out := []param{}
		for _, p := range ps {
			out = append(out, param{p.Name, string(p.Kind), p.GoType, p.Default, p.Doc})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if !hasCell {
		fmt.Fprintf(w, "%s has no code cell tagged %q: it takes no parameters\n", path, notebook.ParametersTag)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tDEFAULT\tDESCRIPTION")
	for _, p := range ps {
		typ := string(p.Kind)
		if p.GoType != "" {
			typ = p.GoType
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, typ, p.Default, p.Doc)
	}
	return tw.Flush()
}

func runReport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var rf runFlags
	rf.register(fs)
	dir := fs.String("dir", "reports", "directory for the reports")
	notebooks, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	ps, err := rf.assignments()
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
			return &runner.Error{Failure: runner.BadInput, Err: fmt.Errorf("report: no notebooks in %s", filepath.Join(root, "notebooks"))}
		}
	}
	ks, err := spec.Find(spec.Name)
	if err != nil {
		return &runner.Error{Failure: runner.DeadKernel, Err: err}
	}
	start := time.Now()
	entries, err := report.Run(ctx, notebooks, report.Options{
		Dir: *dir, Params: ps, CellTimeout: rf.timeout, Spec: ks, Log: os.Stderr, AllowErrors: rf.allowErrors,
	})
	if len(entries) > 0 {
		fmt.Fprintf(os.Stderr, "labnotes: %d notebooks in %.1fs; index: %s\n",
			len(entries), time.Since(start).Seconds(), filepath.Join(*dir, "index.html"))
	}
	return err
}
