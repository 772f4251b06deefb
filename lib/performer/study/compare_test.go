package study

import (
	"strings"
	"testing"

	"github.com/labnotes/labnotes/lib/performer/transformer"
)

func TestResultFiles(t *testing.T) {
	dir := t.TempDir()
	for _, res := range []transformer.Result{
		{Name: "exact, fine-tuned", Accuracy: 0.5, History: []transformer.Point{{Step: 0, EvalAccuracy: 0.25}, {Step: 10, EvalAccuracy: 0.5}}},
		{Name: "FAVOR+ softmax (m=64)/x", Steps: 3},
		{Name: "empty"},
	} {
		if err := SaveResult(dir, res); err != nil {
			t.Fatal(err)
		}
		got, err := LoadResult(dir, res.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != res.Name || got.Steps != res.Steps || got.Accuracy != res.Accuracy || len(got.History) != len(res.History) {
			t.Errorf("round trip of %+v gave %+v", res, got)
		}
		wantZero := 0.0
		if len(res.History) > 0 {
			wantZero = res.History[0].EvalAccuracy
		}
		if got.ZeroShot() != wantZero {
			t.Errorf("%s: ZeroShot %g, want %g", res.Name, got.ZeroShot(), wantZero)
		}
	}
	xs, ys := transformer.Result{History: []transformer.Point{{Step: 5, EvalAccuracy: 0.1}}}.Curve(100)
	if len(xs) != 1 || xs[0] != 105 || ys[0] != 0.1 {
		t.Errorf("Curve(100) = %v, %v", xs, ys)
	}
	if _, err := LoadResult(dir, "missing"); err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("missing result: %v", err)
	}
}
