package gonbpatch

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Module and Version name the GoNB release the edits are written against.
const (
	Module  = "github.com/janpfeifer/gonb"
	Version = "v0.11.5"
)

// edit replaces the text old, which must occur exactly once, by new.
type edit struct{ old, new string }

// filePatch is the edits of one GoNB source file, by path inside the module.
type filePatch struct {
	path  string
	edits []edit
}

// patches are the fixes; see the package documentation.
var patches = []filePatch{
	{"internal/kernel/kernel.go", []edit{{
		old: `	i := 0
	for string(parts[i]) != "<IDS|MSG>" {
		i++
	}
`,
		new: `	i := 0
	for i < len(parts) && string(parts[i]) != "<IDS|MSG>" {
		i++
	}
	if len(parts) < i+6 { // labnotes: malformed messages are rejected, not a panic.
		m.err = errors.Wrapf(&InvalidSignatureError{}, "malformed message: %d frames, want <IDS|MSG> followed by 5 frames", len(parts))
		return m
	}
`}}},
	{"internal/dispatcher/dispatcher.go", []edit{
		{old: "import (\n", new: "import (\n\tstderrors \"errors\"\n\t\"sync/atomic\"\n"},
		{old: `				case msg := <-ch:
					err := fn(msg, goExec)
`, new: `				case msg := <-ch:
					if labnotesDropForged(msg) {
						continue
					}
					err := fn(msg, goExec)
`},
		{old: `		case "is_complete_request":
			klog.V(2).Infof("Received is_complete_request: ignoring, since it's not a console like kernel.")
`, new: `		case "is_complete_request":
			err = labnotesIsComplete(msg)
`},
		{old: `	case "is_complete_request":
		klog.V(2).Infof("Received is_complete_request: ignoring, since it's not a console like kernel.")
`, new: `	case "is_complete_request":
		err = labnotesIsComplete(msg)
`},
		{old: `// BusyMessageTypes are messages`, new: `// labnotesForged counts the messages dropped by labnotesDropForged.
var labnotesForged atomic.Int64

// labnotesDropForged (added by labnotes' kernel/gonbpatch) reports whether msg failed the
// signature check or was malformed; such a message is logged, counted and dropped, and the
// kernel keeps running.
func labnotesDropForged(msg kernel.Message) bool {
	if msg == nil || msg.Ok() {
		return false
	}
	var bad *kernel.InvalidSignatureError
	if !stderrors.As(msg.Error(), &bad) {
		return false
	}
	n := labnotesForged.Add(1)
	klog.Errorf("labnotes: dropped a message that failed the signature check (%d dropped so far): %v", n, msg.Error())
	return true
}

// labnotesIsComplete (added by labnotes' kernel/gonbpatch) answers an is_complete_request
// with labnotesCodeStatus's verdict on its code (labnotes_iscomplete.go).
func labnotesIsComplete(msg kernel.Message) error {
	content, _ := msg.ComposedMsg().Content.(map[string]any)
	code, _ := content["code"].(string)
	reply := map[string]any{"status": labnotesCodeStatus(code)}
	if reply["status"] == "incomplete" {
		reply["indent"] = ""
	}
	return msg.Reply("is_complete_reply", reply)
}

// BusyMessageTypes are messages`},
	}},
	{"internal/goexec/goplsclient/exec_unix.go", []edit{{
		old: `cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: 0}`,
		new: `cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: 0, Pdeathsig: syscall.SIGKILL} // labnotes: dies with the kernel`,
	}}},
	{"internal/jpyexec/jpyexec.go", []edit{
		{old: "import (\n", new: "import (\n\t\"syscall\"\n\t\"sync/atomic\"\n"},
		{old: `	exec.cmd = cmd
	cmd.Dir = exec.dir
`, new: `	exec.cmd = cmd
	cmd.Dir = exec.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // labnotes: dies with the kernel
`},
		{old: `	isDone    bool
	doneChan  chan struct{}
`, new: `	isDone    bool
	doneChan  chan struct{}
	// labnotes: the display-data pipe was opened by the program, and its reader has read it
	// to the end (closed by namedpipes.go's reader).
	labnotesPipeOpened  atomic.Bool
	labnotesPipeDrained chan struct{}
`},
		{old: `	exec.exitError = cmd.Wait()
`, new: `	exec.exitError = cmd.Wait()
	// labnotes: the display data the program wrote before it exited is published before the
	// cell's reply (it was read and published concurrently, and could come after the reply's
	// idle status, or be cut off when the pipe was closed).
	if exec.useNamedPipes && exec.labnotesPipeOpened.Load() && exec.labnotesPipeDrained != nil {
		select {
		case <-exec.labnotesPipeDrained:
		case <-time.After(10 * time.Second):
			klog.Warningf("labnotes: the cell's display data was still being read 10 s after it exited")
		}
	}
`},
	}},
	{"internal/jpyexec/namedpipes.go", []edit{
		{old: `func (exec *Executor) openPipeReader() {
	var muFifo sync.Mutex
	fifoOpenedForReading := false
`, new: `func (exec *Executor) openPipeReader() {
	var muFifo sync.Mutex
	fifoOpenedForReading := false
	exec.labnotesPipeDrained = make(chan struct{}) // labnotes: see jpyexec.go
`},
		{old: `		fifoOpenedForReading = true
		defer muFifo.Unlock()

		go exec.pollNamedPipeReader()
`, new: `		fifoOpenedForReading = true
		exec.labnotesPipeOpened.Store(true)
		defer muFifo.Unlock()

		go func() {
			exec.pollNamedPipeReader()
			close(exec.labnotesPipeDrained)
		}()
`},
	}},
}

// isComplete is iscomplete.go, which [Write] also adds to GoNB's dispatcher package.
//
//go:embed iscomplete.go
var isComplete string

// added are the files [Write] adds to the copy of GoNB, by module path.
func added() map[string]string {
	return map[string]string{
		"internal/dispatcher/labnotes_iscomplete.go": strings.Replace(isComplete, "package gonbpatch", "package dispatcher", 1),
	}
}

// Files returns the module paths of the GoNB files the patches replace.
func Files() []string {
	var fs []string
	for _, p := range patches {
		fs = append(fs, p.path)
	}
	return fs
}

// Patch returns src, the content of GoNB file path, with its edits applied. It fails when an
// edit's text does not occur exactly once (a GoNB version other than [Version]).
func Patch(path string, src []byte) ([]byte, error) {
	for _, p := range patches {
		if p.path != path {
			continue
		}
		s := string(src)
		for i, e := range p.edits {
			if n := strings.Count(s, e.old); n != 1 {
				return nil, fmt.Errorf("gonbpatch: %s: edit %d expects its text once, found it %d times (is GoNB %s?)", path, i+1, n, Version)
			}
			s = strings.Replace(s, e.old, e.new, 1)
		}
		return []byte(s), nil
	}
	return nil, fmt.Errorf("gonbpatch: no patch for %s", path)
}

// skipDirs are the module's top-level folders the kernel's build does not need (64 MB of docs).
var skipDirs = map[string]bool{"docs": true, "examples": true}

// Write prepares a build of the patched kernel: it copies the GoNB module unpacked at modDir (its
// module cache folder, without docs and examples) to outDir/gonb with the edits applied, and
// writes outDir/go.mod, the project's go.mod (read from goMod) plus a replace directive pointing
// GoNB at that copy, with outDir/go.sum next to it. It returns the go.mod's path, for
// `go build -modfile PATH -o bin/ tool`: the tools build with the project's pinned dependency
// versions and the patched GoNB. Earlier content of outDir is replaced.
func Write(modDir, outDir, goMod string) (string, error) {
	modDir, err := filepath.Abs(modDir)
	if err != nil {
		return "", fmt.Errorf("gonbpatch: %w", err)
	}
	if outDir, err = filepath.Abs(outDir); err != nil {
		return "", fmt.Errorf("gonbpatch: %w", err)
	}
	src := filepath.Join(outDir, "gonb")
	if err := os.RemoveAll(src); err != nil {
		return "", fmt.Errorf("gonbpatch: %w", err)
	}
	err = filepath.WalkDir(modDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(modDir, path)
		if d.IsDir() {
			if skipDirs[rel] {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(src, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(src, rel), data, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("gonbpatch: copying %s: %w", modDir, err)
	}
	for _, p := range patches {
		path := filepath.Join(src, filepath.FromSlash(p.path))
		data, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("gonbpatch: reading GoNB's %s: %w", p.path, err)
		}
		patched, err := Patch(p.path, data)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(path, patched, 0o644); err != nil {
			return "", fmt.Errorf("gonbpatch: %w", err)
		}
	}
	for path, content := range added() {
		if err := os.WriteFile(filepath.Join(src, filepath.FromSlash(path)), []byte(content), 0o644); err != nil {
			return "", fmt.Errorf("gonbpatch: %w", err)
		}
	}
	mod, err := os.ReadFile(goMod)
	if err != nil {
		return "", fmt.Errorf("gonbpatch: %w", err)
	}
	if !strings.Contains(string(mod), Module+" "+Version) {
		return "", fmt.Errorf("gonbpatch: %s does not require %s %s, the version the patches are written for", goMod, Module, Version)
	}
	mod = fmt.Appendf(mod, "\n// Added by kernel/gonbpatch: the patched GoNB.\nreplace %s => %s\n", Module, src)
	sum, err := os.ReadFile(strings.TrimSuffix(goMod, ".mod") + ".sum")
	if err != nil {
		return "", fmt.Errorf("gonbpatch: %w", err)
	}
	modPath := filepath.Join(outDir, "go.mod")
	if err := os.WriteFile(modPath, mod, 0o644); err != nil {
		return "", fmt.Errorf("gonbpatch: %w", err)
	}
	if err := os.WriteFile(filepath.Join(outDir, "go.sum"), sum, 0o644); err != nil {
		return "", fmt.Errorf("gonbpatch: %w", err)
	}
	return modPath, nil
}
