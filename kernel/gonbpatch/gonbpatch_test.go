package gonbpatch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// moduleDir returns the pinned GoNB in the module cache, or skips.
func moduleDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Module).Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("GoNB not in the module cache: %v", err)
	}
	return dir
}

func TestWrite(t *testing.T) {
	out := t.TempDir()
	mod, err := Write(moduleDir(t), out, "../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(mod)
	if err != nil || !strings.Contains(string(data), "replace "+Module+" => "+filepath.Join(out, "gonb")) {
		t.Fatalf("go.mod: %v\n%s", err, data)
	}
	if _, err := os.Stat(filepath.Join(out, "go.sum")); err != nil {
		t.Error(err)
	}
	for _, want := range []struct{ file, text string }{
		{"internal/dispatcher/dispatcher.go", "labnotesDropForged(msg)"},
		{"internal/dispatcher/dispatcher.go", "err = labnotesIsComplete(msg)"},
		{"internal/dispatcher/labnotes_iscomplete.go", "package dispatcher"},
		{"internal/kernel/kernel.go", "malformed message"},
		{"internal/goexec/goplsclient/exec_unix.go", "Pdeathsig: syscall.SIGKILL"},
		{"internal/jpyexec/jpyexec.go", "Pdeathsig: syscall.SIGKILL"},
	} {
		src, err := os.ReadFile(filepath.Join(out, "gonb", want.file))
		if err != nil || !strings.Contains(string(src), want.text) {
			t.Errorf("%s lacks %q (%v)", want.file, want.text, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "gonb", "docs")); err == nil {
		t.Error("docs copied")
	}
	// The patched copy builds.
	cmd := exec.Command("go", "build", "-modfile", mod, "-o", os.DevNull, Module)
	cmd.Dir = "../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the patched GoNB: %v\n%s", err, b)
	}
}

func TestPatchRefusesOtherSource(t *testing.T) {
	for _, f := range Files() {
		if _, err := Patch(f, []byte("package x\n")); err == nil || !strings.Contains(err.Error(), Version) {
			t.Errorf("Patch(%s) of other source: %v, want an error naming %s", f, err, Version)
		}
	}
	if _, err := Patch("nope.go", nil); err == nil {
		t.Error("Patch of an unknown file succeeded")
	}
}
