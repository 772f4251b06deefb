package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrint(t *testing.T) {
	tests := []struct {
		name   string
		checks []Check
		ok     bool
		want   []string
	}{
		{"all ok", []Check{{Name: "go", Detail: "go1.27.4", OK: true, Required: true}}, true, []string{"go", "ok", "go1.27.4"}},
		{"optional missing", []Check{{Name: "chromium", Detail: "not found", Fix: "apt-get install chromium"}}, true,
			[]string{"optional", "fix: apt-get install chromium"}},
		{"required missing", []Check{{Name: "gonb", Detail: "not found", Required: true, Fix: "make setup"}}, false,
			[]string{"MISSING", "fix: make setup"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if got := Print(&b, tc.checks); got != tc.ok {
				t.Errorf("Print = %v, want %v", got, tc.ok)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output %q lacks %q", b.String(), w)
				}
			}
		})
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "mytool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/nonexistent", "HOME=/x", "PATH=" + dir + ":/bin"}
	if got := lookPath("mytool", env); got != tool {
		t.Errorf("lookPath = %q, want %q (the last PATH wins)", got, tool)
	}
	if got := lookPath("absent-tool", env); got != "absent-tool" {
		t.Errorf("lookPath of a missing tool = %q, want the name unchanged", got)
	}
}

func TestDepCheckFromGoMod(t *testing.T) {
	root := t.TempDir()
	mod := "module x\n\nrequire (\n\texample.com/m v1.2.3 // indirect\n)\n"
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	if c := depCheck(root, "m", "example.com/m"); !c.OK || c.Detail != "v1.2.3 (go.mod)" {
		t.Errorf("depCheck = %+v", c)
	}
	if c := depCheck(root, "n", "example.com/n"); c.OK || c.Fix == "" {
		t.Errorf("depCheck of a module not in go.mod = %+v, want a failed check with a fix", c)
	}
}
