// Package docker_test checks that the Dockerfiles stay thin wrappers around scripts/setup.sh,
// the script CI runs: no Docker engine runs on our machines, so this is how the images are
// kept honest.
package docker_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

type instr struct{ op, args string }

// parse returns a Dockerfile's instructions with continuation lines joined.
func parse(t *testing.T, path string) []instr {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`\\\n\s*`).ReplaceAllString(string(data), " ")
	var out []instr
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		op, args, _ := strings.Cut(line, " ")
		out = append(out, instr{strings.ToUpper(op), strings.TrimSpace(args)})
	}
	return out
}

func setupOptions(t *testing.T) []string {
	data, err := os.ReadFile("../scripts/setup.sh")
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`(?m)^\s*(--[a-z-]+)\)`).FindAllString(string(data), -1)
}

func TestDockerfilesWrapSetup(t *testing.T) {
	opts := strings.Join(setupOptions(t), " ")
	for _, name := range []string{"Dockerfile", "Dockerfile.cuda"} {
		t.Run(name, func(t *testing.T) {
			var user string
			var rootSetup, userSetup, expose, cmd, copyAll bool
			for _, in := range parse(t, filepath.Join(".", name)) {
				switch in.op {
				case "USER":
					user = in.args
				case "EXPOSE":
					expose = in.args == "8888"
				case "CMD":
					cmd = strings.Contains(in.args, `"jupyter"`) && strings.Contains(in.args, "--port=8888")
				case "COPY":
					if strings.HasSuffix(in.args, ". .") {
						copyAll = user != ""
					}
				case "RUN":
					for _, m := range regexp.MustCompile(`setup\.sh((?: --[a-z-]+)*)`).FindAllStringSubmatch(in.args, -1) {
						for _, o := range strings.Fields(m[1]) {
							if !strings.Contains(opts, o+")") {
								t.Errorf("%s runs setup.sh %s, which setup.sh does not accept", name, o)
							}
						}
						switch {
						case user == "" && strings.Contains(m[1], "--packages-only"):
							rootSetup = true
						case user != "" && user != "root" && strings.Contains(m[1], "--no-apt"):
							userSetup = true
						}
					}
				}
			}
			if !rootSetup || !userSetup {
				t.Errorf("%s: want setup.sh --packages-only as root, then setup.sh --no-apt as a non-root user (got root=%v user=%v)", name, rootSetup, userSetup)
			}
			if user == "" || user == "root" {
				t.Errorf("%s: the image must run as a non-root user, USER is %q", name, user)
			}
			if !expose || !cmd || !copyAll {
				t.Errorf("%s: want EXPOSE 8888 (%v), CMD jupyter on port 8888 (%v), the checkout copied as the user (%v)", name, expose, cmd, copyAll)
			}
		})
	}
}

func TestSetupRejectsUnknownOption(t *testing.T) {
	out, err := exec.Command("bash", "../scripts/setup.sh", "--bogus").CombinedOutput()
	var exitErr *exec.ExitError
	if err == nil || !strings.Contains(string(out), "--bogus") {
		t.Fatalf("setup.sh --bogus: err=%v out=%s, want a usage error naming the option", err, out)
	}
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 {
		t.Fatalf("setup.sh --bogus: want exit status 2, got %v", err)
	}
}

// TestPortsOnLoopback: every documented `docker run` publishes Jupyter on 127.0.0.1 only
// (`-p 8888:8888` would expose it, and so a shell, on every interface).
func TestPortsOnLoopback(t *testing.T) {
	bare := regexp.MustCompile(`(docker|podman) run[^\n]*-p \d+:8888`)
	for _, f := range []string{"Dockerfile", "Dockerfile.cuda", "README.md", "../README.md", "../scripts/docker-test.sh"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := bare.Find(data); m != nil {
			t.Errorf("%s publishes %q: use -p 127.0.0.1:8888:8888", f, m)
		}
		if f != "../scripts/docker-test.sh" && !strings.Contains(string(data), "-p 127.0.0.1:8888:8888") {
			t.Errorf("%s does not show -p 127.0.0.1:8888:8888", f)
		}
	}
}
