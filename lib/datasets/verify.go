package datasets

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// Verify checks the folder [Path] finds for the dataset called name against
// the dataset's sizes and digests; the error lists every file that differs.
func Verify(name string) error {
	d, err := Lookup(name)
	if err != nil {
		return err
	}
	dir, err := Path(name)
	if err != nil {
		return err
	}
	return d.Verify(dir)
}

// Verify checks that dir holds d: every file (transient ones excepted)
// with its size and SHA-256, every tree with its file count, size and
// listing digest. Files dir holds besides these are ignored. The error
// names the dataset and lists each difference.
func (d *Dataset) Verify(dir string) error {
	var bad []string
	for _, f := range d.Files {
		if f.Transient {
			continue
		}
		if err := f.check(filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
			bad = append(bad, err.Error())
		}
	}
	for _, t := range d.Trees {
		if err := t.check(filepath.Join(dir, filepath.FromSlash(t.Path))); err != nil {
			bad = append(bad, err.Error())
		}
	}
	if len(bad) > 0 {
		return errors.Errorf("datasets: %s in %s does not verify (fetch it again: `%s`):\n  %s",
			d.Name, dir, FetchCommand(d.Name), strings.Join(bad, "\n  "))
	}
	return nil
}

// check compares the file at p with f's size and digest.
func (f File) check(p string) error {
	size, sum, err := digest(p, f.Gunzip)
	switch {
	case err != nil:
		return err
	case size != f.Size || sum != f.SHA256:
		what := ""
		if f.Gunzip {
			what = " (decompressed)"
		}
		return fmt.Errorf("%s%s: %d bytes with SHA-256 %s, want %d bytes with SHA-256 %s", p, what, size, sum, f.Size, f.SHA256)
	}
	return nil
}

// check compares the folder at p with t's file count, size and digest.
func (t Tree) check(p string) error {
	n, size, sum, err := TreeDigest(p)
	switch {
	case err != nil:
		return err
	case n != t.Files || size != t.Size || sum != t.SHA256:
		return fmt.Errorf("%s: %d files, %d bytes, listing SHA-256 %s; want %d files, %d bytes, %s", p, n, size, sum, t.Files, t.Size, t.SHA256)
	}
	return nil
}

// digest returns the length and hex SHA-256 of the file at p (with
// gunzip, of its decompressed content).
func digest(p string, gunzip bool) (int64, string, error) {
	fh, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer fh.Close()
	var r io.Reader = fh
	if gunzip {
		zr, err := gzip.NewReader(fh)
		if err != nil {
			return 0, "", fmt.Errorf("%s: not a gzip file: %v", p, err)
		}
		r = zr
	}
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %v", p, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// TreeDigest returns the number of regular files directly in dir, their
// total size, and the SHA-256 of their `sha256sum` listing ("<hex digest>
// <two spaces><name>\n" per file, names in byte order): the [Tree] digest.
func TreeDigest(dir string) (files int, size int64, sum string, err error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return 0, 0, "", err
	}
	h := sha256.New()
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		n, s, err := digest(filepath.Join(dir, e.Name()), false)
		if err != nil {
			return 0, 0, "", err
		}
		fmt.Fprintf(h, "%s  %s\n", s, e.Name())
		files, size = files+1, size+n
	}
	return files, size, hex.EncodeToString(h.Sum(nil)), nil
}
