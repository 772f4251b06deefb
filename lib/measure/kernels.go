package measure

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Launch is one GPU kernel launch and its duration, as Nsight Compute
// (ncu) measured it.
type Launch struct {
	Name       string  // the kernel's name (XLA's: its fusion's, e.g. loop_multiply_fusion_3)
	DurationNS float64 // gpu__time_duration.sum, in nanoseconds
}

// ParseNCU reads the CSV that `ncu --csv --metrics gpu__time_duration.sum`
// writes (one row per kernel launch and metric; lines before the header,
// such as ncu's own messages, are skipped) and returns the launches in
// order. Durations in ns, us, ms or s (ncu's "nsecond", "usecond",
// "msecond", "second") are converted to nanoseconds. An input without the
// header, or a row with an unknown unit or a value that is not a number, is
// an error naming the line.
func ParseNCU(r io.Reader) ([]Launch, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var name, metric, unit, value = -1, -1, -1, -1
	var out []Launch
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("measure: ncu CSV: %w", err)
		}
		if name < 0 {
			for i, f := range rec {
				switch f {
				case "Kernel Name":
					name = i
				case "Metric Name":
					metric = i
				case "Metric Unit":
					unit = i
				case "Metric Value":
					value = i
				}
			}
			if name < 0 || metric < 0 || unit < 0 || value < 0 {
				name = -1 // not the header yet
			}
			continue
		}
		if len(rec) <= max(name, metric, unit, value) || rec[metric] != "gpu__time_duration.sum" {
			continue
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(rec[value], ",", ""), 64)
		if err != nil {
			return nil, fmt.Errorf("measure: ncu CSV line %d: duration %q is not a number", line, rec[value])
		}
		scale, ok := map[string]float64{"nsecond": 1, "ns": 1, "usecond": 1e3, "us": 1e3, "msecond": 1e6, "ms": 1e6, "second": 1e9, "s": 1e9}[rec[unit]]
		if !ok {
			return nil, fmt.Errorf("measure: ncu CSV line %d: unknown duration unit %q", line, rec[unit])
		}
		out = append(out, Launch{Name: rec[name], DurationNS: v * scale})
	}
	if name < 0 {
		return nil, errors.New("measure: ncu CSV: no header with Kernel Name, Metric Name, Metric Unit and Metric Value (run ncu with --csv --metrics gpu__time_duration.sum)")
	}
	return out, nil
}

// kernelCategories classify kernel names, first match wins.
var kernelCategories = []struct {
	name string
	re   *regexp.Regexp
}{
	{"attention", regexp.MustCompile(`(?i)sdpa|fmha|flash|cudnn`)},
	{"matmul", regexp.MustCompile(`(?i)gemm|xmma|cutlass|nvjet|cublas|\bdot|_dot|aten::(mm|bmm|addmm|matmul|linear)\b|_(mm|bmm|addmm)(_|\b)`)},
	{"reduction", regexp.MustCompile(`(?i)reduce|reduction|triton_red_|triton_per_`)},
	{"transpose/copy", regexp.MustCompile(`(?i)transpose|copy|concatenate|slice|pad|dynamic_update`)},
	{"gather/scatter", regexp.MustCompile(`(?i)gather|scatter`)},
	{"elementwise fusion", regexp.MustCompile(`(?i)fusion|loop_|elementwise|triton_poi_`)},
}

// KernelCategory sorts a kernel name into attention, matmul, reduction,
// transpose/copy, gather/scatter, elementwise fusion or other, by the names
// XLA, cuBLAS, cuDNN and PyTorch (Inductor's Triton kernels, ATen
// operators) give their kernels.
func KernelCategory(name string) string {
	for _, c := range kernelCategories {
		if c.re.MatchString(name) {
			return c.name
		}
	}
	return "other"
}

// KernelGroup is the launches of one kernel name (or one category).
type KernelGroup struct {
	Name     string  `json:"name"`
	Category string  `json:"category,omitempty"`
	Launches int     `json:"launches"`
	MS       float64 `json:"ms"`    // total
	Share    float64 `json:"share"` // of the summary's total time
}

// KernelSummary is where a profiled run's GPU time went.
type KernelSummary struct {
	Launches   int           `json:"launches"`
	TotalMS    float64       `json:"total_ms"`
	Steps      int           `json:"steps"`       // the training steps the launches cover (0: unknown)
	PerStepMS  float64       `json:"per_step_ms"` // TotalMS / Steps
	Categories []KernelGroup `json:"categories"`  // by time, largest first
	Top        []KernelGroup `json:"top_kernels"` // the top kernel names by time
}

// SummarizeKernels groups launches by category and by kernel name (XLA's
// numbered fusions keep their numbers: each is its own kernel), with the
// top names by total time; steps is how many training steps the launches
// cover (0 when unknown).
func SummarizeKernels(launches []Launch, steps, top int) KernelSummary {
	s := KernelSummary{Launches: len(launches), Steps: steps}
	byCat, byName := map[string]*KernelGroup{}, map[string]*KernelGroup{}
	for _, l := range launches {
		ms := l.DurationNS / 1e6
		s.TotalMS += ms
		cat := KernelCategory(l.Name)
		for _, g := range []struct {
			m   map[string]*KernelGroup
			key string
		}{{byCat, cat}, {byName, l.Name}} {
			k := g.m[g.key]
			if k == nil {
				k = &KernelGroup{Name: g.key}
				if g.key == l.Name {
					k.Category = cat
				}
				g.m[g.key] = k
			}
			k.Launches++
			k.MS += ms
		}
	}
	if steps > 0 {
		s.PerStepMS = s.TotalMS / float64(steps)
	}
	sorted := func(m map[string]*KernelGroup) []KernelGroup {
		var out []KernelGroup
		for _, g := range m {
			if s.TotalMS > 0 {
				g.Share = g.MS / s.TotalMS
			}
			out = append(out, *g)
		}
		slices.SortFunc(out, func(a, b KernelGroup) int { return cmp.Or(cmp.Compare(b.MS, a.MS), cmp.Compare(a.Name, b.Name)) })
		return out
	}
	s.Categories = sorted(byCat)
	s.Top = sorted(byName)
	s.Top = s.Top[:min(top, len(s.Top))]
	return s
}
