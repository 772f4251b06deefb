package nb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// runsFolder is where [WorkDir] records which folder each run uses, under
// the user's cache folder (os.UserCacheDir, e.g. ~/.cache).
const runsFolder = "labnotes/runs"

// Hooks; tests replace them.
var (
	// userCacheDir is the folder that holds runsFolder.
	userCacheDir = os.UserCacheDir
	// runKey names the current run: the parent process (the GoNB kernel
	// that runs every cell as a child program) and its start time.
	runKey = parentKey
	// prune removes stale records from the record folder.
	prune = pruneRecords
)

// WorkDir returns the folder where a notebook's cells leave files for later
// cells (checkpoints, results), creating it when needed.
//
// When dir is not empty (the notebook's checkpoints or work parameter) it is
// that folder, created with its parents (mode 0o755): runs that name the same
// folder share it, which is how a notebook resumes an interrupted run.
//
// When dir is empty it is a fresh folder of this run, made with os.MkdirTemp
// ($TMPDIR/labnotes-<name>-*, mode 0o700) and shared by every cell of the
// same kernel run: GoNB runs each cell as a child program of the kernel, so
// the run is named by the parent's process id and start time (from
// /proc/<ppid>/stat; the id alone where there is no /proc), and the folder is
// recorded under os.UserCacheDir()/labnotes/runs. Two runs of a notebook, even
// started at the same moment, get different folders. The record folder must
// be a real directory owned by the user and writable by no one else, and a
// record must be a regular file owned by the user pointing at such a
// directory; WorkDir fails rather than follow anything else (a planted
// symlink). Records of runs whose kernel has ended are removed.
//
// name is the notebook's short name ("07", "maze"): letters, digits, '.',
// '_' and '-'. WorkDir panics with an error starting "nb: WorkDir" when the
// folder cannot be made or a check fails.
func WorkDir(name, dir string) string {
	d, err := workDir(name, dir)
	Check(err)
	return d
}

func workDir(name, dir string) (string, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("nb: WorkDir: %w", err)
		}
		return dir, nil
	}
	key, err := runKey()
	if err != nil {
		return "", fmt.Errorf("nb: WorkDir: naming this run: %w", err)
	}
	return workDirKey(name, key)
}

// workDirKey returns the folder of the run named key of notebook name,
// making and recording a new one when there is none.
func workDirKey(name, key string) (string, error) {
	if !validName(name) {
		return "", fmt.Errorf("nb: WorkDir: notebook name %q: want letters, digits, '.', '_' or '-' (e.g. \"07\")", name)
	}
	runs, err := runsDir()
	if err != nil {
		return "", err
	}
	rec := filepath.Join(runs, name+"-"+key)
	for range 2 {
		if d, err := readRecord(rec); err != nil || d != "" {
			return d, err
		}
		d, err := os.MkdirTemp("", "labnotes-"+name+"-")
		if err != nil {
			return "", fmt.Errorf("nb: WorkDir: %w", err)
		}
		err = writeRecord(runs, rec, d)
		if err == nil {
			prune(runs)
			return d, nil
		}
		os.Remove(d)
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("nb: WorkDir: recording the run's folder: %w", err)
		}
		// Another cell of this run recorded its folder first: use that one.
	}
	return "", fmt.Errorf("nb: WorkDir: %s keeps changing", rec)
}

// validName reports whether name can be part of a file name.
func validName(name string) bool {
	if name == "" || name == "." || name == ".." {
		return false
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// runsDir returns the record folder, creating it (mode 0o700) when needed,
// after checking that it and its parent are directories (not symlinks)
// owned by the user and writable by no one else.
func runsDir() (string, error) {
	cache, err := userCacheDir()
	if err != nil {
		return "", fmt.Errorf("nb: WorkDir: %w", err)
	}
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return "", fmt.Errorf("nb: WorkDir: %w", err)
	}
	d := cache
	for _, part := range strings.Split(runsFolder, "/") {
		d = filepath.Join(d, part)
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("nb: WorkDir: %w", err)
		}
		if err := checkPrivateDir(d); err != nil {
			return "", err
		}
	}
	return d, nil
}

// checkPrivateDir checks that d is a directory (not a symlink to one),
// owned by the user, that no one else can write.
func checkPrivateDir(d string) error {
	fi, err := os.Lstat(d)
	if err != nil {
		return fmt.Errorf("nb: WorkDir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("nb: WorkDir: %s is not a directory (%s): remove it", d, fi.Mode().Type())
	}
	if !ownedByUser(fi) {
		return fmt.Errorf("nb: WorkDir: %s is not owned by you: remove it", d)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("nb: WorkDir: %s is writable by others (mode %s): want 0700", d, fi.Mode().Perm())
	}
	return nil
}

// readRecord returns the folder recorded in rec, or "" when there is no
// record or its folder is gone (then it removes the record).
func readRecord(rec string) (string, error) {
	fi, err := os.Lstat(rec)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("nb: WorkDir: %w", err)
	}
	if !fi.Mode().IsRegular() || !ownedByUser(fi) {
		return "", fmt.Errorf("nb: WorkDir: %s is not a regular file owned by you (%s): remove it", rec, fi.Mode().Type())
	}
	b, err := readNoFollow(rec)
	if err != nil {
		return "", fmt.Errorf("nb: WorkDir: %w", err)
	}
	d := string(b)
	if !filepath.IsAbs(d) {
		return "", fmt.Errorf("nb: WorkDir: %s holds %q, not an absolute folder path: remove it", rec, d)
	}
	if _, err := os.Lstat(d); errors.Is(err, fs.ErrNotExist) {
		os.Remove(rec)
		return "", nil
	}
	if err := checkPrivateDir(d); err != nil {
		return "", err
	}
	return d, nil
}

// writeRecord records folder d in rec without ever replacing a file: it
// writes a new temporary file (O_EXCL) in runs and hard-links it to rec,
// which fails with fs.ErrExist when rec exists.
func writeRecord(runs, rec, d string) error {
	f, err := os.CreateTemp(runs, ".record-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.WriteString(d)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Link(tmp, rec)
}

// pruneRecords removes the records of runs whose kernel process has ended
// (best effort: errors are ignored). A record's name ends in -<pid>-<start>.
func pruneRecords(runs string) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return // No /proc: no way to tell.
	}
	entries, err := os.ReadDir(runs)
	if err != nil {
		return
	}
	for _, e := range entries {
		parts := strings.Split(e.Name(), "-")
		if len(parts) < 3 || !e.Type().IsRegular() {
			continue
		}
		pid, err := strconv.Atoi(parts[len(parts)-2])
		if err != nil {
			continue
		}
		start, err := processStart(pid)
		if errors.Is(err, fs.ErrNotExist) || err == nil && start != parts[len(parts)-1] {
			os.Remove(filepath.Join(runs, e.Name()))
		}
	}
}

// parentKey names the parent process: "<pid>-<start time in clock ticks
// since boot>", or "<pid>-0" where there is no /proc.
func parentKey() (string, error) {
	ppid := os.Getppid()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return fmt.Sprintf("%d-0", ppid), nil
	}
	start, err := processStart(ppid)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d-%s", ppid, start), nil
}

// processStart returns the start time of process pid: field 22 of
// /proc/<pid>/stat.
func processStart(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	return statStart(string(b))
}

// statStart returns field 22 (starttime) of a /proc/<pid>/stat line. The
// second field, the command in parentheses, may hold spaces and ')', so
// fields are counted after its last ')'.
func statStart(stat string) (string, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return "", fmt.Errorf("nb: WorkDir: unexpected /proc stat line %q", stat)
	}
	f := strings.Fields(stat[i+1:])
	const startField = 22 - 3 // fields 1 and 2 are before ')'; f[0] is field 3
	if len(f) <= startField {
		return "", fmt.Errorf("nb: WorkDir: /proc stat line with %d fields, want at least 22", len(f)+2)
	}
	if _, err := strconv.ParseUint(f[startField], 10, 64); err != nil {
		return "", fmt.Errorf("nb: WorkDir: /proc stat start time %q is not a number", f[startField])
	}
	return f[startField], nil
}
