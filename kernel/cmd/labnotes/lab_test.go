package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestMakeLab starts `make lab` (without its setup step) on a free port and waits for Jupyter's
// API to answer. As root, Jupyter used to exit at once: "Running as root is not recommended.
// Use --allow-root to bypass."
func TestMakeLab(t *testing.T) {
	if _, err := exec.LookPath("jupyter"); err != nil {
		t.Skip("jupyter not installed")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("make", "-s", "-o", "setup", "lab", fmt.Sprintf("LAB_PORT=%d", port))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "JUPYTER_RUNTIME_DIR="+t.TempDir(), "BROWSER=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("make lab exited (%v) (uid %d):\n%s", err, os.Getuid(), out.String())
		case <-deadline:
			t.Fatalf("Jupyter did not answer on port %d within 60s:\n%s", port, out.String())
		case <-time.After(300 * time.Millisecond):
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api", port))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
}
