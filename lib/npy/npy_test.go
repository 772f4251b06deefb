package npy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		data  []uint8
	}{
		{"2d", []int{2, 3}, []uint8{1, 2, 3, 4, 5, 6}},
		{"1d", []int{4}, []uint8{9, 8, 7, 6}},
		{"empty", []int{0, 81}, []uint8{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteUint8(&buf, tc.shape, tc.data); err != nil {
				t.Fatal(err)
			}
			if buf.Len()%64 != len(tc.data)%64 {
				t.Errorf("header not 64-byte aligned: %d bytes total", buf.Len())
			}
			a, err := Read(&buf, "x.npy")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Shape, tc.shape) || a.Descr != "|u1" {
				t.Errorf("header %+v", a.Header)
			}
			got, _ := a.Uint8()
			if !bytes.Equal(got, tc.data) {
				t.Errorf("data %v, want %v", got, tc.data)
			}
		})
	}
}

func TestInt32AndStream(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteInt32(&buf, []int{3, 2}, []int32{0, -1, 2, 300, 4, 5}); err != nil {
		t.Fatal(err)
	}
	a, err := Read(bytes.NewReader(buf.Bytes()), "i.npy")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Ints(); !reflect.DeepEqual(got, []int{0, -1, 2, 300, 4, 5}) {
		t.Errorf("Ints = %v", got)
	}
	if _, err := a.Uint8(); err == nil {
		t.Error("Uint8 of -1 should fail")
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "i.npy")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
	}
	if rows != 3 {
		t.Errorf("%d rows", rows)
	}
}

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Descr: "|u1", Shape: []int{2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRow([]byte{1, 2}); err == nil {
		t.Error("short row accepted")
	}
	w.WriteRow([]byte{1, 2, 3})
	if err := w.Close(); err == nil {
		t.Error("Close with a missing row should fail")
	}
	w.WriteRow([]byte{4, 5, 6})
	if err := w.WriteRow([]byte{4, 5, 6}); err == nil {
		t.Error("extra row accepted")
	}
	if err := w.Close(); err != nil {
		t.Error(err)
	}
	a, err := Read(&buf, "w.npy")
	if err != nil || !bytes.Equal(a.Row(1), []byte{4, 5, 6}) {
		t.Errorf("%v %v", a, err)
	}
}

func valid() []byte {
	var buf bytes.Buffer
	WriteUint8(&buf, []int{2, 2}, []uint8{1, 2, 3, 4})
	return buf.Bytes()
}

func TestErrors(t *testing.T) {
	v := valid()
	hdr := func(dict string) []byte {
		b := []byte(Magic + "\x01\x00")
		b = append(b, byte(len(dict)), 0)
		return append(b, dict...)
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"magic", []byte("PK\x03\x04zipfile...."), "bad magic"},
		{"version", []byte(Magic + "\x07\x00\x00\x00"), "unsupported .npy version"},
		{"truncated header", v[:40], "truncated header"},
		{"truncated data", v[:len(v)-1], "truncated data: 3 of 4 bytes"},
		{"bad dict", hdr("{'descr': '|u1', 'shape': (2,)"), "not a dict"},
		{"missing key", hdr("{'descr': '|u1', 'shape': (2,), }"), `missing key "fortran_order"`},
		{"dtype", hdr("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }"), `unsupported dtype "<c8"`},
		{"bad dim", hdr("{'descr': '|u1', 'fortran_order': False, 'shape': (2,x), }"), "bad dimension"},
		{"huge", hdr("{'descr': '<i8', 'fortran_order': False, 'shape': (99999999999,99999999), }"), "too large"},
		{"fortran", hdr("{'descr': '|u1', 'fortran_order': True, 'shape': (2,2), }"), "Fortran"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.in), "bad.npy")
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bad.npy: byte ") {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestStreamTruncated(t *testing.T) {
	v := valid()
	r, err := NewReader(bytes.NewReader(v[:len(v)-1]), "t.npy")
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "truncated data in row 1 of 2") {
		t.Errorf("error %v", err)
	}
}

// TestSharedData reads the real HRM arrays when $LABNOTES_DATA holds them.
func TestSharedData(t *testing.T) {
	path := filepath.Join(os.Getenv("LABNOTES_DATA"), "sudoku", "sudoku-extreme-1k-train", "all__inputs.npy")
	if _, err := os.Stat(path); os.Getenv("LABNOTES_DATA") == "" || err != nil {
		t.Skipf("Sudoku-Extreme not found (%v): set LABNOTES_DATA to a data root holding it", err)
	}
	a, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Shape, []int{1000, 81}) || a.Descr != "|u1" {
		t.Errorf("header %+v", a.Header)
	}
	idx, err := ReadFile(filepath.Join(filepath.Dir(path), "all__puzzle_indices.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if idx.Len() != 1001 || idx.Int(1000) != 1000 {
		t.Errorf("puzzle indices %v", idx.Header)
	}
	// The writer reproduces NumPy's bytes exactly.
	orig, _ := os.ReadFile(path)
	var buf bytes.Buffer
	WriteUint8(&buf, a.Shape, a.Data)
	if !bytes.Equal(buf.Bytes(), orig) {
		t.Error("rewritten file differs from NumPy's")
	}
}

func FuzzRead(f *testing.F) {
	f.Add(valid())
	v := valid()
	f.Add(v[:len(v)-2])
	f.Add([]byte(Magic + "\x02\x00\x10\x00\x00\x00{'descr': '<i4'}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Read(bytes.NewReader(b), "fuzz.npy")
		if err == nil {
			a.Ints()
			return
		}
		if !strings.HasPrefix(err.Error(), "fuzz.npy: ") {
			t.Errorf("error does not name the file: %v", err)
		}
	})
}

// TestNumPyFiles reads files written by NumPy 1.24 (np.save), including a
// version 2.0 header and a 0-d array.
func TestNumPyFiles(t *testing.T) {
	tests := []struct {
		file  string
		descr string
		shape []int
		ints  []int
	}{
		{"int32_2x3.npy", "<i4", []int{2, 3}, []int{1, -2, 3, 400000, 5, -6}},
		{"uint8_1d.npy", "|u1", []int{5}, []int{0, 1, 2, 3, 4}},
		{"float64_2x2.npy", "<f8", []int{2, 2}, []int{1, -2, 3, 4}},
		{"int64_scalar.npy", "<i8", []int{}, []int{7}},
		{"v2_uint16.npy", "<u2", []int{3}, []int{1, 2, 65535}},
	}
	for _, tc := range tests {
		a, err := ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if a.Descr != tc.descr || !reflect.DeepEqual(a.Shape, tc.shape) || !reflect.DeepEqual(a.Ints(), tc.ints) {
			t.Errorf("%s: %+v %v", tc.file, a.Header, a.Ints())
		}
	}
	// Streaming the same file row by row.
	r, err := Open(filepath.Join("testdata", "int32_2x3.npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	row, _ := r.Next()
	if r.Rows() != 2 || len(row) != 12 {
		t.Errorf("rows %d, row bytes %d", r.Rows(), len(row))
	}
}
