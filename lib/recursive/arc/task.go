package arc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/labnotes/labnotes/lib/recursive/puzzle"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxSize is the largest grid side in ARC (and the canvas side).
const MaxSize = 30

// NumColors is the number of ARC colours (0 is black).
const NumColors = 10

// Grid is a grid of colours 0..9, a slice of rows.
type Grid [][]int

// Size returns the grid's height and width.
func (g Grid) Size() (h, w int) {
	if len(g) == 0 {
		return 0, 0
	}
	return len(g), len(g[0])
}

// Validate checks that g is 1x1..30x30, rectangular, with colours 0..9.
func (g Grid) Validate() error {
	h := len(g)
	if h == 0 || h > MaxSize {
		return fmt.Errorf("grid has %d rows (want 1..%d)", h, MaxSize)
	}
	w := len(g[0])
	if w == 0 || w > MaxSize {
		return fmt.Errorf("grid has %d columns (want 1..%d)", w, MaxSize)
	}
	for r, row := range g {
		if len(row) != w {
			return fmt.Errorf("row %d has %d cells, row 0 has %d", r, len(row), w)
		}
		for c, v := range row {
			if v < 0 || v >= NumColors {
				return fmt.Errorf("colour %d at row %d, column %d (want 0..9)", v, r, c)
			}
		}
	}
	return nil
}

// Equal reports whether two grids are identical.
func (g Grid) Equal(o Grid) bool {
	if len(g) != len(o) {
		return false
	}
	for r := range g {
		if len(g[r]) != len(o[r]) {
			return false
		}
		for c := range g[r] {
			if g[r][c] != o[r][c] {
				return false
			}
		}
	}
	return true
}

// Key is a compact string identifying the grid, for maps and voting.
func (g Grid) Key() string {
	var b strings.Builder
	for _, row := range g {
		for _, v := range row {
			b.WriteByte('0' + byte(v))
		}
		b.WriteByte('|')
	}
	return b.String()
}

// Clone returns a deep copy of g.
func (g Grid) Clone() Grid {
	out := make(Grid, len(g))
	for r := range g {
		out[r] = append([]int(nil), g[r]...)
	}
	return out
}

// NewGrid returns an h x w grid of zeros.
func NewGrid(h, w int) Grid {
	g := make(Grid, h)
	for r := range g {
		g[r] = make([]int, w)
	}
	return g
}

// Pair is a demonstration or test pair. A test pair of a hidden test set
// may have no Output.
type Pair struct {
	Input  Grid `json:"input"`
	Output Grid `json:"output,omitempty"`
}

// Task is an ARC task: demonstration pairs and test pairs.
type Task struct {
	ID    string `json:"-"`
	Train []Pair `json:"train"`
	Test  []Pair `json:"test"`
}

// ParseError is a reader error: the file, the line (0 if unknown) and the problem.
type ParseError = puzzle.ParseError

// lineOf returns the 1-based line of byte offset off in data.
func lineOf(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// ParseTask parses a task's JSON (ARC-AGI-1 and -2 share the format). name
// is used in errors and, without directory and ".json", as the task ID.
// Corrupt JSON, a missing section, an empty or ragged grid, a grid over
// 30x30 and a colour outside 0..9 are errors naming the file and line.
func ParseTask(data []byte, name string) (*Task, error) {
	var raw struct {
		Train []json.RawMessage `json:"train"`
		Test  []json.RawMessage `json:"test"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, jsonError(data, name, err, 0)
	}
	if raw.Train == nil || raw.Test == nil {
		return nil, &ParseError{File: name, Line: 1, Err: errors.New(`missing "train" or "test" list`)}
	}
	t := &Task{ID: strings.TrimSuffix(filepath.Base(name), ".json")}
	for _, part := range []struct {
		name string
		raw  []json.RawMessage
		dst  *[]Pair
	}{{"train", raw.Train, &t.Train}, {"test", raw.Test, &t.Test}} {
		for i, msg := range part.raw {
			base := int64(bytes.Index(data, msg))
			var p Pair
			d := json.NewDecoder(bytes.NewReader(msg))
			d.DisallowUnknownFields()
			if err := d.Decode(&p); err != nil {
				return nil, jsonError(data, name, err, base)
			}
			if err := p.Input.Validate(); err != nil {
				return nil, &ParseError{File: name, Line: lineOf(data, base), Err: fmt.Errorf("%s pair %d input: %v", part.name, i, err)}
			}
			if p.Output != nil || part.name == "train" {
				if err := p.Output.Validate(); err != nil {
					return nil, &ParseError{File: name, Line: lineOf(data, base), Err: fmt.Errorf("%s pair %d output: %v", part.name, i, err)}
				}
			}
			*part.dst = append(*part.dst, p)
		}
	}
	if len(t.Train) == 0 || len(t.Test) == 0 {
		return nil, &ParseError{File: name, Line: 1, Err: fmt.Errorf("%d train and %d test pairs (want at least one of each)", len(t.Train), len(t.Test))}
	}
	return t, nil
}

func jsonError(data []byte, name string, err error, base int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &ParseError{File: name, Line: lineOf(data, base+se.Offset), Err: fmt.Errorf("corrupt JSON: %v", err)}
	case errors.As(err, &te):
		return &ParseError{File: name, Line: lineOf(data, base+te.Offset), Err: fmt.Errorf("corrupt JSON: %v", err)}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return &ParseError{File: name, Line: lineOf(data, int64(len(data))), Err: fmt.Errorf("corrupt JSON: truncated: %v", err)}
	}
	return &ParseError{File: name, Line: lineOf(data, base), Err: fmt.Errorf("corrupt JSON: %v", err)}
}

// LoadTask reads a task file.
func LoadTask(path string) (*Task, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTask(data, path)
}

// LoadDir reads every *.json task in dir, sorted by ID.
func LoadDir(dir string) ([]*Task, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("arc: no *.json tasks in %s", dir)
	}
	sort.Strings(paths)
	tasks := make([]*Task, 0, len(paths))
	for _, p := range paths {
		t, err := LoadTask(p)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	return tasks, nil
}
