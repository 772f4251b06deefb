package nb

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// SaveJSON writes v as indented JSON to path atomically: it writes a
// temporary file in path's folder and renames it over path, so a reader (a
// later cell, another run) sees the old file or the whole new one, never a
// part. The file is readable by everyone (0o644); the folder must exist.
func SaveJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("nb: SaveJSON %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("nb: SaveJSON: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("nb: SaveJSON %s: %w", path, err)
	}
	return nil
}

// LoadJSON reads the JSON file at path (as written by [SaveJSON]) into v, a
// pointer. A missing file gives an error that wraps fs.ErrNotExist and says
// to run the cells that write it first.
func LoadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return fmt.Errorf("nb: LoadJSON: %w (run the cells that write it first)", err)
	}
	if err != nil {
		return fmt.Errorf("nb: LoadJSON: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("nb: LoadJSON %s: %w", path, err)
	}
	return nil
}
