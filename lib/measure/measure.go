package measure

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/labnotes/labnotes/internal/atomicfile"
)

// statusPath is the file Status reads (a variable for tests).
var statusPath = "/proc/self/status"

// Status returns a memory field of /proc/self/status ("VmRSS", "VmHWM", ...)
// in bytes; ok is false where the file or the field does not exist.
func Status(field string) (bytes int64, ok bool) {
	data, err := os.ReadFile(statusPath)
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(data)) {
		rest, found := strings.CutPrefix(line, field+":")
		if !found {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		return kb * 1024, true
	}
	return 0, false
}

// RSS is the process's resident memory in bytes, -1 if unknown.
func RSS() int64 {
	if b, ok := Status("VmRSS"); ok {
		return b
	}
	return -1
}

// PeakRSS is the process's peak resident memory (VmHWM) in bytes, -1 if
// unknown. Unlike getrusage's maxrss it is not inherited across exec.
func PeakRSS() int64 {
	if b, ok := Status("VmHWM"); ok {
		return b
	}
	return -1
}

// Peak is a window for measuring the growth of peak resident memory.
type Peak struct {
	base int64
}

// StartPeak returns the Go heap to the OS, resets the kernel's peak
// counter to the current resident memory (/proc/self/clear_refs) and
// starts a window. Without that reset (non-Linux) the window is unknown.
func StartPeak() Peak {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return Peak{base: -1}
	}
	return Peak{base: RSS()}
}

// Growth is the peak resident memory since StartPeak minus the resident
// memory then, in bytes (0 if it did not grow); -1 if unknown.
func (p Peak) Growth() int64 {
	if p.base < 0 {
		return -1
	}
	hwm := PeakRSS()
	if hwm < 0 {
		return -1
	}
	return max(hwm-p.base, 0)
}

// GrowthMB is Growth in MB (2^20 bytes), NaN if unknown.
func (p Peak) GrowthMB() float64 {
	g := p.Growth()
	if g < 0 {
		return math.NaN()
	}
	return float64(g) / (1 << 20)
}

// GPUMemoryUsedMB is the memory in use on GPU 0 as nvidia-smi reports it
// (all processes; MB), and whether there is such a GPU.
func GPUMemoryUsedMB() (float64, bool) {
	out, err := exec.Command("nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0").Output()
	if err != nil {
		return 0, false
	}
	mb, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	return mb, err == nil
}

// LoadAvg is the first three fields of /proc/loadavg (1, 5 and 15 minute
// load averages), "" if unknown: other work on the machine distorts timings.
func LoadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

// WriteJSON writes v as indented JSON to path, creating its folder, through
// a temporary file renamed into place: a reader never sees half a file.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("measure: %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("measure: %w", err)
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("measure: writing %s: %w", path, err)
	}
	return nil
}

// ResultPrefix starts the lines by which a benchmark process (a child, or
// a PyTorch script) reports a result: "RESULT {json}".
const ResultPrefix = "RESULT "

// ParseResults splits a benchmark process's output into its results (the
// JSON objects of its ResultPrefix lines, in order) and its other non-empty
// lines (trimmed). A RESULT line that is not a JSON object goes to other.
func ParseResults(out []byte) (results []map[string]any, other []string) {
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		if js, ok := strings.CutPrefix(line, ResultPrefix); ok {
			var m map[string]any
			if json.Unmarshal([]byte(js), &m) == nil && m != nil {
				results = append(results, m)
				continue
			}
		}
		if line != "" {
			other = append(other, line)
		}
	}
	return results, other
}

// RunResults runs a benchmark process (e.g. a PyTorch script: name
// "python3", args its path and flags), its standard error passed through
// to ours, and returns ParseResults of its standard output. A failed run
// returns what it printed before failing with the error.
func RunResults(name string, args ...string) (results []map[string]any, other []string, err error) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	results, other = ParseResults(out)
	return results, other, err
}
