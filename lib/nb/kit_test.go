package nb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestMust(t *testing.T) {
	errBoom := errors.New("boom")
	for _, tc := range []struct {
		name string
		f    func()
		want error // nil: no panic
	}{
		{"Must ok", func() {
			if v := Must(3, nil); v != 3 {
				t.Errorf("Must(3, nil) = %d", v)
			}
		}, nil},
		{"Must2 ok", func() {
			if a, b := Must2("a", 2, nil); a != "a" || b != 2 {
				t.Errorf("Must2 = %q, %d", a, b)
			}
		}, nil},
		{"Check ok", func() { Check(nil) }, nil},
		{"Must error", func() { Must(0, fmt.Errorf("wrapped: %w", errBoom)) }, errBoom},
		{"Must2 error", func() { Must2(0, 0, errBoom) }, errBoom},
		{"Check error", func() { Check(errBoom) }, errBoom},
	} {
		func() {
			defer func() {
				r := recover()
				if tc.want == nil {
					if r != nil {
						t.Errorf("%s panicked: %v", tc.name, r)
					}
					return
				}
				err, ok := r.(error)
				if !ok || !errors.Is(err, tc.want) {
					t.Errorf("%s panicked with %v, want an error wrapping %v", tc.name, r, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

func TestWindowed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		xs, ys []float64
		w      int
		wx, wy []float64
	}{
		{"steps", []float64{10, 20, 30, 40, 50}, []float64{1, 3, 5, 7, 100}, 2, []float64{20, 40}, []float64{2, 6}},
		{"nil xs", nil, []float64{4, 2, 6, 0}, 2, []float64{2, 4}, []float64{3, 3}},
		{"w 1", nil, []float64{4, 2}, 1, []float64{1, 2}, []float64{4, 2}},
		{"short", nil, []float64{4, 2}, 3, nil, nil},
		{"empty", nil, nil, 5, nil, nil},
	} {
		wx, wy := Windowed(tc.xs, tc.ys, tc.w)
		if fmt.Sprint(wx) != fmt.Sprint(tc.wx) || fmt.Sprint(wy) != fmt.Sprint(tc.wy) {
			t.Errorf("%s: Windowed = %v, %v; want %v, %v", tc.name, wx, wy, tc.wx, tc.wy)
		}
	}
	for _, tc := range []struct {
		name   string
		xs, ys []float64
		w      int
		want   string
	}{
		{"w 0", nil, []float64{1}, 0, "window 0"},
		{"mismatch", []float64{1}, []float64{1, 2}, 1, "1 x values for 2 y values"},
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "nb: Windowed: ") || !strings.Contains(s, tc.want) {
					t.Errorf("%s: panic %q, want \"nb: Windowed: ...%s...\"", tc.name, s, tc.want)
				}
			}()
			Windowed(tc.xs, tc.ys, tc.w)
		}()
	}
}

func TestJSON(t *testing.T) {
	type rec struct {
		Name string
		Loss []float64
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, path string
		save       any
		wantSave   string // error substring; "" for none
		wantLoad   string
	}{
		{"round trip", filepath.Join(dir, "a.json"), []rec{{"TRM", []float64{0.5, 0.25}}}, "", ""},
		{"overwrite", filepath.Join(dir, "a.json"), []rec{{"HRM", nil}}, "", ""},
		{"no folder", filepath.Join(dir, "missing", "b.json"), []rec{}, "nb: SaveJSON", "run the cells that write it first"},
		{"unencodable", filepath.Join(dir, "c.json"), func() {}, "nb: SaveJSON", "run the cells that write it first"},
	} {
		err := SaveJSON(tc.path, tc.save)
		if tc.wantSave == "" && err != nil || tc.wantSave != "" && (err == nil || !strings.Contains(err.Error(), tc.wantSave)) {
			t.Errorf("%s: SaveJSON error %v, want %q", tc.name, err, tc.wantSave)
		}
		var got []rec
		err = LoadJSON(tc.path, &got)
		if tc.wantLoad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantLoad) || !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: LoadJSON error %v, want %q wrapping fs.ErrNotExist", tc.name, err, tc.wantLoad)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.save) {
			t.Errorf("%s: LoadJSON = %v, %v; want %v", tc.name, got, err, tc.save)
		}
	}
	// No temporary files are left behind.
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 1 {
		t.Errorf("folder holds %v, want only a.json", names)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{"), 0o644)
	var v any
	if err := LoadJSON(bad, &v); err == nil || !strings.Contains(err.Error(), "nb: LoadJSON "+bad) {
		t.Errorf("LoadJSON of bad JSON: error %v, want one naming the file", err)
	}
}

func TestRow(t *testing.T) {
	for _, tc := range []struct {
		name      string
		notebook  bool
		captions  []string
		htmls     []string
		wantOut   string
		wantHTML  []string // substrings of the displayed HTML
		wantPanic string
	}{
		{"text", false, []string{"puzzle", `<span style="color:red">a &lt; b</span>`}, []string{"<svg/>", "<svg/>"}, "[row of 2 figures: puzzle | a < b]\n", nil, ""},
		{"text no captions", false, []string{"", ""}, []string{"x", "y"}, "[row of 2 figures]\n", nil, ""},
		{"notebook", true, []string{"puzzle", "<b>a</b>"}, []string{"<svg id=1/>", "<svg id=2/>"}, "",
			[]string{"display:flex", "<svg id=1/>", "<figcaption", "<b>a</b></figcaption>", "<svg id=2/>"}, ""},
		{"mismatch", true, []string{"one"}, nil, "", nil, "nb: Row: 1 captions for 0 figures"},
	} {
		c := newCapture(t, tc.notebook)
		func() {
			defer func() {
				if s, _ := recover().(string); !strings.Contains(s+"\x00", tc.wantPanic) || (s == "") != (tc.wantPanic == "") {
					t.Errorf("%s: panic %q, want %q", tc.name, s, tc.wantPanic)
				}
			}()
			Row(tc.captions, tc.htmls)
		}()
		if c.out.String() != tc.wantOut {
			t.Errorf("%s: printed %q, want %q", tc.name, c.out.String(), tc.wantOut)
		}
		if len(tc.wantHTML) > 0 && len(c.html) != 1 {
			t.Fatalf("%s: %d displays, want 1", tc.name, len(c.html))
		}
		for _, w := range tc.wantHTML {
			if !strings.Contains(c.html[0], w) {
				t.Errorf("%s: HTML %q lacks %q", tc.name, c.html[0], w)
			}
		}
	}
}

// fakeRun points WorkDir's record folder and os.MkdirTemp at test folders
// names the run key and turns pruning off.
func fakeRun(t *testing.T) (cache, tmp string, key *string) {
	cache, tmp = t.TempDir(), t.TempDir()
	k := "100-5"
	oldCache, oldKey, oldPrune := userCacheDir, runKey, prune
	userCacheDir = func() (string, error) { return cache, nil }
	runKey = func() (string, error) { return k, nil }
	prune = func(string) {} // The fake keys name no live process.
	t.Setenv("TMPDIR", tmp)
	t.Cleanup(func() { userCacheDir, runKey, prune = oldCache, oldKey, oldPrune })
	return cache, tmp, &k
}

func TestWorkDirGiven(t *testing.T) {
	fakeRun(t)
	base := t.TempDir()
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		name, dir, wantErr string
	}{
		{"new nested", filepath.Join(base, "a", "b"), ""},
		{"existing", base, ""},
		{"a file", file, "nb: WorkDir"},
		{"under a file", filepath.Join(file, "x"), "nb: WorkDir"},
	} {
		d, err := workDir("07", tc.dir)
		if tc.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if fi, serr := os.Stat(d); err != nil || d != tc.dir || serr != nil || !fi.IsDir() {
			t.Errorf("%s: WorkDir = %q, %v; want the folder %q created", tc.name, d, err, tc.dir)
		}
	}
}

func TestWorkDirPerRun(t *testing.T) {
	_, tmp, key := fakeRun(t)
	first := WorkDir("07", "")
	if filepath.Dir(first) != tmp || !strings.HasPrefix(filepath.Base(first), "labnotes-07-") {
		t.Errorf("WorkDir = %q, want a labnotes-07-* folder in $TMPDIR %q", first, tmp)
	}
	if fi, err := os.Stat(first); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("WorkDir's folder: %v, %v; want mode 0700", fi, err)
	}
	for _, tc := range []struct {
		name, nb, key string
		same          bool
	}{
		{"next cell", "07", "100-5", true},
		{"other notebook", "08", "100-5", false},
		{"other kernel", "07", "101-5", false},
		{"reused pid", "07", "100-6", false},
	} {
		*key = tc.key
		d := WorkDir(tc.nb, "")
		if (d == first) != tc.same {
			t.Errorf("%s: WorkDir = %q, first run's %q; want same=%v", tc.name, d, first, tc.same)
		}
	}
	// A run whose folder vanished gets a new one.
	*key = "100-5"
	os.RemoveAll(first)
	if d := WorkDir("07", ""); d == first {
		t.Errorf("WorkDir returned the removed folder %q", d)
	}
}

func TestWorkDirConcurrentRuns(t *testing.T) {
	fakeRun(t)
	// Distinct kernels starting together: each key through the real code path.
	const n = 8
	dirs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := workDirKey("07", fmt.Sprintf("%d-7", 200+i))
			if err != nil {
				t.Error(err)
			}
			dirs[i] = d
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, d := range dirs {
		if seen[d] {
			t.Errorf("two runs got the folder %q", d)
		}
		seen[d] = true
	}
}

func TestWorkDirRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		plant   func(t *testing.T, runs, victim string)
		nbName  string
		wantErr string
	}{
		{"bad name", nil, "../07", "notebook name"},
		{"empty name", nil, "", "notebook name"},
		{"record symlink", func(t *testing.T, runs, victim string) {
			os.MkdirAll(runs, 0o700)
			os.Symlink(victim, filepath.Join(runs, "07-100-5"))
		}, "07", "not a regular file"},
		{"record to foreign folder", func(t *testing.T, runs, victim string) {
			os.MkdirAll(runs, 0o700)
			link := filepath.Join(filepath.Dir(victim), "link")
			os.Symlink(filepath.Dir(victim), link)
			os.WriteFile(filepath.Join(runs, "07-100-5"), []byte(link), 0o600)
		}, "07", "not a directory"},
		{"runs symlink", func(t *testing.T, runs, victim string) {
			os.MkdirAll(filepath.Dir(runs), 0o700)
			os.Symlink(filepath.Dir(victim), runs)
		}, "07", "not a directory"},
		{"runs writable by others", func(t *testing.T, runs, victim string) {
			os.MkdirAll(runs, 0o700)
			os.Chmod(runs, 0o777)
		}, "07", "writable by others"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache, _, _ := fakeRun(t)
			runs := filepath.Join(cache, runsFolder)
			victim := filepath.Join(t.TempDir(), "victim")
			os.WriteFile(victim, []byte("keep"), 0o644)
			if tc.plant != nil {
				tc.plant(t, runs, victim)
			}
			_, err := workDir(tc.nbName, "")
			if err == nil || !strings.HasPrefix(err.Error(), "nb: WorkDir") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("WorkDir error %v, want %q", err, tc.wantErr)
			}
			if b, _ := os.ReadFile(victim); string(b) != "keep" {
				t.Errorf("victim file changed to %q", b)
			}
		})
	}
}

func TestPruneRecords(t *testing.T) {
	runs := t.TempDir()
	self, err := processStart(os.Getpid())
	if err != nil {
		t.Skip("no /proc:", err)
	}
	alive := fmt.Sprintf("07-%d-%s", os.Getpid(), self)
	for _, name := range []string{alive, fmt.Sprintf("07-%d-%s0", os.Getpid(), self), "08-999999999-1", "notes"} {
		os.WriteFile(filepath.Join(runs, name), []byte("/x"), 0o600)
	}
	pruneRecords(runs)
	var left []string
	entries, _ := os.ReadDir(runs)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := fmt.Sprint([]string{alive, "notes"}); fmt.Sprint(left) != want {
		t.Errorf("after pruning: %v, want %v", left, want)
	}
}

func TestStatStart(t *testing.T) {
	tail := " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21"
	for _, tc := range []struct {
		name, line, want string
		wantErr          bool
	}{
		{"plain", "123 (gonb)" + tail, "424242", false},
		{"command with ') ('", "123 (a) (b c)" + tail, "424242", false},
		{"short", "123 (gonb) S 1 2", "", true},
		{"no parens", "123 gonb", "", true},
		{"not a number", "123 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 zz", "", true},
	} {
		got, err := statStart(tc.line)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s: statStart = %q, %v; want %q, error %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
	if k, err := parentKey(); err != nil || !strings.HasPrefix(k, fmt.Sprint(os.Getppid())+"-") {
		t.Errorf("parentKey = %q, %v; want the parent's pid and start", k, err)
	}
}
