package puzzle

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadCSV reads a CSV file with a header row, the shape of the published puzzle datasets.
// header gets the header's column indexes by lower-cased, trimmed name (a UTF-8 BOM dropped)
// and the raw names; row gets each data row with its 1-based line (the slice is reused:
// keep its strings, not the slice) and returns the item it holds. ReadCSV returns the
// items in file order. Errors from either, and malformed CSV, are returned as
// *ParseError naming name and the line.
func ReadCSV[T any](r io.Reader, name string, header func(columns map[string]int, names []string) error,
	row func(line int, fields []string) (T, error)) ([]T, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true // row must not keep fields (the strings themselves are fresh)
	names, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{File: name, Line: 1, Err: errors.New("empty file: no CSV header")}
		}
		return nil, &ParseError{File: name, Line: 1, Err: fmt.Errorf("malformed line: %v", err)}
	}
	columns := map[string]int{}
	for i, h := range names {
		columns[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	if err := header(columns, names); err != nil {
		return nil, &ParseError{File: name, Line: 1, Err: err}
	}
	var out []T
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &ParseError{File: name, Line: pe.Line, Err: fmt.Errorf("malformed line: %v", pe.Err)}
			}
			return nil, &ParseError{File: name, Err: err}
		}
		line, _ := cr.FieldPos(0)
		item, err := row(line, fields)
		if err != nil {
			return nil, &ParseError{File: name, Line: line, Err: err}
		}
		out = append(out, item)
	}
}

// Column returns the index of the first of names present in columns, or -1.
func Column(columns map[string]int, names ...string) int {
	for _, n := range names {
		if i, ok := columns[n]; ok {
			return i
		}
	}
	return -1
}

// WriteCSV writes a header row, then the row of each item, to w.
func WriteCSV[T any](w io.Writer, header []string, items []T, row func(T) []string) error {
	cw := csv.NewWriter(w)
	cw.Write(header)
	for _, it := range items {
		cw.Write(row(it))
	}
	cw.Flush()
	return cw.Error()
}
