package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/labnotes/labnotes/kernel/notebook"
	"github.com/labnotes/labnotes/kernel/spec"
	"github.com/labnotes/labnotes/kernel/wire"
)

// Default limits used when the corresponding [Options] field is zero.
const (
	DefaultStartupTimeout = 2 * time.Minute
	DefaultInterruptGrace = 10 * time.Second
	DefaultMaxStreamBytes = 2 << 20
	DefaultMaxRichBytes   = 10 << 20
)

// Cell tags the runner obeys (nbclient's names).
const (
	// SkipTag: the cell is not run.
	SkipTag = "skip-execution"
	// RaisesTag: the cell may fail; its error is recorded and the run goes on.
	RaisesTag = "raises-exception"
	// BannerTag marks the cells the runner adds to a failed run's output notebook: the banner at
	// the top and the anchor before each failing cell (removed from an input notebook).
	BannerTag = "labnotes-error"
)

// Options configure [Run].
type Options struct {
	// Path of the notebook to run; it is never modified.
	Path string
	// Output is where the executed notebook is written (atomically). Required.
	Output string
	// Params are "name=value" assignments injected after the cell tagged "parameters".
	Params []string
	// CellTimeout bounds each cell's execution; 0 means no limit. On expiry the kernel is
	// interrupted, and killed if it is not idle within InterruptGrace.
	CellTimeout time.Duration
	// Spec is the kernelspec used to start the kernel. Required.
	Spec *spec.Spec
	// Log receives one progress line per cell, e.g. "[3/7] cell 5 ok 1.2s". May be nil.
	Log io.Writer
	// StartupTimeout bounds the kernel's start (default [DefaultStartupTimeout]).
	StartupTimeout time.Duration
	// InterruptGrace is how long an interrupted kernel has to become idle before it is killed
	// (default [DefaultInterruptGrace]).
	InterruptGrace time.Duration
	// MaxStreamBytes caps the stream text stored per cell (default [DefaultMaxStreamBytes]);
	// beyond it the text is dropped and a "[labnotes: output truncated, N bytes dropped]" note
	// is appended.
	MaxStreamBytes int
	// MaxRichBytes caps the rich output (display_data, execute_result, update_display_data
	// content) stored per cell (default [DefaultMaxRichBytes]); an output beyond it is replaced by
	// a text/plain "[labnotes: display output dropped, ...]" note.
	MaxRichBytes int
	// AllowErrors runs on past failing cells (as long as the kernel lives); every failure is
	// recorded in the output notebook and the run still returns an error at the end.
	AllowErrors bool
}

// Result describes a run. It is also written to the output notebook as metadata.labnotes.
type Result struct {
	// OK is true when every code cell ran without error.
	OK bool `json:"ok"`
	// Duration of the whole run, kernel start and shutdown included.
	Duration time.Duration `json:"-"`
	// Backend is the text of the first "backend: ..." line printed by a cell, or "".
	Backend string `json:"backend"`
	// Parameters are the injected values by name.
	Parameters map[string]any `json:"parameters"`
	// FailedCell is the 1-based index, among code cells, of the first cell that failed (0 if
	// none).
	FailedCell int `json:"failed_cell,omitempty"`
	// FailedCells lists every failing cell (more than one only with AllowErrors).
	FailedCells []int `json:"failed_cells,omitempty"`
	// Failure is the kind of the first failure ("" when OK).
	Failure Failure `json:"failure,omitempty"`
	// Error is the run's error message ("" when OK).
	Error string `json:"error"`
	// CellsRun counts the code cells executed (empty and skip-execution cells are not run).
	CellsRun int `json:"-"`
	// Warnings are notes about the run (a parameter given to a notebook without a parameters
	// cell, ...), also written to Options.Log.
	Warnings []string `json:"warnings,omitempty"`
}

var (
	ansiRE    = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)
	backendRE = regexp.MustCompile(`(?m)^backend: (.+?)\r?$`)
)

// StripANSI removes ANSI escape sequences (colors) from s.
func StripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

// Run executes the notebook opts.Path with a kernel started from opts.Spec and writes the
// executed notebook to opts.Output, also when a cell fails (it then holds the cells that ran,
// with the failing cell's error). It returns the Result and, for a failed run, an error naming
// the notebook and the failing cell, with the error's name, value and traceback.
func Run(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	res := &Result{Parameters: map[string]any{}}
	badInput := func(format string, args ...any) (*Result, error) {
		res.Failure = BadInput
		return res, fail(BadInput, fmt.Errorf(format, args...))
	}
	if opts.Spec == nil {
		return badInput("runner: no kernelspec given (Options.Spec is nil)")
	}
	if opts.CellTimeout < 0 {
		return badInput("runner: cell timeout %s is negative; use 0 for no limit", opts.CellTimeout)
	}
	if err := checkOutput(opts.Path, opts.Output); err != nil {
		return badInput("runner: %w", err)
	}
	if opts.StartupTimeout <= 0 {
		opts.StartupTimeout = DefaultStartupTimeout
	}
	if opts.InterruptGrace <= 0 {
		opts.InterruptGrace = DefaultInterruptGrace
	}
	if opts.MaxStreamBytes <= 0 {
		opts.MaxStreamBytes = DefaultMaxStreamBytes
	}
	if opts.MaxRichBytes <= 0 {
		opts.MaxRichBytes = DefaultMaxRichBytes
	}
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, format+"\n", args...)
		}
	}

	nb, err := notebook.ReadFile(opts.Path)
	if err != nil {
		return badInput("runner: %w", err)
	}
	if len(opts.Params) > 0 && nb.ParametersCell() < 0 {
		w := fmt.Sprintf("warning: %s has no code cell tagged %q; the parameters (%s) are injected in a new first cell, and a later declaration of the same name overrides them",
			opts.Path, notebook.ParametersTag, strings.Join(opts.Params, ", "))
		res.Warnings = append(res.Warnings, w)
		logf("labnotes: %s", w)
	}
	params, err := nb.InjectParameters(opts.Params)
	if err != nil {
		return badInput("runner: notebook %s: %w", opts.Path, err)
	}
	res.Parameters = params
	var cells []*notebook.Cell
	for _, c := range nb.Cells {
		if c.HasTag(BannerTag) {
			continue // from an earlier failed run
		}
		if c.Type == "code" {
			c.Outputs = nil
			c.ExecutionCount = nil
			delete(c.Metadata, "execution")
		}
		cells = append(cells, c)
	}
	nb.Cells = cells

	var failures []failedCell
	finish := func(runErr error) (*Result, error) {
		res.Duration = time.Since(start)
		res.OK = runErr == nil
		if runErr != nil {
			res.Error = runErr.Error()
			res.Failure = FailureOf(runErr)
			addBanner(nb, failures, runErr)
		}
		md := map[string]any{
			"ok":               res.OK,
			"duration_seconds": res.Duration.Seconds(),
			"backend":          res.Backend,
			"parameters":       res.Parameters,
			"error":            res.Error,
		}
		if res.FailedCell > 0 {
			md["failed_cell"] = res.FailedCell
			md["failed_cells"] = res.FailedCells
		}
		if res.Failure != "" {
			md["failure"] = string(res.Failure)
		}
		if len(res.Warnings) > 0 {
			md["warnings"] = res.Warnings
		}
		nb.Metadata["labnotes"] = md
		if err := nb.WriteFile(opts.Output); err != nil {
			if runErr != nil {
				return res, fmt.Errorf("%w (and writing the output failed: %v)", runErr, err)
			}
			res.OK = false
			res.Error = err.Error()
			res.Failure = BadInput
			return res, fail(BadInput, fmt.Errorf("runner: %w", err))
		}
		return res, runErr
	}

	k, err := startKernel(ctx, opts.Spec, opts.StartupTimeout)
	if err != nil {
		kind := DeadKernel
		if ctx.Err() != nil {
			kind = Cancelled
		}
		return finish(fail(kind, fmt.Errorf("runner: notebook %s: %w", opts.Path, err)))
	}
	defer k.shutdown(3 * time.Second)
	if li, ok := k.info["language_info"]; ok {
		nb.Metadata["language_info"] = li
	}

	e := &executor{k: k, nb: nb, opts: opts, displays: map[string][]outLoc{}}
	var codeCells []int
	for i, c := range nb.Cells {
		if c.Type == "code" {
			codeCells = append(codeCells, i)
		}
	}
	var toRun int
	for _, ci := range codeCells {
		if c := nb.Cells[ci]; strings.TrimSpace(c.Source) != "" && !c.HasTag(SkipTag) {
			toRun++
		}
	}
	for n, ci := range codeCells {
		cell := nb.Cells[ci]
		if strings.TrimSpace(cell.Source) == "" {
			continue
		}
		if cell.HasTag(SkipTag) {
			logf("[-/%d] cell %d skipped (tagged %s)", toRun, n+1, SkipTag)
			continue
		}
		res.CellsRun++
		t0 := time.Now()
		cerr := e.runCell(ctx, ci, n+1, len(codeCells))
		if res.Backend == "" {
			res.Backend = backendOf(cell)
		}
		status := "ok"
		expected := cerr != nil && cell.HasTag(RaisesTag) && FailureOf(cerr) == CellError
		switch {
		case expected:
			status = "failed as expected (tagged " + RaisesTag + ")"
		case cerr != nil:
			status = "FAILED"
		}
		logf("[%d/%d] cell %d %s %.1fs", res.CellsRun, toRun, n+1, status, time.Since(t0).Seconds())
		if cerr == nil || expected {
			continue
		}
		if res.FailedCell == 0 {
			res.FailedCell = n + 1
		}
		res.FailedCells = append(res.FailedCells, n+1)
		desc := fmt.Sprintf("cell %d of %d", n+1, len(codeCells))
		if cell.ID != "" {
			desc += fmt.Sprintf(" (id %s)", cell.ID)
		}
		if fl := firstCodeLine(cell.Source); fl != "" {
			if len(fl) > 80 {
				fl = fl[:77] + "..."
			}
			desc += fmt.Sprintf(" `%s`", fl)
		}
		var kd *kernelDiedError
		if errors.As(cerr, &kd) {
			cerr = fail(DeadKernel, fmt.Errorf("runner: notebook %s: kernel died while running %s (exit status %s)%s", opts.Path, desc, kd.status, kd.tail))
		} else {
			cerr = fail(FailureOf(cerr), fmt.Errorf("runner: notebook %s: %s failed: %w", opts.Path, desc, cerr))
		}
		failures = append(failures, failedCell{index: ci, n: n + 1, err: cerr})
		stop := !opts.AllowErrors || FailureOf(cerr) == DeadKernel || FailureOf(cerr) == Cancelled
		select {
		case <-k.exited:
			stop = true
		default:
		}
		if stop {
			break
		}
	}
	switch len(failures) {
	case 0:
		return finish(nil)
	case 1:
		return finish(failures[0].err)
	}
	msgs := make([]string, len(failures))
	for i, f := range failures {
		msgs[i] = f.err.Error()
	}
	return finish(fail(FailureOf(failures[0].err), fmt.Errorf("runner: notebook %s: %d cells failed (--allow-errors):\n%s",
		opts.Path, len(failures), strings.Join(msgs, "\n"))))
}

// checkOutput checks, before anything runs, that the executed notebook can be written to out:
// not the input notebook, not a folder, in a folder that exists (or can be made) and is writable.
func checkOutput(in, out string) error {
	if out == "" {
		return errors.New("no output path given (Options.Output is empty)")
	}
	if SameFile(in, out) {
		return fmt.Errorf("output %s is the input notebook; the input is never overwritten, choose another output", out)
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return fmt.Errorf("output %s is a folder; expected a notebook file path", out)
	}
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output %s: cannot create its folder: %w", out, err)
	}
	f, err := os.CreateTemp(dir, ".labnotes-write-check-*")
	if err != nil {
		return fmt.Errorf("output %s: its folder is not writable: %w", out, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// SameFile reports whether paths a and b name the same file (or, when either does not exist,
// the same absolute path).
func SameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	return aa == bb
}

// failedCell is a failing cell: its index in nb.Cells, its number among code cells, its error.
type failedCell struct {
	index, n int
	err      error
}

// addBanner puts at the top of a failed run's notebook a markdown cell saying what failed, with
// links to an anchor cell put before each failing cell (papermill's error banner).
func addBanner(nb *notebook.Notebook, failures []failedCell, runErr error) {
	tagged := func(c *notebook.Cell, id string) *notebook.Cell {
		c.Metadata["tags"] = []any{BannerTag}
		if nb.NBFormatMinor >= 5 {
			c.ID = id
		}
		return c
	}
	var b strings.Builder
	b.WriteString(`<span style="color:#b00020; font-weight:bold; font-size:1.3em">labnotes: this run failed</span>` + "\n\n")
	if len(failures) == 0 {
		b.WriteString(html.EscapeString(firstLines(StripANSI(runErr.Error()), 6)) + "\n")
	}
	anchors := map[int]*notebook.Cell{}
	for _, f := range failures {
		id := fmt.Sprintf("labnotes-error-cell-%d", f.n)
		fmt.Fprintf(&b, "- [code cell %d](#%s): %s\n", f.n, id, html.EscapeString(firstLines(StripANSI(f.err.Error()), 1)))
		anchors[f.index] = tagged(notebook.NewMarkdownCell(fmt.Sprintf(
			`<span id="%s" style="color:#b00020; font-weight:bold">labnotes: the next cell failed (%s).</span>`, id, FailureOf(f.err))), id)
	}
	cells := []*notebook.Cell{tagged(notebook.NewMarkdownCell(b.String()), "labnotes-error-banner")}
	for i, c := range nb.Cells {
		if a := anchors[i]; a != nil {
			cells = append(cells, a)
		}
		cells = append(cells, c)
	}
	nb.Cells = cells
}

// firstLines returns the first n lines of s, each cut at 300 bytes.
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:297] + "..."
		}
	}
	return strings.Join(lines, "\n")
}

// firstCodeLine returns the first line of src that is neither blank nor GoNB's "%%" marker.
func firstCodeLine(src string) string {
	for _, l := range strings.Split(src, "\n") {
		if l = strings.TrimSpace(l); l != "" && l != "%%" && l != "%main" {
			return l
		}
	}
	return ""
}

// backendOf returns the first "backend: ..." line in the cell's stream outputs.
func backendOf(c *notebook.Cell) string {
	for _, o := range c.Outputs {
		if o.Type != "stream" {
			continue
		}
		if m := backendRE.FindStringSubmatch(o.Text); m != nil {
			return strings.TrimSpace(m[1])
		}
	}
	return ""
}

// kernelDiedError reports that the kernel process exited while a cell ran.
type kernelDiedError struct {
	status, tail string
}

func (e *kernelDiedError) Error() string { return "kernel died (exit status " + e.status + ")" }

// cellError is a failure reported by the kernel (or a timeout/cancellation).
type cellError struct {
	kind          Failure // Timeout or Cancelled for the runner's own errors, else ""
	ename, evalue string
	traceback     []string
	stderr        string // tail of the cell's stderr stream, often where a panic's trace is
}

func (e *cellError) Error() string {
	var b strings.Builder
	b.WriteString(e.ename)
	if e.evalue != "" {
		b.WriteString(": " + StripANSI(e.evalue))
	}
	tb := StripANSI(strings.TrimSpace(strings.Join(e.traceback, "\n")))
	if tb != "" && tb != strings.TrimSpace(StripANSI(e.evalue)) {
		b.WriteString("\n" + tb)
	}
	if e.stderr != "" {
		b.WriteString("\ncell stderr (tail):\n" + e.stderr)
	}
	return b.String()
}

// outLoc locates an output for update_display_data.
type outLoc struct{ cell, idx int }

// executor runs cells on one kernel.
type executor struct {
	k        *kernelProc
	nb       *notebook.Notebook
	opts     Options
	displays map[string][]outLoc
}

// cellRun is the state of one executing cell.
type cellRun struct {
	e           *executor
	ci          int
	cell        *notebook.Cell
	streamBytes int
	richBytes   int
	dropped     map[string]int
	clearWait   bool
	errOut      *cellError
}

// idleTimeout is how long, after the execute_reply, the runner waits without any iopub message
// of the cell before it stops waiting for the kernel's idle status.
const idleTimeout = 5 * time.Second

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z") }

func msgTime(m *wire.Message) string {
	if m.Header.Date != "" {
		return m.Header.Date
	}
	return now()
}

func (e *executor) runCell(ctx context.Context, ci, n, total int) error {
	cell := e.nb.Cells[ci]
	cr := &cellRun{e: e, ci: ci, cell: cell, dropped: map[string]int{}}
	e.k.trackGroups()
	timing := map[string]any{}
	cell.Metadata["execution"] = timing
	// The runner's own clock, at microseconds (GoNB's message dates have whole seconds):
	// request sent and reply received, as a client sees the round trip.
	timing["labnotes.request_sent"] = now()
	req, err := e.k.client.Request(wire.Shell, "execute_request", map[string]any{
		"code": cell.Source, "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true,
	})
	if err != nil {
		return &cellError{ename: "RunnerError", evalue: err.Error()}
	}
	id := req.Header.MsgID
	var timeout <-chan time.Time
	if e.opts.CellTimeout > 0 {
		t := time.NewTimer(e.opts.CellTimeout)
		defer t.Stop()
		timeout = t.C
	}
	var (
		reply     *wire.Message
		idle      bool
		idleWait  <-chan time.Time // after the reply, how long to wait for status idle
		idleTimer *time.Timer      // idleWait's timer, restarted by every message of the cell
		grace     <-chan time.Time // after an interrupt, how long until the kernel is killed
		failure   *cellError       // timeout or cancellation
		iopub     = e.k.client.IOPub()
		shell     = e.k.client.ShellReplies()
		cancelled = ctx.Done()
	)
	stopWith := func(ce *cellError) {
		failure = ce
		cr.addOutput(&notebook.Output{Type: "error", Ename: ce.ename, Evalue: ce.evalue, Traceback: ce.traceback})
		if err := e.k.interrupt(); err != nil {
			e.k.kill()
		}
		grace = time.After(e.opts.InterruptGrace)
		timeout, cancelled = nil, nil
	}
	for reply == nil || !idle {
		select {
		case m, ok := <-iopub:
			if !ok {
				iopub = nil
				continue
			}
			if m.Parent.MsgID != id {
				continue
			}
			if idleTimer != nil {
				// Output is still arriving: keep waiting for idle (as nbclient does).
				idleTimer.Reset(idleTimeout)
			}
			if m.Header.MsgType == "status" {
				var st struct {
					State string `json:"execution_state"`
				}
				_ = m.Decode(&st)
				switch st.State {
				case "busy":
					timing["iopub.status.busy"] = msgTime(m)
				case "idle":
					timing["iopub.status.idle"] = msgTime(m)
					idle = true
				}
				continue
			}
			cr.handle(m, timing)
		case m, ok := <-shell:
			if !ok {
				shell = nil
				continue
			}
			if m.Parent.MsgID != id || m.Header.MsgType != "execute_reply" {
				continue
			}
			reply = m
			timing["shell.execute_reply"] = msgTime(m)
			timing["labnotes.reply_received"] = now()
			idleTimer = time.NewTimer(idleTimeout)
			defer idleTimer.Stop()
			idleWait = idleTimer.C
		case <-idleWait:
			idle = true // a kernel that never reports idle must not hang the run
		case <-e.k.exited:
			cr.finish()
			tail := ""
			if t := e.k.stderr.Tail(10); t != "" {
				tail = "; kernel's last output:\n" + StripANSI(t)
			}
			kd := &kernelDiedError{status: e.k.exitStatus(), tail: tail}
			cr.addOutput(&notebook.Output{Type: "error", Ename: "DeadKernelError",
				Evalue: fmt.Sprintf("kernel died while running cell %d of %d (exit status %s)", n, total, kd.status), Traceback: []string{}})
			return kd
		case <-timeout:
			msg := fmt.Sprintf("cell %d of %d timed out after %s (--timeout); the kernel was interrupted", n, total, e.opts.CellTimeout)
			stopWith(&cellError{kind: Timeout, ename: "CellTimeoutError", evalue: msg, traceback: []string{msg}})
		case <-cancelled:
			msg := fmt.Sprintf("run cancelled while cell %d of %d was running (%v); the kernel was interrupted", n, total, context.Cause(ctx))
			stopWith(&cellError{kind: Cancelled, ename: "RunCancelled", evalue: msg, traceback: []string{msg}})
		case <-grace:
			// The interrupt did not bring the kernel back: kill it and report the timeout.
			e.k.kill()
			cr.finish()
			failure.stderr = cr.stderrTail(20)
			return fail(failure.kind, failure)
		}
	}
	cr.finish()
	if failure != nil {
		failure.stderr = cr.stderrTail(20)
		return fail(failure.kind, failure)
	}
	var rc struct {
		Status         string   `json:"status"`
		ExecutionCount *int     `json:"execution_count"`
		Ename          string   `json:"ename"`
		Evalue         string   `json:"evalue"`
		Traceback      []string `json:"traceback"`
	}
	_ = reply.Decode(&rc)
	if rc.ExecutionCount != nil {
		cell.ExecutionCount = rc.ExecutionCount
	}
	ce := cr.errOut
	if ce == nil && (rc.Status == "error" || rc.Status == "aborted") {
		if rc.Ename == "" {
			rc.Ename = "Error"
		}
		ce = &cellError{ename: rc.Ename, evalue: rc.Evalue, traceback: rc.Traceback}
	}
	if ce != nil {
		ce.stderr = cr.stderrTail(20)
		return ce
	}
	return nil
}

// stderrTail returns the last n lines of the cell's stderr stream, without ANSI colors and
// without the lines that only repeat the error value. The first lines that say why a Go program
// died ("fatal error: ...", "panic: ...", "runtime: ...", "signal ...") are kept even when they
// come before those n lines (a fatal error's goroutine dump is often hundreds of lines long).
func (cr *cellRun) stderrTail(n int) string {
	var all strings.Builder
	for _, o := range cr.cell.Outputs {
		if o.Type == "stream" && o.Name == "stderr" {
			all.WriteString(o.Text)
		}
	}
	lines := strings.Split(strings.TrimRight(StripANSI(all.String()), "\n"), "\n")
	if len(lines) <= n {
		return strings.TrimSpace(strings.Join(lines, "\n"))
	}
	var head []string
	for _, l := range lines[:len(lines)-n] {
		if fatalLineRE.MatchString(l) {
			head = append(head, l)
			if len(head) == 4 {
				break
			}
		}
	}
	tail := lines[len(lines)-n:]
	if len(head) > 0 {
		head = append(head, fmt.Sprintf("[... %d lines ...]", len(lines)-n-len(head)))
	}
	return strings.TrimSpace(strings.Join(append(head, tail...), "\n"))
}

// fatalLineRE matches the lines with which the Go runtime says why a program died.
var fatalLineRE = regexp.MustCompile(`^(fatal error: |panic: |runtime: |signal [A-Z]+|SIG[A-Z]+: )`)

// handle records one iopub message of the cell.
func (cr *cellRun) handle(m *wire.Message, timing map[string]any) {
	var c struct {
		ExecutionCount *int           `json:"execution_count"`
		Name           string         `json:"name"`
		Text           string         `json:"text"`
		Data           map[string]any `json:"data"`
		Metadata       map[string]any `json:"metadata"`
		Transient      struct {
			DisplayID string `json:"display_id"`
		} `json:"transient"`
		Ename     string   `json:"ename"`
		Evalue    string   `json:"evalue"`
		Traceback []string `json:"traceback"`
		Wait      bool     `json:"wait"`
	}
	switch m.Header.MsgType {
	case "display_data", "execute_result", "update_display_data":
		if cr.richBytes+len(m.Content) > cr.e.opts.MaxRichBytes {
			cr.dropRich(m)
			return
		}
		cr.richBytes += len(m.Content)
	}
	if err := m.Decode(&c); err != nil {
		return
	}
	switch m.Header.MsgType {
	case "execute_input":
		timing["iopub.execute_input"] = msgTime(m)
		if c.ExecutionCount != nil {
			cr.cell.ExecutionCount = c.ExecutionCount
		}
	case "stream":
		cr.addStream(c.Name, c.Text)
	case "display_data", "execute_result":
		cr.addDisplay(&notebook.Output{Type: m.Header.MsgType, Data: c.Data, Metadata: c.Metadata}, c.ExecutionCount, c.Transient.DisplayID)
	case "update_display_data":
		cr.updateDisplay(c.Transient.DisplayID, c.Data, c.Metadata)
	case "clear_output":
		if c.Wait {
			cr.clearWait = true
		} else {
			cr.clear()
		}
	case "error":
		ce := &cellError{ename: c.Ename, evalue: c.Evalue, traceback: c.Traceback}
		if cr.errOut == nil {
			cr.errOut = ce
		}
		cr.addOutput(&notebook.Output{Type: "error", Ename: c.Ename, Evalue: c.Evalue, Traceback: c.Traceback})
	}
}

// dropRich records, instead of a rich output that would take the cell past MaxRichBytes, a
// text/plain note (the content itself is not decoded).
func (cr *cellRun) dropRich(m *wire.Message) {
	var c struct {
		ExecutionCount *int `json:"execution_count"`
		Transient      struct {
			DisplayID string `json:"display_id"`
		} `json:"transient"`
	}
	_ = json.Unmarshal(m.Content, &c) // the big data field is skipped, not stored
	note := map[string]any{"text/plain": fmt.Sprintf("[labnotes: display output dropped, %d bytes: the cell's rich outputs exceed the limit of %d bytes]",
		len(m.Content), cr.e.opts.MaxRichBytes)}
	switch m.Header.MsgType {
	case "update_display_data":
		cr.updateDisplay(c.Transient.DisplayID, note, map[string]any{})
	default:
		cr.addDisplay(&notebook.Output{Type: m.Header.MsgType, Data: note}, c.ExecutionCount, c.Transient.DisplayID)
	}
}

// addDisplay adds the rich output o (display_data or execute_result) to the cell. An
// execute_result takes count, else the cell's execution count; a non-empty displayID
// records where o stands, for later update_display_data messages.
func (cr *cellRun) addDisplay(o *notebook.Output, count *int, displayID string) {
	if o.Type == "execute_result" {
		o.ExecutionCount = count
		if o.ExecutionCount == nil {
			o.ExecutionCount = cr.cell.ExecutionCount
		}
	}
	idx := cr.addOutput(o)
	if displayID != "" {
		cr.e.displays[displayID] = append(cr.e.displays[displayID], outLoc{cr.ci, idx})
	}
}

// updateDisplay replaces the data and metadata of every output shown under displayID
// (update_display_data).
func (cr *cellRun) updateDisplay(displayID string, data, metadata map[string]any) {
	for _, loc := range cr.e.displays[displayID] {
		if outs := cr.e.nb.Cells[loc.cell].Outputs; loc.idx < len(outs) {
			outs[loc.idx].Data, outs[loc.idx].Metadata = data, metadata
		}
	}
}

// clear removes the cell's outputs (clear_output), forgetting their display ids.
func (cr *cellRun) clear() {
	cr.finishTruncation()
	cr.cell.Outputs = nil
	cr.streamBytes = 0
	cr.richBytes = 0
	cr.clearWait = false
	for id, locs := range cr.e.displays {
		kept := locs[:0]
		for _, l := range locs {
			if l.cell != cr.ci {
				kept = append(kept, l)
			}
		}
		cr.e.displays[id] = kept
	}
}

func (cr *cellRun) addOutput(o *notebook.Output) int {
	if cr.clearWait {
		cr.clear()
	}
	if o.Metadata == nil && (o.Type == "display_data" || o.Type == "execute_result") {
		o.Metadata = map[string]any{}
	}
	cr.cell.Outputs = append(cr.cell.Outputs, o)
	return len(cr.cell.Outputs) - 1
}

// addStream appends stream text, merging with the previous output of the same stream, and drops
// text beyond MaxStreamBytes.
func (cr *cellRun) addStream(name, text string) {
	if cr.clearWait {
		cr.clear()
	}
	if room := cr.e.opts.MaxStreamBytes - cr.streamBytes; len(text) > room {
		if room < 0 {
			room = 0
		}
		cr.dropped[name] += len(text) - room
		text = text[:room]
	}
	if text == "" {
		return
	}
	cr.streamBytes += len(text)
	outs := cr.cell.Outputs
	if n := len(outs); n > 0 && outs[n-1].Type == "stream" && outs[n-1].Name == name {
		outs[n-1].Text += text
		return
	}
	cr.cell.Outputs = append(outs, &notebook.Output{Type: "stream", Name: name, Text: text})
}

// finishTruncation appends the truncation notes for dropped stream text.
func (cr *cellRun) finishTruncation() {
	for _, name := range []string{"stdout", "stderr"} {
		if n := cr.dropped[name]; n > 0 {
			note := fmt.Sprintf("\n[labnotes: output truncated, %d bytes dropped]\n", n)
			outs := cr.cell.Outputs
			var last *notebook.Output
			for i := len(outs) - 1; i >= 0; i-- {
				if outs[i].Type == "stream" && outs[i].Name == name {
					last = outs[i]
					break
				}
			}
			if last != nil {
				last.Text += note
			} else {
				cr.cell.Outputs = append(outs, &notebook.Output{Type: "stream", Name: name, Text: note})
			}
			delete(cr.dropped, name)
		}
	}
	for name, n := range cr.dropped { // unusual stream names
		cr.cell.Outputs = append(cr.cell.Outputs, &notebook.Output{Type: "stream", Name: name,
			Text: fmt.Sprintf("\n[labnotes: output truncated, %d bytes dropped]\n", n)})
		delete(cr.dropped, name)
	}
}

// finish completes the cell's outputs.
func (cr *cellRun) finish() { cr.finishTruncation() }
