package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// FailedCell is the 1-based index, among code cells, of the cell that failed (0 if none).
	FailedCell int `json:"failed_cell,omitempty"`
	// Error is the run's error message ("" when OK).
	Error string `json:"error"`
	// CellsRun counts the code cells executed (empty cells are skipped and not counted).
	CellsRun int `json:"-"`
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
	if opts.Spec == nil {
		return res, errors.New("runner: no kernelspec given (Options.Spec is nil)")
	}
	if opts.Output == "" {
		return res, errors.New("runner: no output path given (Options.Output is empty)")
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
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, format+"\n", args...)
		}
	}

	nb, err := notebook.ReadFile(opts.Path)
	if err != nil {
		return res, fmt.Errorf("runner: %w", err)
	}
	params, err := nb.InjectParameters(opts.Params)
	if err != nil {
		return res, fmt.Errorf("runner: notebook %s: %w", opts.Path, err)
	}
	res.Parameters = params
	for _, c := range nb.Cells {
		if c.Type == "code" {
			c.Outputs = nil
			c.ExecutionCount = nil
			delete(c.Metadata, "execution")
		}
	}

	finish := func(runErr error) (*Result, error) {
		res.Duration = time.Since(start)
		res.OK = runErr == nil
		if runErr != nil {
			res.Error = runErr.Error()
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
		}
		nb.Metadata["labnotes"] = md
		if err := nb.WriteFile(opts.Output); err != nil {
			if runErr != nil {
				return res, fmt.Errorf("%w (and writing the output failed: %v)", runErr, err)
			}
			res.OK = false
			res.Error = err.Error()
			return res, fmt.Errorf("runner: %w", err)
		}
		return res, runErr
	}

	k, err := startKernel(ctx, opts.Spec, opts.StartupTimeout)
	if err != nil {
		return finish(fmt.Errorf("runner: notebook %s: %w", opts.Path, err))
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
		if strings.TrimSpace(nb.Cells[ci].Source) != "" {
			toRun++
		}
	}
	for n, ci := range codeCells {
		cell := nb.Cells[ci]
		if strings.TrimSpace(cell.Source) == "" {
			continue
		}
		res.CellsRun++
		t0 := time.Now()
		cerr := e.runCell(ctx, ci, n+1, len(codeCells))
		if res.Backend == "" {
			res.Backend = backendOf(cell)
		}
		status := "ok"
		if cerr != nil {
			status = "FAILED"
		}
		logf("[%d/%d] cell %d %s %.1fs", res.CellsRun, toRun, n+1, status, time.Since(t0).Seconds())
		if cerr != nil {
			res.FailedCell = n + 1
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
				return finish(fmt.Errorf("runner: notebook %s: kernel died while running %s (exit status %s)%s", opts.Path, desc, kd.status, kd.tail))
			}
			return finish(fmt.Errorf("runner: notebook %s: %s failed: %w", opts.Path, desc, cerr))
		}
	}
	return finish(nil)
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
			stopWith(&cellError{ename: "CellTimeoutError", evalue: msg, traceback: []string{msg}})
		case <-cancelled:
			msg := fmt.Sprintf("run cancelled while cell %d of %d was running (%v); the kernel was interrupted", n, total, context.Cause(ctx))
			stopWith(&cellError{ename: "RunCancelled", evalue: msg, traceback: []string{msg}})
		case <-grace:
			// The interrupt did not bring the kernel back: kill it and report the timeout.
			e.k.kill()
			cr.finish()
			failure.stderr = cr.stderrTail(20)
			return failure
		}
	}
	cr.finish()
	if failure != nil {
		failure.stderr = cr.stderrTail(20)
		return failure
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
// without the lines that only repeat the error value.
func (cr *cellRun) stderrTail(n int) string {
	var all strings.Builder
	for _, o := range cr.cell.Outputs {
		if o.Type == "stream" && o.Name == "stderr" {
			all.WriteString(o.Text)
		}
	}
	lines := strings.Split(strings.TrimRight(StripANSI(all.String()), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

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
		o := &notebook.Output{Type: m.Header.MsgType, Data: c.Data, Metadata: c.Metadata}
		if m.Header.MsgType == "execute_result" {
			o.ExecutionCount = c.ExecutionCount
			if o.ExecutionCount == nil {
				o.ExecutionCount = cr.cell.ExecutionCount
			}
		}
		idx := cr.addOutput(o)
		if id := c.Transient.DisplayID; id != "" {
			cr.e.displays[id] = append(cr.e.displays[id], outLoc{cr.ci, idx})
		}
	case "update_display_data":
		for _, loc := range cr.e.displays[c.Transient.DisplayID] {
			outs := cr.e.nb.Cells[loc.cell].Outputs
			if loc.idx < len(outs) {
				outs[loc.idx].Data = c.Data
				outs[loc.idx].Metadata = c.Metadata
			}
		}
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

// clear removes the cell's outputs (clear_output), forgetting their display ids.
func (cr *cellRun) clear() {
	cr.finishTruncation()
	cr.cell.Outputs = nil
	cr.streamBytes = 0
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
