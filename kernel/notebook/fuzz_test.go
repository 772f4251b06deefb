package notebook

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes: it must never panic, and a notebook it accepts must
// encode and parse back to the same cells.
//
//	go test ./kernel/notebook -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.ipynb"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": ["a\n", "b"], "metadata": {"tags": ["parameters"]}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "x"}]}]}`))
	f.Add([]byte("{\"nbformat\": 4, \"cells\": [\"\xff\"]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := Parse(data)
		if err != nil {
			return
		}
		_, _ = nb.Parameters()
		enc, err := nb.Encode()
		if err != nil {
			t.Fatalf("encoding a parsed notebook: %v", err)
		}
		back, err := Parse(enc)
		if err != nil {
			t.Fatalf("the encoded notebook does not parse: %v\n%s", err, enc)
		}
		if len(back.Cells) != len(nb.Cells) {
			t.Fatalf("%d cells after a round trip, want %d", len(back.Cells), len(nb.Cells))
		}
		for i, c := range nb.Cells {
			if b := back.Cells[i]; b.Source != c.Source || b.Type != c.Type || len(b.Outputs) != len(c.Outputs) {
				t.Fatalf("cell %d changed in a round trip: %+v -> %+v", i, c, b)
			}
		}
	})
}
