package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Magic is the 6-byte prefix of every .npy file.
const Magic = "\x93NUMPY"

// maxHeader bounds the header length this package accepts (NumPy itself
// writes headers of a few hundred bytes).
const maxHeader = 1 << 16

// maxElements bounds the number of elements a header may declare, so a
// corrupt header cannot make a reader allocate without limit.
const maxElements = 1 << 34

// Header describes an array: its dtype (NumPy's descr string, e.g. "|u1",
// "<i4"), its shape and its memory order.
type Header struct {
	Descr        string
	FortranOrder bool
	Shape        []int
}

// Len is the number of elements the header's shape holds.
func (h Header) Len() int {
	n := 1
	for _, d := range h.Shape {
		n *= d
	}
	return n
}

// ItemSize is the size in bytes of one element of h.Descr (0 if the dtype
// is not supported).
func (h Header) ItemSize() int {
	k, ok := dtypes[h.Descr]
	if !ok {
		return 0
	}
	return k.size
}

// RowLen is the number of elements in one row: the product of all but the
// first dimension (1 for a 1-D array).
func (h Header) RowLen() int {
	n := 1
	for _, d := range h.Shape[min(1, len(h.Shape)):] {
		n *= d
	}
	return n
}

type kind struct {
	size   int
	signed bool
	float  bool
}

// dtypes lists the supported descr strings.
var dtypes = map[string]kind{
	"|u1": {1, false, false}, "<u1": {1, false, false}, "|i1": {1, true, false}, "<i1": {1, true, false},
	"|b1": {1, false, false},
	"<u2": {2, false, false}, "<i2": {2, true, false},
	"<u4": {4, false, false}, "<i4": {4, true, false},
	"<u8": {8, false, false}, "<i8": {8, true, false},
	"<f4": {4, true, true}, "<f8": {8, true, true},
}

// Array is a whole array read into memory: its header and raw little-endian
// data.
type Array struct {
	Header
	Data []byte
}

// Error is a parse error: the file (a name given by the caller) and the
// problem, with the byte offset where it was found.
type Error struct {
	File   string
	Offset int64
	Msg    string
}

// Error formats the error as "file: byte N: problem".
func (e *Error) Error() string {
	return fmt.Sprintf("%s: byte %d: %s", e.File, e.Offset, e.Msg)
}

func errf(name string, off int64, format string, args ...any) error {
	return &Error{File: name, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// ReadHeader reads the magic, version and header dictionary of a .npy
// stream. name is used in error messages. It returns the number of bytes
// consumed.
func ReadHeader(r io.Reader, name string) (Header, int64, error) {
	var pre [8]byte
	if n, err := io.ReadFull(r, pre[:]); err != nil {
		return Header{}, int64(n), errf(name, int64(n), "truncated: %d bytes, want a %d-byte .npy preamble", n, len(pre))
	}
	if string(pre[:6]) != Magic {
		return Header{}, 0, errf(name, 0, "not a .npy file (bad magic %q)", pre[:6])
	}
	major := pre[6]
	var hlen int
	off := int64(8)
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Header{}, off, errf(name, off, "truncated header length")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
		off += 2
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Header{}, off, errf(name, off, "truncated header length")
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
		off += 4
	default:
		return Header{}, 6, errf(name, 6, "unsupported .npy version %d.%d", pre[6], pre[7])
	}
	if hlen > maxHeader {
		return Header{}, off, errf(name, off, "header length %d too large", hlen)
	}
	buf := make([]byte, hlen)
	if n, err := io.ReadFull(r, buf); err != nil {
		return Header{}, off + int64(n), errf(name, off+int64(n), "truncated header: %d of %d bytes", n, hlen)
	}
	h, err := parseDict(string(buf))
	if err != nil {
		return Header{}, off, errf(name, off, "header %q: %v", strings.TrimSpace(string(buf)), err)
	}
	if _, ok := dtypes[h.Descr]; !ok {
		return Header{}, off, errf(name, off, "unsupported dtype %q", h.Descr)
	}
	if h.FortranOrder && len(h.Shape) > 1 {
		return Header{}, off, errf(name, off, "Fortran-ordered arrays are not supported")
	}
	total := int64(1)
	for _, d := range h.Shape {
		if d < 0 {
			return Header{}, off, errf(name, off, "negative dimension in shape %v", h.Shape)
		}
		if d > 0 && total > maxElements/int64(d) {
			return Header{}, off, errf(name, off, "shape %v too large", h.Shape)
		}
		total *= int64(d)
	}
	return h, off + int64(hlen), nil
}

// parseDict parses NumPy's header: a Python dict literal with the keys
// 'descr', 'fortran_order' and 'shape'.
func parseDict(s string) (Header, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return Header{}, errors.New("not a dict")
	}
	s = s[1 : len(s)-1]
	var h Header
	seen := map[string]bool{}
	for {
		s = strings.TrimLeft(s, " ,")
		if s == "" {
			break
		}
		key, rest, err := pyString(s)
		if err != nil {
			return Header{}, err
		}
		rest = strings.TrimLeft(rest, " ")
		if !strings.HasPrefix(rest, ":") {
			return Header{}, fmt.Errorf("missing ':' after key %q", key)
		}
		rest = strings.TrimLeft(rest[1:], " ")
		switch key {
		case "descr":
			h.Descr, rest, err = pyString(rest)
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				rest = rest[5:]
			case strings.HasPrefix(rest, "True"):
				h.FortranOrder, rest = true, rest[4:]
			default:
				err = errors.New("fortran_order is not True or False")
			}
		case "shape":
			h.Shape, rest, err = pyTuple(rest)
		default:
			err = fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return Header{}, err
		}
		seen[key] = true
		s = rest
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return Header{}, fmt.Errorf("missing key %q", k)
		}
	}
	return h, nil
}

func pyString(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", s, errors.New("expected a quoted string")
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", s, errors.New("unterminated string")
	}
	return s[1 : 1+end], s[end+2:], nil
}

func pyTuple(s string) ([]int, string, error) {
	if !strings.HasPrefix(s, "(") {
		return nil, s, errors.New("shape is not a tuple")
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return nil, s, errors.New("unterminated shape tuple")
	}
	shape := []int{}
	for _, f := range strings.Split(s[1:end], ",") {
		f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "L"))
		if f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return nil, s, fmt.Errorf("bad dimension %q", f)
		}
		shape = append(shape, d)
	}
	return shape, s[end+1:], nil
}

// Read reads a whole array from r. name is used in error messages.
func Read(r io.Reader, name string) (*Array, error) {
	h, off, err := ReadHeader(r, name)
	if err != nil {
		return nil, err
	}
	want := int64(h.Len()) * int64(h.ItemSize())
	// Read in chunks so a lying header cannot force a huge allocation
	// before the data is seen.
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, r, want)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, errf(name, off+n, "reading data: %v", err)
	}
	if n < want {
		return nil, errf(name, off+n, "truncated data: %d of %d bytes (shape %v, dtype %s)", n, want, h.Shape, h.Descr)
	}
	return &Array{Header: h, Data: buf.Bytes()}, nil
}

// ReadFile reads a whole array from a .npy file.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(bufio.NewReaderSize(f, 1<<16), path)
}

// Int reads element i as an int64 (floats are truncated).
func (a *Array) Int(i int) int64 {
	return decodeInt(a.Descr, a.Data[i*a.ItemSize():])
}

func decodeInt(descr string, b []byte) int64 {
	k := dtypes[descr]
	if k.float {
		if k.size == 4 {
			return int64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		}
		return int64(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	switch k.size {
	case 1:
		if k.signed {
			return int64(int8(b[0]))
		}
		return int64(b[0])
	case 2:
		if k.signed {
			return int64(int16(binary.LittleEndian.Uint16(b)))
		}
		return int64(binary.LittleEndian.Uint16(b))
	case 4:
		if k.signed {
			return int64(int32(binary.LittleEndian.Uint32(b)))
		}
		return int64(binary.LittleEndian.Uint32(b))
	default:
		return int64(binary.LittleEndian.Uint64(b))
	}
}

// Ints returns all elements as ints (floats are truncated).
func (a *Array) Ints() []int {
	out := make([]int, a.Len())
	for i := range out {
		out[i] = int(a.Int(i))
	}
	return out
}

// Uint8 returns the elements as bytes; it fails unless every element is in
// 0..255.
func (a *Array) Uint8() ([]uint8, error) {
	if a.ItemSize() == 1 && (a.Descr == "|u1" || a.Descr == "<u1") {
		return a.Data, nil
	}
	out := make([]uint8, a.Len())
	for i := range out {
		v := a.Int(i)
		if v < 0 || v > 255 {
			return nil, fmt.Errorf("npy: element %d = %d does not fit in a byte", i, v)
		}
		out[i] = uint8(v)
	}
	return out, nil
}

// Row returns the raw bytes of row i (see [Header.RowLen]).
func (a *Array) Row(i int) []byte {
	n := a.RowLen() * a.ItemSize()
	return a.Data[i*n : (i+1)*n]
}

// header encodes a version 1.0 header padded to a multiple of 64 bytes.
func (h Header) encode() []byte {
	dims := make([]string, len(h.Shape))
	for i, d := range h.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(h.Shape) == 1 {
		shape += ","
	}
	fo := "False"
	if h.FortranOrder {
		fo = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }", h.Descr, fo, shape)
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	out := make([]byte, 0, total+pad)
	out = append(out, Magic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(dict)+pad+1))
	out = append(out, dict...)
	out = append(out, bytes.Repeat([]byte{' '}, pad)...)
	return append(out, '\n')
}

// Write writes an array: header h, then data, which must hold exactly
// h.Len() elements of h.Descr in little-endian order.
func Write(w io.Writer, h Header, data []byte) error {
	if _, ok := dtypes[h.Descr]; !ok {
		return fmt.Errorf("npy: unsupported dtype %q", h.Descr)
	}
	if len(data) != h.Len()*h.ItemSize() {
		return fmt.Errorf("npy: %d data bytes for shape %v of %s (want %d)", len(data), h.Shape, h.Descr, h.Len()*h.ItemSize())
	}
	if _, err := w.Write(h.encode()); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// WriteUint8 writes data as a "|u1" array of the given shape.
func WriteUint8(w io.Writer, shape []int, data []uint8) error {
	return Write(w, Header{Descr: "|u1", Shape: shape}, data)
}

// WriteInt32 writes data as a "<i4" array of the given shape.
func WriteInt32(w io.Writer, shape []int, data []int32) error {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return Write(w, Header{Descr: "<i4", Shape: shape}, b)
}

// WriteFile writes an array to path (see [Write]).
func WriteFile(path string, h Header, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, h, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
