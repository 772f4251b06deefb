package puzzle

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
)

// ReadFile opens the file at path and returns what read makes of its
// content (buffered); the file is closed after.
func ReadFile[T any](path string, read func(r io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return read(bufio.NewReaderSize(f, 1<<16))
}

// LabelsFor returns the labels array paired with an HRM inputs array: the
// sibling all__labels.npy of a file named all__inputs.npy, else "" (none).
func LabelsFor(inputsPath string) string {
	if filepath.Base(inputsPath) != "all__inputs.npy" {
		return ""
	}
	return filepath.Join(filepath.Dir(inputsPath), "all__labels.npy")
}
