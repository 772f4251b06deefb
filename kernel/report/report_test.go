package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRemoteResource(t *testing.T) {
	tests := []struct {
		html   string
		remote bool
	}{
		{`<script src="https://cdnjs.cloudflare.com/require.js"></script>`, true},
		{`<link rel="stylesheet" href="//fonts.example.com/x.css">`, true},
		{`<img src='http://example.com/plot.png'>`, true},
		{`<script src="file:///usr/share/javascript/mathjax/MathJax.js"></script>`, false},
		{`<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>`, false},
		{`<img src="data:image/png;base64,iVBORw0KGgo=">`, false},
		{`<a href="https://github.com/labnotes">a link is not a resource</a>`, false},
	}
	for _, tc := range tests {
		if got := remoteResource.MatchString(tc.html); got != tc.remote {
			t.Errorf("%s: remote=%v, want %v", tc.html, got, tc.remote)
		}
	}
}

func TestWriteIndex(t *testing.T) {
	dir := t.TempDir()
	entries := []Entry{
		{Notebook: "notebooks/00_tour.ipynb", Name: "00_tour", OK: true, Seconds: 12.5, Backend: "go (no GPU)", HTML: "00_tour.html"},
		{Notebook: "notebooks/01_x.ipynb", Name: "01_x", Seconds: 3, Error: "cell 2 <failed>"},
	}
	if err := WriteIndex(dir, entries); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<a href="00_tour.html">00_tour</a>`, "12.5 s", "go (no GPU)", "FAIL", "cell 2 &lt;failed&gt;", "1 of 2 notebooks passed"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if remoteResource.Match(html) {
		t.Error("index.html loads something from the network")
	}
	var back []Entry
	data, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	if err := json.Unmarshal(data, &back); err != nil || len(back) != 2 || back[1].OK || back[0].Backend != "go (no GPU)" {
		t.Fatalf("index.json: %v %+v", err, back)
	}
}
