package study

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/cil"
	"github.com/labnotes/labnotes/lib/cil/deep"
)

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Pct(0.1234), "12.3"}, {Pct(1), "100.0"}, {Pct(math.NaN()), "NaN"},
		{MB(cil.MiB), "1.00"}, {MB(3 * cil.MiB / 2), "1.50"}, {MB(0), "0.00"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if fmt.Sprint(Order) != "[4 2 7 6 0 3 5 8 9 1]" {
		t.Errorf("Order = %v, want PyCIL's [4 2 7 6 0 3 5 8 9 1]", Order)
	}
}

func TestAccuracyMap(t *testing.T) {
	r := &cil.Result{Acc: []cil.Floats{{0.9}, {0.5, 0.8}}, Total: cil.Floats{0.9, 0.65}}
	h := AccuracyMap("Replay", r)
	if h.Title != fmt.Sprintf("Replay (last %.1f%%)", 100*r.Last()) || strings.Join(h.Rows, ",") != "after task 1,after task 2" ||
		strings.Join(h.Cols, ",") != "task 1,task 2" || h.Format(0.504) != "50" || h.Min != 0 || h.Max != 1 {
		t.Errorf("AccuracyMap: %+v", h)
	}
	if !strings.Contains(h.HTML(), "Replay") {
		t.Errorf("AccuracyMap's HTML lacks its title")
	}
}

// TestRunSaveLoad runs two learners on a tiny synthetic stream, saves and
// loads their records.
func TestRunSaveLoad(t *testing.T) {
	train, test := cil.Synthetic(4, 8, 40, 10, 3)
	sc, err := cil.NewScenario(train, test, 2, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	be := testutil.Backend(t)
	o := deep.Options{Hidden: 8, Epochs: 1, Batch: 16, Memory: 20, Seed: 1}
	var recs []Record
	tasks := 0
	for _, m := range []deep.Method{deep.Finetune, deep.Replay} {
		rec, err := Run(be, m, o, sc, func() { tasks++ })
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if tasks != 4 {
		t.Errorf("after was called %d times, want 4 (2 learners x 2 tasks)", tasks)
	}
	if recs[0].Exemplars != 0 || recs[1].Exemplars != 20 || recs[0].Params == 0 || recs[1].Result.Tasks() != 2 || recs[1].Memory.Total() == 0 {
		t.Errorf("records %+v", recs)
	}
	dir := t.TempDir()
	if err := Save(dir, "main", recs); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back["Replay"].Exemplars != 20 || back["Finetune"].Result.Last() != recs[0].Result.Last() {
		t.Errorf("Load = %+v", back)
	}
	if _, err := Load(dir, "missing"); err == nil || !strings.HasPrefix(err.Error(), "study: Load") {
		t.Errorf("Load of a missing name: error %v", err)
	}
	if _, err := Run(be, deep.Method("nope"), o, sc, nil); err == nil || !strings.HasPrefix(err.Error(), "study: Run nope") {
		t.Errorf("Run of an unknown method: error %v", err)
	}
}

func TestPyCIL(t *testing.T) {
	r := PyCIL(deep.CNN)
	o := r.Options
	if o.Backbone != deep.CNN || o.Hidden != deep.DefaultHiddenCNN || o.Epochs != 170 || o.Batch != 128 || o.Optimizer != deep.SGD ||
		o.LR != 0.1 || o.Momentum != 0.9 || o.WeightDecay != 2e-4 || o.Memory != 2000 || o.Seed != 1 || o != o.WithDefaults() {
		t.Errorf("PyCIL(CNN) options %+v", o)
	}
	if s := r.String(); !strings.HasPrefix(s, "PyCIL's recipe on the cnn backbone: 170 epochs per task, batch 128, sgd lr 0.1 (momentum 0.9, weight decay 0.0002), 2000 exemplars (PyCIL") ||
		!strings.Contains(s, "no schedule") {
		t.Errorf("String() = %q", s)
	}
}
