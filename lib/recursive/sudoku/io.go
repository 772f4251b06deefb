package sudoku

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"

	"github.com/labnotes/labnotes/lib/npy"
)

// Record is a puzzle as the published datasets store it.
type Record struct {
	// Source names the puzzle's origin (HRM's CSV "source" column).
	Source string
	// Puzzle is the question; Solution the answer (zero Grid if absent).
	Puzzle, Solution Grid
	// Rating is HRM's CSV "rating" column (tdoku's backtrack count).
	Rating float64
	// Line is the 1-based line of the record in its file (0 if unknown).
	Line int
}

// HasSolution reports whether the record carries a solution.
func (r Record) HasSolution() bool { return r.Solution.Shape.Valid() }

// ParseError is a reader error: the file, the line (0 if unknown) and the problem.
type ParseError = puzzle.ParseError

// ReadOptions controls checks done while reading.
type ReadOptions struct {
	// Verify checks that every puzzle has exactly one solution and that
	// its answer (when given) is that solution; this costs a solve per
	// puzzle (tens of microseconds for hard 9x9 puzzles).
	Verify bool
	// Shape, if set, requires every puzzle to have this shape.
	Shape Shape
}

func (o ReadOptions) check(rec *Record) error {
	if o.Shape.Valid() && rec.Puzzle.Shape != o.Shape {
		return fmt.Errorf("puzzle is %v, want %v", rec.Puzzle.Shape, o.Shape)
	}
	if rec.HasSolution() {
		if rec.Solution.Shape != rec.Puzzle.Shape {
			return fmt.Errorf("answer is %v but puzzle is %v", rec.Solution.Shape, rec.Puzzle.Shape)
		}
		if !rec.Solution.Complete() {
			return errors.New("answer has blank cells")
		}
		if !rec.Solution.IsSolutionOf(&rec.Puzzle) {
			return errors.New("answer is not a valid solution of the puzzle")
		}
	}
	if !o.Verify {
		return nil
	}
	var ans *Grid
	if rec.HasSolution() {
		ans = &rec.Solution
	}
	return Check(rec.Puzzle, ans)
}

// ReadCSV reads HRM's CSV format: a header naming the columns, then one
// puzzle per row. The question column is "q" or "question" (a grid string,
// '.' or '0' for blanks); the optional columns are "a"/"answer", "source"
// and "rating". Both HRM's raw files (source,q,a,rating) and the solved
// tdoku sets of lib/datasets (question,answer) are read. name is used in
// errors, which name the line and the problem.
func ReadCSV(r io.Reader, name string, opts ReadOptions) ([]Record, error) {
	var qi, ai, si, ri int
	return puzzle.ReadCSV(r, name, func(columns map[string]int, names []string) error {
		qi, ai = puzzle.Column(columns, "q", "question"), puzzle.Column(columns, "a", "answer")
		si, ri = puzzle.Column(columns, "source"), puzzle.Column(columns, "rating")
		if qi < 0 {
			return fmt.Errorf("header %q has no q or question column", strings.Join(names, ","))
		}
		return nil
	}, func(line int, row []string) (Record, error) {
		rec := Record{Line: line}
		var err error
		if rec.Puzzle, err = Parse(row[qi]); err != nil {
			return rec, fmt.Errorf("question: %v", err)
		}
		if ai >= 0 {
			if rec.Solution, err = ParseShape(strings.TrimSpace(row[ai]), rec.Puzzle.Shape); err != nil {
				return rec, fmt.Errorf("answer: %v", err)
			}
		}
		if si >= 0 {
			rec.Source = row[si]
		}
		if ri >= 0 && strings.TrimSpace(row[ri]) != "" {
			if rec.Rating, err = strconv.ParseFloat(strings.TrimSpace(row[ri]), 64); err != nil {
				return rec, fmt.Errorf("rating %q is not a number", row[ri])
			}
		}
		err = opts.check(&rec)
		return rec, err
	})
}

// WriteCSV writes records in HRM's format: header source,q,a,rating, '.'
// for blanks.
func WriteCSV(w io.Writer, recs []Record) error {
	return puzzle.WriteCSV(w, []string{"source", "q", "a", "rating"}, recs, func(r Record) []string {
		a := ""
		if r.HasSolution() {
			a = r.Solution.String()
		}
		return []string{r.Source, r.Puzzle.String(), a, strconv.FormatFloat(r.Rating, 'g', -1, 64)}
	})
}

// ReadLines reads tdoku's format: one puzzle per line ('.' or '0' for
// blanks), lines starting with '#' and blank lines ignored, LF or CRLF line
// ends. Errors name the line.
func ReadLines(r io.Reader, name string, opts ReadOptions) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	var out []Record
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		g, err := Parse(s)
		if err != nil {
			return nil, &ParseError{File: name, Line: line, Err: err}
		}
		rec := Record{Puzzle: g, Line: line, Source: filepath.Base(name)}
		if err := opts.check(&rec); err != nil {
			return nil, &ParseError{File: name, Line: line, Err: err}
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{File: name, Line: line + 1, Err: fmt.Errorf("malformed line: %v", err)}
	}
	return out, nil
}

// WriteLines writes one puzzle per line in tdoku's format.
func WriteLines(w io.Writer, grids []Grid) error {
	bw := bufio.NewWriter(w)
	for _, g := range grids {
		bw.WriteString(g.String())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// ReadFile reads a puzzle file by its format: ".csv" as [ReadCSV], ".npy"
// as an inputs array ([ReadNPY] with labels from the sibling
// all__labels.npy when the name is all__inputs.npy), anything else as
// [ReadLines].
func ReadFile(path string, opts ReadOptions) ([]Record, error) {
	if strings.HasSuffix(path, ".npy") {
		return ReadNPY(path, puzzle.LabelsFor(path), opts)
	}
	return puzzle.ReadFile(path, func(r io.Reader) ([]Record, error) {
		if strings.HasSuffix(path, ".csv") {
			return ReadCSV(r, path, opts)
		}
		return ReadLines(r, path, opts)
	})
}

// ReadNPY reads HRM's arrays: inputsPath holds uint8 tokens of shape
// (n, cells) (see [Tokens]); labelsPath, if not "", the solutions. Errors
// name the file and the row (as the line, 1-based).
func ReadNPY(inputsPath, labelsPath string, opts ReadOptions) ([]Record, error) {
	in, err := readTokens(inputsPath)
	if err != nil {
		return nil, err
	}
	recs := make([]Record, len(in))
	for i, toks := range in {
		g, err := FromTokens(mustShape(len(toks)), toks)
		if err != nil {
			return nil, &ParseError{File: inputsPath, Line: i + 1, Err: err}
		}
		recs[i] = Record{Puzzle: g, Line: i + 1, Source: filepath.Base(filepath.Dir(inputsPath))}
	}
	if labelsPath != "" {
		lab, err := readTokens(labelsPath)
		if err != nil {
			return nil, err
		}
		if len(lab) != len(in) || (len(lab) > 0 && len(lab[0]) != len(in[0])) {
			return nil, &ParseError{File: labelsPath, Line: 0, Err: fmt.Errorf("%d rows of %d tokens, inputs have %d of %d", len(lab), rowLen(lab), len(in), rowLen(in))}
		}
		for i, toks := range lab {
			g, err := FromTokens(recs[i].Puzzle.Shape, toks)
			if err != nil {
				return nil, &ParseError{File: labelsPath, Line: i + 1, Err: err}
			}
			recs[i].Solution = g
		}
	}
	for i := range recs {
		if err := opts.check(&recs[i]); err != nil {
			return nil, &ParseError{File: inputsPath, Line: i + 1, Err: err}
		}
	}
	return recs, nil
}

func rowLen(rows [][]uint8) int {
	if len(rows) == 0 {
		return 0
	}
	return len(rows[0])
}

func mustShape(n int) Shape {
	s, _ := ShapeForCells(n)
	return s
}

func readTokens(path string) ([][]uint8, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) != 2 {
		return nil, &ParseError{File: path, Line: 0, Err: fmt.Errorf("shape %v, want (n, cells)", a.Shape)}
	}
	if _, ok := ShapeForCells(a.Shape[1]); !ok {
		return nil, &ParseError{File: path, Line: 0, Err: fmt.Errorf("rows of %d tokens, want 16, 36 or 81", a.Shape[1])}
	}
	data, err := a.Uint8()
	if err != nil {
		return nil, &ParseError{File: path, Line: 0, Err: err}
	}
	rows := make([][]uint8, a.Shape[0])
	for i := range rows {
		rows[i] = data[i*a.Shape[1] : (i+1)*a.Shape[1]]
	}
	return rows, nil
}

// WriteNPY writes grids as HRM's uint8 token array of shape (n, cells).
func WriteNPY(w io.Writer, grids []Grid) error {
	if len(grids) == 0 {
		return npy.WriteUint8(w, []int{0, 81}, nil)
	}
	n := grids[0].Shape.Cells()
	data := make([]uint8, 0, n*len(grids))
	for i, g := range grids {
		if g.Shape.Cells() != n {
			return fmt.Errorf("sudoku: grid %d is %v, grid 0 is %v", i, g.Shape, grids[0].Shape)
		}
		data = g.Tokens(data)
	}
	return npy.WriteUint8(w, []int{len(grids), n}, data)
}
