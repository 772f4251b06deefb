package lra

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestFashionMNISTDigests checks the pinned digests against Debian's copy
// of the dataset, when it is installed.
func TestFashionMNISTDigests(t *testing.T) {
	for name, want := range fashionMNISTDigests {
		p := filepath.Join(FashionMNISTDir, name)
		if _, err := os.Stat(p); err != nil {
			t.Skipf("Debian's dataset-fashion-mnist not installed (%v)", err)
		}
		if got, err := gunzipSHA256(p); err != nil || got != want {
			t.Errorf("%s: content SHA-256 %s (%v), pinned %s", p, got, err, want)
		}
	}
}

// TestDownloadFashionMNIST serves small IDX files from a local server:
// the download loads with LoadFashionMNIST, a second call fetches nothing,
// and a wrong or missing file is an error naming its URL that leaves no
// file behind.
func TestDownloadFashionMNIST(t *testing.T) {
	src := t.TempDir()
	writeFashion(t, src, "train", 20, nil)
	writeFashion(t, src, "t10k", 12, nil)
	saved := fashionMNISTDigests
	t.Cleanup(func() { fashionMNISTDigests = saved })
	fashionMNISTDigests = map[string]string{}
	for name := range saved {
		d, err := gunzipSHA256(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		fashionMNISTDigests[name] = d
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.ServeFile(w, r, filepath.Join(src, filepath.Base(r.URL.Path)))
	}))
	defer srv.Close()
	ctx := context.Background()

	dir := filepath.Join(t.TempDir(), "fm")
	if err := DownloadFashionMNIST(ctx, srv.Client(), srv.URL, dir); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 4 {
		t.Errorf("%d requests, want 4", hits.Load())
	}
	for split, n := range map[string]int{"train": 20, "test": 12} {
		im, err := LoadFashionMNIST(dir, split)
		if err != nil || im.Len() != n {
			t.Fatalf("loading the downloaded %s split: %v", split, err)
		}
	}
	if err := DownloadFashionMNIST(ctx, srv.Client(), srv.URL, dir); err != nil || hits.Load() != 4 {
		t.Errorf("second call: %v, %d requests in all (want 4: nothing fetched again)", err, hits.Load())
	}

	for _, tc := range []struct {
		name, want string
		setup      func(t *testing.T)
	}{
		{"wrong content", "content SHA-256", func(t *testing.T) {
			sum := sha256.Sum256([]byte("other"))
			fashionMNISTDigests["t10k-labels-idx1-ubyte.gz"] = hex.EncodeToString(sum[:])
		}},
		{"not gzip", "not a valid gzip", func(t *testing.T) {
			os.WriteFile(filepath.Join(src, "t10k-labels-idx1-ubyte.gz"), []byte("<html>moved</html>"), 0o644)
		}},
		{"missing", "404", func(t *testing.T) { os.Remove(filepath.Join(src, "t10k-labels-idx1-ubyte.gz")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup(t)
			d := t.TempDir()
			err := DownloadFashionMNIST(ctx, srv.Client(), srv.URL, d)
			if err == nil || !strings.Contains(err.Error(), "/t10k-labels-idx1-ubyte.gz") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming t10k-labels-idx1-ubyte.gz and containing %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(d, "t10k-labels-idx1-ubyte.gz")); err == nil {
				t.Error("the bad file was kept")
			}
			left, _ := filepath.Glob(filepath.Join(d, ".download-*"))
			if len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}
