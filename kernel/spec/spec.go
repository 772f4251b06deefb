// Package spec finds, reads and writes Jupyter kernelspecs (kernel.json), the file that tells
// Jupyter — and our own runner — how to start a kernel: its argv, its environment and how to
// interrupt it.
package spec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Name is the kernelspec name of the Labnotes kernel.
const Name = "labnotes"

// DisplayName is what Jupyter shows for the Labnotes kernel.
const DisplayName = "Go (Labnotes)"

// Spec is the content of a kernel.json file.
type Spec struct {
	// Argv starts the kernel; "{connection_file}" is replaced by the connection file's path.
	Argv []string `json:"argv"`
	// DisplayName is what Jupyter's UI shows.
	DisplayName string `json:"display_name"`
	// Language of the kernel, e.g. "go".
	Language string `json:"language"`
	// InterruptMode is "signal" (SIGINT to the kernel process, the default) or "message"
	// (an interrupt_request on the control channel).
	InterruptMode string `json:"interrupt_mode,omitempty"`
	// Env is added to the environment of the kernel process.
	Env map[string]string `json:"env,omitempty"`
	// Metadata is free-form kernel metadata.
	Metadata map[string]any `json:"metadata,omitempty"`

	// Dir is the directory the kernel.json was read from (not serialized).
	Dir string `json:"-"`
}

// DataDirs returns the Jupyter data directories searched for kernels, in Jupyter's order:
// $JUPYTER_DATA_DIR (or ~/.local/share/jupyter), then $JUPYTER_PATH entries, then the system ones.
func DataDirs() []string {
	var dirs []string
	dirs = append(dirs, UserDataDir())
	if p := os.Getenv("JUPYTER_PATH"); p != "" {
		dirs = append(dirs, filepath.SplitList(p)...)
	}
	dirs = append(dirs, "/usr/local/share/jupyter", "/usr/share/jupyter")
	return dirs
}

// UserDataDir is where kernels are installed for the current user: $JUPYTER_DATA_DIR, or
// $XDG_DATA_HOME/jupyter, or ~/.local/share/jupyter.
func UserDataDir() string {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "jupyter")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/"
	}
	return filepath.Join(home, ".local", "share", "jupyter")
}

// Find looks up the kernelspec called name in DataDirs and reads it.
func Find(name string) (*Spec, error) {
	var tried []string
	for _, d := range DataDirs() {
		dir := filepath.Join(d, "kernels", name)
		s, err := Read(dir)
		if err == nil {
			return s, nil
		}
		if !os.IsNotExist(err) {
			return nil, err
		}
		tried = append(tried, dir)
	}
	return nil, fmt.Errorf("spec: kernel %q is not installed (looked in %s); run `make setup` or `labnotes install`",
		name, strings.Join(tried, ", "))
}

// Read reads dir/kernel.json.
func Read(dir string) (*Spec, error) {
	path := filepath.Join(dir, "kernel.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("spec: %s is not a valid kernel.json: %w", path, err)
	}
	if len(s.Argv) == 0 {
		return nil, fmt.Errorf("spec: %s has an empty \"argv\"; expected the command that starts the kernel", path)
	}
	s.Dir = dir
	return &s, nil
}

// Write writes s as dir/kernel.json, creating dir.
func (s *Spec) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("spec: creating kernel directory: %w", err)
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "kernel.json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("spec: writing %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// Command returns the kernel's argv with "{connection_file}" replaced, and its environment:
// the current process's environment with s.Env on top.
func (s *Spec) Command(connectionFile string) (argv []string, env []string) {
	for _, a := range s.Argv {
		argv = append(argv, strings.ReplaceAll(a, "{connection_file}", connectionFile))
	}
	env = os.Environ()
	for k, v := range s.Env {
		env = append(env, k+"="+v)
	}
	return argv, env
}
