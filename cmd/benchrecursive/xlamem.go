package main

import (
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"k8s.io/klog/v2"
)

// XLAMemory is XLA's compiled memory statistics of the largest executable
// the backend compiled (PJRT_Executable_GetCompiledMemoryStats, on the
// device), in MB (2^20 bytes, from go-xla's log, rounded to 0.1 of its
// unit). LivePeakMB = Inputs + Outputs - Aliases + Temporary: what the
// executable holds on the device while it runs, its weights and optimizer
// state included (the parameters are inputs), the generated code excluded.
type XLAMemory struct {
	Executables int     `json:"executables"`
	LivePeakMB  float64 `json:"live_peak_mb"`
	InputsMB    float64 `json:"inputs_mb"`
	OutputsMB   float64 `json:"outputs_mb"`
	AliasesMB   float64 `json:"aliases_mb"`
	TemporaryMB float64 `json:"temporary_mb"`
	CodeMB      float64 `json:"code_mb"`
}

// xlaLog collects go-xla's log lines. go-xla v0.4.13 reads the compiled
// memory statistics of every executable it compiles but exposes them only
// in its V(1) log ("Memory usage: On Device: [Code:..., Inputs:...,
// Outputs:..., Aliases:..., Temporary:...]", compute/xla/executable.go), so
// the benchmark turns that log on for that file and parses it.
type xlaLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *xlaLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for line := range strings.Lines(string(p)) {
		if strings.Contains(line, "Memory usage: On Device:") {
			l.lines = append(l.lines, line)
		}
	}
	return len(p), nil
}

// captureXLAMemory turns on go-xla's V(1) log of compute/xla/executable.go
// (it also logs each execution: two lines a step) into a collector.
func captureXLAMemory() (*xlaLog, error) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	if err := fs.Set("vmodule", "executable=1"); err != nil {
		return nil, err
	}
	l := &xlaLog{}
	klog.LogToStderr(false)
	klog.SetOutput(l)
	return l, nil
}

// Memory returns the statistics of the executable with the largest live
// peak, or nil if none was logged (the Go backend).
func (l *xlaLog) Memory() *XLAMemory {
	klog.Flush()
	l.mu.Lock()
	defer l.mu.Unlock()
	var best *XLAMemory
	for _, line := range l.lines {
		m, err := parseXLAMemory(line)
		if err != nil {
			continue
		}
		if best == nil || m.LivePeakMB > best.LivePeakMB {
			best = &m
		}
	}
	if best != nil {
		best.Executables = len(l.lines)
	}
	return best
}

var onDevice = regexp.MustCompile(`On Device: \[Code:([^,]+), Inputs:([^,]+), Outputs:([^,]+), Aliases:([^,]+), Temporary:([^\]]+)\]`)

// parseXLAMemory reads the on-device statistics of one go-xla log line.
func parseXLAMemory(line string) (XLAMemory, error) {
	g := onDevice.FindStringSubmatch(line)
	if g == nil {
		return XLAMemory{}, fmt.Errorf("benchrecursive: no on-device memory statistics in %q", line)
	}
	var v [5]float64
	for i := range v {
		mb, err := parseMB(g[i+1])
		if err != nil {
			return XLAMemory{}, err
		}
		v[i] = mb
	}
	m := XLAMemory{CodeMB: v[0], InputsMB: v[1], OutputsMB: v[2], AliasesMB: v[3], TemporaryMB: v[4]}
	m.LivePeakMB = m.InputsMB + m.OutputsMB - m.AliasesMB + m.TemporaryMB
	return m, nil
}

// parseMB reads a size as compute's humanize.Bytes writes it ("512 B",
// "1.5 KiB", "12.3 GiB") in MB (2^20 bytes).
func parseMB(s string) (float64, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), " ")
	x, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("benchrecursive: size %q: want a number and a unit (B, KiB, MiB, ...)", s)
	}
	i := strings.Index("BKMGTPE", unit[:1])
	if i < 0 || (i > 0 && unit[1:] != "iB") || (i == 0 && unit != "B") {
		return 0, fmt.Errorf("benchrecursive: size %q: unknown unit %q", s, unit)
	}
	for range i {
		x *= 1024
	}
	return x / (1 << 20), nil
}
