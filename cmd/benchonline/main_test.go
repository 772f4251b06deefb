package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/cil"
)

// TestMeasure runs the GoMLX side on synthetic 784-feature data and checks
// the measurement's fields (no timing assertions), then the PyTorch side's
// parsing and ratios with a stand-in script (no Python needed).
func TestMeasure(t *testing.T) {
	testutil.Backend(t)
	train, _ := cil.Synthetic(10, 784, 150, 1, 1)
	side, err := measureGo(train, config(16, 32, 0.01, "sgd", 1), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if side.Examples != 1000 || side.Seconds <= 0 || side.ExamplesPerSec <= 0 || side.OnlineAccuracy < 0.3 {
		t.Errorf("GoMLX side %+v: want 1000 examples timed and learned (online accuracy >= 0.3)", side)
	}
	rep := &Report{GoMLX: side, Optimizer: "sgd"}
	script := filepath.Join(t.TempDir(), "fake.sh")
	os.WriteFile(script, []byte(`echo 'RESULT {"examples_per_s": 500, "online_accuracy": 0.5, "threads": 2}'
echo 'note'
`), 0o755)
	old := *flagPython
	*flagPython = "/bin/sh"
	defer func() { *flagPython = old }()
	if err := runTorch(rep, script, 0.01); err != nil {
		t.Fatal(err)
	}
	want := side.ExamplesPerSec / 500
	if got := rep.Ratio["2:passive"]; got != want || len(rep.Torch) != 3 || len(rep.TorchOther) != 3 || len(rep.LoadAvg) != 3 {
		t.Errorf("ratio %g (all %v, %d results, other %v), want %g for each of the 3 variants", got, rep.Ratio, len(rep.Torch), rep.TorchOther, want)
	}
}
