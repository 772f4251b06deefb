package npy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// Reader streams the rows of an array (the slices along its first axis)
// without holding the array in memory.
type Reader struct {
	Header
	name string
	r    io.Reader
	off  int64
	row  int
	buf  []byte
	c    io.Closer
}

// NewReader reads the header from r and returns a Reader positioned at the
// first row. name is used in error messages.
func NewReader(r io.Reader, name string) (*Reader, error) {
	h, off, err := ReadHeader(r, name)
	if err != nil {
		return nil, err
	}
	if len(h.Shape) == 0 {
		return nil, errf(name, off, "a scalar array has no rows")
	}
	return &Reader{Header: h, name: name, r: r, off: off, buf: make([]byte, h.RowLen()*h.ItemSize())}, nil
}

// Open opens a .npy file for streaming; Close the Reader when done.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(bufio.NewReaderSize(f, 1<<16), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.c = f
	return r, nil
}

// Rows is the number of rows (the first dimension).
func (r *Reader) Rows() int { return r.Shape[0] }

// Next returns the raw bytes of the next row, valid until the next call, or
// io.EOF after the last row. A short file is an error naming the row.
func (r *Reader) Next() ([]byte, error) {
	if r.row >= r.Shape[0] {
		return nil, io.EOF
	}
	n, err := io.ReadFull(r.r, r.buf)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errf(r.name, r.off+int64(n), "truncated data in row %d of %d", r.row, r.Shape[0])
		}
		return nil, errf(r.name, r.off+int64(n), "row %d: %v", r.row, err)
	}
	r.off += int64(n)
	r.row++
	return r.buf, nil
}

// Close closes the file opened by [Open] (a no-op for [NewReader]).
func (r *Reader) Close() error {
	if r.c != nil {
		return r.c.Close()
	}
	return nil
}

// Writer streams rows of a known total count into a .npy file.
type Writer struct {
	h       Header
	w       io.Writer
	rows    int
	rowSize int
}

// NewWriter writes the header of an array of shape h.Shape and returns a
// Writer that expects exactly h.Shape[0] rows.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if _, ok := dtypes[h.Descr]; !ok {
		return nil, fmt.Errorf("npy: unsupported dtype %q", h.Descr)
	}
	if len(h.Shape) == 0 {
		return nil, errors.New("npy: a streamed array needs at least one dimension")
	}
	if _, err := w.Write(h.encode()); err != nil {
		return nil, err
	}
	return &Writer{h: h, w: w, rowSize: h.RowLen() * h.ItemSize()}, nil
}

// WriteRow writes one row of raw little-endian data.
func (w *Writer) WriteRow(row []byte) error {
	if len(row) != w.rowSize {
		return fmt.Errorf("npy: row of %d bytes, want %d", len(row), w.rowSize)
	}
	if w.rows >= w.h.Shape[0] {
		return fmt.Errorf("npy: more than the %d rows declared", w.h.Shape[0])
	}
	w.rows++
	_, err := w.w.Write(row)
	return err
}

// Close checks that every declared row was written.
func (w *Writer) Close() error {
	if w.rows != w.h.Shape[0] {
		return fmt.Errorf("npy: wrote %d rows, header declares %d", w.rows, w.h.Shape[0])
	}
	return nil
}
