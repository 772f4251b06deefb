package runner

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/labnotes/labnotes/kernel/notebook"
	"github.com/labnotes/labnotes/kernel/spec"
)

// findSpec returns the installed Labnotes kernelspec, or skips the test.
func findSpec(t *testing.T) *spec.Spec {
	t.Helper()
	s, err := spec.Find(spec.Name)
	if err != nil {
		t.Skipf("labnotes kernel not installed: %v", err)
	}
	if _, err := os.Stat(s.Argv[0]); err != nil {
		t.Skipf("labnotes kernel binary missing: %v", err)
	}
	return s
}

// testMarker is put in the environment of every kernel this test binary starts, so leftover
// processes (the kernel, its cell programs, gopls) can be found without touching processes of
// other runs on the machine.
var testMarker = fmt.Sprintf("LABNOTES_RUNNER_TEST=%d-%d", os.Getpid(), time.Now().UnixNano())

// markedSpec returns a copy of s that marks its processes with testMarker.
func markedSpec(s *spec.Spec) *spec.Spec {
	cp := *s
	cp.Env = map[string]string{}
	for k, v := range s.Env {
		cp.Env[k] = v
	}
	k, v, _ := strings.Cut(testMarker, "=")
	cp.Env[k] = v
	return &cp
}

// markedProcesses lists the live processes carrying testMarker in their environment.
func markedProcesses() map[int]string {
	procs := map[int]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, []byte(testMarker)) {
			continue
		}
		if _, ok := readProcStat(pid); !ok {
			continue // zombie
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		procs[pid] = string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))
	}
	return procs
}

type runCase struct {
	name        string
	notebook    string
	params      []string
	timeout     time.Duration
	wantErr     []string // substrings of the error; nil means success
	wantOutputs func(t *testing.T, nb *notebook.Notebook, res *Result)
	maxDuration time.Duration
	// interruptMode overrides the kernelspec's interrupt_mode.
	interruptMode string
	// failure is the kind of failure wanted (CellError when wantErr is set and this is "").
	failure Failure
	// failedCell is the first failing code cell wanted (2 when wantErr is set and this is 0).
	failedCell  int
	allowErrors bool
}

func TestRun(t *testing.T) {
	s := markedSpec(findSpec(t))
	cases := []runCase{
		{
			name: "good", notebook: "good.ipynb",
			params:      []string{"epochs=3", "scale=gpu x", "lr=1e-3", "verbose=true"},
			maxDuration: 90 * time.Second,
			wantOutputs: func(t *testing.T, nb *notebook.Notebook, res *Result) {
				if res.Backend != "go (test backend)" {
					t.Errorf("backend = %q", res.Backend)
				}
				if res.Parameters["epochs"] != int64(3) || res.Parameters["scale"] != "gpu x" {
					t.Errorf("parameters = %v", res.Parameters)
				}
				var injected *notebook.Cell
				for i, c := range nb.Cells {
					if c.HasTag("injected-parameters") {
						injected = c
						if !nb.Cells[i-1].HasTag("parameters") {
							t.Errorf("injected cell is not right after the parameters cell")
						}
					}
				}
				if injected == nil || injected.ExecutionCount == nil {
					t.Fatalf("no executed injected-parameters cell")
				}
				c := cellWith(t, nb, "backend: go")
				out := streamText(c, "stdout")
				if !strings.Contains(out, "scale=gpu x epochs=3 lr=0.001 verbose=true") {
					t.Errorf("parameters not applied, stdout = %q", out)
				}
				if !strings.Contains(streamText(c, "stderr"), "to stderr") {
					t.Errorf("stderr not recorded: %+v", c.Outputs)
				}
				// stdout and stderr chunks may interleave (GoNB reads them separately), but
				// consecutive chunks of one stream are merged.
				for i := 1; i < len(c.Outputs); i++ {
					if c.Outputs[i].Name == c.Outputs[i-1].Name {
						t.Errorf("outputs %d and %d are both %s: not merged", i-1, i, c.Outputs[i].Name)
					}
				}
				exec, _ := c.Metadata["execution"].(map[string]any)
				for _, k := range []string{"iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply"} {
					if _, ok := exec[k]; !ok {
						t.Errorf("cell metadata.execution lacks %q: %v", k, exec)
					}
				}
				// Consecutive stream chunks are merged into one output.
				loop := cellWith(t, nb, "line 0")
				if len(loop.Outputs) != 1 || loop.Outputs[0].Text != "line 0\nline 1\nline 2\n" {
					t.Errorf("loop cell outputs: %+v", loop.Outputs)
				}
				// The empty cell is skipped.
				for _, c := range nb.Cells {
					if c.Type == "code" && strings.TrimSpace(c.Source) == "" && c.ExecutionCount != nil {
						t.Errorf("empty cell was executed")
					}
				}
				// display_data and update_display_data.
				var html []string
				for _, c := range nb.Cells {
					for _, o := range c.Outputs {
						if o.Type == "display_data" {
							h, _ := o.Data["text/html"].(string)
							html = append(html, h)
						}
					}
				}
				if strings.Join(html, "|") != "<b>hello</b>|<i>second</i>" {
					t.Errorf("display outputs = %q, want <b>hello</b>|<i>second</i>", html)
				}
				// Execution counts increase.
				last := 0
				for _, c := range nb.Cells {
					if c.ExecutionCount != nil {
						if *c.ExecutionCount <= last {
							t.Errorf("execution counts not increasing")
						}
						last = *c.ExecutionCount
					}
				}
			},
		},
		{
			name: "compile error", notebook: "compile_error.ipynb",
			wantErr: []string{"cell 2 of 3", "undefinedThing", "x := undefinedThing + 1"},
		},
		{
			name: "panic", notebook: "panic.ipynb",
			wantErr: []string{"cell 2 of 3", "exit status 2", "assignment to entry in nil map"},
		},
		{
			name: "os.Exit", notebook: "exit.ipynb",
			wantErr: []string{"cell 2 of 3", "exit status 3"},
		},
		{
			name: "endless loop", notebook: "loop.ipynb", timeout: 8 * time.Second,
			wantErr:     []string{"cell 2 of 3", "timed out after 8s", `fmt.Println("looping")`},
			maxDuration: 45 * time.Second, failure: Timeout,
		},
		{
			name: "endless loop, message interrupt", notebook: "loop.ipynb", timeout: 8 * time.Second,
			interruptMode: "message",
			wantErr:       []string{"cell 2 of 3", "timed out after 8s"},
			maxDuration:   45 * time.Second, failure: Timeout,
		},
		{
			name: "huge output", notebook: "huge.ipynb",
			wantErr: nil, maxDuration: 90 * time.Second,
			wantOutputs: func(t *testing.T, nb *notebook.Notebook, res *Result) {
				c := nb.Cells[0]
				out := streamText(c, "stdout")
				if len(out) > DefaultMaxStreamBytes+200 {
					t.Errorf("stored %d bytes of stdout, want <= %d", len(out), DefaultMaxStreamBytes+200)
				}
				if !strings.Contains(out, "[labnotes: output truncated, 207618048 bytes dropped]") {
					t.Errorf("no truncation note in the tail: %q", out[max(0, len(out)-200):])
				}
				if !strings.Contains(streamText(nb.Cells[1], "stdout"), "after huge") {
					t.Errorf("cell after the huge output did not run")
				}
			},
		},
		{
			name: "kernel killed", notebook: "kill.ipynb",
			wantErr:     []string{"kernel died while running cell 2 of 3", "signal: killed"},
			maxDuration: 60 * time.Second, failure: DeadKernel,
		},
		{
			// skip-execution is not run (it does not compile), raises-exception's panic is
			// recorded and the run goes on, the compile error of cell 4 ends the run.
			name: "tags", notebook: "tags.ipynb",
			wantErr: []string{"cell 4 of 5", "undefinedThing"}, failedCell: 4,
			wantOutputs: func(t *testing.T, nb *notebook.Notebook, res *Result) {
				cs := codeCells(nb)
				if cs[1].ExecutionCount != nil || len(cs[1].Outputs) > 0 {
					t.Errorf("the skip-execution cell ran: %+v", cs[1].Outputs)
				}
				if !hasErrorOutput(cs[2]) {
					t.Errorf("the raises-exception cell has no error output: %+v", cs[2].Outputs)
				}
				if cs[4].ExecutionCount != nil {
					t.Errorf("the cell after the failure ran without --allow-errors")
				}
				if res.CellsRun != 3 {
					t.Errorf("CellsRun = %d, want 3", res.CellsRun)
				}
			},
		},
		{
			name: "allow errors", notebook: "tags.ipynb", allowErrors: true,
			wantErr: []string{"cell 4 of 5", "undefinedThing"}, failedCell: 4,
			wantOutputs: func(t *testing.T, nb *notebook.Notebook, res *Result) {
				if !strings.Contains(streamText(codeCells(nb)[4], "stdout"), "after the failure") {
					t.Errorf("the cell after the failure did not run with AllowErrors")
				}
				if len(res.FailedCells) != 1 || res.FailedCells[0] != 4 {
					t.Errorf("FailedCells = %v, want [4] (the raises-exception cell is not a failure)", res.FailedCells)
				}
			},
		},
		{
			name: "rich output capped", notebook: "rich.ipynb", maxDuration: 90 * time.Second,
			wantOutputs: func(t *testing.T, nb *notebook.Notebook, res *Result) {
				c := codeCells(nb)[0]
				var stored, notes int
				for _, o := range c.Outputs {
					if o.Type != "display_data" {
						continue
					}
					if h, _ := o.Data["text/html"].(string); len(h) > 4<<20 {
						stored++
					}
					if p, _ := o.Data["text/plain"].(string); strings.Contains(p, "[labnotes: display output dropped") {
						notes++
					}
				}
				if stored != 2 || notes != 1 {
					t.Errorf("stored %d big displays and %d notes, want 2 and 1 (limit %d bytes)", stored, notes, DefaultMaxRichBytes)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := s
			if tc.interruptMode != "" {
				cp := *s
				cp.InterruptMode = tc.interruptMode
				s = &cp
			}
			in := filepath.Join("testdata", tc.notebook)
			before, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out.ipynb")
			var log bytes.Buffer
			maxDur := tc.maxDuration
			if maxDur == 0 {
				maxDur = 60 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*maxDur)
			defer cancel()
			start := time.Now()
			res, err := Run(ctx, Options{Path: in, Output: out, Params: tc.params, CellTimeout: tc.timeout,
				Spec: s, Log: &log, InterruptGrace: 5 * time.Second, AllowErrors: tc.allowErrors})
			took := time.Since(start)
			t.Logf("%s: %.1fs, log:\n%s", tc.name, took.Seconds(), log.String())
			if took > maxDur {
				t.Errorf("run took %s, want < %s", took, maxDur)
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Run failed: %v", err)
				}
				if !res.OK {
					t.Errorf("Result.OK is false")
				}
			} else {
				if err == nil {
					t.Fatalf("Run succeeded, want an error with %q", tc.wantErr)
				}
				t.Logf("error: %v", err)
				msg := err.Error()
				for _, w := range append([]string{in}, tc.wantErr...) {
					if !strings.Contains(msg, w) {
						t.Errorf("error does not contain %q:\n%s", w, msg)
					}
				}
				if strings.Contains(msg, "\x1b[") {
					t.Errorf("error has ANSI escapes")
				}
				wantCell, wantKind := cmp.Or(tc.failedCell, 2), cmp.Or(tc.failure, CellError)
				if res.OK || res.FailedCell != wantCell || res.Error == "" {
					t.Errorf("Result = %+v, want failed cell %d", res, wantCell)
				}
				if FailureOf(err) != wantKind || res.Failure != wantKind {
					t.Errorf("failure %q (Result %q), want %q", FailureOf(err), res.Failure, wantKind)
				}
			}
			after, _ := os.ReadFile(in)
			if !bytes.Equal(before, after) {
				t.Errorf("input notebook was modified")
			}
			nb, rerr := notebook.ReadFile(out)
			if rerr != nil {
				t.Fatalf("output notebook: %v", rerr)
			}
			validateWithNbformat(t, out)
			md, _ := nb.Metadata["labnotes"].(map[string]any)
			if md == nil || md["ok"] != (tc.wantErr == nil) {
				t.Errorf("metadata.labnotes = %v", md)
			}
			if tc.wantErr != nil {
				wantCell := cmp.Or(tc.failedCell, 2)
				if md["failed_cell"] != float64(wantCell) {
					t.Errorf("metadata.labnotes.failed_cell = %v", md["failed_cell"])
				}
				failed := codeCells(nb)[wantCell-1]
				if !hasErrorOutput(failed) {
					t.Errorf("failing cell has no error output: %+v", failed.Outputs)
				}
				if c := codeCells(nb)[wantCell]; !tc.allowErrors && (c.ExecutionCount != nil || len(c.Outputs) > 0) {
					t.Errorf("cell after the failure ran")
				}
				checkBanner(t, nb, wantCell)
			}
			if tc.wantOutputs != nil {
				tc.wantOutputs(t, nb, res)
			}
		})
	}
	t.Cleanup(func() {
		// Every kernel is gone once Run returns.
		time.Sleep(200 * time.Millisecond)
		if procs := markedProcesses(); len(procs) > 0 {
			for pid, c := range procs {
				t.Errorf("kernel process left running: %d %s", pid, c)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}

// checkBanner checks the error banner of a failed run's notebook: first cell, linking to an
// anchor cell right before the failing code cell.
func checkBanner(t *testing.T, nb *notebook.Notebook, failedCell int) {
	t.Helper()
	top := nb.Cells[0]
	anchor := fmt.Sprintf("labnotes-error-cell-%d", failedCell)
	if top.Type != "markdown" || !top.HasTag(BannerTag) || !strings.Contains(top.Source, "labnotes: this run failed") ||
		!strings.Contains(top.Source, "(#"+anchor+")") {
		t.Errorf("first cell is not the error banner linking to %s: %+v", anchor, top)
	}
	n := 0
	for i, c := range nb.Cells {
		if c.Type == "code" {
			n++
			if n == failedCell && !(i > 0 && strings.Contains(nb.Cells[i-1].Source, `id="`+anchor+`"`)) {
				t.Errorf("no anchor %s before the failing cell", anchor)
			}
		}
	}
}

func codeCells(nb *notebook.Notebook) []*notebook.Cell {
	var cs []*notebook.Cell
	for _, c := range nb.Cells {
		if c.Type == "code" {
			cs = append(cs, c)
		}
	}
	return cs
}

func hasErrorOutput(c *notebook.Cell) bool {
	for _, o := range c.Outputs {
		if o.Type == "error" {
			return true
		}
	}
	return false
}

func streamText(c *notebook.Cell, name string) string {
	var b strings.Builder
	for _, o := range c.Outputs {
		if o.Type == "stream" && o.Name == name {
			b.WriteString(o.Text)
		}
	}
	return b.String()
}

func cellWith(t *testing.T, nb *notebook.Notebook, text string) *notebook.Cell {
	t.Helper()
	for _, c := range nb.Cells {
		if strings.Contains(streamText(c, "stdout"), text) {
			return c
		}
	}
	t.Fatalf("no cell printed %q", text)
	return nil
}

// TestRunCancel cancels the context (as the CLI does on SIGINT) while a cell loops forever.
func TestRunCancel(t *testing.T) {
	s := markedSpec(findSpec(t))
	in := filepath.Join("testdata", "loop.ipynb")
	out := filepath.Join(t.TempDir(), "out.ipynb")
	ctx, cancel := context.WithCancel(context.Background())
	log := &syncWriter{w: &bytes.Buffer{}}
	go func() {
		// Cancel once the loop cell runs.
		for !strings.Contains(log.String(), "[1/3]") {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Second)
		cancel()
	}()
	start := time.Now()
	_, err := Run(ctx, Options{Path: in, Output: out, Spec: s, Log: log, InterruptGrace: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "cancelled") || !strings.Contains(err.Error(), "cell 2 of 3") {
		t.Fatalf("want a cancellation error naming cell 2, got %v", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("cancellation took %s", took)
	}
	if _, err := notebook.ReadFile(out); err != nil {
		t.Errorf("output not written: %v", err)
	}
}

// TestStartupFailures checks a kernel that exits during startup (reported with its stderr)
// and one that never answers (a connection timeout): both fail within 10s.
func TestStartupFailures(t *testing.T) {
	in := filepath.Join("testdata", "exit.ipynb")
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		want    []string
	}{
		{"exits", "echo something went wrong >&2; exit 7", 0, []string{in, "exited during startup", "exit status 7", "something went wrong"}},
		{"never answers", "exec sleep 60", 2 * time.Second, []string{"connecting to the kernel"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.ipynb")
			s := &spec.Spec{Argv: []string{"/bin/sh", "-c", tc.script, "{connection_file}"}}
			start := time.Now()
			_, err := Run(context.Background(), Options{Path: in, Output: out, Spec: s, StartupTimeout: tc.timeout})
			if err == nil {
				t.Fatal("Run succeeded with a kernel that does not start")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("startup failure took %s", took)
			}
		})
	}
}

// syncWriter is an io.Writer safe for concurrent use.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// validateWithNbformat validates path with Python's nbformat (the reference validator) when it
// is installed (Debian's python3-nbformat); otherwise it does nothing.
func validateWithNbformat(t *testing.T, path string) {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		return
	}
	if exec.Command(py, "-c", "import nbformat").Run() != nil {
		return
	}
	out, err := exec.Command(py, "-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", path).CombinedOutput()
	if err != nil {
		t.Errorf("nbformat rejects the output notebook: %v\n%s", err, out)
	}
}
