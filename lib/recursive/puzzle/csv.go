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
// keep its strings, not the slice). Errors from either, and
// malformed CSV, are returned as *ParseError naming name and the line.
func ReadCSV(r io.Reader, name string, header func(columns map[string]int, names []string) error,
	row func(line int, fields []string) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true // row must not keep fields (the strings themselves are fresh)
	names, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return &ParseError{File: name, Line: 1, Err: errors.New("empty file: no CSV header")}
		}
		return &ParseError{File: name, Line: 1, Err: fmt.Errorf("malformed line: %v", err)}
	}
	columns := map[string]int{}
	for i, h := range names {
		columns[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	if err := header(columns, names); err != nil {
		return &ParseError{File: name, Line: 1, Err: err}
	}
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &ParseError{File: name, Line: pe.Line, Err: fmt.Errorf("malformed line: %v", pe.Err)}
			}
			return &ParseError{File: name, Err: err}
		}
		line, _ := cr.FieldPos(0)
		if err := row(line, fields); err != nil {
			return &ParseError{File: name, Line: line, Err: err}
		}
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
