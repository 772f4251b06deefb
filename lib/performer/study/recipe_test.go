package study

import (
	"strings"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/performer/lra"
	"github.com/labnotes/labnotes/lib/performer/transformer"
)

func TestLRARecipes(t *testing.T) {
	for _, tc := range []struct {
		r                                 LRARecipe
		layers, width, heads, ffn, maxLen int
		batch, steps, every, train, test  int
		lr                                float64
		source                            string
	}{
		{ListOpsRecipe(), 6, 512, 8, 2048, 2000, 32, 5000, 500, 96_000, 2000, 1e-3, "base_listops_config.py"},
		{ImageRecipe(60_000), 1, 128, 8, 128, 784, 256, 234 * 200, 234 * 20, 60_000, 10_000, 5e-4, "performer_base.py"},
	} {
		m, r := tc.r.Model, tc.r
		if m.NumLayers != tc.layers || m.EmbedDim != tc.width || m.NumHeads != tc.heads || m.FFNDim != tc.ffn || m.MaxLen != tc.maxLen ||
			r.Batch != tc.batch || r.Steps != tc.steps || r.EvalEvery != tc.every || r.Train != tc.train || r.Test != tc.test ||
			r.LearningRate != tc.lr || r.NumFeatures != 256 || !strings.Contains(r.String(), tc.source) || r.Departures == "" {
			t.Errorf("%s: %+v", r.Name, r)
		}
	}
	if c := ListOpsRecipe().ListOps; c != (lra.ListOpsConfig{MinLength: 500, MaxLength: 2000, MaxDepth: 10, MaxArgs: 10, Seed: 1}) {
		t.Errorf("ListOps generator %+v", c)
	}
	if m := ImageRecipe(60_000).Model; m.HeadDim != 8 || m.Dropout != 0.3 {
		t.Errorf("Image model %+v, want heads of 8 and dropout 0.3", m)
	}
}

// TestImageRecipeModel trains the Image recipe's model (8 heads of 8 on a
// width of 128) for two steps on short sequences.
func TestImageRecipeModel(t *testing.T) {
	m := ImageRecipe(60_000).Model
	m.MaxLen = 16
	var ex []lra.Example
	for i := range 8 {
		toks := make([]int32, 16)
		for j := range toks {
			toks[j] = int32((i * j) % 256)
		}
		ex = append(ex, lra.Example{Tokens: toks, Label: int32(i % 10)})
	}
	ds := lra.NewSequenceDataset("tiny", ex, 0, 4)
	runs, err := Compare(testutil.Backend(t), transformer.Task{VocabSize: 256, NumClasses: 10},
		[]Contender{{Name: "exact", Config: m}}, ds, ds, 2, 0, 5e-4, 1)
	if err != nil {
		t.Fatal(err)
	}
	res := runs[0].Result()
	if res.Steps != 2 || res.StepMs <= 0 {
		t.Errorf("result %+v", res)
	}
	if p := Pace(res); p.Done != 2 || p.Seconds != 2*res.StepMs/1000 || p.Unit != "training step" {
		t.Errorf("Pace = %+v", p)
	}
}
