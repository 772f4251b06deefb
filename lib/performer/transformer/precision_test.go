package transformer

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/performer"
	"github.com/labnotes/labnotes/lib/performer/lra"
)

// bf16Tolerance is the largest difference allowed between bfloat16 and float32 logits of the
// same weights, relative to the largest float32 logit (bfloat16 keeps 8 significant bits,
// 0.4%; a model's few layers add up a few of those).
const bf16Tolerance = 0.03

// TestBFloat16Forward: the same weights give logits within bf16Tolerance of float32's in
// bfloat16, for language models and classifiers with exact attention and FAVOR+; the
// variables stay float32 and the same.
func TestBFloat16Forward(t *testing.T) {
	be := testutil.Backend(t)
	tokens := [][]int32{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1}, {3, 3, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}
	mask := [][]bool{slices.Repeat([]bool{true}, 16), append(slices.Repeat([]bool{true}, 5), slices.Repeat([]bool{false}, 11)...)}
	for _, classifier := range []bool{false, true} {
		for _, att := range []Attention{Exact, FAVOR} {
			t.Run(fmt.Sprintf("classifier=%v/%s", classifier, att), func(t *testing.T) {
				store := model.NewStore()
				store.SetParams(Config{Attention: att, EmbedDim: 32, NumLayers: 2, NumHeads: 4, MaxLen: 16,
					Kernel: performer.KernelSoftmax, NumFeatures: 64, Precision: backend.Float32}.Params())
				store.SetParam(initializer.ParamInitialSeed, int64(3))
				want := testutil.Float64s(buildModel(t, be, store, classifier, tokens, mask))
				before := paths(store)
				store.SetParam(ParamPrecision, string(backend.BFloat16))
				got := testutil.Float64s(buildModel(t, be, store, classifier, tokens, mask))
				if after := paths(store); !slices.Equal(before, after) {
					t.Errorf("variables changed with the precision:\n%v\n%v", before, after)
				}
				for v := range store.IterVariables() {
					if IsModelVariable(v.Path()) && v.Shape().DType.String() != "Float32" {
						t.Errorf("%s is %s, want float32 master weights", v.Path(), v.Shape())
					}
				}
				scale := 0.0
				for _, w := range want {
					scale = max(scale, math.Abs(w))
				}
				t.Logf("max |bf16 - f32| / max |f32| = %.3g", maxAbsDiff(got, want)/scale)
				testutil.AssertClose(t, "bfloat16 logits vs float32", got, want, bf16Tolerance*max(1, scale))
			})
		}
	}
}

// bf16LossTolerance bounds |bfloat16 - float32| evaluation loss along a training run, in
// nats: 1% of the loss at the start (about 6.5 here). Measured on the Go backend (80 steps,
// evaluations every 10): at most 0.044 (FAVOR+) and 0.038 (exact) apart, for losses going
// from 6.5 to 0.15; the runs drift apart slowly as rounding changes the trajectory.
const bf16LossTolerance = 0.065

// TestBFloat16Training: 80 Adam steps of a small language model (FAVOR+ and exact) in
// bfloat16 track float32's: evaluation losses within bf16LossTolerance of float32's at
// every evaluation, and bfloat16 learns.
func TestBFloat16Training(t *testing.T) {
	be := testutil.Backend(t)
	text := []byte(strings.Repeat("func main() { fmt.Println(\"hello, world\") }\n", 200))
	for _, att := range []Attention{FAVOR, Exact} {
		t.Run(string(att), func(t *testing.T) {
			var curves [2][]Point
			var runs [2]*Run
			for i, p := range []backend.Precision{backend.Float32, backend.BFloat16} {
				cfg := Config{Attention: att, EmbedDim: 32, NumLayers: 1, NumHeads: 2, MaxLen: 32,
					Kernel: performer.KernelSoftmax, NumFeatures: 32, Precision: p}
				r := NewRun(be, string(p), cfg, Task{VocabSize: 256}, 1e-2, 1)
				r.Quiet = true
				trainDS := lra.NewWindowDataset("train", text, 32, 8).Seed(1)
				validDS := lra.NewWindowDataset("valid", text[:2000], 32, 8).Sequential().Steps(4)
				if err := r.Record(validDS); err != nil {
					t.Fatal(err)
				}
				if err := r.Train(trainDS, validDS, 80, 10); err != nil {
					t.Fatal(err)
				}
				curves[i], runs[i] = r.History, r
			}
			for j, p := range curves[0] {
				q := curves[1][j]
				t.Logf("step %d: eval loss float32 %.4f, bfloat16 %.4f", p.Step, p.EvalLoss, q.EvalLoss)
				if math.Abs(q.EvalLoss-p.EvalLoss) > bf16LossTolerance {
					t.Errorf("step %d: bfloat16 eval loss %.4f vs float32 %.4f: more than %g apart", p.Step, q.EvalLoss, p.EvalLoss, bf16LossTolerance)
				}
			}
			if first, last := curves[1][0], curves[1][len(curves[1])-1]; !(last.EvalLoss < first.EvalLoss-4) {
				t.Errorf("bfloat16 training did not learn: %+v -> %+v", first, last)
			}
			// A float32 checkpoint loads into a bfloat16 run (float32 master weights in both).
			dir := t.TempDir()
			if err := runs[0].Save(dir); err != nil {
				t.Fatal(err)
			}
			cfg := runs[0].Config
			cfg.Precision = backend.BFloat16
			r := NewRun(be, "bf16 from f32", cfg, Task{VocabSize: 256}, 1e-2, 1)
			if _, err := r.LoadWeights(dir); err != nil {
				t.Fatal(err)
			}
			l, _, err := r.Evaluate(lra.NewWindowDataset("valid", text[:2000], 32, 8).Sequential().Steps(4))
			if want := curves[0][len(curves[0])-1].EvalLoss; err != nil || math.Abs(l-want) > bf16LossTolerance {
				t.Errorf("float32 checkpoint evaluated in bfloat16: loss %.4f (%v), float32's %.4f", l, err, want)
			}
		})
	}
}

// TestConfigPrecision: NewConfig reads ParamPrecision in either spelling that
// backend.ParsePrecision accepts, Params writes it back (and nothing for
// backend.Auto), and an unknown precision panics with an error naming it.
func TestConfigPrecision(t *testing.T) {
	for _, tc := range []struct {
		param string
		want  backend.Precision
	}{
		{"", backend.Auto}, {"f32", backend.Float32}, {"float32", backend.Float32},
		{"bf16", backend.BFloat16}, {"bfloat16", backend.BFloat16},
	} {
		store := model.NewStore()
		if tc.param != "" {
			store.SetParam(ParamPrecision, tc.param)
		}
		c := NewConfig(store.RootScope())
		if c.Precision != tc.want {
			t.Errorf("%s = %q: Config.Precision %q, want %q", ParamPrecision, tc.param, c.Precision, tc.want)
		}
		if got, ok := c.Params()[ParamPrecision]; (tc.want == backend.Auto) == ok || ok && got != string(tc.want) {
			t.Errorf("Config{Precision: %q}.Params()[%s] = %v (%v)", c.Precision, ParamPrecision, got, ok)
		}
	}
	defer func() {
		if r, ok := recover().(error); !ok || !strings.HasPrefix(r.Error(), "transformer: ") || !strings.Contains(r.Error(), `"float8"`) {
			t.Errorf("unknown precision: recovered %v", r)
		}
	}()
	Config{Precision: "float8"}.withDefaults()
}
