package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/kernel/notebook"

	"github.com/labnotes/labnotes/kernel/spec"

	"github.com/labnotes/labnotes/internal/testutil"
)

// runRefused runs opts with a kernel spec whose command (in dir) does not
// exist, and checks that Run fails before starting a kernel, with an error
// that mentions each of want. It returns the error.
func runRefused(t *testing.T, dir string, opts Options, want []string) error {
	t.Helper()
	opts.Spec = &spec.Spec{Argv: []string{filepath.Join(dir, "no-such-kernel"), "{connection_file}"}}
	_, err := Run(context.Background(), opts)
	if err == nil {
		t.Fatal("Run succeeded, want an error")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "no-such-kernel") {
		t.Errorf("a kernel was started before the input was checked: %v", err)
	}
	return err
}

// TestBadInput checks notebooks that cannot be run: the error names the file and the problem,
// no kernel is started (the spec points at a command that does not exist) and no output is
// written.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return testutil.WriteFile(t, dir, name, content) }
	good := `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [` +
		`{"cell_type": "code", "id": "a", "metadata": {"tags": ["parameters"]}, "source": "var scale = \"cpu\"", "outputs": [], "execution_count": null}]}`
	tests := []struct {
		name, path string
		params     []string
		want       []string
	}{
		{"missing", filepath.Join(dir, "nope.ipynb"), nil, []string{"nope.ipynb"}},
		{"truncated", write("trunc.ipynb", good[:60]), nil, []string{"trunc.ipynb"}},
		{"malformed", write("bad.ipynb", `{"nbformat": 4, "cells": [}`), nil, []string{"bad.ipynb"}},
		{"not a notebook", write("v3.ipynb", `{"nbformat": 3, "worksheets": []}`), nil, []string{"v3.ipynb", "nbformat"}},
		{"unknown parameter", write("p.ipynb", good), []string{"epochs=3"}, []string{"p.ipynb", "epochs", "scale"}},
		{"bad parameter value", write("q.ipynb", strings.Replace(good, `\"cpu\"`, `3`, 1)), []string{"scale=big"}, []string{"q.ipynb", "scale"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(tc.path)
			out := filepath.Join(dir, tc.name+".out.ipynb")
			runRefused(t, dir, Options{Path: tc.path, Output: out, Params: tc.params}, tc.want)
			after, _ := os.ReadFile(tc.path)
			if string(before) != string(after) {
				t.Errorf("input file changed")
			}
		})
	}
}

// TestBadInputChecksFirst: problems found before any kernel starts are BadInput (exit status 2):
// a negative timeout, an unwritable output path (checked before the cells run, not after), a
// value out of its declared type's range, invalid UTF-8.
func TestBadInputChecksFirst(t *testing.T) {
	dir := t.TempDir()
	good := `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [` +
		`{"cell_type": "code", "id": "a", "metadata": {"tags": ["parameters"]}, "source": "var steps int8 = 10", "outputs": [], "execution_count": null}]}`
	nb := testutil.WriteFile(t, dir, "nb.ipynb", good)
	bad := testutil.WriteFile(t, dir, "latin1.ipynb", strings.Replace(good, "var steps", "// caf\xe9\\nvar steps", 1))
	aFile := filepath.Join(dir, "file")
	os.WriteFile(aFile, nil, 0o644)
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"negative timeout", Options{Path: nb, CellTimeout: -time.Second}, []string{"timeout", "negative"}},
		{"output under a file", Options{Path: nb, Output: filepath.Join(aFile, "out.ipynb")}, []string{"output", "out.ipynb"}},
		{"output is a folder", Options{Path: nb, Output: dir}, []string{"is a folder"}},
		{"output is the input", Options{Path: nb, Output: nb}, []string{"is the input notebook"}},
		{"out of range", Options{Path: nb, Params: []string{"steps=300"}}, []string{"steps", "out of range for int8 [-128, 127]"}},
		{"invalid UTF-8", Options{Path: bad}, []string{"latin1.ipynb", "invalid UTF-8", "line 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Output == "" {
				tc.opts.Output = filepath.Join(dir, "out", tc.name+".ipynb")
			}
			err := runRefused(t, dir, tc.opts, tc.want)
			if FailureOf(err) != BadInput || ExitCode(err) != ExitBadInput {
				t.Errorf("failure %q, exit %d; want bad-input, %d", FailureOf(err), ExitCode(err), ExitBadInput)
			}
		})
	}
}

// TestExitCodes: each kind of failure has its own exit status.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("plain"), ExitCellError},
		{fail(CellError, errors.New("x")), 1},
		{fail(BadInput, errors.New("x")), 2},
		{fail(Timeout, errors.New("x")), 3},
		{fail(DeadKernel, errors.New("x")), 4},
		{fmt.Errorf("wrapped: %w", fail(Cancelled, errors.New("x"))), 130},
	}
	seen := map[int]bool{}
	for _, tc := range tests {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
		seen[tc.want] = true
	}
	if len(seen) != 6 {
		t.Errorf("exit codes not distinct: %v", seen)
	}
}

// TestStderrTailKeepsFatal: the line saying why a Go program died is kept in the error summary,
// also when a long goroutine dump follows it (it used to be cut: only the last 20 lines showed).
func TestStderrTailKeepsFatal(t *testing.T) {
	var b strings.Builder
	b.WriteString("some output\nruntime: out of memory: cannot allocate 8589934592-byte block (3997696 in use)\nfatal error: out of memory\n\n")
	for i := range 200 {
		fmt.Fprintf(&b, "goroutine %d [running]:\nmain.main()\n\t/tmp/gonb_x/main.go:%d +0x1d\n", i, i)
	}
	c := &notebook.Cell{Type: "code", Outputs: []*notebook.Output{{Type: "stream", Name: "stderr", Text: b.String()}}}
	got := (&cellRun{cell: c}).stderrTail(20)
	for _, w := range []string{"fatal error: out of memory", "runtime: out of memory: cannot allocate", "goroutine 199 [running]", "lines ...]"} {
		if !strings.Contains(got, w) {
			t.Errorf("stderr tail lacks %q:\n%s", w, got)
		}
	}
	if n := strings.Count(got, "\n"); n > 24 {
		t.Errorf("tail has %d lines", n)
	}
}

// TestNoParametersCellWarns: -p for a notebook without a parameters cell is a warning (papermill
// parity), not an error; the values are injected in a new first cell.
func TestNoParametersCellWarns(t *testing.T) {
	dir := t.TempDir()
	nb := filepath.Join(dir, "nb.ipynb")
	os.WriteFile(nb, []byte(`{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [`+
		`{"cell_type": "code", "id": "a", "metadata": {}, "source": "%%\nfmt.Println(1)", "outputs": [], "execution_count": null}]}`), 0o644)
	never := &spec.Spec{Argv: []string{filepath.Join(dir, "no-such-kernel"), "{connection_file}"}}
	var log strings.Builder
	res, err := Run(context.Background(), Options{Path: nb, Output: filepath.Join(dir, "out.ipynb"), Params: []string{"scale=smoke"}, Spec: never, Log: &log})
	if err == nil || FailureOf(err) != DeadKernel {
		t.Fatalf("want the missing kernel's error, got %v", err)
	}
	if !strings.Contains(log.String(), `warning: `+nb+` has no code cell tagged "parameters"`) || len(res.Warnings) != 1 {
		t.Errorf("no warning; log %q, warnings %q", log.String(), res.Warnings)
	}
}
