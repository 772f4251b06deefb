package backend

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/pkg/errors"
)

// Precision is the number format a model computes in, shared by every
// trainer in lib (recursive, performer/transformer, cil/deep). Mixed
// precision keeps float32 master weights, optimizer state and EMA; each
// package documents which parts of its computation stay in float32.
type Precision string

const (
	// Auto, the zero value, follows the backend: [DefaultDType] (bfloat16
	// on XLA on a GPU or TPU, float32 elsewhere, e.g. the Go backend).
	Auto Precision = ""
	// Float32 computes everything in float32.
	Float32 Precision = "f32"
	// BFloat16 is mixed precision: the networks compute in bfloat16 from
	// float32 master weights.
	BFloat16 Precision = "bf16"
)

// ParsePrecision returns the Precision s names: "f32" or "float32"
// ([Float32]), "bf16" or "bfloat16" ([BFloat16]), "" ([Auto]); any other
// s is an error naming it.
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "":
		return Auto, nil
	case "f32", "float32":
		return Float32, nil
	case "bf16", "bfloat16":
		return BFloat16, nil
	}
	return Auto, errors.Errorf("backend: unknown precision %q (want f32, float32, bf16, bfloat16 or empty: the backend's)", s)
}

// DType returns the compute dtype of p on b: dtypes.Float32 or
// dtypes.BFloat16; [Auto] gives [DefaultDType](b). It accepts every
// spelling [ParsePrecision] does and panics on any other.
func (p Precision) DType(b compute.Backend) dtypes.DType {
	q, err := ParsePrecision(string(p))
	if err != nil {
		panic(err)
	}
	switch q {
	case Float32:
		return dtypes.Float32
	case BFloat16:
		return dtypes.BFloat16
	}
	return DefaultDType(b)
}

// Resolve returns the precision p computes in on b: [Float32] or
// [BFloat16] ([Auto] resolved by [DefaultDType]). It panics where
// [Precision.DType] does.
func (p Precision) Resolve(b compute.Backend) Precision {
	if p.DType(b) == dtypes.BFloat16 {
		return BFloat16
	}
	return Float32
}
