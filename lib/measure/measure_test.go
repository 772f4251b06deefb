package measure

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
)

func TestStatus(t *testing.T) {
	dir := t.TempDir()
	fake := testutil.WriteFile(t, dir, "status", "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t1024 kB\nVmBad:\tzz kB\nVmEmpty:\n")
	old := statusPath
	defer func() { statusPath = old }()
	statusPath = fake
	for _, tc := range []struct {
		field string
		want  int64
		ok    bool
	}{
		{"VmHWM", 2048 << 10, true},
		{"VmRSS", 1024 << 10, true},
		{"VmSwap", 0, false},
		{"VmBad", 0, false},
		{"VmEmpty", 0, false},
		{"Vm", 0, false}, // a prefix of a field is not the field
	} {
		got, ok := Status(tc.field)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Status(%q) = %d, %v; want %d, %v", tc.field, got, ok, tc.want, tc.ok)
		}
	}
	if PeakRSS() != 2048<<10 || RSS() != 1024<<10 {
		t.Errorf("PeakRSS, RSS = %d, %d", PeakRSS(), RSS())
	}
	statusPath = filepath.Join(dir, "missing")
	if PeakRSS() != -1 || RSS() != -1 {
		t.Errorf("without a status file: PeakRSS, RSS = %d, %d, want -1", PeakRSS(), RSS())
	}
	if g := (Peak{base: -1}).GrowthMB(); !math.IsNaN(g) {
		t.Errorf("unknown window: GrowthMB = %g, want NaN", g)
	}
}

func TestPeak(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	p := StartPeak()
	buf := make([]byte, 96<<20)
	for i := range buf {
		buf[i] = 1
	}
	runtime.KeepAlive(buf)
	if g := p.GrowthMB(); g < 90 || g > 400 {
		t.Errorf("growth after touching 96 MB: %.1f MB", g)
	}
	// A new window starts from the current memory, not from the earlier peak.
	buf = nil
	q := StartPeak()
	if g := q.GrowthMB(); g > 50 {
		t.Errorf("fresh window grew %.1f MB without allocating", g)
	}
}

func TestLoadAvg(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	if f := strings.Fields(LoadAvg()); len(f) != 3 {
		t.Errorf("LoadAvg() = %q, want three fields", LoadAvg())
	}
}

func TestWriteJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b.json")
	if err := WriteJSON(path, map[string]int{"x": 1}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "{\n  \"x\": 1\n}\n" {
		t.Errorf("wrote %q, %v", data, err)
	}
	if err := WriteJSON(path, func() {}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("unencodable value: %v, want an error naming the file", err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(data) {
		t.Errorf("a failed write changed the file")
	}
	if err := WriteJSON(filepath.Join(path, "c.json"), 1); err == nil {
		t.Errorf("writing under a file: no error")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestParseResults(t *testing.T) {
	out := []byte("warming up\nRESULT {\"method\": \"a\", \"ms\": 1.5}\n\n  RESULT {\"method\": \"b\"}  \nRESULT not json\nRESULT [1]\n")
	res, other := ParseResults(out)
	if len(res) != 2 || res[0]["method"] != "a" || res[0]["ms"] != 1.5 || res[1]["method"] != "b" {
		t.Errorf("results %v", res)
	}
	if want := []string{"warming up", "RESULT not json", "RESULT [1]"}; !slices.Equal(other, want) {
		t.Errorf("other lines %q, want %q", other, want)
	}
}

// TestRunResults runs a shell that prints a result, a plain line and then
// fails: both lines come back, with the error.
func TestRunResults(t *testing.T) {
	res, other, err := RunResults("sh", "-c", `echo 'RESULT {"ms": 2}'; echo warming up; exit 3`)
	if err == nil || len(res) != 1 || res[0]["ms"] != 2.0 || len(other) != 1 || other[0] != "warming up" {
		t.Errorf("RunResults: %v, %v, %v; want one result {ms: 2}, one other line and an exit error", res, other, err)
	}
}
