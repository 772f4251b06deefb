package report

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/kernel/runner"
	"github.com/labnotes/labnotes/kernel/spec"
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

// TestRefusesInputInReportDir: a notebook inside the report folder would be overwritten by its
// executed copy (it was: report did not check what run checks); nothing runs, nothing changes.
func TestRefusesInputInReportDir(t *testing.T) {
	dir := t.TempDir()
	nb := filepath.Join(dir, "x.ipynb")
	content := []byte(`{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}`)
	if err := os.WriteFile(nb, content, 0o644); err != nil {
		t.Fatal(err)
	}
	never := &spec.Spec{Argv: []string{filepath.Join(dir, "no-such-kernel"), "{connection_file}"}}
	for _, nbs := range [][]string{{nb}, {filepath.Join(dir, ".", "x.ipynb")}} {
		_, err := Run(context.Background(), nbs, Options{Dir: dir, Spec: never})
		if err == nil || !strings.Contains(err.Error(), "would overwrite it") || runner.FailureOf(err) != runner.BadInput {
			t.Fatalf("Run(%q) = %v, want a bad-input error saying the input would be overwritten", nbs, err)
		}
	}
	if after, _ := os.ReadFile(nb); string(after) != string(content) {
		t.Errorf("the input notebook was overwritten:\n%s", after)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err == nil {
		t.Errorf("an index was written for a refused report")
	}
	// Two notebooks with one name would overwrite each other's executed copy.
	a, b := filepath.Join(t.TempDir(), "y.ipynb"), filepath.Join(t.TempDir(), "y.ipynb")
	os.WriteFile(a, content, 0o644)
	os.WriteFile(b, content, 0o644)
	if _, err := Run(context.Background(), []string{a, b}, Options{Dir: t.TempDir(), Spec: never}); err == nil || !strings.Contains(err.Error(), "would both be written") {
		t.Errorf("two notebooks named y.ipynb: %v, want a refusal", err)
	}
}
