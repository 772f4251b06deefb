package puzzle

import (
	"os"
	"path/filepath"
)

// DataDir returns the directory of the shared puzzle data (ARC-AGI,
// Maze-Hard, Sudoku-Extreme, tdoku): $LABNOTES_DATA if set, else
// $LABNOTES_ROOT/../shared/data, else the first "shared/data" found next to
// the working directory or one of its parents (a checkout at
// /work/main finds /work/shared/data). ok is false, with the path that was
// tried first, when none exists.
func DataDir() (dir string, ok bool) {
	if d := os.Getenv("LABNOTES_DATA"); d != "" {
		return d, isDir(d)
	}
	var tried []string
	if root := os.Getenv("LABNOTES_ROOT"); root != "" {
		tried = append(tried, filepath.Join(root, "..", "shared", "data"))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			tried = append(tried, filepath.Join(d, "shared", "data"), filepath.Join(d, "..", "shared", "data"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, d := range tried {
		if isDir(d) {
			return filepath.Clean(d), true
		}
	}
	if len(tried) == 0 {
		return filepath.Join("..", "shared", "data"), false
	}
	return tried[0], false
}

func isDir(d string) bool {
	st, err := os.Stat(d)
	return err == nil && st.IsDir()
}
