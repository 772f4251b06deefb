package sudoku

import (
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
