package lra

import (
	"cmp"
	"hash/fnv"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/pkg/errors"
)

// Corpus is a byte-level text corpus split into training and validation
// text.
type Corpus struct {
	Train, Valid           []byte
	TrainFiles, ValidFiles int
	Root                   string // Directory the files were read from.
}

// GoCorpusOptions configures [LoadGoCorpus].
type GoCorpusOptions struct {
	// Root is the directory searched for *.go files; default $(go env GOROOT)/src.
	Root string
	// MaxBytes bounds the total size read (0: no bound). Files are taken in
	// a fixed pseudo-random order (by a hash of their path), so a bounded
	// corpus still samples the whole tree.
	MaxBytes int
	// ValidFraction of the files (chosen by a hash of their path, so the
	// split does not depend on MaxBytes or the file order) goes to
	// validation; default 0.05.
	ValidFraction float64
}

// GoRoot returns the Go installation's root: $GOROOT, else `go env GOROOT`,
// else the one this program was built with.
func GoRoot() string {
	if r := os.Getenv("GOROOT"); r != "" {
		return r
	}
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		if r := strings.TrimSpace(string(out)); r != "" {
			return r
		}
	}
	return runtime.GOROOT() //nolint:staticcheck // Last resort.
}

// LoadGoCorpus builds a byte-level corpus from the Go source files (*.go,
// outside testdata directories) under opts.Root. The split is
// deterministic: a file is in validation iff the FNV-1a hash of its path
// relative to Root falls in the ValidFraction. Files are separated by a
// newline.
func LoadGoCorpus(opts GoCorpusOptions) (*Corpus, error) {
	root := opts.Root
	if root == "" {
		root = filepath.Join(GoRoot(), "src")
	}
	frac := opts.ValidFraction
	if frac == 0 {
		frac = 0.05
	}
	if frac < 0 || frac >= 1 {
		return nil, errors.Errorf("lra: ValidFraction %g not in [0, 1)", frac)
	}
	type file struct {
		rel  string
		hash uint64
	}
	var files []file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		h := fnv.New64a()
		h.Write([]byte(rel))
		files = append(files, file{rel, h.Sum64()})
		return nil
	})
	if err != nil {
		return nil, errors.Wrapf(err, "lra: reading Go sources under %s", root)
	}
	if len(files) == 0 {
		return nil, errors.Errorf("lra: no .go files under %s", root)
	}
	slices.SortFunc(files, func(a, b file) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.rel, b.rel))
	})
	c := &Corpus{Root: root}
	validCut := uint64(frac * float64(1<<32))
	total := 0
	for _, f := range files {
		if opts.MaxBytes > 0 && total >= opts.MaxBytes {
			break
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.rel)))
		if err != nil {
			return nil, errors.Wrap(err, "lra")
		}
		total += len(data) + 1
		// The low 32 bits decide the split; the order uses all 64, so the
		// split does not depend on which files a MaxBytes bound keeps.
		if uint64(uint32(f.hash)) < validCut {
			c.Valid = append(append(c.Valid, data...), '\n')
			c.ValidFiles++
		} else {
			c.Train = append(append(c.Train, data...), '\n')
			c.TrainFiles++
		}
	}
	return c, nil
}
