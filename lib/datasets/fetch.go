package datasets

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// Fetcher downloads datasets into a data root. The zero value fetches into
// [Root] with http.DefaultClient, silently.
type Fetcher struct {
	// Root is the data root ("" means Root()).
	Root string
	// Client makes the requests (nil means http.DefaultClient).
	Client *http.Client
	// Progress, if not nil, receives one line per step and download
	// progress every tenth of a file.
	Progress io.Writer
}

// Fetch downloads the dataset called name into [Root] (see [Fetcher.Fetch]),
// writing progress lines to progress (nil: none), and returns its folder.
func Fetch(ctx context.Context, name string, progress io.Writer) (string, error) {
	d, err := Lookup(name)
	if err != nil {
		return "", err
	}
	return (&Fetcher{Progress: progress}).Fetch(ctx, d)
}

// Fetch makes d's folder under the root hold d, verified, and returns the
// folder. A folder already there that verifies is kept. Otherwise every
// file is downloaded (or extracted from d's Archive, or derived) into a
// temporary folder beside the target, the whole folder is verified against
// d's digests, and only then does it replace the target (a rename): an
// interrupted, truncated or corrupt download leaves nothing behind but an
// error naming the URL or file.
func (f *Fetcher) Fetch(ctx context.Context, d *Dataset) (string, error) {
	root := f.Root
	if root == "" {
		var err error
		if root, err = Root(); err != nil {
			return "", err
		}
	}
	dst := filepath.Join(root, filepath.FromSlash(d.Dir))
	if d.missing(dst) == "" {
		if err := d.Verify(dst); err == nil {
			f.printf("%s: already in %s (verified)\n", d.Name, dst)
			return dst, nil
		}
		f.printf("%s: %s does not verify: fetching again\n", d.Name, dst)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", errors.Wrapf(err, "datasets: %s", d.Name)
	}
	stage, err := os.MkdirTemp(filepath.Dir(dst), ".fetch-"+filepath.Base(dst)+"-")
	if err != nil {
		return "", errors.Wrapf(err, "datasets: %s", d.Name)
	}
	defer os.RemoveAll(stage)
	f.printf("%s: fetching %s (%s) into %s\n", d.Name, d.Title, humanBytes(d.Size()), dst)
	if err := f.fill(ctx, d, stage); err != nil {
		return "", err
	}
	if err := d.Verify(stage); err != nil {
		return "", err
	}
	if err := land(stage, dst); err != nil {
		return "", errors.Wrapf(err, "datasets: %s", d.Name)
	}
	f.printf("%s: done, %s verified in %s\n", d.Name, humanBytes(d.Size()), dst)
	return dst, nil
}

// fill downloads, extracts and derives d's files into dir.
func (f *Fetcher) fill(ctx context.Context, d *Dataset, dir string) error {
	if d.Archive != "" {
		tmp := filepath.Join(dir, ".archive")
		if err := f.download(ctx, d.Archive, tmp, 0); err != nil {
			return err
		}
		if err := extract(d, tmp, dir); err != nil {
			return err
		}
		if err := os.Remove(tmp); err != nil {
			return errors.Wrap(err, "datasets")
		}
	}
	for _, file := range d.Files {
		if file.URL == "" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(file.Path))
		size := file.Size
		if file.Gunzip {
			size = 0 // the compressed size is not known
		}
		if err := f.download(ctx, file.URL, p, size); err != nil {
			return err
		}
		if err := file.check(p); err != nil {
			return errors.WithMessagef(err, "datasets: download %s", file.URL)
		}
	}
	if d.derive != nil {
		f.printf("%s: deriving files\n", d.Name)
		if err := d.derive(dir); err != nil {
			return errors.WithMessagef(err, "datasets: %s: deriving files", d.Name)
		}
	}
	for _, file := range d.Files {
		if file.Transient {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(file.Path))); err != nil {
				return errors.Wrap(err, "datasets")
			}
		}
	}
	return nil
}

// land moves the verified folder stage to dst, replacing what dst held.
func land(stage, dst string) error {
	if _, err := os.Lstat(dst); err != nil {
		return os.Rename(stage, dst)
	}
	old, err := os.MkdirTemp(filepath.Dir(dst), ".old-"+filepath.Base(dst)+"-")
	if err != nil {
		return err
	}
	moved := filepath.Join(old, "d")
	if err := os.Rename(dst, moved); err != nil {
		os.Remove(old)
		return err
	}
	if err := os.Rename(stage, dst); err != nil {
		os.Rename(moved, dst) // put the old folder back
		os.Remove(old)
		return err
	}
	return os.RemoveAll(old)
}

// download writes the body of url to the new file dst. size, if known
// (> 0), is used for progress when the server sends no length.
func (f *Fetcher) download(ctx context.Context, url, dst string, size int64) error {
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return errors.Wrapf(err, "datasets: download %s", url)
	}
	resp, err := client.Do(req)
	if err != nil {
		return errors.Wrapf(err, "datasets: download %s", url)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.Errorf("datasets: download %s: %s", url, resp.Status)
	}
	if resp.ContentLength > 0 {
		size = resp.ContentLength
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return errors.Wrap(err, "datasets")
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return errors.Wrap(err, "datasets")
	}
	f.printf("  %s (%s)\n", url, humanBytes(size))
	pw := &progressWriter{w: f.Progress, name: path.Base(url), total: size}
	n, err := io.Copy(io.MultiWriter(out, pw), resp.Body)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && resp.ContentLength > 0 && n != resp.ContentLength {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return errors.Wrapf(err, "datasets: download %s (after %d bytes)", url, n)
	}
	return nil
}

// progressWriter prints a line each time another tenth of total is written.
type progressWriter struct {
	w           io.Writer
	name        string
	total, done int64
	shown       int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.w != nil && p.total > 0 {
		if tenth := p.done * 10 / p.total; tenth > p.shown && tenth < 10 {
			p.shown = tenth
			fmt.Fprintf(p.w, "    %s: %d%% (%s of %s)\n", p.name, tenth*10, humanBytes(p.done), humanBytes(p.total))
		}
	}
	return len(b), nil
}

func (f *Fetcher) printf(format string, args ...any) {
	if f.Progress != nil {
		fmt.Fprintf(f.Progress, format, args...)
	}
}

// extract writes the members of archive (a .zip, or a gzip-compressed tar)
// that d's Files and Trees name into dir.
func extract(d *Dataset, archive, dir string) error {
	dest := func(member string) string {
		member = strings.TrimPrefix(path.Clean(member), "./")
		for _, f := range d.Files {
			if f.Member == member {
				return filepath.Join(dir, filepath.FromSlash(f.Path))
			}
		}
		for _, t := range d.Trees {
			if path.Dir(member) == t.Member {
				return filepath.Join(dir, filepath.FromSlash(t.Path), path.Base(member))
			}
		}
		return ""
	}
	if strings.HasSuffix(d.Archive, ".zip") {
		return extractZip(archive, d.Archive, dest)
	}
	return extractTgz(archive, d.Archive, dest)
}

func extractZip(archive, url string, dest func(string) string) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return errors.Wrapf(err, "datasets: %s is not a valid zip archive", url)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		p := dest(zf.Name)
		if p == "" || !zf.Mode().IsRegular() {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return errors.Wrapf(err, "datasets: %s: %s", url, zf.Name)
		}
		err = writeNew(p, rc)
		rc.Close()
		if err != nil {
			return errors.Wrapf(err, "datasets: %s: %s", url, zf.Name)
		}
	}
	return nil
}

func extractTgz(archive, url string, dest func(string) string) error {
	fh, err := os.Open(archive)
	if err != nil {
		return errors.Wrap(err, "datasets")
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		return errors.Wrapf(err, "datasets: %s is not a gzip-compressed tar archive", url)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errors.Wrapf(err, "datasets: %s: corrupt tar archive", url)
		}
		p := dest(h.Name)
		if p == "" || h.Typeflag != tar.TypeReg {
			continue
		}
		if err := writeNew(p, tr); err != nil {
			return errors.Wrapf(err, "datasets: %s: %s", url, h.Name)
		}
	}
}

// writeNew creates the file p (and its folder) with r's content.
func writeNew(p string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
