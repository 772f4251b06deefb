package cil

import (
	"bytes"
	"testing"
)

// FuzzParseCIFAR100 feeds ParseCIFAR100 arbitrary bytes: it must never panic, must accept
// exactly the inputs made of whole records with fine labels below 100, and then return one
// label per record and pixels in [0, 1].
//
//	go test ./lib/cil -run '^$' -fuzz FuzzParseCIFAR100 -fuzztime 30s
func FuzzParseCIFAR100(f *testing.F) {
	rec := make([]byte, cifarRecord)
	rec[0], rec[1] = 3, 42
	for i := range 3072 {
		rec[2+i] = byte(i)
	}
	f.Add(rec)
	f.Add(bytes.Repeat(rec, 2))
	f.Add(rec[:100])
	bad := append([]byte(nil), rec...)
	bad[1] = 100
	f.Add(bad)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := ParseCIFAR100(raw, "fuzz.bin")
		whole := len(raw) > 0 && len(raw)%cifarRecord == 0
		labelsOK := whole
		for i := 0; whole && i < len(raw)/cifarRecord; i++ {
			labelsOK = labelsOK && raw[i*cifarRecord+1] < 100
		}
		if (err == nil) != labelsOK {
			t.Fatalf("ParseCIFAR100(%d bytes): err=%v, want success=%v", len(raw), err, labelsOK)
		}
		if err != nil {
			return
		}
		n := len(raw) / cifarRecord
		if len(d.Y) != n || len(d.X) != n*3072 {
			t.Fatalf("%d records: %d labels, %d values", n, len(d.Y), len(d.X))
		}
		for i, y := range d.Y {
			if y != int32(raw[i*cifarRecord+1]) {
				t.Fatalf("record %d: label %d, want %d", i, y, raw[i*cifarRecord+1])
			}
		}
		for _, v := range d.X {
			if v < 0 || v > 1 {
				t.Fatalf("pixel %v outside [0, 1]", v)
			}
		}
	})
}
