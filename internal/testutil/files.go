package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes content to the file name in dir (creating the folders on
// the way) and returns its path; a failure ends the test.
func WriteFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
