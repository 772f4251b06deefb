package runner

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/labnotes/labnotes/kernel/spec"
	"github.com/labnotes/labnotes/kernel/wire"
)

// startTestKernel starts the installed kernel, marked with testMarker, and stops it at the end
// of the test.
func startTestKernel(t *testing.T) *kernelProc {
	t.Helper()
	s := markedSpec(findSpec(t))
	k, err := startKernel(context.Background(), s, DefaultStartupTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.shutdown(3 * time.Second) })
	return k
}

// kernelInfo asks k for its kernel_info and reports whether it answered within d.
func kernelInfo(t *testing.T, k *kernelProc, d time.Duration) bool {
	t.Helper()
	req, err := k.client.Request(wire.Shell, "kernel_info_request", nil)
	if err != nil {
		t.Fatalf("sending kernel_info_request: %v", err)
	}
	deadline := time.After(d)
	for {
		select {
		case m, ok := <-k.client.ShellReplies():
			if !ok {
				return false
			}
			if m.Parent.MsgID == req.Header.MsgID {
				return true
			}
		case <-k.client.IOPub():
		case <-k.exited:
			return false
		case <-deadline:
			return false
		}
	}
}

// TestForgedMessages sends the kernel's shell and control sockets messages that a local process
// without the connection key can send: a bad signature, a signature that is not hex, no
// <IDS|MSG> delimiter, too few frames, and raw bytes that are not ZeroMQ at all. The kernel
// must drop them, say so in its log, and keep answering the runner. (GoNB v0.11.5 stopped on the
// first, "invalid signature, stopping kernel", and panicked on the third and fourth.)
func TestForgedMessages(t *testing.T) {
	k := startTestKernel(t)
	forger, err := wire.NewSigner("hmac-sha256", "not the key")
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := wire.NewMessage("forger", "shutdown_request", map[string]any{"restart": false})
	signed, err := forger.Encode(msg)
	if err != nil {
		t.Fatal(err)
	}
	notHex := append([][]byte{}, signed...)
	notHex[1] = []byte("zz-not-hex")
	forgeries := map[string][][]byte{
		"bad signature":     signed,
		"signature not hex": notHex,
		"no delimiter":      {[]byte("x"), []byte("{}")},
		"too few frames":    {[]byte(wire.Delimiter), []byte("00"), []byte("{}")},
	}
	for _, port := range []int{k.conn.ShellPort, k.conn.ControlPort} {
		for name, frames := range forgeries {
			d := zmq4.NewDealer(context.Background())
			if err := d.Dial(k.conn.Endpoint(port)); err != nil {
				t.Fatalf("%s: dialing port %d: %v", name, port, err)
			}
			if err := d.Send(zmq4.NewMsgFrom(frames...)); err != nil {
				t.Fatalf("%s: sending: %v", name, err)
			}
			time.Sleep(100 * time.Millisecond)
			d.Close()
		}
		if c, err := net.Dial("tcp", k.conn.Endpoint(port)[len("tcp://"):]); err == nil {
			c.Write([]byte("GET / HTTP/1.0\r\n\r\n\xff\x00garbage"))
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
	}
	time.Sleep(500 * time.Millisecond)
	select {
	case <-k.exited:
		t.Fatalf("the kernel exited after forged messages (%s); its log:\n%s", k.exitStatus(), k.stderr.Tail(15))
	default:
	}
	if !kernelInfo(t, k, 20*time.Second) {
		t.Fatalf("the kernel stopped answering after forged messages; its log:\n%s", k.stderr.Tail(15))
	}
	log := k.stderr.Tail(400)
	if !strings.Contains(log, "labnotes: dropped a message that failed the signature check (8 dropped so far)") {
		t.Errorf("the kernel's log does not count 8 dropped messages:\n%s", log)
	}
}

// gonbDirOf returns GoNB's temporary folder of the marked processes (gopls runs in it), or "".
func gonbDirOf(procs map[int]string) string {
	for pid := range procs {
		cwd, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd"))
		if err == nil && isGoNBDir(cwd) {
			return cwd
		}
	}
	return ""
}

// waitGone waits up to d for every marked process to exit and returns those left.
func waitGone(d time.Duration) map[int]string {
	deadline := time.Now().Add(d)
	for {
		procs := markedProcesses()
		if len(procs) == 0 || time.Now().After(deadline) {
			return procs
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// killLeft fails the test for each process left and kills it.
func killLeft(t *testing.T, procs map[int]string) {
	t.Helper()
	for pid, c := range procs {
		t.Errorf("process left running: %d %s", pid, c)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// TestKernelForceKilled kills the kernel process alone (as an out-of-memory killer or a
// `kill -9` would): gopls and the cell program must die with it (GoNB v0.11.5 left gopls,
// ~155 MB, running), and the runner's clean-up removes GoNB's temporary folder.
func TestKernelForceKilled(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	k := startTestKernel(t)
	// A cell program that sleeps, so that one is running when the kernel dies.
	if _, err := k.client.Request(wire.Shell, "execute_request", map[string]any{
		"code": "import \"time\"\n%%\nfmt.Println(\"sleeping\")\ntime.Sleep(time.Hour)", "silent": false,
		"store_history": true, "user_expressions": map[string]any{}, "allow_stdin": false}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(60 * time.Second)
	for printed := false; !printed; {
		select {
		case m := <-k.client.IOPub():
			var st struct {
				Text string `json:"text"`
			}
			_ = m.Decode(&st)
			printed = m.Header.MsgType == "stream" && strings.Contains(st.Text, "sleeping")
		case <-k.client.ShellReplies():
		case <-deadline:
			t.Fatalf("the sleeping cell did not start; kernel log:\n%s", k.stderr.Tail(20))
		}
	}
	procs := markedProcesses()
	dir := gonbDirOf(procs)
	if dir == "" || len(procs) < 3 {
		t.Fatalf("want the kernel, gopls and the cell program, with GoNB's folder; got %v", procs)
	}
	t.Logf("processes: %v; GoNB folder %s", procs, dir)
	k.trackGroups()
	if err := syscall.Kill(k.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-k.exited
	killLeft(t, waitGone(5*time.Second))
	k.kill()
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("GoNB's temporary folder %s is left after the killed kernel was cleaned up", dir)
		os.RemoveAll(dir)
	}
}

// helperEnv, when set, makes the test binary run the notebook it names as a runner process
// would (see TestRunnerKilled), with the marker it holds.
const helperEnv = "LABNOTES_RUNNER_HELPER"

func TestMain(m *testing.M) {
	if nb := os.Getenv(helperEnv); nb != "" {
		testMarker = os.Getenv("LABNOTES_RUNNER_HELPER_MARKER")
		s, err := spec.Find(spec.Name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_, err = Run(context.Background(), Options{Path: nb, Output: os.Getenv("LABNOTES_RUNNER_HELPER_OUT"),
			Spec: markedSpec(s), Log: os.Stdout})
		fmt.Println("helper: run ended:", err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRunnerKilled SIGKILLs a runner process while a cell loops: the kernel, gopls and the cell
// program must exit (parent-death signal: the kernel gets SIGTERM and shuts down), and GoNB's
// and the runner's temporary folders must go (the runner's is swept by the next run).
func TestRunnerKilled(t *testing.T) {
	findSpec(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+filepath.Join("testdata", "loop.ipynb"),
		"LABNOTES_RUNNER_HELPER_MARKER="+testMarker,
		"LABNOTES_RUNNER_HELPER_OUT="+filepath.Join(t.TempDir(), "out.ipynb"))
	out := &syncWriter{w: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(90 * time.Second)
	var procs map[int]string
	for {
		procs = markedProcesses()
		looping := false
		for _, c := range procs {
			looping = looping || strings.HasPrefix(c, os.TempDir()+"/gonb_")
		}
		if strings.Contains(out.String(), "[1/3]") && looping {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the loop cell did not start; runner output:\n%s", out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	dir := gonbDirOf(procs)
	var runnerDirs []string
	for pid := range procs {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		for _, a := range strings.Split(string(cmdline), "\x00") {
			if strings.HasSuffix(a, "connection.json") {
				runnerDirs = append(runnerDirs, filepath.Dir(a))
			}
		}
	}
	t.Logf("processes: %v; GoNB folder %s; runner folders %v", procs, dir, runnerDirs)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killLeft(t, waitGone(20*time.Second))
	if dir == "" {
		t.Fatal("GoNB's folder not found")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("GoNB's temporary folder %s is left", dir)
		os.RemoveAll(dir)
	}
	sweepKernelDirs()
	for _, d := range runnerDirs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("the killed runner's folder %s is left after a sweep", d)
			os.RemoveAll(d)
		}
	}
}
