package sudoku

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkGenerate25(b *testing.B) {
	for i := range b.N {
		if _, err := Generate(GenOptions{MaxGivens: 25}, 1, i); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSolveMagictour1(b *testing.B) {
	p := MustParse(known[1].puzzle)
	for range b.N {
		Solve(p)
	}
}

func BenchmarkCanonical(b *testing.B) {
	p := MustParse(known[2].puzzle)
	for range b.N {
		Canonical(p)
	}
}

// BenchmarkMagictour solves tdoku's magictour_top1465 (when $LABNOTES_DATA
// holds it) and reports puzzles per second.
func BenchmarkMagictour(b *testing.B) {
	dir := os.Getenv("LABNOTES_DATA") // lib/datasets' root
	if dir == "" {
		b.Skip("$LABNOTES_DATA not set")
	}
	recs, err := ReadFile(filepath.Join(dir, "sudoku", "tdoku", "puzzles3_magictour_top1465"), ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		for _, r := range recs {
			Solve(r.Puzzle)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "puzzles/s")
}
