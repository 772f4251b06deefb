package datasets

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// server serves files by path; handler, when set, replaces it for one path.
type server struct {
	*httptest.Server
	files    map[string][]byte
	hits     atomic.Int32
	handlers map[string]http.HandlerFunc
}

func newServer(t *testing.T, files map[string][]byte) *server {
	s := &server{files: files, handlers: map[string]http.HandlerFunc{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if h := s.handlers[r.URL.Path]; h != nil {
			h(w, r)
			return
		}
		b, ok := s.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

// testDataset is a two-file dataset (one plain, one gzip-compressed with
// its content digested) served by s.
func testDataset(s *server) *Dataset {
	a, b := []byte("first file\n"), make([]byte, 50000)
	rand.NewChaCha8([32]byte{1}).Read(b) // incompressible: the .gz streams in several writes
	s.files["/a.txt"], s.files["/b.gz"] = a, gz(b)
	return &Dataset{Name: "test", Title: "a test dataset", Source: "a local server", Dir: "group/test",
		Files: []File{
			{Path: "a.txt", URL: s.URL + "/a.txt", Size: int64(len(a)), SHA256: sum(a)},
			{Path: "sub/b.gz", URL: s.URL + "/b.gz", Gunzip: true, Size: int64(len(b)), SHA256: sum(b)},
		}}
}

// noStaging fails if root's dataset group folder holds anything but the
// dataset itself (a leftover temporary folder).
func noStaging(t *testing.T, root string) {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(root, "group"))
	for _, e := range entries {
		if e.Name() != "test" {
			t.Errorf("leftover %s in %s", e.Name(), filepath.Join(root, "group"))
		}
	}
}

// TestFetch fetches a good dataset, then fails on a corrupt, a truncated
// and an interrupted download, each leaving the root as it was.
func TestFetch(t *testing.T) {
	s := newServer(t, map[string][]byte{})
	d := testDataset(s)
	root := t.TempDir()
	var progress bytes.Buffer
	f := &Fetcher{Root: root, Client: s.Client(), Progress: &progress}
	dir, err := f.Fetch(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(root, "group", "test") {
		t.Errorf("fetched into %s", dir)
	}
	if err := d.Verify(dir); err != nil {
		t.Error(err)
	}
	if !regexp.MustCompile(`b.gz: [1-9]0% \(`).MatchString(progress.String()) || !strings.Contains(progress.String(), "done") {
		t.Errorf("progress output lacks a percentage line or the end:\n%s", progress.String())
	}
	noStaging(t, root)
	hits := s.hits.Load()
	if _, err := f.Fetch(context.Background(), d); err != nil || s.hits.Load() != hits {
		t.Errorf("second fetch: %v, %d requests (want none)", err, s.hits.Load()-hits)
	}

	for _, tc := range []struct {
		name, want string
		handler    http.HandlerFunc
		cancel     bool
	}{
		{"corrupt", "SHA-256", func(w http.ResponseWriter, r *http.Request) {
			w.Write(gz(make([]byte, 50000)))
		}, false},
		{"truncated", "unexpected EOF", func(w http.ResponseWriter, r *http.Request) {
			b := s.files["/b.gz"]
			w.Header().Set("Content-Length", "100000")
			w.Write(b[:len(b)/2])
		}, false},
		{"short body", "unexpected EOF", func(w http.ResponseWriter, r *http.Request) {
			w.Write(s.files["/b.gz"][:10])
		}, false},
		{"not found", "404", http.NotFound, false},
		{"interrupted", "context canceled", func(w http.ResponseWriter, r *http.Request) {
			b := s.files["/b.gz"]
			w.Header().Set("Content-Length", "100000")
			w.Write(b[:len(b)/2])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s.handlers["/b.gz"] = tc.handler
			defer delete(s.handlers, "/b.gz")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var progress bytes.Buffer
			f := &Fetcher{Root: root, Client: s.Client(), Progress: &progress}
			if tc.cancel {
				f.Progress = &cancelOn{w: &progress, after: "b.gz (", cancel: cancel}
			}
			_, err := f.Fetch(ctx, d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "b.gz") {
				t.Errorf("error %v does not name the file", err)
			}
			if _, err := os.Stat(filepath.Join(root, "group", "test")); !os.IsNotExist(err) {
				t.Errorf("a failed fetch left the dataset folder (%v)", err)
			}
			noStaging(t, root)
		})
	}
}

// cancelOn cancels a context once the progress output contains after (the
// download has started), for the interrupted-download test.
type cancelOn struct {
	w      *bytes.Buffer
	after  string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(b []byte) (int, error) {
	c.w.Write(b)
	if strings.Contains(c.w.String(), c.after) {
		go func() { time.Sleep(50 * time.Millisecond); c.cancel() }()
	}
	return len(b), nil
}

// TestFetchReplacesCorrupt: a folder that does not verify is replaced by
// a verified one; a file outside the dataset's list is not needed.
func TestFetchReplacesCorrupt(t *testing.T) {
	s := newServer(t, map[string][]byte{})
	d := testDataset(s)
	root := t.TempDir()
	dir := filepath.Join(root, "group", "test")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("changed\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "b.gz"), gz([]byte("x")), 0o644)
	if err := d.Verify(dir); err == nil || !strings.Contains(err.Error(), "a.txt") || !strings.Contains(err.Error(), "b.gz (decompressed)") {
		t.Errorf("Verify of a corrupt folder: %v", err)
	}
	if _, err := (&Fetcher{Root: root, Client: s.Client()}).Fetch(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(dir); err != nil {
		t.Error(err)
	}
	noStaging(t, root)
}

// TestFetchArchive extracts a dataset's files and trees from a zip and a
// tgz; members outside the lists are ignored, a wrong tree is an error.
func TestFetchArchive(t *testing.T) {
	members := map[string][]byte{
		"top/LICENSE":                      []byte("license text\n"),
		"top/data/t/1.json":                []byte(`{"a":1}`),
		"top/data/t/2.json":                []byte(`{"b":2}`),
		"top/data/other.txt":               []byte("ignored"),
		"top/data/t/../../../../evil.json": []byte("outside"), // never written outside the dataset
	}
	tree := t.TempDir()
	os.WriteFile(filepath.Join(tree, "1.json"), members["top/data/t/1.json"], 0o644)
	os.WriteFile(filepath.Join(tree, "2.json"), members["top/data/t/2.json"], 0o644)
	n, size, digest, err := TreeDigest(tree)
	if err != nil || n != 2 || size != 14 {
		t.Fatalf("TreeDigest: %d files, %d bytes, %v", n, size, err)
	}
	lic := members["top/LICENSE"]
	for _, ext := range []string{".zip", ".tgz"} {
		s := newServer(t, map[string][]byte{"/data" + ext: archive(t, ext, members)})
		d := &Dataset{Name: "arch", Dir: "group/test", Archive: s.URL + "/data" + ext,
			Files: []File{{Path: "LICENSE", Member: "top/LICENSE", Size: int64(len(lic)), SHA256: sum(lic)}},
			Trees: []Tree{{Path: "tasks", Member: "top/data/t", Files: 2, Size: 14, SHA256: digest}}}
		root := t.TempDir()
		dir, err := (&Fetcher{Root: root, Client: s.Client()}).Fetch(context.Background(), d)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "tasks", "2.json")); string(b) != `{"b":2}` {
			t.Errorf("%s: tasks/2.json holds %q", ext, b)
		}
		if _, err := os.Stat(filepath.Join(dir, "other.txt")); err == nil {
			t.Errorf("%s: a member outside the lists was extracted", ext)
		}
		if n, _, _, _ := TreeDigest(filepath.Join(dir, "tasks")); n != 2 {
			t.Errorf("%s: %d files in tasks/, want 2", ext, n)
		}
		for _, p := range []string{filepath.Join(root, "evil.json"), filepath.Join(filepath.Dir(root), "evil.json"), filepath.Join(dir, "evil.json")} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s: the member ../evil.json was written to %s", ext, p)
			}
		}
		d.Trees[0].SHA256 = sum([]byte("other"))
		if _, err := (&Fetcher{Root: t.TempDir(), Client: s.Client()}).Fetch(context.Background(), d); err == nil || !strings.Contains(err.Error(), "listing SHA-256") {
			t.Errorf("%s: a tree with another digest: %v", ext, err)
		}
	}
}

// archive builds a .zip or .tgz of members.
func archive(t *testing.T, ext string, members map[string][]byte) []byte {
	var buf bytes.Buffer
	if ext == ".zip" {
		zw := zip.NewWriter(&buf)
		for name, b := range members {
			w, _ := zw.Create(name)
			w.Write(b)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, b := range members {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}
