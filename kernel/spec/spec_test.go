package spec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"malformed", `{"argv": [`, "not a valid kernel.json"},
		{"empty argv", `{"argv": [], "display_name": "x"}`, `empty "argv"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "kernel.json"), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("Read: got %v, want an error naming %s and saying %q", err, dir, tc.want)
			}
		})
	}
}

func TestFindMissing(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	t.Setenv("JUPYTER_PATH", "")
	_, err := Find("no-such-kernel-xyz")
	if err == nil || !strings.Contains(err.Error(), "no-such-kernel-xyz") || !strings.Contains(err.Error(), "labnotes install") {
		t.Fatalf("Find: got %v, want a not-installed error with a fix hint", err)
	}
}

func TestFindRoot(t *testing.T) {
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "kernel", "spec", "spec.go")); err != nil {
		t.Fatalf("FindRoot returned %s, which is not this checkout", root)
	}
	if _, err := FindRoot(t.TempDir()); err == nil {
		t.Fatal("FindRoot outside a checkout: want an error")
	}
}

// fakeProject makes a checkout with fake tools and a fake go that logs its arguments.
func fakeProject(t *testing.T) (Project, string) {
	t.Helper()
	root := t.TempDir()
	for _, tool := range []string{"gonb", "goimports", "gopls"} {
		p := filepath.Join(root, "bin", tool)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	goRoot := t.TempDir()
	log := filepath.Join(goRoot, "calls")
	fakeGo := "#!/bin/sh\necho \"$@\" >> " + log + "\n"
	if err := os.MkdirAll(filepath.Join(goRoot, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(goRoot, "bin", "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	return Project{Root: root, GoRoot: goRoot}, log
}

func TestInstall(t *testing.T) {
	p, log := fakeProject(t)
	data := t.TempDir()
	dir, err := p.Install(data, "/usr/bin:/bin")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.DisplayName != DisplayName || s.Language != "go" || s.Env["GOEXPERIMENT"] != "simd" || s.Env["GOTOOLCHAIN"] != GoToolchain || s.Env["GOFLAGS"] != "-ldflags=-w" {
		t.Errorf("kernel.json: got %+v", s)
	}
	if !strings.Contains(strings.Join(s.Argv, " "), "--go_work="+p.Root) || s.Argv[0] != filepath.Join(p.Root, "bin", "gonb") {
		t.Errorf("argv %q: want the project's gonb with --go_work=%s", s.Argv, p.Root)
	}
	if _, ok := s.Env["GOMLX_BACKEND"]; ok {
		t.Errorf("GOMLX_BACKEND set although no backend was pinned")
	}
	path := filepath.SplitList(s.Env["PATH"])
	if path[0] != p.shimDir() || path[2] != filepath.Join(p.GoRoot, "bin") {
		t.Errorf("PATH %q: want the go shim first and the toolchain before the system", path)
	}
	argv, env := s.Command("/tmp/conn.json")
	if argv[2] != "/tmp/conn.json" || !strings.Contains(strings.Join(env, "\n"), "LABNOTES_ROOT="+p.Root) {
		t.Errorf("Command: argv %q", argv)
	}

	// The go shim skips GoNB's bare `go get` and passes everything else through.
	shim := filepath.Join(p.shimDir(), "go")
	for _, args := range [][]string{{"get"}, {"get", "-t"}, {"build", "-o", "x"}, {"get", "example.com/m@v1.0.0"}} {
		if out, err := exec.Command(shim, args...).CombinedOutput(); err != nil {
			t.Fatalf("shim %q: %v %s", args, err, out)
		}
	}
	calls, _ := os.ReadFile(log)
	if want := "build -o x\nget example.com/m@v1.0.0\n"; string(calls) != want {
		t.Errorf("real go got calls %q, want %q", calls, want)
	}

	// Pinning a backend.
	p.Backend = "go"
	if got := p.Kernel("").Env["GOMLX_BACKEND"]; got != "go" {
		t.Errorf("GOMLX_BACKEND=%q, want go", got)
	}
}

func TestInstallMissingTools(t *testing.T) {
	p := Project{Root: t.TempDir()}
	_, err := p.Install(t.TempDir(), "")
	if err == nil || !strings.Contains(err.Error(), "gonb") || !strings.Contains(err.Error(), "make setup") {
		t.Fatalf("Install without tools: got %v", err)
	}
}
