package sudoku

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// Known puzzles with their unique solutions.
var known = []struct {
	name, puzzle, solution string
}{
	{"4x4", "1...." + "..2." + ".3.." + "...4"[1:], ""},
	{"magictour#1", "4...3.......6..8..........1....5..9..8....6...7.2........1.27..5.3....4.9........",
		"468931527751624839392578461134756298289413675675289314846192753513867942927345186"},
	{"sudoku-extreme#1", "...7.2..5....95.8.19..8..67..4...6....79...2.26...1......5......39.....8....784..",
		"846712935372695184195483267984237651517964823263851749728549316439126578651378492"},
}

func dataDir(t testing.TB, parts ...string) string {
	t.Helper()
	// lib/datasets' root (its package imports this one: read the variable).
	dir := os.Getenv("LABNOTES_DATA")
	if dir == "" {
		t.Skip("$LABNOTES_DATA not set: published puzzles not tested")
	}
	return filepath.Join(append([]string{dir}, parts...)...)
}

func TestParseAndString(t *testing.T) {
	tests := []struct {
		in      string
		shape   Shape
		givens  int
		wantErr string
	}{
		{"1234341221434321", Shape4, 16, ""},
		{"1..." + "...." + "...." + "...4", Shape4, 2, ""},
		{strings.Repeat(".", 36), Shape6, 0, ""},
		{"  " + strings.Repeat("0", 81) + "\r\n", Shape9, 0, ""},
		{strings.Repeat(".", 80), Shape{}, 0, "wrong length 80"},
		{"5" + strings.Repeat(".", 15), Shape{}, 0, `invalid digit '5' at cell 0`},
		{strings.Repeat(".", 35) + "7", Shape{}, 0, `invalid digit '7' at cell 35 (row 6, column 6)`},
		{strings.Repeat(".", 80) + "x", Shape{}, 0, `invalid digit 'x'`},
	}
	for _, tc := range tests {
		g, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || g.Shape != tc.shape || g.Givens() != tc.givens {
			t.Errorf("Parse(%q) = %v, %v givens, %v", tc.in, g.Shape, g.Givens(), err)
			continue
		}
		if back, _ := Parse(g.String()); back != g {
			t.Errorf("round trip of %q changed the grid", tc.in)
		}
	}
}

func TestConflict(t *testing.T) {
	tests := []struct{ in, want string }{
		{"12..............", ""},
		{"11..............", "digit 1 repeated in row 1"},
		{"1...1...........", "digit 1 repeated in column 1"},
		{"1....1..........", "digit 1 repeated in box 1"},
		{"1..1" + strings.Repeat(".", 77), "digit 1 repeated in row 1"},
	}
	for _, tc := range tests {
		g := MustParse(tc.in)
		if got := g.Conflict(); got != tc.want {
			t.Errorf("Conflict(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSolve(t *testing.T) {
	tests := []struct {
		name      string
		puzzle    string
		solutions int
	}{
		{"magictour", known[1].puzzle, 1},
		{"extreme", known[2].puzzle, 1},
		{"empty 4x4", strings.Repeat(".", 16), 2},
		{"empty 6x6", strings.Repeat(".", 36), 2},
		{"empty 9x9", strings.Repeat(".", 81), 2},
		{"unique 4x4", "1.3." + "..1." + ".1.." + "...1"[0:4], 0},
		{"conflict", "11" + strings.Repeat(".", 79), 0},
		{"unsolvable without conflict", "123456.8." + "......7.." + strings.Repeat(".", 63), 0},
		{"solved", known[2].solution, 1},
		{"6x6", "1.....4.....2.....3.....5.....6.....", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := MustParse(tc.puzzle)
			r := Analyze(g)
			if tc.solutions >= 0 && r.Solutions != tc.solutions {
				// "unique 4x4" is checked only for consistency below.
				if tc.name != "unique 4x4" {
					t.Fatalf("Analyze: %d solutions, want %d", r.Solutions, tc.solutions)
				}
			}
			sol, _, ok := Solve(g)
			if ok != (r.Solutions > 0) {
				t.Fatalf("Solve ok=%v but Analyze found %d", ok, r.Solutions)
			}
			if ok && (!sol.IsSolutionOf(&g) || sol != r.Solution) {
				t.Errorf("bad solution %s", sol)
			}
		})
	}
	for _, k := range known[1:] {
		sol, st, ok := Solve(MustParse(k.puzzle))
		if !ok || sol.String() != k.solution {
			t.Errorf("%s: solved %s", k.name, sol)
		}
		if st.Guesses < st.Backtracks {
			t.Errorf("stats %+v", st)
		}
	}
}

func TestCheck(t *testing.T) {
	p := MustParse(known[2].puzzle)
	s := MustParse(known[2].solution)
	wrong := s
	wrong.Cells[0], wrong.Cells[1] = wrong.Cells[1], wrong.Cells[0]
	multi := p
	for i := range 40 {
		multi.Cells[i] = 0
	}
	tests := []struct {
		name   string
		p      Grid
		answer *Grid
		want   error
	}{
		{"ok", p, &s, nil},
		{"ok no answer", p, nil, nil},
		{"mismatch", p, &wrong, ErrMismatch},
		{"multiple", multi, nil, ErrMultiple},
		{"unsolvable", MustParse("11" + strings.Repeat(".", 79)), nil, ErrUnsolvable},
	}
	for _, tc := range tests {
		if err := Check(tc.p, tc.answer); !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
			t.Errorf("%s: Check = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		name string
		opts GenOptions
	}{
		{"4x4", GenOptions{Shape: Shape4}},
		{"6x6", GenOptions{Shape: Shape6, MaxGivens: 14}},
		{"9x9 <=25", GenOptions{Shape: Shape9, MaxGivens: 25}},
		{"9x9 hard", GenOptions{Shape: Shape9, MinGuesses: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gs, err := GenerateN(tc.opts, 7, 20, 2)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := GenerateN(tc.opts, 7, 20, 1)
			for i, g := range gs {
				if g.Puzzle != again[i].Puzzle {
					t.Fatalf("puzzle %d differs between 2 and 1 workers", i)
				}
				if err := Check(g.Puzzle, &g.Solution); err != nil {
					t.Fatalf("puzzle %d: %v", i, err)
				}
				if tc.opts.MaxGivens > 0 && g.Puzzle.Givens() > tc.opts.MaxGivens {
					t.Errorf("puzzle %d has %d givens", i, g.Puzzle.Givens())
				}
				if g.Stats.Guesses < tc.opts.MinGuesses {
					t.Errorf("puzzle %d took %d guesses", i, g.Stats.Guesses)
				}
				// Minimal: removing any given breaks uniqueness.
				for c := range g.Puzzle.Shape.Cells() {
					if d := g.Puzzle.Cells[c]; d != 0 {
						q := g.Puzzle
						q.Cells[c] = 0
						if n, _ := Count(q, 2); n != 2 {
							t.Fatalf("puzzle %d is not minimal at cell %d", i, c)
						}
					}
				}
			}
		})
	}
	if _, err := Generate(GenOptions{Shape: Shape4, MaxGivens: 1, MaxTries: 3}, 1, 0); err == nil {
		t.Error("impossible options did not fail")
	}
}

func TestAugmentations(t *testing.T) {
	for _, s := range Shapes {
		t.Run(s.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			g, err := Generate(GenOptions{Shape: s}, 3, 0)
			if err != nil {
				t.Fatal(err)
			}
			key := CanonicalKey(g.Puzzle)
			sawTranspose := false
			for range 50 {
				a := RandomAug(s, rng)
				sawTranspose = sawTranspose || a.Transpose
				if !a.Valid() {
					t.Fatalf("invalid aug %+v", a)
				}
				p, sol := a.Apply(g.Puzzle), a.Apply(g.Solution)
				if err := Check(p, &sol); err != nil {
					t.Fatalf("augmented puzzle: %v", err)
				}
				if back := a.Inverse().Apply(p); back != g.Puzzle {
					t.Fatal("Inverse does not undo the augmentation")
				}
				if CanonicalKey(p) != key {
					t.Fatal("canonical form changed under augmentation")
				}
				in, out := g.Puzzle.Tokens(nil), make([]uint8, s.Cells())
				a.ApplyTokens(out, in)
				if !bytes.Equal(out, p.Tokens(nil)) {
					t.Fatal("ApplyTokens differs from Apply")
				}
			}
			if sawTranspose != (s.BoxRows == s.BoxCols) {
				t.Errorf("transpose seen=%v for %v", sawTranspose, s)
			}
		})
	}
	// Invalid augmentations.
	a := Identity(Shape6)
	a.Transpose = true
	b := Identity(Shape9)
	b.Rows[0], b.Rows[3] = 3, 0 // swaps rows across bands without moving bands
	c := Identity(Shape9)
	c.Digits[1] = 2
	for _, x := range []Aug{a, b, c} {
		if x.Valid() {
			t.Errorf("%+v reported valid", x)
		}
	}
}

func TestCanonicalSeparates(t *testing.T) {
	gs, _ := GenerateN(GenOptions{Shape: Shape9}, 11, 30, 2)
	keys := map[string]bool{}
	for _, g := range gs {
		keys[CanonicalKey(g.Puzzle)] = true
	}
	if len(keys) != len(gs) {
		t.Errorf("%d distinct canonical forms for %d random puzzles", len(keys), len(gs))
	}
	// A relabeled puzzle is canonically equal; a puzzle with a given moved is not.
	p := gs[0].Puzzle
	q := p
	for i := range q.Cells {
		if q.Cells[i] != 0 {
			q.Cells[i] = q.Cells[i]%9 + 1
		}
	}
	if CanonicalKey(q) != CanonicalKey(p) {
		t.Error("relabeling changed the canonical form")
	}
}

func TestSplitCanonical(t *testing.T) {
	gs, _ := GenerateN(GenOptions{Shape: Shape4}, 5, 40, 2)
	var grids []Grid
	rng := rand.New(rand.NewPCG(9, 9))
	for _, g := range gs {
		grids = append(grids, g.Puzzle, RandomAug(Shape4, rng).Apply(g.Puzzle))
	}
	train, test := SplitCanonical(grids, 0.25, 1)
	if len(train)+len(test) != len(grids) || len(test) == 0 {
		t.Fatalf("split %d/%d", len(train), len(test))
	}
	key := func(idx []int) []string {
		var ks []string
		for _, i := range idx {
			ks = append(ks, CanonicalKey(grids[i]))
		}
		return ks
	}
	if l := puzzle.Leaks(key(train), key(test)); len(l) > 0 {
		t.Errorf("%d canonical forms on both sides", len(l))
	}
}

func TestTokens(t *testing.T) {
	g := MustParse(known[1].puzzle)
	toks := g.Tokens(nil)
	if toks[0] != 5 || toks[1] != BlankToken || len(toks) != 81 {
		t.Errorf("tokens %v", toks[:4])
	}
	back, err := FromTokens(Shape9, toks)
	if err != nil || back != g {
		t.Errorf("round trip: %v", err)
	}
	for _, bad := range [][]uint8{toks[:80], append(append([]uint8{}, toks[:80]...), 11), append(append([]uint8{}, toks[:80]...), PadToken)} {
		if _, err := FromTokens(Shape9, bad); err == nil {
			t.Errorf("FromTokens accepted %v", bad[75:])
		}
	}
	if Vocab(Shape9) != 11 || Vocab(Shape4) != 6 {
		t.Error("Vocab")
	}
}

func TestDatasetStream(t *testing.T) {
	gs, _ := GenerateN(GenOptions{Shape: Shape6}, 2, 10, 2)
	var recs []Record
	for _, g := range gs {
		recs = append(recs, Record{Puzzle: g.Puzzle, Solution: g.Solution})
	}
	d, err := NewDataset(recs)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[2]int32]bool{}
	for b, err := range puzzle.Stream(d, puzzle.Config{Seed: 1, PerPuzzle: 8, BatchSize: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		for j := range b.Size {
			in, lab := b.Row(j)
			p, err1 := FromTokens(Shape6, in)
			s, err2 := FromTokens(Shape6, lab)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if err := Check(p, &s); err != nil {
				t.Fatalf("example %d/%d: %v", b.Base[j], b.Aug[j], err)
			}
			if b.Aug[j] == 0 && p != d.Puzzles[b.Base[j]] {
				t.Fatal("augmentation 0 is not the original")
			}
			seen[[2]int32{b.Base[j], b.Aug[j]}] = true
		}
	}
	if len(seen) != 80 {
		t.Errorf("saw %d distinct examples, want 80", len(seen))
	}
	if _, err := NewDataset([]Record{{Puzzle: gs[0].Puzzle}}); err == nil {
		t.Error("record without a solution accepted")
	}
}

func TestSVG(t *testing.T) {
	p := MustParse(known[1].puzzle)
	s := MustParse(known[1].solution)
	wrong := s
	wrong.Cells[1] = 4 // conflicts with the given 4 at cell 0
	for _, svg := range []string{SVG(p, nil, 0), SVG(p, &s, 300), SVG(p, &wrong, 300)} {
		if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(svg, "</svg>") {
			t.Fatal("not an svg")
		}
	}
	if !strings.Contains(SVG(p, &wrong, 300), "#d62728") || strings.Contains(SVG(p, &s, 300), "#d62728") {
		t.Error("wrong digit not marked red")
	}
}

func TestSharedDataReaders(t *testing.T) {
	dir := dataDir(t, "sudoku")
	tests := []struct {
		path string
		n    int
		sol  bool
	}{
		{"tdoku/puzzles6_forum_hardest_1106", 375, false},
		{"tdoku/puzzles3_magictour_top1465", 1465, false},
		{"tdoku/solved/puzzles3_magictour_top1465.solved.csv", 1465, true},
		{"sudoku-extreme-1k-train/train.derived.csv", 1000, true},
		{"sudoku-extreme-1k-train/all__inputs.npy", 1000, true},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			recs, err := ReadFile(filepath.Join(dir, tc.path), ReadOptions{Shape: Shape9})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != tc.n || recs[0].HasSolution() != tc.sol {
				t.Fatalf("%d records, solution %v", len(recs), recs[0].HasSolution())
			}
		})
	}
	// The npy and the derived CSV hold the same 1000 puzzles, and all are unique.
	a, _ := ReadFile(filepath.Join(dir, "sudoku-extreme-1k-train/all__inputs.npy"), ReadOptions{Verify: true})
	b, _ := ReadFile(filepath.Join(dir, "sudoku-extreme-1k-train/train.derived.csv"), ReadOptions{})
	for i := range a {
		if a[i].Puzzle != b[i].Puzzle || a[i].Solution != b[i].Solution {
			t.Fatalf("row %d differs between npy and csv", i)
		}
	}
	// The 17-clue file has CRLF line ends and 49,158 puzzles.
	recs, err := ReadFile(filepath.Join(dir, "tdoku/puzzles2_17_clue"), ReadOptions{})
	if err != nil || len(recs) != 49158 || recs[0].Puzzle.Givens() != 17 {
		t.Errorf("17-clue: %d records, %v", len(recs), err)
	}
}

func TestSolverOnSharedData(t *testing.T) {
	dir := dataDir(t, "sudoku", "tdoku", "solved")
	for _, name := range []string{"puzzles6_forum_hardest_1106", "puzzles3_magictour_top1465"} {
		recs, err := ReadFile(filepath.Join(dir, name+".solved.csv"), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			res := Analyze(r.Puzzle)
			if res.Solutions != 1 || res.Solution != r.Solution {
				t.Fatalf("%s line %d: %d solutions", name, r.Line, res.Solutions)
			}
		}
	}
}

func TestRoundTripFormats(t *testing.T) {
	gs, _ := GenerateN(GenOptions{Shape: Shape9}, 4, 5, 2)
	var recs []Record
	var grids []Grid
	for i, g := range gs {
		recs = append(recs, Record{Source: "gen", Puzzle: g.Puzzle, Solution: g.Solution, Rating: float64(g.Stats.Guesses), Line: i + 2})
		grids = append(grids, g.Puzzle)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, recs); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCSV(&buf, "rt.csv", ReadOptions{Verify: true})
	if err != nil || len(back) != len(recs) {
		t.Fatal(err)
	}
	for i := range back {
		if back[i] != recs[i] {
			t.Fatalf("CSV record %d: %+v != %+v", i, back[i], recs[i])
		}
	}
	buf.Reset()
	WriteLines(&buf, grids)
	lines, err := ReadLines(&buf, "rt.txt", ReadOptions{})
	if err != nil || len(lines) != len(grids) || lines[4].Puzzle != grids[4] {
		t.Fatal("lines round trip", err)
	}
	tmp := t.TempDir()
	for name, gg := range map[string][]Grid{"all__inputs.npy": grids, "all__labels.npy": nil} {
		if gg == nil {
			for _, g := range gs {
				gg = append(gg, g.Solution)
			}
		}
		f, _ := os.Create(filepath.Join(tmp, name))
		if err := WriteNPY(f, gg); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	npyRecs, err := ReadFile(filepath.Join(tmp, "all__inputs.npy"), ReadOptions{Verify: true})
	if err != nil || len(npyRecs) != 5 || npyRecs[2].Solution != gs[2].Solution {
		t.Fatal("npy round trip", err)
	}
}

// TestReaderErrors checks that every reader error names the file, the line
// and the problem.
func TestReaderErrors(t *testing.T) {
	p, s := known[1].puzzle, known[1].solution
	multi := strings.Repeat(".", 40) + p[40:]
	tests := []struct {
		name, format, in string
		opts             ReadOptions
		want             string
	}{
		{"malformed csv", "csv", "q,a\n\"" + p + ",x\n", ReadOptions{}, "bad.csv:2: malformed line"},
		{"csv no header", "csv", "", ReadOptions{}, "bad.csv:1: empty file"},
		{"csv no q", "csv", "x,y\n1,2\n", ReadOptions{}, "bad.csv:1: header \"x,y\" has no q"},
		{"csv wrong field count", "csv", "q,a\n" + p + "," + s + "\n" + p + "\n", ReadOptions{}, "bad.csv:3: malformed line"},
		{"csv wrong length", "csv", "q,a\n" + p[:80] + "," + s + "\n", ReadOptions{}, "bad.csv:2: question: wrong length 80"},
		{"csv invalid digit", "csv", "q,a\n" + p + "," + s[:80] + "x\n", ReadOptions{}, "bad.csv:2: answer: invalid digit 'x' at cell 80"},
		{"csv wrong answer", "csv", "q,a\n" + p + "," + s[1:] + s[:1] + "\n", ReadOptions{}, "bad.csv:2: answer is not a valid solution"},
		{"csv bad rating", "csv", "source,q,a,rating\nx," + p + "," + s + ",hard\n", ReadOptions{}, `bad.csv:2: rating "hard"`},
		{"csv multi", "csv", "q\n" + multi + "\n", ReadOptions{Verify: true}, "bad.csv:2: puzzle has more than one solution"},
		{"csv unsolvable", "csv", "q\n11" + p[2:] + "\n", ReadOptions{Verify: true}, "bad.csv:2: unsolvable puzzle"},
		{"lines wrong length", "lines", "# c\n" + p + "\n" + p[:70] + "\n", ReadOptions{}, "bad.txt:3: wrong length 70"},
		{"lines invalid digit", "lines", "#\n\n" + p[:10] + "a" + p[11:] + "\n", ReadOptions{}, "bad.txt:3: invalid digit 'a' at cell 10"},
		{"lines multi", "lines", multi + "\n", ReadOptions{Verify: true}, "bad.txt:1: puzzle has more than one solution"},
		{"lines shape", "lines", strings.Repeat(".", 16) + "\n", ReadOptions{Shape: Shape9}, "bad.txt:1: puzzle is 4x4, want 9x9"},
		{"lines too long", "lines", strings.Repeat("1", 2<<20), ReadOptions{}, "bad.txt:1: malformed line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.format == "csv" {
				_, err = ReadCSV(strings.NewReader(tc.in), "bad.csv", tc.opts)
			} else {
				_, err = ReadLines(strings.NewReader(tc.in), "bad.txt", tc.opts)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNPYErrors(t *testing.T) {
	tmp := t.TempDir()
	write := func(name string, shape []int, data []uint8) string {
		var buf bytes.Buffer
		if err := npyWrite(&buf, shape, data); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(tmp, name)
		os.WriteFile(path, buf.Bytes(), 0o644)
		return path
	}
	good := MustParse(known[1].puzzle).Tokens(nil)
	bad := append([]uint8{}, good...)
	bad[5] = 12
	full := write("full.npy", []int{1, 81}, good)
	raw, _ := os.ReadFile(full)
	trunc := filepath.Join(tmp, "trunc.npy")
	os.WriteFile(trunc, raw[:len(raw)-3], 0o644)
	tests := []struct {
		name, in, labels, want string
	}{
		{"truncated", trunc, "", "trunc.npy: byte 206: truncated data: 78 of 81 bytes"},
		{"bad token", write("tok.npy", []int{1, 81}, bad), "", "tok.npy:1: invalid token 12 at cell 5"},
		{"bad row len", write("len.npy", []int{1, 80}, good[:80]), "", "len.npy: rows of 80 tokens"},
		{"label blank", full, write("lab.npy", []int{1, 81}, good), "full.npy:1: answer has blank cells"},
		{"label count", full, write("lab2.npy", []int{2, 81}, append(good, good...)), "lab2.npy: 2 rows of 81 tokens"},
	}
	for _, tc := range tests {
		_, err := ReadNPY(tc.in, tc.labels, ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, k := range known {
		f.Add(k.puzzle)
	}
	f.Add(strings.Repeat(".", 36))
	f.Add("1234" + strings.Repeat("x", 12))
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Parse(s)
		if err != nil {
			return
		}
		if back, err := Parse(g.String()); err != nil || back != g {
			t.Fatalf("round trip failed for %q", s)
		}
		Analyze(g)
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add("source,q,a,rating\nx," + known[1].puzzle + "," + known[1].solution + ",3\n")
	f.Add("q,a\n\"" + known[1].puzzle + ",x\n")
	f.Add("question\n" + strings.Repeat(".", 16) + "\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ReadCSV(strings.NewReader(s), "fuzz.csv", ReadOptions{Verify: true})
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.csv:") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func FuzzReadLines(f *testing.F) {
	f.Add("# header\n" + known[1].puzzle + "\r\n" + known[2].puzzle + "\n")
	f.Add(strings.Repeat(".", 80) + "\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ReadLines(strings.NewReader(s), "fuzz.txt", ReadOptions{Verify: true})
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.txt:") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func FuzzFromTokens(f *testing.F) {
	f.Add(MustParse(known[1].puzzle).Tokens(nil))
	f.Add([]byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range Shapes {
			if g, err := FromTokens(s, b); err == nil {
				Analyze(g)
			}
		}
	})
}

func TestTestdata(t *testing.T) {
	recs, err := ReadFile("testdata/hrm_sample.csv", ReadOptions{Verify: true})
	if err != nil || len(recs) != 2 || recs[0].Source != "magictour" || recs[0].Rating != 12 || recs[1].Line != 3 {
		t.Fatalf("%+v %v", recs, err)
	}
	lines, err := ReadFile("testdata/tdoku_sample.txt", ReadOptions{Verify: true})
	if err != nil || len(lines) != 2 || lines[1].Line != 4 {
		t.Fatalf("%+v %v", lines, err)
	}
	if lines[0].Puzzle != recs[0].Puzzle || lines[1].Puzzle != recs[1].Puzzle {
		t.Error("tdoku sample and CSV sample disagree")
	}
}
