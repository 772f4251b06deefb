package recursive

import (
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/backend"
)

// Tolerances of bfloat16 (8-bit mantissa) compute against float32 on the Go
// backend. Measured (the tests log them): logits 0.072 (TRM-MLP), 0.028
// (TRM-attention), 0.012 (HRM); loss +1.0% over the last 75 of 150 steps.
const (
	// bf16LogitsTol bounds max|logits_bf16 - logits_f32| / max(1,
	// max|logits_f32|) after one supervision step from the initial state.
	bf16LogitsTol = 0.1
	// bf16LossTol bounds |mean loss_bf16 - mean loss_f32| / mean loss_f32
	// over the last half of a short training run.
	bf16LossTol = 0.05
)

// TestBF16Forward: one supervision step computed in bfloat16 (mixed
// precision, float32 weights and state) stays within bf16LogitsTol of the
// float32 step with the same weights, and its state and logits are float32.
func TestBF16Forward(t *testing.T) {
	be := testutil.Backend(t)
	for _, mod := range []func(*Config){
		func(c *Config) { c.Kind, c.Mixer = TRM, MixMLP },
		func(c *Config) { c.Kind, c.Mixer = TRM, MixAttention },
		func(c *Config) { c.Kind, c.Mixer = HRM, MixAttention },
	} {
		cfg := tinyConfig(TRM)
		mod(&cfg)
		cfg = cfg.WithDefaults()
		store := newTestStore(cfg, 3)
		const b = 4
		tokens, ids, _ := testBatch(cfg, b)
		run := func(p backend.Precision) (logits []float64, stateF32 bool) {
			store.SetParams(map[string]any{ParamPrecision: string(p)})
			out, err := model.CallOnceN(be, store, func(scope *model.Scope, in []*Node) []*Node {
				scope.Store().SetTraining(in[0].Graph(), true) // Variables as parameters: both precisions read the same weights.
				so := Step(scope, in[0], in[1], InitialState(scope, in[0].Graph(), b))
				return append([]*Node{so.Logits}, so.State...)
			}, tokens, ids)
			if err != nil {
				t.Fatal(err)
			}
			stateF32 = true
			for _, o := range out {
				stateF32 = stateF32 && o.DType().String() == "Float32"
			}
			return testutil.Float64s(out[0]), stateF32
		}
		ref, _ := run(backend.Float32)
		low, f32 := run(backend.BFloat16)
		diff := maxAbsDiff(low, ref) / max(1, maxAbs(ref))
		t.Logf("%s %s: bf16 vs f32 logits: max relative difference %.4f (max |logits| %.2f)", cfg.Kind, cfg.Mixer, diff, maxAbs(ref))
		if !f32 {
			t.Errorf("%s %s: bf16 step returned non-float32 logits or state", cfg.Kind, cfg.Mixer)
		}
		if diff > bf16LogitsTol || diff == 0 {
			t.Errorf("%s %s: bf16 logits differ from f32 by %.4f (relative), want in (0, %g]", cfg.Kind, cfg.Mixer, diff, bf16LogitsTol)
		}
	}
}

// TestBF16Training: the tiny TRM trained in bfloat16 tracks float32's loss
// curve (same seed, data and steps) within bf16LossTol, with float32
// weights, optimizer state and EMA.
func TestBF16Training(t *testing.T) {
	be := testutil.Backend(t)
	ds := sudoku4(t, 64, 1)
	const steps = 150
	curve := func(p backend.Precision) []float64 {
		cfg := tinySudokuConfig()
		cfg.Precision = p
		tr := newTrainer(t, be, cfg, ds)
		if err := tr.Train(steps); err != nil {
			t.Fatal(err)
		}
		for v := range tr.Store.IterVariables() {
			if dt := v.DType(); dt.IsHalfPrecision() {
				t.Errorf("%s: variable %s is %s, want float32", p, v.Path(), dt)
			}
		}
		losses := make([]float64, steps)
		for i, h := range tr.History {
			losses[i] = h.Loss
		}
		return losses
	}
	ref, low := curve(backend.Float32), curve(backend.BFloat16)
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x / float64(len(xs))
		}
		return s
	}
	first, lastRef, lastLow := mean(ref[:10]), mean(ref[steps/2:]), mean(low[steps/2:])
	rel := (lastLow - lastRef) / lastRef
	t.Logf("loss: first 10 steps %.4f; last %d steps f32 %.4f, bf16 %.4f (relative %+.4f)", first, steps/2, lastRef, lastLow, rel)
	if lastRef > 0.8*first {
		t.Errorf("float32 loss did not fall: %.4f -> %.4f", first, lastRef)
	}
	if rel > bf16LossTol || rel < -bf16LossTol {
		t.Errorf("bf16 loss %.4f vs f32 %.4f: relative %+.4f, want within ±%g", lastLow, lastRef, rel, bf16LossTol)
	}
}
