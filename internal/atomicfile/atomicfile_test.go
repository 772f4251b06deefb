package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	if err := Write(filepath.Join(t.TempDir(), "no-such-folder", "f"), []byte("x"), 0o644); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	// Each write replaces the file whole, with its own permissions.
	for _, w := range []struct {
		data string
		perm os.FileMode
	}{{"first\n", 0o644}, {"second, longer\n", 0o600}, {"", 0o644}} {
		if err := Write(path, []byte(w.data), w.perm); err != nil {
			t.Fatalf("writing %q: %v", w.data, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != w.data {
			t.Errorf("read %q, %v; want %q", got, err, w.data)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != w.perm {
			t.Errorf("mode %v, want %v", st.Mode().Perm(), w.perm)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries in the folder, want 1 (no temporary file left)", len(entries))
	}
}
