package nb

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// Output hooks; tests replace them.
var (
	// inNotebook reports whether rich output goes to a GoNB notebook.
	inNotebook = func() bool { return gonbui.IsNotebook }
	// displayHTML shows HTML as a new cell output. It waits until GoNB has the output: a
	// cell program that exits right after a display could otherwise lose it (seen once with
	// GoNB v0.11.5: a cell's last table and claims missing from a run that passed).
	displayHTML = func(h string) { gonbui.DisplayHTML(h); gonbui.Sync() }
	// updateHTML shows or replaces the cell output with the given id, and waits likewise.
	updateHTML = func(id, h string) { gonbui.UpdateHTML(id, h); gonbui.Sync() }
	// syncDisplay waits until displayed content reached the notebook.
	syncDisplay = gonbui.Sync
	// newID returns a unique display id.
	newID = gonbui.UniqueId

	stdout, stderr io.Writer // nil: os.Stdout and os.Stderr at the time of writing.
	exit           = os.Exit
)

// outW returns the writer for text output.
func outW() io.Writer {
	if stdout != nil {
		return stdout
	}
	return os.Stdout
}

// errW returns the writer for error messages.
func errW() io.Writer {
	if stderr != nil {
		return stderr
	}
	return os.Stderr
}

// esc escapes text for HTML.
func esc(s string) string { return html.EscapeString(s) }

// Format formats a value the way tables and progress metrics show it:
// floats with 4 significant digits (integral floats without decimals),
// durations rounded to milliseconds (or microseconds when shorter), nil as
// an empty string and anything else with fmt's %v.
func Format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case time.Duration:
		switch {
		case x >= time.Second:
			return x.Round(time.Millisecond).String()
		case x >= time.Millisecond:
			return x.Round(10 * time.Microsecond).String()
		}
		return x.String()
	case fmt.Stringer:
		return x.String()
	case error:
		return x.Error()
	}
	return fmt.Sprint(v)
}

// formatFloat uses 4 significant digits, dropping the decimals of integral
// values below 1e7.
func formatFloat(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	if x == math.Trunc(x) && math.Abs(x) < 1e7 {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// isNumber reports whether v is a numeric value (aligned right in tables).
func isNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr,
		float32, float64, time.Duration:
		return true
	}
	return false
}

// formatDuration formats a duration for progress bars: "850ms", "12.3s",
// "4m05s", "1h02m".
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
