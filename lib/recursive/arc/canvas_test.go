package arc

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

func TestCanvasSides(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		side Canvas
		h, w int
		fits bool
	}{
		{1, 1, 1, true},
		{6, 5, 6, true},
		{6, 6, 6, true}, // no room for EOS markers: still decodes
		{10, 3, 10, true},
		{10, 11, 2, false},
		{MaxSize, 30, 30, true},
	} {
		g := NewGrid(tc.h, tc.w)
		for r := range g {
			for c := range g[r] {
				g[r][c] = rng.IntN(NumColors)
			}
		}
		buf := make([]uint8, tc.side.Len())
		err := tc.side.Encode(buf, g, 0, 0)
		if (err == nil) != tc.fits {
			t.Fatalf("side %d, %dx%d grid: err %v, want fits=%v", tc.side, tc.h, tc.w, err, tc.fits)
		}
		if !tc.fits {
			continue
		}
		back, err := tc.side.Decode(buf)
		if err != nil || !back.Equal(g) {
			t.Fatalf("side %d, %dx%d grid: decoded %v, %v", tc.side, tc.h, tc.w, back, err)
		}
		n := int(tc.side)
		if tc.h < n && buf[tc.h*n] != EOSToken {
			t.Errorf("side %d: no EOS row below the grid", n)
		}
		if tc.w < n && buf[tc.w] != EOSToken {
			t.Errorf("side %d: no EOS column right of the grid", n)
		}
	}
	// The default canvas is Canvas(MaxSize).
	g := Grid{{1, 2}, {3, 4}}
	a, b := make([]uint8, CanvasLen), make([]uint8, Canvas(MaxSize).Len())
	Encode(a, g, 3, 7)
	Canvas(MaxSize).Encode(b, g, 3, 7)
	if string(a) != string(b) {
		t.Error("Encode differs from Canvas(MaxSize).Encode")
	}
	for _, bad := range []struct {
		side Canvas
		n    int
		want string
	}{{0, 0, "side 0"}, {31, 961, "side 31"}, {10, 99, "want 100"}} {
		if _, err := bad.side.Decode(make([]uint8, bad.n)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("side %d, %d tokens: %v, want an error with %q", bad.side, bad.n, err, bad.want)
		}
	}
}

func TestProtocol(t *testing.T) {
	task := tiny(t) // 2 demonstrations with 2x2 grids, 1 test pair 2x3
	small := &Task{ID: "small", Train: []Pair{{Grid{{1}}, Grid{{2}}}}, Test: []Pair{{Grid{{3}}, Grid{{4}}}}}
	if task.MaxSide() != 3 || small.MaxSide() != 1 {
		t.Fatalf("MaxSide %d, %d", task.MaxSide(), small.MaxSide())
	}
	for _, tc := range []struct {
		side int
		want []string
	}{{1, []string{"small"}}, {2, []string{"small"}}, {3, []string{"tiny", "small"}}} {
		var got []string
		for _, s := range Select([]*Task{task, small}, tc.side) {
			got = append(got, s.ID)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("Select side %d: %v, want %v", tc.side, got, tc.want)
		}
	}
	// small trains with its test pair; tiny (evaluation) only with its demonstrations.
	d, err := Protocol([]*Task{small}, []*Task{task}, 4, 3, true, 4)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 4 || d.SeqLen() != 16 || d.NumPuzzleIDs() != 9 {
		t.Fatalf("len %d, seq %d, ids %d; want 4, 16, 9", d.Len(), d.SeqLen(), d.NumPuzzleIDs())
	}
	for _, it := range d.Items {
		if it.Task == 1 && it.Input.Equal(task.Test[0].Input) {
			t.Error("an evaluation task's test pair is in the training data")
		}
	}
	if d.Items[1].Task != 0 || !d.Items[1].Input.Equal(Grid{{3}}) {
		t.Error("a training task's test pair is missing")
	}
	n := testutil.StreamRows(t, d, puzzle.Config{Seed: 2, PerPuzzle: 4, BatchSize: 3}, func(b *puzzle.Batch, j int, in, lab []uint8) {
		if err := inverts(d, d.Canvas().Decode, b, j, in, lab); err != nil {
			t.Fatal(err)
		}
	})
	if n != 16 {
		t.Errorf("%d examples, want 16", n)
	}
	if _, err := Protocol(nil, []*Task{task}, 1, 0, false, 1); err == nil || !strings.Contains(err.Error(), "tiny") {
		t.Errorf("a task over the canvas: %v, want an error naming it", err)
	}
}

func TestReport(t *testing.T) {
	truth := Grid{{1, 2}}
	wrong, other := Grid{{2, 2}}, Grid{{3, 3}}
	half := IdentityAug()
	half.Dihedral = 2
	id := IdentityAug()
	task := func(n int) *Task {
		t := &Task{ID: "t"}
		for range n {
			t.Test = append(t.Test, Pair{Input: Grid{{0}}, Output: truth})
		}
		return t
	}
	for _, tc := range []struct {
		name                         string
		preds                        []Prediction
		pass2, pass1, single, oracle float64
		decoded                      float64
	}{
		{"majority right", []Prediction{{Aug: id, Output: wrong}, {Aug: half, Output: Grid{{2, 1}}}, {Aug: id, Output: truth}}, 1, 1, 0, 1, 1},
		{"second place", []Prediction{{Aug: id, Output: wrong}, {Aug: id, Output: wrong}, {Aug: id, Output: truth}}, 1, 0, 0, 1, 1},
		{"third place", []Prediction{{Aug: id, Output: wrong}, {Aug: id, Output: wrong}, {Aug: id, Output: other}, {Aug: id, Output: other}, {Aug: id, Output: truth}}, 0, 0, 0, 1, 1},
		{"single right, outvoted", []Prediction{{Aug: id, Output: truth}, {Aug: id, Output: wrong}, {Aug: id, Output: wrong}, {Aug: id, Output: other}, {Aug: id, Output: other}}, 0, 0, 1, 1, 1},
		{"undecoded", []Prediction{{Aug: id}, {Aug: id, Output: truth}}, 1, 1, 0, 1, 0.5},
	} {
		r := NewReport([]*Task{task(1)}, [][][]Prediction{{tc.preds}})
		if r.PassAt2 != tc.pass2 || r.PassAt1 != tc.pass1 || r.Single != tc.single || r.Oracle != tc.oracle || r.Decoded != tc.decoded {
			t.Errorf("%s: pass@2 %g pass@1 %g single %g oracle %g decoded %g; want %g %g %g %g %g", tc.name,
				r.PassAt2, r.PassAt1, r.Single, r.Oracle, r.Decoded, tc.pass2, tc.pass1, tc.single, tc.oracle, tc.decoded)
		}
		if r.Augs != len(tc.preds) || r.Inputs != 1 || r.Tasks != 1 {
			t.Errorf("%s: counts %+v", tc.name, r)
		}
	}
	// Scores are means over tasks: task A has 1 of 2 inputs right, task B its only one.
	right := []Prediction{{Aug: id, Output: truth}}
	bad := []Prediction{{Aug: id, Output: wrong}}
	r := NewReport([]*Task{task(2), task(1)}, [][][]Prediction{{right, bad}, {right}})
	if r.PassAt2 != 0.75 || r.Inputs != 3 {
		t.Errorf("pass@2 %g over %d inputs, want 0.75 over 3", r.PassAt2, r.Inputs)
	}
	if s := Score([]*Task{task(2), task(1)}, [][][]Prediction{{right, bad}, {right}}); s != r.PassAt2 {
		t.Errorf("Score %g != Report.PassAt2 %g", s, r.PassAt2)
	}
}

// inverts decodes example j of batch b (its inputs in and labels lab) with decode
// and says, as an error, whether the inverse of its augmentation fails to give
// back the item's pair.
func inverts(d *Dataset, decode func([]uint8) (Grid, error), b *puzzle.Batch, j int, in, lab []uint8) error {
	it := d.Items[b.Base[j]]
	a := d.TaskAug(it.Task, int(b.Aug[j]))
	gi, err1 := decode(in)
	gl, err2 := decode(lab)
	if err1 != nil || err2 != nil || !a.Inverse().Apply(gi).Equal(it.Input) || !a.Inverse().Apply(gl).Equal(it.Output) {
		return fmt.Errorf("example %d of item %d does not invert to its pair: %v %v", j, b.Base[j], err1, err2)
	}
	return nil
}
