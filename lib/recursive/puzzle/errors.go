package puzzle

import "fmt"

// ParseError is a reader error of the puzzle packages (sudoku, maze, arc): the file, the
// line (or 1-based row of a .npy array; 0 if unknown) and the problem.
type ParseError struct {
	File string
	Line int
	Err  error
}

// Error formats the error as "file:line: problem".
func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

// Unwrap returns the underlying problem.
func (e *ParseError) Unwrap() error { return e.Err }
