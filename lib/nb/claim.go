package nb

import (
	"fmt"
)

// Claim checks a claim the notebook makes about its results. On success it
// shows "✓ claim: <message>". On failure it shows "✗ claim failed:
// <message>", writes "nb: claim failed: <message>" to stderr and ends the
// cell program with exit status 1, so a headless run of the notebook fails.
func Claim(ok bool, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if ok {
		if inNotebook() {
			displayHTML(`<div style="color:#1a7f37;font-family:sans-serif;margin:2px 0">✓ claim: ` + esc(msg) + `</div>`)
		} else {
			fmt.Fprintf(outW(), "✓ claim: %s\n", msg)
		}
		return
	}
	if inNotebook() {
		displayHTML(`<div style="color:#cf222e;font-weight:bold;font-family:sans-serif;margin:2px 0">✗ claim failed: ` + esc(msg) + `</div>`)
		syncDisplay()
	} else {
		fmt.Fprintf(outW(), "✗ claim failed: %s\n", msg)
	}
	fmt.Fprintf(errW(), "nb: claim failed: %s\n", msg)
	exit(1)
}

// ClaimLess claims got < limit: ClaimLess("test loss", 0.3127, 0.5) shows
// "✓ claim: test loss < 0.5 (got 0.3127)". NaN fails.
func ClaimLess(name string, got, limit float64) {
	Claim(got < limit, "%s < %s (got %s)", name, Format(limit), Format(got))
}

// ClaimGreater claims got > limit: ClaimGreater("accuracy", 0.9312, 0.9)
// shows "✓ claim: accuracy > 0.9 (got 0.9312)". NaN fails.
func ClaimGreater(name string, got, limit float64) {
	Claim(got > limit, "%s > %s (got %s)", name, Format(limit), Format(got))
}
