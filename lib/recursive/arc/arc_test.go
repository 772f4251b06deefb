package arc

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

func tiny(t *testing.T) *Task {
	t.Helper()
	task, err := LoadTask("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestParseTask(t *testing.T) {
	task := tiny(t)
	if task.ID != "tiny" || len(task.Train) != 2 || len(task.Test) != 1 || task.Test[0].Output[0][2] != 3 {
		t.Fatalf("%+v", task)
	}
	tests := []struct{ name, in, want string }{
		{"truncated", `{"train": [{"input": [[1]], "output": [[1]]}],` + "\n" + `"test": [{"input": [[1`, "bad.json:2: corrupt JSON: truncated"},
		{"syntax", "{\"train\": [\n{\"input\": [[1,]], \"output\": [[1]]}], \"test\": []}", "bad.json:2: corrupt JSON"},
		{"wrong type", "{\"train\": [\n\n{\"input\": \"x\", \"output\": [[1]]}], \"test\": [{\"input\": [[1]]}]}", "bad.json:3: corrupt JSON"},
		{"missing test", `{"train": [{"input": [[1]], "output": [[1]]}]}`, `bad.json:1: missing "train" or "test"`},
		{"no pairs", `{"train": [], "test": []}`, "0 train and 0 test pairs"},
		{"ragged", "{\"train\": [{\"input\": [[1]], \"output\": [[1]]}],\n\"test\": [{\"input\": [[1, 2], [3]]}]}", "bad.json:2: test pair 0 input: row 1 has 1 cells, row 0 has 2"},
		{"colour", `{"train": [{"input": [[1]], "output": [[10]]}], "test": [{"input": [[1]]}]}`, "train pair 0 output: colour 10 at row 0, column 0"},
		{"empty grid", `{"train": [{"input": [], "output": [[1]]}], "test": [{"input": [[1]]}]}`, "train pair 0 input: grid has 0 rows"},
		{"too big", `{"train": [{"input": [[` + strings.Repeat("1,", 30) + `1]], "output": [[1]]}], "test": [{"input": [[1]]}]}`, "grid has 31 columns"},
		{"missing output", `{"train": [{"input": [[1]]}], "test": [{"input": [[1]]}]}`, "train pair 0 output: grid has 0 rows"},
		{"unknown field", `{"train": [{"input": [[1]], "output": [[1]], "x": 1}], "test": [{"input": [[1]]}]}`, "unknown field"},
		{"not json", "PK\x03\x04", "bad.json:1: corrupt JSON"},
	}
	for _, tc := range tests {
		_, err := ParseTask([]byte(tc.in), "bad.json")
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	// A hidden test output is allowed.
	if _, err := ParseTask([]byte(`{"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]]}]}`), "x.json"); err != nil {
		t.Error(err)
	}
}

func TestCanvas(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]uint8, CanvasLen)
	for _, sz := range [][2]int{{1, 1}, {3, 5}, {30, 30}, {30, 1}, {7, 30}} {
		g := NewGrid(sz[0], sz[1])
		for r := range g {
			for c := range g[r] {
				g[r][c] = rng.IntN(NumColors)
			}
		}
		for _, off := range [][2]int{{0, 0}, {MaxSize - sz[0], MaxSize - sz[1]}, {(MaxSize - sz[0]) / 2, 0}} {
			if err := Encode(buf, g, off[0], off[1]); err != nil {
				t.Fatal(err)
			}
			back, err := Decode(buf)
			if err != nil || !back.Equal(g) {
				t.Fatalf("%v at %v: %v", sz, off, err)
			}
			// End-of-grid markers right of and below the grid, when they fit.
			if off[0]+sz[0] < MaxSize && buf[(off[0]+sz[0])*MaxSize+off[1]] != EOSToken {
				t.Error("no EOS row")
			}
			if off[1]+sz[1] < MaxSize && buf[off[0]*MaxSize+off[1]+sz[1]] != EOSToken {
				t.Error("no EOS column")
			}
		}
	}
	if err := Encode(buf, NewGrid(3, 3), 28, 0); err == nil {
		t.Error("grid off the canvas accepted")
	}
	clear(buf)
	if _, err := Decode(buf); !errors.Is(err, ErrNoGrid) {
		t.Errorf("empty canvas: %v", err)
	}
	Encode(buf, NewGrid(3, 3), 0, 0)
	buf[1*MaxSize+1] = PadToken
	if _, err := Decode(buf); err == nil || !strings.Contains(err.Error(), "not rectangular") {
		t.Errorf("hole: %v", err)
	}
	if _, err := Decode(buf[:10]); err == nil {
		t.Error("short canvas accepted")
	}
}

func TestAugInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	g := Grid{{1, 2, 3}, {4, 5, 0}}
	seen := map[string]bool{}
	for d := range 8 {
		a := IdentityAug()
		a.Dihedral = d
		seen[a.Apply(g).Key()] = true
		for range 5 {
			b := RandomAug(rng)
			b.Dihedral = d
			if !b.Valid() || b.Colors[0] != 0 {
				t.Fatal("invalid aug")
			}
			if back := b.Inverse().Apply(b.Apply(g)); !back.Equal(g) {
				t.Fatalf("dihedral %d not inverted: %v", d, back)
			}
		}
	}
	if len(seen) != 8 {
		t.Errorf("%d distinct dihedral images of an asymmetric grid", len(seen))
	}
	bad := IdentityAug()
	bad.Colors[0], bad.Colors[1] = 1, 0
	if bad.Valid() {
		t.Error("aug moving black reported valid")
	}
	// Rotation by a quarter turn, clockwise.
	a := IdentityAug()
	a.Dihedral = 1
	if got := a.Apply(g); !got.Equal(Grid{{4, 1}, {5, 2}, {0, 3}}) {
		t.Errorf("rot90 = %v", got)
	}
}

func TestVoteAndScore(t *testing.T) {
	task := tiny(t)
	truth := task.Test[0].Output
	wrong := Grid{{1}}
	rng := rand.New(rand.NewPCG(5, 6))
	var preds []Prediction
	for i := range 6 {
		a := RandomAug(rng)
		out := truth
		if i%3 == 0 {
			out = wrong // 2 votes for a wrong answer, 4 for the right one
		}
		preds = append(preds, Prediction{Aug: a, Output: a.Apply(out), Confidence: float64(i)})
	}
	preds = append(preds, Prediction{Aug: IdentityAug(), Output: Grid{{1, 2}, {3}}}) // invalid: ignored
	c := Vote(preds)
	if len(c) != 2 || !c[0].Output.Equal(truth) || c[0].Votes != 4 || c[1].Votes != 2 {
		t.Fatalf("vote %+v", c)
	}
	if !PassAtK(c, truth, 1) || !PassAtK(c, wrong, 2) || PassAtK(c, wrong, 1) {
		t.Error("PassAtK")
	}
	// Ties break by confidence.
	tie := Vote([]Prediction{{Aug: IdentityAug(), Output: wrong, Confidence: 0.1}, {Aug: IdentityAug(), Output: truth, Confidence: 0.9}})
	if !tie[0].Output.Equal(truth) {
		t.Error("tie not broken by confidence")
	}
	three := []Prediction{{Aug: IdentityAug(), Output: Grid{{7}}, Confidence: 3}, {Aug: IdentityAug(), Output: Grid{{8}}, Confidence: 2}, {Aug: IdentityAug(), Output: truth, Confidence: 1}}
	if s := TaskScore(task, [][]Prediction{three}); s != 0 {
		t.Errorf("third-ranked answer scored %v", s)
	}
	if s := Score([]*Task{task, task}, [][][]Prediction{{preds}, {three}}); s != 0.5 {
		t.Errorf("Score = %v", s)
	}
}

func TestDatasetStream(t *testing.T) {
	task := tiny(t)
	d, err := NewDataset([]*Task{task, task}, true, 4, 9, true)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 6 || d.NumPuzzleIDs() != 9 {
		t.Fatalf("len %d ids %d", d.Len(), d.NumPuzzleIDs())
	}
	n := 0
	for b, err := range puzzle.Stream(d, puzzle.Config{Seed: 1, PerPuzzle: 4, BatchSize: 5}) {
		if err != nil {
			t.Fatal(err)
		}
		for j := range b.Size {
			in, lab := b.Row(j)
			it := d.Items[b.Base[j]]
			a := d.TaskAug(it.Task, int(b.Aug[j]))
			gi, err1 := Decode(in)
			go_, err2 := Decode(lab)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !a.Inverse().Apply(gi).Equal(it.Input) || !a.Inverse().Apply(go_).Equal(it.Output) {
				t.Fatal("decoded example does not invert to its pair")
			}
			if b.PuzzleIDs[j] != d.PuzzleID(it.Task, int(b.Aug[j])) {
				t.Fatal("puzzle id")
			}
			n++
		}
	}
	if n != 24 {
		t.Errorf("%d examples", n)
	}
	// The same augmentation for every pair of an augmented task.
	if d.TaskAug(0, 2) != d.TaskAug(0, 2) || d.TaskAug(0, 2) == d.TaskAug(1, 2) {
		t.Error("TaskAug not a function of (task, k)")
	}
}

func makeZip(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func TestDownload(t *testing.T) {
	tinyJSON, _ := os.ReadFile("testdata/tiny.json")
	archive := makeZip(t, map[string]string{
		"ARC-x/data/training/aaa.json":   string(tinyJSON),
		"ARC-x/data/evaluation/bbb.json": string(tinyJSON),
		"ARC-x/README.md":                "not data",
	})
	evil := makeZip(t, map[string]string{"ARC-x/data/../../evil.json": "{}"})
	sum := sha256.Sum256(archive)
	good := hex.EncodeToString(sum[:])
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/arc.zip":
			w.Write(archive)
		case "/evil.zip":
			w.Write(evil)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	cache := t.TempDir()
	rel := Release{Name: "arc-test", URL: srv.URL + "/arc.zip", SHA256: good, Prefix: "ARC-x/data/"}
	dir, err := Download(ctx, srv.Client(), rel, cache)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := LoadDir(filepath.Join(dir, "training"))
	if err != nil || len(tasks) != 1 || tasks[0].ID != "aaa" {
		t.Fatalf("%v %v", tasks, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err == nil {
		t.Error("file outside the prefix extracted")
	}
	// Cached: no second request.
	if _, err := Download(ctx, srv.Client(), rel, cache); err != nil || hits.Load() != 1 {
		t.Errorf("second download: %v, %d requests", err, hits.Load())
	}
	// A corrupted cache file is fetched again.
	p, _, _ := Fetch(ctx, srv.Client(), rel.URL, good, cache)
	os.WriteFile(p, []byte("junk"), 0o644)
	if _, _, err := Fetch(ctx, srv.Client(), rel.URL, good, cache); err != nil || hits.Load() != 2 {
		t.Errorf("refetch: %v, %d requests", err, hits.Load())
	}
	// Without a digest, the first one seen is recorded and reused.
	if _, s, err := Fetch(ctx, srv.Client(), rel.URL, "", t.TempDir()); err != nil || s != good {
		t.Errorf("trust on first use: %v %s", err, s)
	}
	// Wrong digest: error, nothing kept.
	bad := rel
	bad.SHA256 = strings.Repeat("0", 64)
	c2 := t.TempDir()
	if _, err := Download(ctx, srv.Client(), bad, c2); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("bad digest: %v", err)
	}
	if ents, _ := os.ReadDir(c2); len(ents) != 0 {
		t.Errorf("kept %d files after a bad digest", len(ents))
	}
	if _, _, err := Fetch(ctx, srv.Client(), srv.URL+"/missing.zip", "", t.TempDir()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: %v", err)
	}
	if _, err := Download(ctx, srv.Client(), Release{Name: "evil", URL: srv.URL + "/evil.zip", Prefix: "ARC-x/data/"}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "unsafe path") {
		t.Errorf("zip slip: %v", err)
	}
}

func TestSharedData(t *testing.T) {
	dir, ok := puzzle.DataDir()
	if !ok {
		t.Skipf("shared data not found at %s: set LABNOTES_DATA to run this test", dir)
	}
	tests := []struct {
		path               string
		tasks, demo, tests int
	}{
		{"arc-agi-1/training", 400, 1302, 416},
		{"arc-agi-1/evaluation", 400, 1363, 419},
		{"arc-agi-2/training", 1000, 3232, 1076},
		{"arc-agi-2/evaluation", 120, 359, 167},
	}
	for _, tc := range tests {
		tasks, err := LoadDir(filepath.Join(dir, tc.path))
		if err != nil {
			t.Fatal(err)
		}
		demo, test := 0, 0
		for _, task := range tasks {
			demo += len(task.Train)
			test += len(task.Test)
			for _, p := range task.Test {
				if p.Output == nil {
					t.Fatalf("%s: test pair without output", task.ID)
				}
			}
		}
		if len(tasks) != tc.tasks || demo != tc.demo || test != tc.tests {
			t.Errorf("%s: %d tasks, %d demo, %d test pairs", tc.path, len(tasks), demo, test)
		}
	}
}

func TestSVG(t *testing.T) {
	task := tiny(t)
	s := SVG(task.Train[0].Input, 10)
	if !strings.HasPrefix(s, "<svg") || strings.Count(s, "<rect") != 4 || !strings.Contains(s, Palette[1]) {
		t.Error(s)
	}
	if h := TaskHTML(task, 8); strings.Count(h, "<svg") != 6 {
		t.Errorf("%d svgs", strings.Count(h, "<svg"))
	}
}

func FuzzParseTask(f *testing.F) {
	b, _ := os.ReadFile("testdata/tiny.json")
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte(`{"train": [{"input": [[1, 2], [3]]}], "test": []}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		task, err := ParseTask(data, "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json:") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		a := IdentityAug()
		a.Dihedral = 5
		a.ApplyTask(task)
		buf := make([]uint8, CanvasLen)
		for _, p := range task.Train {
			if Encode(buf, p.Input, 0, 0) == nil {
				if g, err := Decode(buf); err != nil || !g.Equal(p.Input) {
					t.Fatal("canvas round trip")
				}
			}
		}
	})
}

func FuzzDecode(f *testing.F) {
	buf := make([]uint8, CanvasLen)
	Encode(buf, Grid{{1, 2}, {3, 4}}, 5, 7)
	f.Add(buf)
	f.Add(make([]byte, CanvasLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		if g, err := Decode(b); err == nil {
			if err := g.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
