// Package report executes notebooks headlessly and turns them into self-contained HTML
// reports with nbconvert, plus an index (reports/index.html and index.json) listing each
// notebook with pass/fail, runtime and the GoMLX backend it ran on.
package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/labnotes/labnotes/kernel/runner"
	"github.com/labnotes/labnotes/kernel/spec"
)

// Options configure Run.
type Options struct {
	// Dir receives the reports; default "reports".
	Dir string
	// Params are "name=value" parameters passed to every notebook (e.g. "scale=smoke").
	Params []string
	// CellTimeout interrupts a cell that runs longer; 0 means no limit.
	CellTimeout time.Duration
	// Spec is the kernel to run the notebooks with.
	Spec *spec.Spec
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Jupyter is the jupyter command used for nbconvert; default "jupyter".
	Jupyter string
	// AllowErrors runs each notebook on past failing cells (see runner.Options.AllowErrors).
	AllowErrors bool
}

// Entry is one notebook's line in the index.
type Entry struct {
	Notebook string  `json:"notebook"`
	Name     string  `json:"name"`
	OK       bool    `json:"ok"`
	Seconds  float64 `json:"seconds"`
	Backend  string  `json:"backend"`
	HTML     string  `json:"html,omitempty"`
	Executed string  `json:"executed,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// Run executes each notebook, converts it (also when it failed, so the report shows where)
// to Dir/NAME.html, writes Dir/index.html and Dir/index.json, and returns the entries. The
// error is non-nil when any notebook failed (a runner.Error of the first failure's kind); the
// index is written regardless. Before anything runs, it refuses (runner.BadInput) a notebook
// whose executed copy, Dir/NAME.ipynb, would overwrite it or another notebook's.
func Run(ctx context.Context, notebooks []string, opts Options) ([]Entry, error) {
	if opts.Dir == "" {
		opts.Dir = "reports"
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, &runner.Error{Failure: runner.BadInput, Err: fmt.Errorf("report: %w", err)}
	}
	byOutput := map[string]string{}
	for _, nb := range notebooks {
		executed := filepath.Join(opts.Dir, filepath.Base(nb))
		if runner.SameFile(nb, executed) {
			return nil, &runner.Error{Failure: runner.BadInput, Err: fmt.Errorf(
				"report: %s is in the report folder %s, where its executed copy would overwrite it; choose another --dir", nb, opts.Dir)}
		}
		if other, ok := byOutput[executed]; ok {
			return nil, &runner.Error{Failure: runner.BadInput, Err: fmt.Errorf(
				"report: %s and %s would both be written to %s; rename one", other, nb, executed)}
		}
		byOutput[executed] = nb
	}
	var entries []Entry
	var failed []string
	var firstErr error
	for _, nb := range notebooks {
		name := strings.TrimSuffix(filepath.Base(nb), ".ipynb")
		e := Entry{Notebook: nb, Name: name}
		executed := filepath.Join(opts.Dir, name+".ipynb")
		fmt.Fprintf(opts.Log, "report: running %s\n", nb)
		start := time.Now()
		res, err := runner.Run(ctx, runner.Options{
			Path: nb, Output: executed, Params: opts.Params,
			CellTimeout: opts.CellTimeout, Spec: opts.Spec, Log: opts.Log, AllowErrors: opts.AllowErrors,
		})
		e.Seconds = time.Since(start).Seconds()
		if res != nil {
			e.Backend = res.Backend
		}
		if err != nil {
			e.Error = err.Error()
			failed = append(failed, name)
			if firstErr == nil {
				firstErr = err
			}
		} else {
			e.OK = true
		}
		if _, statErr := os.Stat(executed); statErr == nil {
			e.Executed = filepath.Base(executed)
			html, convErr := Convert(ctx, opts.Jupyter, executed, opts.Dir)
			if convErr != nil {
				e.OK = false
				e.Error = strings.TrimSpace(e.Error + "\n" + convErr.Error())
				if err == nil {
					failed = append(failed, name)
				}
			} else {
				e.HTML = filepath.Base(html)
			}
		}
		status := "ok"
		if !e.OK {
			status = "FAILED"
		}
		fmt.Fprintf(opts.Log, "report: %s %s in %.1fs (backend: %s)\n", name, status, e.Seconds, e.Backend)
		entries = append(entries, e)
		if ctx.Err() != nil {
			break
		}
	}
	if err := WriteIndex(opts.Dir, entries); err != nil {
		return entries, err
	}
	if len(failed) > 0 {
		kind := runner.FailureOf(firstErr)
		if kind == "" {
			kind = runner.CellError // its HTML conversion failed
		}
		return entries, &runner.Error{Failure: kind, Err: fmt.Errorf("report: %d of %d notebooks failed: %s (see %s)",
			len(failed), len(notebooks), strings.Join(failed, ", "), filepath.Join(opts.Dir, "index.html"))}
	}
	return entries, nil
}

// remoteResource matches a tag that would load a script, stylesheet or image from the network.
var remoteResource = regexp.MustCompile(`(?i)<(script|link|img)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//`)

// Convert turns an executed notebook into dir/NAME.html with nbconvert and checks the result
// is self-contained: plots are embedded (SVG inline, PNG as data URIs) and nothing is loaded
// from the network.
func Convert(ctx context.Context, jupyter, ipynb, dir string) (string, error) {
	if jupyter == "" {
		jupyter = "jupyter"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, jupyter, "nbconvert", "--to", "html", "--embed-images",
		"--output-dir", dir, ipynb)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("report: nbconvert %s failed: %v\n%s", ipynb, err, tail(string(out), 2000))
	}
	html := filepath.Join(dir, strings.TrimSuffix(filepath.Base(ipynb), ".ipynb")+".html")
	data, err := os.ReadFile(html)
	if err != nil {
		return "", fmt.Errorf("report: nbconvert wrote no %s: %w", html, err)
	}
	if m := remoteResource.Find(data); m != nil {
		return "", fmt.Errorf("report: %s is not self-contained: it loads %q from the network", html, m)
	}
	return html, nil
}

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Labnotes reports</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}th,td{padding:.35em .9em;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}
pre{white-space:pre-wrap;max-width:70em;font-size:.85em;background:#f6f8fa;padding:.5em}
</style></head><body>
<h1>Labnotes reports</h1>
<p>Generated {{.Generated}} — {{.Passed}} of {{len .Entries}} notebooks passed.</p>
<table><thead><tr><th>Notebook</th><th>Result</th><th>Runtime</th><th>Backend</th></tr></thead><tbody>
{{range .Entries}}<tr><td>{{if .HTML}}<a href="{{.HTML}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</td>
<td>{{if .OK}}<span class="ok">pass</span>{{else}}<span class="fail">FAIL</span>{{end}}</td>
<td class="num">{{printf "%.1f s" .Seconds}}</td><td>{{if .Backend}}{{.Backend}}{{else}}—{{end}}</td></tr>
{{if .Error}}<tr><td colspan="4"><pre>{{.Error}}</pre></td></tr>{{end}}
{{end}}</tbody></table></body></html>
`))

// WriteIndex writes dir/index.html and dir/index.json for entries.
func WriteIndex(dir string, entries []Entry) error {
	passed := 0
	for _, e := range entries {
		if e.OK {
			passed++
		}
	}
	var b strings.Builder
	err := indexTemplate.Execute(&b, map[string]any{
		"Entries": entries, "Passed": passed, "Generated": time.Now().UTC().Format("2006-01-02 15:04 UTC"),
	})
	if err != nil {
		return fmt.Errorf("report: index: %w", err)
	}
	js, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	return errors.Join(
		os.WriteFile(filepath.Join(dir, "index.html"), []byte(b.String()), 0o644),
		os.WriteFile(filepath.Join(dir, "index.json"), append(js, '\n'), 0o644))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
