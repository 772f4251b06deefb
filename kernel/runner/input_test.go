package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/kernel/spec"
)

// TestBadInput checks notebooks that cannot be run: the error names the file and the problem,
// no kernel is started (the spec points at a command that does not exist) and no output is
// written.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [` +
		`{"cell_type": "code", "id": "a", "metadata": {"tags": ["parameters"]}, "source": "var scale = \"cpu\"", "outputs": [], "execution_count": null}]}`
	tests := []struct {
		name, path string
		params     []string
		want       []string
	}{
		{"missing", filepath.Join(dir, "nope.ipynb"), nil, []string{"nope.ipynb"}},
		{"truncated", write("trunc.ipynb", good[:60]), nil, []string{"trunc.ipynb"}},
		{"malformed", write("bad.ipynb", `{"nbformat": 4, "cells": [}`), nil, []string{"bad.ipynb"}},
		{"not a notebook", write("v3.ipynb", `{"nbformat": 3, "worksheets": []}`), nil, []string{"v3.ipynb", "nbformat"}},
		{"unknown parameter", write("p.ipynb", good), []string{"epochs=3"}, []string{"p.ipynb", "epochs", "scale"}},
		{"bad parameter value", write("q.ipynb", strings.Replace(good, `\"cpu\"`, `3`, 1)), []string{"scale=big"}, []string{"q.ipynb", "scale"}},
	}
	never := &spec.Spec{Argv: []string{filepath.Join(dir, "no-such-kernel"), "{connection_file}"}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(tc.path)
			out := filepath.Join(dir, tc.name+".out.ipynb")
			_, err := Run(context.Background(), Options{Path: tc.path, Output: out, Params: tc.params, Spec: never})
			if err == nil {
				t.Fatal("Run succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "no-such-kernel") {
				t.Errorf("a kernel was started for an unusable notebook: %v", err)
			}
			after, _ := os.ReadFile(tc.path)
			if string(before) != string(after) {
				t.Errorf("input file changed")
			}
		})
	}
}
