package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	conn    *wire.ConnectionInfo
	client  *wire.Client
	stderr  *kernelLog
	exited  chan struct{} // closed when the process has exited
	waitErr error         // valid once exited is closed
	info    map[string]any

	groupsMu sync.Mutex
	groups   map[int]uint64 // process groups started by the kernel: leader pid -> start time
	gonbDir  string         // GoNB's temporary folder, once seen
}

// kernelLog is the file the kernel's stdout and stderr go to. A file, not a pipe: a kernel
// whose runner was killed would die of SIGPIPE at its next log line before it could clean up.
type kernelLog struct {
	path string
	max  int64 // Tail reads at most this many bytes from the end
}

// Tail returns the last n lines (at most max bytes) the kernel wrote.
func (t *kernelLog) Tail(n int) string {
	f, err := os.Open(t.path)
	if err != nil {
		return ""
	}
	defer f.Close()
	size, _ := f.Seek(0, io.SeekEnd)
	off := max(0, size-t.max)
	b := make([]byte, size-off)
	if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
		return ""
	}
	lines := strings.Split(string(bytes.TrimRight(b, "\n")), "\n")
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

// kernelDirPrefix names the runner's per-kernel temporary folders (connection file, owner file).
const kernelDirPrefix = "labnotes-kernel-"

// ownerFile, in a kernel folder, holds "PID START" of the runner process that made it.
const ownerFile = "owner"

// writeOwner records the current process as the owner of the kernel folder dir.
func writeOwner(dir string) error {
	st, ok := readProcStat(os.Getpid())
	if !ok {
		return nil // no /proc: folders are then only removed by the runner itself
	}
	data := fmt.Sprintf("%d %d\n", os.Getpid(), st.start)
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(data), 0o600); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	return nil
}

// sweepKernelDirs removes the kernel folders of runner processes that no longer exist (a runner
// killed by SIGKILL cannot remove its own; its kernel removes GoNB's folder when it gets the
// parent-death signal).
func sweepKernelDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), kernelDirPrefix+"*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue
		}
		var pid int
		var start uint64
		if _, err := fmt.Sscanf(string(data), "%d %d", &pid, &start); err != nil {
			continue
		}
		if st, ok := readProcStat(pid); ok && st.start == start {
			continue // its runner is alive
		}
		os.RemoveAll(d)
	}
}

// startKernel starts the kernel of s, connects to it and waits for its kernel_info_reply.
func startKernel(ctx context.Context, s *spec.Spec, timeout time.Duration) (*kernelProc, error) {
	info, err := wire.NewConnectionInfo()
	if err != nil {
		return nil, err
	}
	sweepKernelDirs()
	dir, err := os.MkdirTemp("", kernelDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	if err := writeOwner(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	connFile := filepath.Join(dir, "connection.json")
	if err := info.WriteFile(connFile); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	argv, env := s.Command(connFile)
	k := &kernelProc{spec: s, dir: dir, conn: info, exited: make(chan struct{}),
		stderr: &kernelLog{path: filepath.Join(dir, "kernel.log"), max: 64 << 10}}
	logFile, err := os.OpenFile(k.stderr.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("runner: %w", err)
	}
	defer logFile.Close() // the kernel has its own descriptor once started
	k.cmd = exec.Command(argv[0], argv[1:]...)
	k.cmd.Env = env
	k.cmd.Stdout = logFile
	k.cmd.Stderr = logFile
	// Own process group: a Ctrl-C in the runner's terminal does not reach the kernel directly,
	// and the whole group (kernel and the cell programs it runs) can be signaled at once.
	// Pdeathsig: when the runner dies, even by SIGKILL, the kernel gets SIGTERM, on which GoNB
	// interrupts the running cell, stops gopls and removes its temporary folder (see
	// setPdeathsig: Linux only).
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(k.cmd.SysProcAttr, syscall.SIGTERM)
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
	k.groupsMu.Lock()
	if k.gonbDir != "" {
		os.RemoveAll(k.gonbDir) // left by a kernel that did not exit cleanly
	}
	k.groupsMu.Unlock()
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
