package testutil

import (
	"testing"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// StreamRows streams src with cfg through puzzle.Stream and calls check on every
// example: row j of batch b, with its inputs and labels (each SeqLen tokens). A
// stream error fails the test. It returns the number of examples seen.
func StreamRows(t testing.TB, src puzzle.Source, cfg puzzle.Config, check func(b *puzzle.Batch, j int, in, lab []uint8)) int {
	t.Helper()
	n := 0
	for b, err := range puzzle.Stream(src, cfg) {
		if err != nil {
			t.Fatal(err)
		}
		for j := range b.Size {
			in, lab := b.Row(j)
			check(b, j, in, lab)
			n++
		}
	}
	return n
}
