package deep

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/cil"
)

// Tolerances of bfloat16 mixed precision against float32 on the Go backend
// (bfloat16 keeps 8 significant bits: a relative rounding of 2^-9 per
// value), with their measured values (go test -v -run Precision).
const (
	// bf16ForwardTol bounds max|bf16 − f32| / max|f32| of the logits and of
	// the features, on the same weights (TestForward); measured 0.003-0.017.
	bf16ForwardTol = 0.03
	// bf16LossTol bounds |loss_bf16 − loss_f32| of every epoch of a short
	// training run (3 tasks of 5 epochs, same initial weights and batches)
	// as a fraction of the float32 loss of the task's first epoch; measured
	// at most 0.056 (Replay) and 0.034 (DER), 0.025 within the first task.
	bf16LossTol = 0.1
	// bf16AccTol bounds the difference of the last accuracies; measured
	// 0.010.
	bf16AccTol = 0.05
)

// TestPrecisionTraining trains Replay and DER (its auxiliary head and
// weight aligning included) in BFloat16 and Float32 from the same weights
// on the synthetic stream and checks that the bfloat16 loss tracks the
// float32 one epoch by epoch, and that the final accuracies agree.
func TestPrecisionTraining(t *testing.T) {
	be := testutil.Backend(t)
	s := synthetic(t)
	for _, m := range []Method{Replay, DER} {
		var runs [2][]EpochInfo
		var last [2]float64
		for i, p := range []backend.Precision{backend.Float32, backend.BFloat16} {
			o := tiny
			o.Epochs, o.Precision = 5, p
			l, err := New(be, m, o)
			if err != nil {
				t.Fatal(err)
			}
			if l.Options().Precision != p {
				t.Fatalf("%s: Options().Precision = %q, want %q", m, l.Options().Precision, p)
			}
			res, err := cil.Run(l, s, nil)
			if err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
			runs[i], last[i] = l.Epochs, res.Last()
		}
		if len(runs[0]) != 15 || len(runs[1]) != 15 {
			t.Fatalf("%s: %d and %d epochs, want 15", m, len(runs[0]), len(runs[1]))
		}
		worst, scale := 0.0, 0.0
		for j, f := range runs[0] {
			if f.Epoch == 0 {
				scale = f.Loss
			}
			b := runs[1][j]
			d := math.Abs(b.Loss-f.Loss) / scale
			worst = max(worst, d)
			if !(d <= bf16LossTol) {
				t.Errorf("%s task %d epoch %d: bfloat16 loss %.4f, float32 %.4f: differ by %.3f of the task's first loss %.4f, want <= %g",
					m, f.Task, f.Epoch, b.Loss, f.Loss, d, scale, bf16LossTol)
			}
		}
		t.Logf("%s: worst loss difference %.4f of the task's first loss; last accuracy float32 %.3f, bfloat16 %.3f", m, worst, last[0], last[1])
		if !(math.Abs(last[1]-last[0]) <= bf16AccTol) {
			t.Errorf("%s: last accuracy bfloat16 %.3f vs float32 %.3f, want within %g", m, last[1], last[0], bf16AccTol)
		}
	}
}

// TestPrecisionMethods runs every method in BFloat16 (and the CNN with
// DER) and checks that each trains to finite losses and, with the MLP, an
// accuracy on its first task's classes above chance (the tiny CNN does not
// learn this synthetic stream in float32 either).
func TestPrecisionMethods(t *testing.T) {
	be := testutil.Backend(t)
	s := imageStream(t)
	o := Options{Hidden: 16, Epochs: 3, Batch: 32, LR: 1e-2, Memory: 40, Seed: 3, Precision: backend.BFloat16}
	cnn := o
	cnn.Backbone, cnn.Hidden = CNN, 8
	type run struct {
		m Method
		o Options
	}
	var runs []run
	for _, m := range Methods {
		runs = append(runs, run{m, o})
	}
	for _, r := range append(runs, run{DER, cnn}) {
		l, err := New(be, r.m, r.o)
		if err != nil {
			t.Fatal(err)
		}
		res, err := cil.Run(l, s, nil)
		if err != nil {
			t.Fatalf("%s (%s): %v", r.m, r.o.Backbone, err)
		}
		for _, e := range l.Epochs {
			if math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0) {
				t.Errorf("%s (%s): task %d epoch %d loss %g", r.m, r.o.Backbone, e.Task, e.Epoch, e.Loss)
			}
		}
		if a := res.Acc[0][0]; r.o.Backbone != CNN && !(a > 0.5) {
			t.Errorf("%s (%s): accuracy on task 0 after it %.3f, want > 0.5 (chance: 0.5)", r.m, r.o.Backbone, a)
		}
	}
}

// fakeXLA is a backend that reports itself as XLA with a named plugin.
type fakeXLA struct {
	compute.Backend
	plugin string
}

func (f fakeXLA) Name() string       { return "xla" }
func (f fakeXLA) PluginName() string { return f.plugin }

// TestNewPrecision checks that New resolves Options.Precision's zero value
// through lib/backend (float32 on the Go backend and XLA's CPU plugin,
// bfloat16 on XLA's CUDA plugin), keeps an explicit one (in either
// spelling), and refuses an unknown one with an error naming it.
func TestNewPrecision(t *testing.T) {
	be := testutil.Backend(t)
	for _, tc := range []struct {
		name string
		be   compute.Backend
		in   backend.Precision
		want backend.Precision
	}{
		{"test backend (" + be.Name() + ")", be, backend.Auto, map[bool]backend.Precision{true: backend.BFloat16, false: backend.Float32}[be.Name() == "xla"]},
		{"xla cuda", fakeXLA{be, "cuda"}, backend.Auto, backend.BFloat16},
		{"xla cpu", fakeXLA{be, "cpu"}, backend.Auto, backend.Float32},
		{"xla cuda, float32 asked", fakeXLA{be, "cuda"}, "float32", backend.Float32},
		{"test backend, bfloat16 asked", be, "bfloat16", backend.BFloat16},
	} {
		l, err := New(tc.be, Finetune, Options{Precision: tc.in})
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Options().Precision; got != tc.want {
			t.Errorf("%s: New's Options().Precision = %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := New(be, Finetune, Options{Precision: "float16"}); err == nil || !strings.Contains(err.Error(), `"float16"`) {
		t.Errorf("New with Precision \"float16\": error %v, want one naming it", err)
	}
}

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(float64(x)))
	}
	return m
}
