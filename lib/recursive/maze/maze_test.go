package maze

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/datasets"
	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// small is a 5x5 maze with two routes of different lengths.
const small = "" +
	"S   #" +
	" ## #" +
	" #  #" +
	"   ##" +
	"##  G"

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{small, ""},
		{small[:24], "wrong length 24"},
		{strings.Repeat("#", 3), "wrong length 3"},
		{"S  x", `invalid character 'x' at row 2, column 2`},
	}
	for _, tc := range tests {
		m, err := Parse(tc.in)
		if tc.want == "" {
			if err != nil || m.N != 5 || m.String() != tc.in {
				t.Errorf("Parse: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestSolveAndCheck(t *testing.T) {
	m, _ := Parse(small)
	sol, steps, err := Solve(m)
	if err != nil || steps != 8 {
		t.Fatalf("steps %d, %v\n%s", steps, err, sol.Pretty())
	}
	if err := CheckPath(m, sol); err != nil {
		t.Fatalf("own solution rejected: %v", err)
	}
	mk := func(s string) Maze {
		x, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	tests := []struct {
		name, pred, want string
	}{
		{"longer route", "" +
			"Sooo#" +
			" ##o#" +
			" #oo#" +
			"  o##" +
			"##ooG", "path has 10 steps, the shortest has 8"},
		{"shortest route", "" +
			"S   #" +
			"o## #" +
			"o#  #" +
			"ooo##" +
			"##ooG", ""},
		{"broken", "" +
			"Soo #" +
			" ## #" +
			" #  #" +
			"   ##" +
			"##  G", "path breaks off"},
		{"through wall", "" +
			"So  #" +
			" #o #" +
			" #  #" +
			"   ##" +
			"##  G", "path goes through '#'"},
		{"moved goal", "" +
			"S   #" +
			" ## #" +
			" #  #" +
			"   ##" +
			"##G  ", "cell at row 5, column 3"},
		{"stray cell", "" +
			"S  o#" +
			"o## #" +
			"o#  #" +
			"ooo##" +
			"##ooG", "1 path cells are off"},
	}
	for _, tc := range tests {
		err := CheckPath(m, mk(tc.pred))
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// A genuinely longer route: block the short one.
	m2 := mk("" +
		"S   #" +
		" ## #" +
		" #  #" +
		"   ##" +
		"## #G")
	long := mk("" +
		"S   #" +
		"o## #" +
		"o#oo#" +
		"ooo##" +
		"## #G")
	_ = long
	if _, err := Steps(m2); !errors.Is(err, ErrNoPath) {
		t.Errorf("blocked maze: %v", err)
	}
	if _, _, err := mk("S   " + "    " + "    " + "    ").Endpoints(); err == nil {
		t.Error("maze without G accepted")
	}
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		opts Options
	}{
		{Options{N: 10, MinSteps: 20}},
		{Options{N: 17, MinSteps: 40, Loops: 0.1}},
		{Options{N: 30, MinSteps: 111}},
		{Options{N: 30, MinSteps: 111, Loops: 0.05}},
		{Options{N: 20, MinSteps: 40, WallDensity: 0.35}},
	}
	for _, tc := range tests {
		gs, err := GenerateN(tc.opts, 5, 10, 2)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := GenerateN(tc.opts, 5, 10, 1)
		for i, g := range gs {
			if g.Puzzle.String() != again[i].Puzzle.String() {
				t.Fatal("not reproducible across worker counts")
			}
			if g.Steps < tc.opts.MinSteps || g.Puzzle.N != tc.opts.N {
				t.Errorf("%+v: maze %d has %d steps", tc.opts, i, g.Steps)
			}
			if err := CheckPath(g.Puzzle, g.Solution); err != nil {
				t.Error(err)
			}
		}
	}
	if _, err := Generate(Options{N: 10, MinSteps: 1000, MaxTries: 3}, 1, 0); err == nil {
		t.Error("impossible options did not fail")
	}
	if _, err := Generate(Options{N: 3}, 1, 0); err == nil {
		t.Error("N=3 accepted")
	}
}

func TestDihedral(t *testing.T) {
	g, _ := Generate(Options{N: 12, MinSteps: 10, Loops: 0.2}, 1, 0)
	seen := map[string]bool{}
	for tr := range 8 {
		p, s := g.Puzzle.Transform(tr), g.Solution.Transform(tr)
		seen[p.String()] = true
		if err := CheckPath(p, s); err != nil {
			t.Errorf("transform %d: %v", tr, err)
		}
		if back := p.Transform(InverseDihedral(tr)); back.String() != g.Puzzle.String() {
			t.Errorf("InverseDihedral(%d) does not undo it", tr)
		}
	}
	if len(seen) != 8 {
		t.Errorf("%d distinct transforms", len(seen))
	}
}

func TestDatasetStream(t *testing.T) {
	gs, _ := GenerateN(Options{N: 10, MinSteps: 15}, 3, 6, 2)
	d := &Dataset{Augment: true}
	for _, g := range gs {
		d.Pairs = append(d.Pairs, Pair{Puzzle: g.Puzzle, Solution: g.Solution})
	}
	n := testutil.StreamRows(t, d, puzzle.Config{Seed: 1, PerPuzzle: 4, BatchSize: 5}, func(_ *puzzle.Batch, _ int, in, lab []uint8) {
		p, _ := FromTokens(10, in)
		s, _ := FromTokens(10, lab)
		if err := CheckPath(p, s); err != nil {
			t.Fatal(err)
		}
	})
	if n != 24 {
		t.Errorf("%d examples", n)
	}
}

func TestRoundTrip(t *testing.T) {
	gs, _ := GenerateN(Options{N: 12, MinSteps: 10}, 9, 4, 2)
	var pairs []Pair
	var ins, labs []Maze
	for i, g := range gs {
		pairs = append(pairs, Pair{Puzzle: g.Puzzle, Solution: g.Solution, Line: i + 2})
		ins, labs = append(ins, g.Puzzle), append(labs, g.Solution)
	}
	var buf bytes.Buffer
	WriteCSV(&buf, pairs)
	back, err := ReadCSV(&buf, "rt.csv", true)
	if err != nil || len(back) != 4 || back[3].Solution.String() != pairs[3].Solution.String() || back[3].Line != 5 {
		t.Fatal("csv round trip", err)
	}
	tmp := t.TempDir()
	for name, ms := range map[string][]Maze{"all__inputs.npy": ins, "all__labels.npy": labs} {
		f, _ := os.Create(filepath.Join(tmp, name))
		WriteNPY(f, ms)
		f.Close()
	}
	np, err := ReadFile(filepath.Join(tmp, "all__inputs.npy"), true)
	if err != nil || len(np) != 4 || np[1].Solution.String() != labs[1].String() {
		t.Fatal("npy round trip", err)
	}
	tok := gs[0].Puzzle.Tokens(nil)
	if m, err := FromTokens(12, tok); err != nil || m.String() != gs[0].Puzzle.String() {
		t.Error("token round trip")
	}
}

func TestReaderErrors(t *testing.T) {
	m, _ := Parse(small)
	sol, _, _ := Solve(m)
	bad := strings.Replace(sol.String(), "o", " ", 1)
	tests := []struct{ name, in, want string }{
		{"no header", "", "bad.csv:1: empty file"},
		{"no question", "x\n1\n", "bad.csv:1: header \"x\" has no question"},
		{"malformed", "question,answer\n\"" + small + ",x\n", "bad.csv:2: malformed line"},
		{"wrong length", "question,answer\n" + small[:20] + "," + sol.String() + "\n", "bad.csv:2: question: wrong length 20"},
		{"invalid char", "question,answer\n" + small + "," + sol.String()[:24] + "x\n", "bad.csv:2: answer: invalid character 'x'"},
		{"two starts", "question\n" + strings.Replace(small, " ", "S", 1) + "\n", "bad.csv:2: question: 2 starts and 1 goals"},
		{"bad answer", "question,answer\n" + small + "," + bad + "\n", "bad.csv:2: answer: path breaks off"},
		{"unreachable", "question\n" + strings.Replace(small, "##  G", "## #G", 1) + "\n", "bad.csv:2: goal not reachable"},
	}
	for _, tc := range tests {
		_, err := ReadCSV(strings.NewReader(tc.in), "bad.csv", true)
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	tmp := t.TempDir()
	var buf bytes.Buffer
	WriteNPY(&buf, []Maze{m})
	raw := buf.Bytes()
	os.WriteFile(filepath.Join(tmp, "trunc.npy"), raw[:len(raw)-4], 0o644)
	raw2 := append([]byte{}, raw...)
	raw2[len(raw2)-1] = 9
	os.WriteFile(filepath.Join(tmp, "tok.npy"), raw2, 0o644)
	for name, want := range map[string]string{"trunc.npy": "truncated data: 21 of 25 bytes", "tok.npy": "tok.npy:1: invalid token 9 at row 5, column 5"} {
		if _, err := ReadNPY(filepath.Join(tmp, name), "", true); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
}

func TestSharedData(t *testing.T) {
	base, err := datasets.Path("maze-hard-1k")
	if err != nil {
		t.Skipf("%v (set LABNOTES_DATA to run this test)", err)
	}
	for _, split := range []string{"train", "test"} {
		np, err := ReadFile(filepath.Join(base, split, "all__inputs.npy"), true)
		if err != nil {
			t.Fatal(err)
		}
		// The CSV derived from the arrays, where the data root has it (not part of the dataset).
		csvPairs, err := ReadFile(filepath.Join(base, split+".derived.csv"), false)
		if errors.Is(err, fs.ErrNotExist) {
			csvPairs = np
		} else if err != nil {
			t.Fatal(err)
		}
		if len(np) != 1000 || len(csvPairs) != 1000 {
			t.Fatalf("%s: %d npy, %d csv mazes", split, len(np), len(csvPairs))
		}
		minSteps := 1 << 30
		for i, p := range np {
			if p.Puzzle.String() != csvPairs[i].Puzzle.String() || p.Solution.String() != csvPairs[i].Solution.String() {
				t.Fatalf("%s maze %d differs between npy and csv", split, i)
			}
			s, _ := Steps(p.Puzzle)
			minSteps = min(minSteps, s)
		}
		t.Logf("%s: shortest paths >= %d steps", split, minSteps)
		if minSteps < 100 {
			t.Errorf("%s: a maze with a %d-step path", split, minSteps)
		}
	}
}

func TestSVG(t *testing.T) {
	m, _ := Parse(small)
	sol, _, _ := Solve(m)
	if s := SVG(m, &sol, 0); !strings.HasPrefix(s, "<svg") || strings.Count(s, "#4a90d9") != 7 {
		t.Errorf("svg has %d path cells", strings.Count(s, "#4a90d9"))
	}
}

func FuzzParse(f *testing.F) {
	f.Add(small)
	f.Add("S  G")
	f.Add("S#x#G")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		if err != nil {
			return
		}
		if sol, _, err := Solve(m); err == nil {
			if err := CheckPath(m.Puzzle(), sol); err != nil {
				t.Fatalf("own solution rejected: %v", err)
			}
		}
	})
}

func FuzzCheckPath(f *testing.F) {
	m, _ := Parse(small)
	sol, _, _ := Solve(m)
	f.Add(sol.String())
	f.Add(strings.Replace(sol.String(), "o", " ", 2))
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := Parse(s); err == nil && p.N == m.N {
			CheckPath(m, p)
		}
	})
}

func FuzzReadCSV(f *testing.F) {
	m, _ := Parse(small)
	sol, _, _ := Solve(m)
	f.Add("question,answer\n" + small + "," + sol.String() + "\n")
	f.Add("question\n\"S G\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ReadCSV(strings.NewReader(s), "fuzz.csv", true)
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.csv:") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func TestRandomDihedralConsistency(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	src := make([]int, 36)
	for i := range src {
		src[i] = i
	}
	for range 20 {
		tr := rng.IntN(8)
		a, b := make([]int, 36), make([]int, 36)
		Dihedral(a, src, 6, tr)
		Dihedral(b, a, 6, InverseDihedral(tr))
		for i := range b {
			if b[i] != i {
				t.Fatalf("transform %d not inverted", tr)
			}
		}
	}
}

func TestTestdata(t *testing.T) {
	pairs, err := ReadFile("testdata/small.csv", true)
	if err != nil || len(pairs) != 1 || pairs[0].Puzzle.N != 5 {
		t.Fatalf("%v %v", pairs, err)
	}
	if s, _ := Steps(pairs[0].Puzzle); s != 8 {
		t.Errorf("steps %d", s)
	}
}

func FuzzFromTokens(f *testing.F) {
	m, _ := Parse(small)
	f.Add(m.Tokens(nil))
	f.Add([]byte{1, 2, 3, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := FromTokens(5, b); err == nil {
			Solve(m)
		}
	})
}
