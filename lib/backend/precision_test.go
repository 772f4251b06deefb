package backend

import (
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
)

func TestParsePrecision(t *testing.T) {
	tests := []struct {
		in      string
		want    Precision
		wantErr bool
	}{
		{"", Auto, false},
		{"f32", Float32, false},
		{"float32", Float32, false},
		{"bf16", BFloat16, false},
		{"bfloat16", BFloat16, false},
		{"float16", Auto, true},
		{"BF16", Auto, true},
		{" f32", Auto, true},
	}
	for _, tc := range tests {
		got, err := ParsePrecision(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParsePrecision(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), `"`+tc.in+`"`) {
			t.Errorf("ParsePrecision(%q): error %q does not name the input", tc.in, err)
		}
	}
}

func TestPrecisionDType(t *testing.T) {
	gpu := fakeXLA{fakeBackend{name: "xla"}, "cuda"}
	tests := []struct {
		p       Precision
		b       compute.Backend
		want    dtypes.DType
		resolve Precision
	}{
		{Auto, nil, dtypes.Float32, Float32},
		{Auto, fakeBackend{name: "go"}, dtypes.Float32, Float32},
		{Auto, gpu, dtypes.BFloat16, BFloat16},
		{Float32, gpu, dtypes.Float32, Float32},
		{"float32", gpu, dtypes.Float32, Float32},
		{BFloat16, fakeBackend{name: "go"}, dtypes.BFloat16, BFloat16},
		{"bfloat16", nil, dtypes.BFloat16, BFloat16},
	}
	for _, tc := range tests {
		if got := tc.p.DType(tc.b); got != tc.want {
			t.Errorf("Precision(%q).DType(%v) = %s, want %s", tc.p, tc.b, got, tc.want)
		}
		if got := tc.p.Resolve(tc.b); got != tc.resolve {
			t.Errorf("Precision(%q).Resolve(%v) = %q, want %q", tc.p, tc.b, got, tc.resolve)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(error).Error(), `"float8"`) {
			t.Errorf("Precision(\"float8\").DType: recovered %v, want a panic naming \"float8\"", r)
		}
	}()
	Precision("float8").DType(nil)
}
