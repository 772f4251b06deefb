package backend

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestNew creates the real pure-Go backend and runs a tiny graph on it.
func TestNew(t *testing.T) {
	t.Setenv(ConfigEnv, "go")
	var out bytes.Buffer
	stdout = &out
	defer func() { stdout = nil }()

	b := MustNew()
	t.Logf("backend %q: %s", b.Name(), b.Description())
	if again := MustNew(); again != b {
		t.Errorf("second MustNew returned a different backend")
	}
	if !regexp.MustCompile(`^backend: (.+)\n$`).MatchString(out.String()) || out.String() != "backend: go (GOMLX_BACKEND is set; compute float32)\n" {
		t.Errorf("printed %q, want exactly one line %q", out.String(), "backend: go (GOMLX_BACKEND is set; compute float32)\n")
	}
	if os.Getenv(NoAutoInstallEnv) == "" {
		t.Errorf("%s not set by New", NoAutoInstallEnv)
	}

	got, err := graph.CallOnce(b, func(x *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Mul(x, x))
	}, []float32{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if v := tensors.ToScalar[float32](got); v != 14 {
		t.Errorf("sum of squares = %v, want 14", v)
	}

	d := Describe()
	for _, want := range []string{"backend: go (GOMLX_BACKEND is set)", "compiled in: ", "go", "xla", "created: ", "precision: compute float32"} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe() = %q, missing %q", d, want)
		}
	}
}

func TestCreateUnknownBackend(t *testing.T) {
	t.Setenv(NoAutoInstallEnv, "1")
	if _, err := create(Choice{Config: "nosuchbackend"}); err == nil || !strings.Contains(err.Error(), "nosuchbackend") {
		t.Errorf("create(nosuchbackend) error = %v, want one naming the backend", err)
	}
}

func TestChoiceString(t *testing.T) {
	c := Choice{Name: "go", Reason: "no NVIDIA GPU"}
	if got := c.String(); got != "go (no NVIDIA GPU)" {
		t.Errorf("String() = %q", got)
	}
}
