package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"

	"github.com/pkg/errors"
)

// IDX is an array read from an IDX file (the MNIST format): unsigned bytes
// with its dimensions, e.g. [60000, 28, 28] for images or [60000] for labels.
type IDX struct {
	Dims []int
	Data []byte // Row-major, len(Data) == product of Dims.
}

// maxIDXElements bounds the size an IDX header may announce (1 GiB).
const maxIDXElements = 1 << 30

// ParseIDX reads an uncompressed IDX array of unsigned bytes (type 0x08)
// from r. It returns an error for a bad magic number, another element type,
// an absurd size, a truncated body or trailing bytes.
func ParseIDX(r io.Reader) (*IDX, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, errors.Wrap(unexpectedEOF(err), "reading IDX magic number")
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, errors.Errorf("not an IDX file: magic number %x (want 0000 0801..0804)", hdr)
	}
	if hdr[2] != 0x08 {
		return nil, errors.Errorf("IDX element type 0x%02x not supported (only unsigned bytes, 0x08)", hdr[2])
	}
	rank := int(hdr[3])
	if rank < 1 || rank > 4 {
		return nil, errors.Errorf("IDX rank %d not supported (1..4)", rank)
	}
	dims := make([]int, rank)
	size := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(r, binary.BigEndian, &d); err != nil {
			return nil, errors.Wrapf(unexpectedEOF(err), "reading IDX dimension %d", i)
		}
		dims[i] = int(d)
		if d == 0 {
			size = 0
		} else if size > 0 && size > maxIDXElements/int(d) {
			return nil, errors.Errorf("IDX dimensions %v exceed %d elements", dims[:i+1], maxIDXElements)
		}
		size *= int(d)
	}
	// Read at most size+1 bytes, growing with what is actually there (a
	// truncated file with a huge header does not allocate the huge size).
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, int64(size)+1))
	if err != nil {
		return nil, errors.Wrap(err, "reading IDX data")
	}
	if n < int64(size) {
		return nil, errors.Errorf("IDX data truncated: dimensions %v need %d bytes, got %d", dims, size, n)
	}
	if n > int64(size) {
		return nil, errors.Errorf("IDX data has trailing bytes after the %d announced by dimensions %v", size, dims)
	}
	return &IDX{Dims: dims, Data: buf.Bytes()}, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadIDXFile reads an IDX file, gzip-compressed (".gz", detected by its
// magic bytes) or not. Errors name the file.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "datasets")
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var r io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errors.Wrapf(err, "datasets: %s: corrupt gzip header", path)
		}
		defer zr.Close()
		r = zr
	}
	idx, err := ParseIDX(r)
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: %s", path)
	}
	return idx, nil
}
