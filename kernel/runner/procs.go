package runner

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// procStat is what we read from /proc/<pid>/stat.
type procStat struct {
	ppid, pgid int
	start      uint64 // start time, to recognize a pid that was reused
}

func readProcStat(pid int) (procStat, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(s[i+1:]) // state ppid pgrp session tty tpgid flags ... starttime(20th)
	if len(f) < 20 || f[0] == "Z" {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	pgid, _ := strconv.Atoi(f[2])
	start, _ := strconv.ParseUint(f[19], 10, 64)
	return procStat{ppid: ppid, pgid: pgid, start: start}, true
}

// trackGroups records GoNB's temporary folder (the working folder of gopls, which GoNB removes
// only when it exits cleanly) and the process groups, other than the kernel's own, led by descendants of
// the kernel (GoNB starts gopls in its own group, which a kill of the kernel's group misses and
// which outlives a killed kernel). Linux only; elsewhere it records nothing.
func (k *kernelProc) trackGroups() {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	stats := map[int]procStat{}
	children := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readProcStat(pid); ok {
			stats[pid] = st
			children[st.ppid] = append(children[st.ppid], pid)
		}
	}
	root := k.cmd.Process.Pid
	queue := append([]int(nil), children[root]...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		st := stats[pid]
		if k.gonbDir == "" {
			if cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd"); err == nil && isGoNBDir(cwd) {
				k.groupsMu.Lock()
				k.gonbDir = cwd
				k.groupsMu.Unlock()
			}
		}
		if st.pgid == pid && st.pgid != root {
			k.groupsMu.Lock()
			if k.groups == nil {
				k.groups = map[int]uint64{}
			}
			k.groups[pid] = st.start
			k.groupsMu.Unlock()
		}
		queue = append(queue, children[pid]...)
	}
}

// isGoNBDir reports whether dir is a GoNB kernel's temporary folder (os.TempDir()/gonb_<id>, where
// GoNB writes the cells' code and binaries and runs gopls).
func isGoNBDir(dir string) bool {
	return filepath.Dir(dir) == filepath.Clean(os.TempDir()) && strings.HasPrefix(filepath.Base(dir), "gonb_")
}

// killGroups kills the recorded process groups whose leader is still the same process.
func (k *kernelProc) killGroups() {
	k.groupsMu.Lock()
	defer k.groupsMu.Unlock()
	for pid, start := range k.groups {
		if st, ok := readProcStat(pid); ok && st.start == start && st.pgid == pid {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
	k.groups = nil
}
