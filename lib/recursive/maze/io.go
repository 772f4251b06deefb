package maze

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"

	"github.com/labnotes/labnotes/lib/npy"
)

// Pair is a maze and its solution as stored in a dataset.
type Pair struct {
	Puzzle, Solution Maze
	// Line is the record's 1-based line (CSV) or row (.npy).
	Line int
}

// ParseError is a reader error: the file, the line (0 if unknown) and the problem.
type ParseError = puzzle.ParseError

// checkPair validates a pair: same size, one S and one G, a reachable goal
// and (when verify) a solution that is a shortest path.
func checkPair(p *Pair, verify bool) error {
	if _, _, err := p.Puzzle.Endpoints(); err != nil {
		return fmt.Errorf("question: %v", err)
	}
	if strings.IndexByte(string(p.Puzzle.Cells), Path) >= 0 {
		return errors.New("question contains path cells")
	}
	if p.Solution.N == 0 {
		if verify {
			if _, err := Steps(p.Puzzle); err != nil {
				return err
			}
		}
		return nil
	}
	if p.Solution.N != p.Puzzle.N {
		return fmt.Errorf("answer is %dx%d, question %dx%d", p.Solution.N, p.Solution.N, p.Puzzle.N, p.Puzzle.N)
	}
	if verify {
		if err := CheckPath(p.Puzzle, p.Solution); err != nil {
			return fmt.Errorf("answer: %v", err)
		}
	}
	return nil
}

// ReadCSV reads mazes in the CSV of HRM's source data (and of CSV files
// derived from its .npy arrays): a header with a "question" (or "inputs") column
// and optionally "answer" (or "labels"), each a string of N*N "# SGo"
// characters. verify checks each answer is a shortest path.
func ReadCSV(r io.Reader, name string, verify bool) ([]Pair, error) {
	var qi, ai int
	return puzzle.ReadCSV(r, name, func(columns map[string]int, names []string) error {
		qi, ai = puzzle.Column(columns, "question", "inputs", "q"), puzzle.Column(columns, "answer", "labels", "a")
		if qi < 0 {
			return fmt.Errorf("header %q has no question column", strings.Join(names, ","))
		}
		return nil
	}, func(line int, row []string) (Pair, error) {
		p := Pair{Line: line}
		var err error
		if p.Puzzle, err = Parse(row[qi]); err != nil {
			return p, fmt.Errorf("question: %v", err)
		}
		if ai >= 0 {
			if p.Solution, err = Parse(row[ai]); err != nil {
				return p, fmt.Errorf("answer: %v", err)
			}
		}
		err = checkPair(&p, verify)
		return p, err
	})
}

// WriteCSV writes pairs with the header question,answer.
func WriteCSV(w io.Writer, pairs []Pair) error {
	return puzzle.WriteCSV(w, []string{"question", "answer"}, pairs, func(p Pair) []string {
		return []string{p.Puzzle.String(), p.Solution.String()}
	})
}

// ReadNPY reads HRM's arrays: inputsPath holds uint8 tokens of shape
// (n, N*N); labelsPath, if not "", the solutions. verify checks each label
// is a shortest path. Errors name the file and the row (1-based).
func ReadNPY(inputsPath, labelsPath string, verify bool) ([]Pair, error) {
	in, n, err := readTokens(inputsPath)
	if err != nil {
		return nil, err
	}
	out := make([]Pair, len(in))
	for i, toks := range in {
		m, err := FromTokens(n, toks)
		if err != nil {
			return nil, &ParseError{File: inputsPath, Line: i + 1, Err: err}
		}
		out[i] = Pair{Puzzle: m, Line: i + 1}
	}
	if labelsPath != "" {
		lab, ln, err := readTokens(labelsPath)
		if err != nil {
			return nil, err
		}
		if len(lab) != len(in) || ln != n {
			return nil, &ParseError{File: labelsPath, Line: 0, Err: fmt.Errorf("%d mazes of %dx%d, inputs have %d of %dx%d", len(lab), ln, ln, len(in), n, n)}
		}
		for i, toks := range lab {
			m, err := FromTokens(n, toks)
			if err != nil {
				return nil, &ParseError{File: labelsPath, Line: i + 1, Err: err}
			}
			out[i].Solution = m
		}
	}
	for i := range out {
		if err := checkPair(&out[i], verify); err != nil {
			return nil, &ParseError{File: inputsPath, Line: i + 1, Err: err}
		}
	}
	return out, nil
}

func readTokens(path string) ([][]uint8, int, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(a.Shape) != 2 {
		return nil, 0, &ParseError{File: path, Line: 0, Err: fmt.Errorf("shape %v, want (n, N*N)", a.Shape)}
	}
	n := int(math.Sqrt(float64(a.Shape[1])))
	if n*n != a.Shape[1] || n < 2 || n > MaxN {
		return nil, 0, &ParseError{File: path, Line: 0, Err: fmt.Errorf("rows of %d tokens are not square mazes", a.Shape[1])}
	}
	data, err := a.Uint8()
	if err != nil {
		return nil, 0, &ParseError{File: path, Line: 0, Err: err}
	}
	rows := make([][]uint8, a.Shape[0])
	for i := range rows {
		rows[i] = data[i*a.Shape[1] : (i+1)*a.Shape[1]]
	}
	return rows, n, nil
}

// WriteNPY writes mazes (all of one size) as a uint8 token array of shape
// (n, N*N).
func WriteNPY(w io.Writer, mazes []Maze) error {
	if len(mazes) == 0 {
		return npy.WriteUint8(w, []int{0, 900}, nil)
	}
	n := mazes[0].N
	data := make([]uint8, 0, n*n*len(mazes))
	for i, m := range mazes {
		if m.N != n {
			return fmt.Errorf("maze: maze %d is %dx%d, maze 0 is %dx%d", i, m.N, m.N, n, n)
		}
		data = m.Tokens(data)
	}
	return npy.WriteUint8(w, []int{len(mazes), n * n}, data)
}

// ReadFile reads pairs from a ".csv" file or from an all__inputs.npy file
// (with its sibling all__labels.npy).
func ReadFile(path string, verify bool) ([]Pair, error) {
	if strings.HasSuffix(path, ".npy") {
		return ReadNPY(path, puzzle.LabelsFor(path), verify)
	}
	return puzzle.ReadFile(path, func(r io.Reader) ([]Pair, error) { return ReadCSV(r, path, verify) })
}
