package arc

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Release is a downloadable ARC dataset: a zip archive (e.g. GitHub's
// archive of a commit) whose files under Prefix are the data.
type Release struct {
	// Name is the directory the data is extracted to inside the cache.
	Name string
	URL  string
	// SHA256 is the archive's expected hex digest; if empty the digest
	// seen on first download is recorded and enforced afterwards.
	SHA256 string
	// Prefix is the folder inside the archive that holds training/ and
	// evaluation/.
	Prefix string
}

// The releases copied in ../shared/data (same commits). Their digests are
// not known offline: the first download records them.
var (
	// ARCAGI1 is github.com/fchollet/ARC-AGI at the copied commit.
	ARCAGI1 = Release{
		Name:   "arc-agi-1",
		URL:    "https://github.com/fchollet/ARC-AGI/archive/399030444e0ab0cc8b4e199870fb20b863846f34.zip",
		Prefix: "ARC-AGI-399030444e0ab0cc8b4e199870fb20b863846f34/data/",
	}
	// ARCAGI2 is github.com/arcprize/ARC-AGI-2 at the copied commit.
	ARCAGI2 = Release{
		Name:   "arc-agi-2",
		URL:    "https://github.com/arcprize/ARC-AGI-2/archive/f3283f727488ad98fe575ea6a5ac981e4a188e49.zip",
		Prefix: "ARC-AGI-2-f3283f727488ad98fe575ea6a5ac981e4a188e49/data/",
	}
)

// Fetch downloads url into cacheDir (once) and returns the file's path and
// SHA-256. A cached file is reused when its digest matches want (or, with
// want empty, the digest recorded next to it at its first download);
// otherwise it is downloaded again. A download whose digest differs from
// want is an error and is not kept. client nil means http.DefaultClient.
func Fetch(ctx context.Context, client *http.Client, url, want, cacheDir string) (string, string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", "", err
	}
	id := sha256.Sum256([]byte(url))
	dst := filepath.Join(cacheDir, hex.EncodeToString(id[:8])+"-"+sanitize(path.Base(url)))
	sumFile := dst + ".sha256"
	want = strings.ToLower(strings.TrimSpace(want))
	if got, err := fileSHA256(dst); err == nil {
		recorded, _ := os.ReadFile(sumFile)
		expect := want
		if expect == "" {
			expect = strings.TrimSpace(string(recorded))
		}
		if expect != "" && got == expect {
			return dst, got, nil
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("arc: download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("arc: download %s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(cacheDir, ".download-*")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), resp.Body); err != nil {
		tmp.Close()
		return "", "", fmt.Errorf("arc: download %s: %w", url, err)
	}
	if err := tmp.Close(); err != nil {
		return "", "", err
	}
	got := hex.EncodeToString(h.Sum(nil))
	if want != "" && got != want {
		return "", "", fmt.Errorf("arc: download %s: SHA-256 %s, want %s", url, got, want)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(sumFile, []byte(got+"\n"), 0o644); err != nil {
		return "", "", err
	}
	return dst, got, nil
}

func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		return "download"
	}
	return s
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Download fetches a release into cacheDir and extracts the files under its
// Prefix to cacheDir/Name (once: a ".complete" marker records the archive
// digest). It returns the extracted directory, which holds training/ and
// evaluation/ for [LoadDir].
func Download(ctx context.Context, client *http.Client, rel Release, cacheDir string) (string, error) {
	zipPath, sum, err := Fetch(ctx, client, rel.URL, rel.SHA256, cacheDir)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cacheDir, sanitize(rel.Name))
	marker := filepath.Join(dir, ".complete")
	if b, err := os.ReadFile(marker); err == nil && strings.TrimSpace(string(b)) == sum {
		return dir, nil
	}
	if err := extract(zipPath, rel.Prefix, dir); err != nil {
		return "", err
	}
	return dir, os.WriteFile(marker, []byte(sum+"\n"), 0o644)
}

// extract writes the regular files of the zip under prefix into dir.
func extract(zipPath, prefix, dir string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return fmt.Errorf("arc: %s: %w", zipPath, err)
	}
	defer zr.Close()
	n := 0
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, prefix) || f.FileInfo().IsDir() {
			continue
		}
		rel := path.Clean(strings.TrimPrefix(f.Name, prefix))
		if rel == "." || strings.HasPrefix(rel, "../") || rel == ".." || path.IsAbs(rel) {
			return fmt.Errorf("arc: %s: unsafe path %q in archive", zipPath, f.Name)
		}
		out := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("arc: %s: %s: %w", zipPath, f.Name, err)
		}
		w, err := os.Create(out)
		if err != nil {
			rc.Close()
			return err
		}
		_, err = io.Copy(w, rc)
		rc.Close()
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("arc: %s: %s: %w", zipPath, f.Name, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("arc: %s: no files under %q", zipPath, prefix)
	}
	return nil
}
