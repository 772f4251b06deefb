package cil

import "github.com/pkg/errors"

// MiB is the survey's "MB": 2^20 bytes (one ResNet32 of 463,504 float32
// parameters is 1.77 MB).
const MiB = 1 << 20

// MB is the total memory in MiB, the unit of the survey's memory axis.
func (m Memory) MB() float64 { return float64(m.Total()) / MiB }

// Add returns the sum of m and o, part by part.
func (m Memory) Add(o Memory) Memory {
	return Memory{Exemplars: m.Exemplars + o.Exemplars, Parameters: m.Parameters + o.Parameters, Other: m.Other + o.Other}
}

// ParamBytes is the memory of n float32 parameters: 4 bytes each.
func ParamBytes(n int64) int64 { return 4 * n }

// ExemplarsIn is how many raw examples of exampleBytes fit in bytes: the
// exchange rate of the memory-aligned comparison (one ResNet32, 463,504
// parameters = 1,854,016 bytes, is 603 CIFAR exemplars of 3,072 bytes).
// It panics if exampleBytes <= 0.
func ExemplarsIn(bytes int64, exampleBytes int) int {
	if exampleBytes <= 0 {
		panic(errors.New("cil: ExemplarsIn: exampleBytes must be > 0"))
	}
	if bytes <= 0 {
		return 0
	}
	return int(bytes / int64(exampleBytes))
}

// TopUp is the number of extra exemplars (of exampleBytes each) that brings
// memory m up to target bytes without passing it, 0 if m is already there:
// what an exemplar method adds ([Buffer.Grow]) to be compared with a
// model-expanding one at equal memory.
func TopUp(target int64, m Memory, exampleBytes int) int {
	return ExemplarsIn(target-m.Total(), exampleBytes)
}
