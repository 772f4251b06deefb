package nb

import (
	"fmt"
	"strings"
)

// Scale is how big a notebook's run is: the same notebook runs as a quick
// smoke test, a CPU-sized experiment or a full GPU-sized one.
type Scale string

// The scales a notebook can run at.
const (
	// Smoke is a seconds-long run that only checks the code works.
	Smoke Scale = "smoke"
	// CPU is a run sized for a laptop or CI machine (minutes on 2 cores).
	CPU Scale = "cpu"
	// GPU is the full-size run, meant for an accelerator.
	GPU Scale = "gpu"
)

// Scales lists the valid scales, smallest first.
var Scales = []Scale{Smoke, CPU, GPU}

// ParseScale parses a scale name, ignoring case and surrounding spaces.
func ParseScale(s string) (Scale, error) {
	v := Scale(strings.ToLower(strings.TrimSpace(s)))
	for _, sc := range Scales {
		if v == sc {
			return sc, nil
		}
	}
	return "", fmt.Errorf("nb: invalid scale %q: valid scales are %q, %q and %q", s, Smoke, CPU, GPU)
}

// MustScale is like [ParseScale] but panics on an invalid name.
func MustScale(s string) Scale {
	sc, err := ParseScale(s)
	if err != nil {
		panic(err.Error())
	}
	return sc
}

// String returns the scale's name.
func (s Scale) String() string { return string(s) }

// Pick returns the value for scale s: smoke for [Smoke], cpu for [CPU],
// gpu for [GPU]. It panics on any other scale.
func Pick[T any](s Scale, smoke, cpu, gpu T) T {
	switch s {
	case Smoke:
		return smoke
	case CPU:
		return cpu
	case GPU:
		return gpu
	}
	panic(fmt.Sprintf("nb: Pick: invalid scale %q", string(s)))
}
