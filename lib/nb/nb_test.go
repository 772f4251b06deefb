package nb

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// capture redirects the package's output hooks for a test; notebook
// selects notebook mode, where displayed HTML is collected in html (as
// "id|html" for updates).
type capture struct {
	out, err bytes.Buffer
	html     []string
	exitCode int
}

func newCapture(t *testing.T, notebook bool) *capture {
	c := &capture{exitCode: -1}
	oldNB, oldDisplay, oldUpdate, oldSync, oldID := inNotebook, displayHTML, updateHTML, syncDisplay, newID
	oldOut, oldErr, oldExit := stdout, stderr, exit
	inNotebook = func() bool { return notebook }
	displayHTML = func(h string) { c.html = append(c.html, h) }
	updateHTML = func(id, h string) { c.html = append(c.html, id+"|"+h) }
	syncDisplay = func() {}
	newID = func() string { return "X" }
	stdout, stderr = &c.out, &c.err
	exit = func(code int) { c.exitCode = code }
	t.Cleanup(func() {
		inNotebook, displayHTML, updateHTML, syncDisplay, newID = oldNB, oldDisplay, oldUpdate, oldSync, oldID
		stdout, stderr, exit = oldOut, oldErr, oldExit
	})
	return c
}

func TestParseScale(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Scale
		wantErr bool
	}{
		{"smoke", Smoke, false},
		{"CPU", CPU, false},
		{" gpu\n", GPU, false},
		{"", "", true},
		{"tpu", "", true},
	} {
		got, err := ParseScale(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseScale(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), `"smoke", "cpu" and "gpu"`) {
			t.Errorf("ParseScale(%q) error %q does not list the valid scales", tc.in, err)
		}
	}
}

func TestMustScaleAndPickPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"MustScale": func() { MustScale("big") },
		"Pick":      func() { Pick(Scale("big"), 1, 2, 3) },
	} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "nb: ") {
					t.Errorf("%s panicked with %v, want a message starting with \"nb: \"", name, r)
				}
			}()
			f()
		}()
	}
	if got := Pick(Smoke, "a", "b", "c") + Pick(GPU, "a", "b", "c"); got != "ac" {
		t.Errorf("Pick = %q", got)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, ""},
		{"x", "x"},
		{42, "42"},
		{int64(-7), "-7"},
		{3.0, "3"},
		{1e7, "1e+07"},
		{0.000123456, "0.0001235"},
		{123456.789, "1.235e+05"},
		{math.NaN(), "NaN"},
		{math.Inf(-1), "-Inf"},
		{float32(0.5), "0.5"},
		{true, "true"},
		{90 * time.Second, "1m30s"},
		{1500 * time.Microsecond, "1.5ms"},
		{errors.New("boom"), "boom"},
	} {
		if got := Format(tc.v); got != tc.want {
			t.Errorf("Format(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestTableText(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header []string
		rows   [][]any
		want   string
	}{
		{"empty", nil, nil, ""},
		{"header only", []string{"a", "b"}, nil, "a  b\n-  -\n"},
		{"ragged rows", []string{"k"}, [][]any{{"x", 1}, {"longer"}}, "k\n------  -\nx       1\nlonger\n"},
		{"mixed column is left aligned", []string{"v"}, [][]any{{1}, {"n/a"}}, "v\n---\n1\nn/a\n"},
		{"nil cells keep numeric alignment", []string{"n", "v"}, [][]any{{"a", 10}, {"b", nil}}, "n   v\n-  --\na  10\nb\n"},
	} {
		if got := TableText(tc.header, tc.rows); got != tc.want {
			t.Errorf("%s: TableText =\n%q\nwant\n%q", tc.name, got, tc.want)
		}
	}
}

func TestTableHTML(t *testing.T) {
	c := newCapture(t, true)
	Table([]string{"name", "loss"}, [][]any{{"<b>", 0.5}})
	if len(c.html) != 1 || c.out.Len() != 0 {
		t.Fatalf("got html %q and stdout %q, want one HTML display", c.html, c.out.String())
	}
	h := c.html[0]
	for _, want := range []string{"<table", "<th", ">name</th>", "&lt;b&gt;", "text-align:right", ">0.5</td>"} {
		if !strings.Contains(h, want) {
			t.Errorf("TableHTML %q missing %q", h, want)
		}
	}
	if err := xml.Unmarshal([]byte(h), new(any)); err != nil {
		t.Errorf("TableHTML is not well-formed: %v", err)
	}
}

func TestClaim(t *testing.T) {
	t.Run("text success", func(t *testing.T) {
		c := newCapture(t, false)
		Claim(true, "x=%d", 1)
		if c.out.String() != "✓ claim: x=1\n" || c.exitCode != -1 || c.err.Len() != 0 {
			t.Errorf("stdout %q stderr %q exit %d", c.out.String(), c.err.String(), c.exitCode)
		}
	})
	t.Run("text failure exits", func(t *testing.T) {
		c := newCapture(t, false)
		ClaimGreater("accuracy", 0.5, 0.9)
		if c.out.String() != "✗ claim failed: accuracy > 0.9 (got 0.5)\n" {
			t.Errorf("stdout %q", c.out.String())
		}
		if c.err.String() != "nb: claim failed: accuracy > 0.9 (got 0.5)\n" || c.exitCode != 1 {
			t.Errorf("stderr %q exit %d", c.err.String(), c.exitCode)
		}
	})
	t.Run("NaN fails", func(t *testing.T) {
		c := newCapture(t, false)
		ClaimLess("loss", math.NaN(), 1)
		if c.exitCode != 1 {
			t.Errorf("ClaimLess(NaN) exit %d, want 1", c.exitCode)
		}
	})
	t.Run("notebook", func(t *testing.T) {
		c := newCapture(t, true)
		Claim(true, "a<b")
		Claim(false, "c")
		if len(c.html) != 2 || !strings.Contains(c.html[0], "✓ claim: a&lt;b") || !strings.Contains(c.html[1], "✗ claim failed: c") {
			t.Errorf("html %q", c.html)
		}
		if c.out.Len() != 0 || c.err.String() != "nb: claim failed: c\n" || c.exitCode != 1 {
			t.Errorf("stdout %q stderr %q exit %d", c.out.String(), c.err.String(), c.exitCode)
		}
	})
}

// fakeClock advances by step at every call.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time { c.t = c.t.Add(c.step); return c.t }

func TestProgressText(t *testing.T) {
	c := newCapture(t, false)
	clock := &fakeClock{t: time.Unix(0, 0), step: 100 * time.Millisecond}
	p := newProgress(20, "train", clock.now)
	for i := range 20 {
		p.Update(i+1, "loss", 1.0/float64(i+1))
	}
	p.Done()
	p.Done()
	p.Update(21)
	lines := strings.Split(strings.TrimSpace(c.out.String()), "\n")
	// Step 1 (first tenth), then every 10% (steps 2, 4, ..., 20), then Done.
	if len(lines) != 12 {
		t.Fatalf("got %d lines, want 12:\n%s", len(lines), c.out.String())
	}
	if want := "train: 1/20 (5%) elapsed 100ms eta 1.9s loss=1"; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if want := "train: done 20/20 (100%) in 2.1s loss=0.05"; lines[11] != want {
		t.Errorf("last line %q, want %q", lines[11], want)
	}
}

func TestProgressUnknownTotal(t *testing.T) {
	c := newCapture(t, false)
	clock := &fakeClock{t: time.Unix(0, 0), step: time.Second}
	p := newProgress(0, "", clock.now)
	for i := range 100 {
		p.Update(i+1, "odd") // An odd number of metric arguments is shown, not lost.
	}
	p.Done()
	lines := strings.Split(strings.TrimSpace(c.out.String()), "\n")
	// First update, then one every 30 s, then Done.
	if len(lines) != 5 || lines[0] != "1 elapsed 1.0s ?=odd" || lines[4] != "done 100 in 1m41s ?=odd" {
		t.Errorf("got lines %q", lines)
	}
}

func TestProgressNotebook(t *testing.T) {
	c := newCapture(t, true)
	clock := &fakeClock{t: time.Unix(0, 0), step: 100 * time.Millisecond}
	p := newProgress(10, "fit <x>", clock.now)
	for i := range 10 {
		p.Update(i+1, "loss", 0.5)
	}
	p.Done()
	// 100 ms per call: the first update, then one every 250 ms, then Done.
	if len(c.html) != 5 {
		t.Fatalf("got %d updates, want 5: %q", len(c.html), c.html)
	}
	for _, h := range c.html {
		if !strings.HasPrefix(h, "nb-progress-X|<div") {
			t.Errorf("update %q not for display nb-progress-X", h)
		}
		if err := xml.Unmarshal([]byte(strings.TrimPrefix(h, "nb-progress-X|")), new(any)); err != nil {
			t.Errorf("update %q is not well-formed: %v", h, err)
		}
	}
	last := c.html[len(c.html)-1]
	for _, want := range []string{"fit &lt;x&gt;", "width:100.0%", "10/10 (100%)", "done in 1.1s", "loss=0.5"} {
		if !strings.Contains(last, want) {
			t.Errorf("final update %q missing %q", last, want)
		}
	}
	if !strings.Contains(c.html[0], "ETA 900ms") {
		t.Errorf("first update %q has no ETA", c.html[0])
	}
	if c.out.Len() != 0 {
		t.Errorf("stdout %q in notebook mode", c.out.String())
	}
}

func TestLinePlotSVG(t *testing.T) {
	p := &LinePlot{Title: "Loss & accuracy", XLabel: "step", YLabel: "value", LogY: true}
	p.Add("train loss", []float64{1, 2, 3, 4}, []float64{2, 1, math.NaN(), 0.5}).
		Add("eval <loss>", []float64{1, 4}, []float64{2.5, -1}). // -1 is dropped on a log axis.
		Add("", nil, []float64{0.1, 0.2})
	svg, err := p.SVG()
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG is not valid XML: %v", err)
		}
	}
	s := string(svg)
	for _, want := range []string{"<svg", "train loss", "eval &lt;loss&gt;", "Loss &amp; accuracy", "sans-serif"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG missing %q", want)
		}
	}
	s = strings.NewReplacer(`xmlns="http://www.w3.org/2000/svg"`, "", `xmlns:xlink="http://www.w3.org/1999/xlink"`, "").Replace(s)
	if strings.Contains(s, "http") || strings.Contains(s, "url(") {
		t.Errorf("SVG refers to something to fetch")
	}
	if len(svg) > 200_000 {
		t.Errorf("SVG is %d bytes", len(svg))
	}
}

// TestLinePlotHTML checks the inline element: the SVG without its prolog.
func TestLinePlotHTML(t *testing.T) {
	p := (&LinePlot{Title: "t"}).Add("a", []float64{1, 2}, []float64{3, 4})
	svg, err := p.SVG()
	if err != nil {
		t.Fatal(err)
	}
	h := p.HTML()
	if !strings.HasPrefix(h, "<svg") || !strings.HasSuffix(string(svg), h) {
		t.Errorf("HTML is not the SVG's <svg> element: %.80q", h)
	}
}

func TestLinePlotShowAndSave(t *testing.T) {
	c := newCapture(t, true)
	p := (&LinePlot{Title: "t", LogX: true}).Add("a", []float64{0, 1, 10}, []float64{1, 2, 3})
	p.Show()
	if len(c.html) != 1 || !strings.HasPrefix(c.html[0], "<div><svg") {
		t.Errorf("Show displayed %.80q", c.html)
	}
	(&LinePlot{}).Show() // An empty plot still renders.
	if len(c.html) != 2 || !strings.Contains(c.html[1], "<svg") {
		t.Errorf("empty plot displayed %.80q", c.html[1:])
	}
	dir := t.TempDir()
	for _, name := range []string{"p.svg", "p.png"} {
		path := filepath.Join(dir, name)
		if err := p.Save(path); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Errorf("Save(%s): %v", name, err)
		}
	}
}

func TestLinePlotAddMismatchPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "nb: ") {
			t.Errorf("recovered %v", r)
		}
	}()
	new(LinePlot).Add("x", []float64{1}, nil)
}
