package nb

// Must returns v, or panics with err when err is not nil: it turns a
// (value, error) call into an expression in notebook cells, where a panic
// ends the cell with the error and its stack. The panic value is err itself,
// so errors.Is and errors.As still see it.
//
//	tr := nb.Must(recursive.Resume(b, path, train))
func Must[T any](v T, err error) T {
	Check(err)
	return v
}

// Must2 is [Must] for calls that return two values and an error.
//
//	train, test := nb.Must2(recursive.SudokuSplit(shape, 100, 0.2, 11))
func Must2[A, B any](a A, b B, err error) (A, B) {
	Check(err)
	return a, b
}

// Check panics with err when err is not nil (see [Must]).
func Check(err error) {
	if err != nil {
		panic(err)
	}
}
