package lra

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/lib/datasets"
)

func TestListOpsEval(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want int
	}{
		{"7", 7},
		{"[MAX 2 9 ]", 9},
		{"[MIN 4 7 1 ]", 1},
		{"[MED 1 5 2 ]", 2},
		{"[MED 1 4 ]", 2}, // int(2.5) = 2
		{"[MED 3 8 ]", 5}, // int(5.5) = 5
		{"[SM 7 8 9 ]", 4},
		{"[MAX 2 9 [MIN 4 7 ] 0 ]", 9},
		{"[SM [MAX 3 4 ] [MIN 9 [MED 1 2 3 ] ] 5 ]", 1}, // 4 + 2 + 5 = 11
		{"( ( [MAX 1 ) 3 ) ]", 3},                       // LRA TSV brackets are ignored.
	} {
		e, err := ParseListOps(tc.expr)
		if err != nil {
			t.Errorf("ParseListOps(%q): %v", tc.expr, err)
			continue
		}
		if got := e.Eval(); got != tc.want {
			t.Errorf("%q = %d, want %d", tc.expr, got, tc.want)
		}
	}
}

func TestListOpsParseErrors(t *testing.T) {
	for _, s := range []string{"", "[MAX 1", "[MAX ]", "[FOO 1 ]", "1 2", "]", "12"} {
		if _, err := ParseListOps(s); err == nil || !strings.HasPrefix(err.Error(), "lra: ListOps") {
			t.Errorf("ParseListOps(%q) error = %v, want a \"lra: ListOps\" error", s, err)
		}
	}
}

func TestListOpsGenerate(t *testing.T) {
	for _, cfg := range []ListOpsConfig{
		{MinLength: 10, MaxLength: 40, MaxDepth: 3, MaxArgs: 5, Seed: 1},
		{MinLength: 100, MaxLength: 300, MaxDepth: 6, MaxArgs: 10, Seed: 2},
		{MinLength: 500, MaxLength: 2000, MaxDepth: 10, MaxArgs: 10, Seed: 3}, // LRA's setting.
	} {
		exprs, err := cfg.Generate(20)
		if err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
		again, _ := cfg.Generate(20)
		for i, e := range exprs {
			s := e.String()
			if s != again[i].String() {
				t.Errorf("%+v: not deterministic", cfg)
			}
			if l := e.Len(); l < cfg.MinLength || l > cfg.MaxLength || l != len(e.Tokens()) || l != len(strings.Fields(s)) {
				t.Errorf("%+v: length %d (tokens %d) out of range", cfg, l, len(e.Tokens()))
			}
			if e.Depth() > cfg.MaxDepth || e.Depth() < 1 {
				t.Errorf("%+v: depth %d", cfg, e.Depth())
			}
			p, err := ParseListOps(s)
			if err != nil || p.String() != s || p.Eval() != e.Eval() {
				t.Errorf("round trip of %q: %v", s, err)
			}
		}
	}
	if _, err := (ListOpsConfig{MinLength: 10, MaxLength: 20, MaxDepth: 0, MaxArgs: 3}).Generate(1); err == nil {
		t.Errorf("MaxDepth 0 accepted")
	}
	if _, err := (ListOpsConfig{MinLength: 1000, MaxLength: 2000, MaxDepth: 1, MaxArgs: 3}).Generate(1); err == nil {
		t.Errorf("unreachable lengths accepted")
	}
}

func TestListOpsTokens(t *testing.T) {
	e, _ := ParseListOps("[SM 0 [MED 9 ] ]")
	want := []int32{ListOpsSumMod, ListOpsDigit0, ListOpsMed, ListOpsDigit0 + 9, ListOpsClose, ListOpsClose}
	got := e.Tokens()
	if len(got) != len(want) {
		t.Fatalf("tokens %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] || got[i] >= ListOpsVocab {
			t.Fatalf("tokens %v, want %v", got, want)
		}
	}
	ex, err := ListOpsExamples(ListOpsConfig{MinLength: 5, MaxLength: 30, MaxDepth: 3, MaxArgs: 4, Seed: 9}, 500)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[int32]int{}
	for _, e := range ex {
		counts[e.Label]++
	}
	if len(counts) < 8 {
		t.Errorf("only %d distinct labels in 500 examples", len(counts))
	}
	if b := MajorityBaseline(ex); b < 0.1 || b > 0.5 {
		t.Errorf("majority baseline %g", b)
	}
}

func TestGoCorpus(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"a.go", "b/c.go", "b/d.go", "e.txt", "testdata/x.go", "f/g.go", "h.go", "i.go"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(strings.Repeat(string(rune('a'+i)), 10)), 0o644)
	}
	c, err := LoadGoCorpus(GoCorpusOptions{Root: dir, ValidFraction: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	if c.TrainFiles+c.ValidFiles != 6 || len(c.Train)+len(c.Valid) != 66 {
		t.Errorf("%d+%d files, %d+%d bytes; want 6 files (no .txt, no testdata), 66 bytes", c.TrainFiles, c.ValidFiles, len(c.Train), len(c.Valid))
	}
	if bytes.Contains(c.Train, []byte("eeee")) || bytes.Contains(c.Valid, []byte("eeee")) {
		t.Errorf("read a testdata or non-.go file")
	}
	again, _ := LoadGoCorpus(GoCorpusOptions{Root: dir, ValidFraction: 0.3})
	if !bytes.Equal(again.Train, c.Train) || !bytes.Equal(again.Valid, c.Valid) {
		t.Errorf("split not deterministic")
	}
	small, _ := LoadGoCorpus(GoCorpusOptions{Root: dir, ValidFraction: 0.3, MaxBytes: 20})
	if small.TrainFiles+small.ValidFiles != 2 {
		t.Errorf("MaxBytes 20 read %d files, want 2", small.TrainFiles+small.ValidFiles)
	}
	if _, err := LoadGoCorpus(GoCorpusOptions{Root: filepath.Join(dir, "nothing")}); err == nil {
		t.Errorf("missing root accepted")
	}
}

func TestGoCorpusReal(t *testing.T) {
	c, err := LoadGoCorpus(GoCorpusOptions{MaxBytes: 2 << 20})
	if err != nil {
		t.Skip(err)
	}
	if len(c.Train) < 1<<20 || len(c.Valid) == 0 || !bytes.Contains(c.Train, []byte("package ")) {
		t.Errorf("corpus of %d+%d bytes from %s", len(c.Train), len(c.Valid), c.Root)
	}
}

func TestSequenceDataset(t *testing.T) {
	ex := []Example{{[]int32{1, 2, 3}, 0}, {[]int32{4}, 1}, {[]int32{5, 6}, 2}, {[]int32{7, 8, 9, 10, 11}, 3}, {[]int32{1}, 4}}
	for _, tc := range []struct {
		name            string
		ds              *SequenceDataset
		wantBatches     int
		wantLen         int
		wantFirstTokens []int32
	}{
		{"pad to longest, drop remainder", NewSequenceDataset("a", ex, 0, 2), 2, 5, []int32{1, 2, 3, 0, 0, 4, 0, 0, 0, 0}},
		{"truncate", NewSequenceDataset("b", ex, 2, 5), 1, 2, []int32{1, 2, 4, 0, 5, 6, 7, 8, 1, 0}},
		{"two epochs", NewSequenceDataset("c", ex, 3, 2).Epochs(2), 4, 3, []int32{1, 2, 3, 4, 0, 0}},
	} {
		n := 0
		for b, err := range tc.ds.Iter() {
			if err != nil {
				t.Fatal(err)
			}
			toks := b.Inputs[0].Value().([][]int32)
			mask := b.Inputs[1].Value().([][]bool)
			if len(toks[0]) != tc.wantLen || b.Labels[0].Shape().Dimensions[1] != 1 {
				t.Errorf("%s: shape %s", tc.name, b.Inputs[0].Shape())
			}
			if n == 0 {
				var flat []int32
				for i, row := range toks {
					flat = append(flat, row...)
					for j, m := range mask[i] {
						if m != (row[j] != 0) {
							t.Errorf("%s: mask %v for tokens %v", tc.name, mask[i], row)
						}
					}
				}
				if len(flat) != len(tc.wantFirstTokens) {
					t.Errorf("%s: first batch %v, want %v", tc.name, flat, tc.wantFirstTokens)
				}
				for i := range flat {
					if flat[i] != tc.wantFirstTokens[i] {
						t.Errorf("%s: first batch %v, want %v", tc.name, flat, tc.wantFirstTokens)
						break
					}
				}
			}
			n++
		}
		if n != tc.wantBatches {
			t.Errorf("%s: %d batches, want %d", tc.name, n, tc.wantBatches)
		}
	}
	// Shuffled passes differ but contain the same labels.
	ds := NewSequenceDataset("s", ex, 0, 5).Shuffle(7)
	var orders []string
	for range 3 {
		for b := range ds.Iter() {
			orders = append(orders, b.Labels[0].String())
		}
	}
	if orders[0] == orders[1] && orders[1] == orders[2] {
		t.Errorf("shuffle gives the same order every pass: %v", orders)
	}
}

func TestWindowDataset(t *testing.T) {
	text := []byte("abcdefghijklmnopqrstuvwxyz")
	seq := NewWindowDataset("v", text, 4, 2).Sequential()
	var got []string
	for b := range seq.Iter() {
		in := b.Inputs[0].Value().([][]int32)
		lb := b.Labels[0].Value().([][][]int32)
		for i := range in {
			s := ""
			for p := range in[i] {
				s += string(rune(in[i][p]))
				if lb[i][p][0] != in[i][p]+1 {
					t.Errorf("label %c after %c", lb[i][p][0], in[i][p])
				}
			}
			got = append(got, s)
		}
	}
	if strings.Join(got, ",") != "abcd,efgh,ijkl,mnop,qrst,uvwx" {
		t.Errorf("sequential windows %v", got)
	}
	rnd := NewWindowDataset("r", text, 5, 3).Seed(1).Steps(4)
	n := 0
	for b := range rnd.Iter() {
		in := b.Inputs[0].Value().([][]int32)
		for _, row := range in {
			for p := 1; p < len(row); p++ {
				if row[p] != row[p-1]+1 {
					t.Errorf("window %v is not contiguous text", row)
				}
			}
		}
		n++
	}
	if n != 4 {
		t.Errorf("%d batches, want 4", n)
	}
}

// TestSequentialExamples: images as 784 pixel tokens, or pooled 2x2 to 196.
func TestSequentialExamples(t *testing.T) {
	const n = 12
	px, lbl := make([]byte, n*28*28), make([]byte, n)
	for k := range px {
		px[k] = byte(k/784 + k%784) // image i, pixel p: i + p
	}
	for i := range lbl {
		lbl[i] = byte(i % 10)
	}
	im := &Images{&datasets.Images{Rows: 28, Cols: 28, Pixels: px, Labels: lbl}}
	ex := im.SequentialExamples(5, 1)
	if len(ex) != 5 || len(ex[2].Tokens) != 784 || ex[2].Tokens[10] != 12 || ex[2].Label != 2 {
		t.Errorf("sequential examples wrong: %d, %d tokens", len(ex), len(ex[0].Tokens))
	}
	pooled := im.SequentialExamples(0, 2)
	// Block (0,0) of image 0: pixels 0, 1, 28, 29 -> mean 14.5 -> 14.
	if len(pooled) != n || len(pooled[0].Tokens) != 196 || pooled[0].Tokens[0] != 14 {
		t.Errorf("pooled: %d examples, %d tokens, first %d", len(pooled), len(pooled[0].Tokens), pooled[0].Tokens[0])
	}
}
