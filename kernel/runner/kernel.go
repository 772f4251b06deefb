package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/labnotes/labnotes/kernel/spec"
	"github.com/labnotes/labnotes/kernel/wire"
)

// kernelProc is a running kernel process and the client connected to it.
type kernelProc struct {
	spec    *spec.Spec
	cmd     *exec.Cmd
	dir     string
	client  *wire.Client
	stderr  *tailBuffer
	exited  chan struct{} // closed when the process has exited
	waitErr error         // valid once exited is closed
	info    map[string]any

	groupsMu sync.Mutex
	groups   map[int]uint64 // process groups started by the kernel: leader pid -> start time
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// Tail returns the last n lines (at most max bytes) written.
func (t *tailBuffer) Tail(n int) string {
	t.mu.Lock()
	b := t.buf
	if len(b) > t.max {
		b = b[len(b)-t.max:]
	}
	s := string(bytes.TrimRight(b, "\n"))
	t.mu.Unlock()
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// exitStatus describes how the kernel process ended.
func (k *kernelProc) exitStatus() string {
	if k.cmd.ProcessState != nil {
		return k.cmd.ProcessState.String()
	}
	if k.waitErr != nil {
		return k.waitErr.Error()
	}
	return "unknown"
}

// startKernel starts the kernel of s, connects to it and waits for its kernel_info_reply.
func startKernel(ctx context.Context, s *spec.Spec, timeout time.Duration) (*kernelProc, error) {
	info, err := wire.NewConnectionInfo()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "labnotes-kernel-")
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	connFile := filepath.Join(dir, "connection.json")
	if err := info.WriteFile(connFile); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	argv, env := s.Command(connFile)
	k := &kernelProc{spec: s, dir: dir, stderr: &tailBuffer{max: 64 << 10}, exited: make(chan struct{})}
	k.cmd = exec.Command(argv[0], argv[1:]...)
	k.cmd.Env = env
	k.cmd.Stdout = k.stderr
	k.cmd.Stderr = k.stderr
	// Own process group: a Ctrl-C in the runner's terminal does not reach the kernel directly,
	// and the whole group (kernel and the cell programs it runs) can be signaled at once.
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Children (cell programs) may keep the output pipes open after the kernel died.
	k.cmd.WaitDelay = time.Second
	if err := k.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("runner: starting kernel %q: %w", argv[0], err)
	}
	go func() {
		k.waitErr = k.cmd.Wait()
		close(k.exited)
	}()

	fail := func(what string, err error) (*kernelProc, error) {
		select {
		case <-k.exited:
			e := fmt.Errorf("runner: kernel exited during startup (%s)", k.exitStatus())
			if tail := k.stderr.Tail(20); tail != "" {
				e = fmt.Errorf("%w; its last output:\n%s", e, tail)
			}
			k.kill()
			return nil, e
		default:
		}
		k.kill()
		if tail := k.stderr.Tail(20); tail != "" {
			return nil, fmt.Errorf("runner: %s: %w; kernel output:\n%s", what, err, tail)
		}
		return nil, fmt.Errorf("runner: %s: %w", what, err)
	}

	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	go func() {
		select {
		case <-k.exited:
			cancel()
		case <-sctx.Done():
		}
	}()
	k.client, err = wire.Dial(sctx, info)
	if err != nil {
		return fail("connecting to the kernel", err)
	}
	// Ask for kernel_info until answered: requests sent before the kernel listens may be lost.
	for {
		req, err := k.client.Request(wire.Shell, "kernel_info_request", nil)
		if err != nil {
			return fail("sending kernel_info_request", err)
		}
		retry := time.After(2 * time.Second)
	wait:
		for {
			select {
			case m, ok := <-k.client.ShellReplies():
				if !ok {
					return fail("waiting for kernel_info_reply", errors.New("connection closed"))
				}
				if m.Header.MsgType == "kernel_info_reply" && m.Parent.MsgID == req.Header.MsgID {
					_ = m.Decode(&k.info)
					k.trackGroups()
					return k, nil
				}
			case <-k.client.IOPub():
			case <-retry:
				break wait
			case <-sctx.Done():
				if ctx.Err() != nil {
					return fail("waiting for kernel_info_reply", ctx.Err())
				}
				return fail("waiting for kernel_info_reply", fmt.Errorf("no reply within the startup timeout of %s", timeout))
			}
		}
	}
}

// interrupt interrupts the running cell as the kernelspec says: SIGINT to the kernel's process
// group ("signal", the default) or an interrupt_request on the control channel ("message").
func (k *kernelProc) interrupt() error {
	if k.spec.InterruptMode == "message" {
		_, err := k.client.Request(wire.Control, "interrupt_request", nil)
		return err
	}
	return syscall.Kill(-k.cmd.Process.Pid, syscall.SIGINT)
}

// kill kills the kernel's process group and waits (briefly) for the process to be reaped.
func (k *kernelProc) kill() {
	select {
	case <-k.exited:
	default:
		k.trackGroups()
	}
	_ = syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL)
	k.killGroups()
	select {
	case <-k.exited:
	case <-time.After(5 * time.Second):
	}
	if k.client != nil {
		k.client.Close()
	}
	os.RemoveAll(k.dir)
}

// shutdown asks the kernel to shut down (shutdown_request on control), waits up to grace for it
// to exit, then kills its process group, which also ends any cell program it left behind.
func (k *kernelProc) shutdown(grace time.Duration) {
	k.trackGroups()
	select {
	case <-k.exited:
	default:
		if k.client != nil {
			if _, err := k.client.Request(wire.Control, "shutdown_request", map[string]any{"restart": false}); err == nil {
				t := time.NewTimer(grace)
			loop:
				for {
					select {
					case <-k.exited:
						break loop
					case <-t.C:
						break loop
					case <-k.client.IOPub():
					case <-k.client.ShellReplies():
					case <-k.client.ControlReplies():
					}
				}
				t.Stop()
			}
		}
	}
	k.kill()
}
