package arc

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/datasets"
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
	n := testutil.StreamRows(t, d, puzzle.Config{Seed: 1, PerPuzzle: 4, BatchSize: 5}, func(b *puzzle.Batch, j int, in, lab []uint8) {
		it := d.Items[b.Base[j]]
		if err := inverts(d, Decode, b, j, in, lab); err != nil {
			t.Fatal(err)
		}
		if b.PuzzleIDs[j] != d.PuzzleID(it.Task, int(b.Aug[j])) {
			t.Fatal("puzzle id")
		}
	})
	if n != 24 {
		t.Errorf("%d examples", n)
	}
	// The same augmentation for every pair of an augmented task.
	if d.TaskAug(0, 2) != d.TaskAug(0, 2) || d.TaskAug(0, 2) == d.TaskAug(1, 2) {
		t.Error("TaskAug not a function of (task, k)")
	}
}

func TestSharedData(t *testing.T) {
	tests := []struct {
		name, split        string
		tasks, demo, tests int
	}{
		{"arc-agi-1", "training", 400, 1302, 416},
		{"arc-agi-1", "evaluation", 400, 1363, 419},
		{"arc-agi-2", "training", 1000, 3232, 1076},
		{"arc-agi-2", "evaluation", 120, 359, 167},
	}
	for _, tc := range tests {
		if _, err := datasets.Path(tc.name); err != nil {
			t.Skipf("%v (set LABNOTES_DATA to run this test)", err)
		}
		tasks, err := Load(tc.name, tc.split, 0)
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
			t.Errorf("%s/%s: %d tasks, %d demo, %d test pairs", tc.name, tc.split, len(tasks), demo, test)
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

// TestLoadShipped: without the dataset, ARC-AGI-1's evaluation tasks that
// fit 6x6 come from the shipped copies; with it (LABNOTES_DATA), the
// shipped tasks equal the dataset's selection at sides 5 and 6, same order.
func TestLoadShipped(t *testing.T) {
	shipped, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if len(shipped) != 13 || shipped[0].ID != "00576224" || shipped[12].ID != "ed98d772" {
		t.Fatalf("%d shipped tasks, first %s", len(shipped), shipped[0].ID)
	}
	if full, err := datasets.Path("arc-agi-1"); err == nil {
		all, err := LoadDir(filepath.Join(full, "evaluation"))
		if err != nil {
			t.Fatal(err)
		}
		for _, side := range []int{5, 6} {
			want, got := Select(all, side), Select(shipped, side)
			if len(got) != len(want) {
				t.Fatalf("side %d: %d shipped tasks, the dataset has %d", side, len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("side %d: shipped task %d (%s) differs from the dataset's %s", side, i, got[i].ID, want[i].ID)
				}
			}
		}
	} else {
		t.Logf("dataset absent (%v): shipped tasks not compared", err)
	}

	t.Setenv(datasets.RootEnv, t.TempDir()) // no dataset
	for _, tc := range []struct {
		side  int
		tasks int
	}{{6, 13}, {5, 6}} {
		tasks, err := Load("arc-agi-1", "evaluation", tc.side)
		if err != nil || len(tasks) != tc.tasks {
			t.Errorf("side %d without the dataset: %d tasks, %v", tc.side, len(tasks), err)
		}
	}
	for _, tc := range []struct {
		name, split string
		side        int
	}{
		{"arc-agi-1", "evaluation", 7}, {"arc-agi-1", "training", 6}, {"arc-agi-1", "evaluation", 0}, {"arc-agi-2", "evaluation", 6},
	} {
		if _, err := Load(tc.name, tc.split, tc.side); err == nil || !strings.Contains(err.Error(), "bin/labnotes data fetch "+tc.name) {
			t.Errorf("%s/%s side %d without the dataset: %v, want the fetch command", tc.name, tc.split, tc.side, err)
		}
	}
	if _, err := Load("arc-agi-1", "test", 6); err == nil || !strings.Contains(err.Error(), `"test"`) {
		t.Errorf("unknown split: %v", err)
	}
}
