package deep

import (
	"math/rand/v2"
	"testing"

	"github.com/labnotes/labnotes/lib/cil"
)

// accuracy is the fraction of d's examples with labels in [lo, hi) that l
// predicts right.
func accuracy(t testing.TB, l cil.Learner, d *cil.Data, lo, hi int) float64 {
	t.Helper()
	part := d.Subset(d.Where(func(y int32) bool { return int(y) >= lo && int(y) < hi }))
	pred, err := l.Predict(part)
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for i, p := range pred {
		if p == part.Y[i] {
			ok++
		}
	}
	return float64(ok) / float64(max(len(pred), 1))
}

// imageStream is a synthetic stream both backbones take: 6 classes of
// cil.Synthetic in 64 dimensions shaped as 8x8 images, 3 tasks of 2 classes.
func imageStream(t testing.TB) *cil.Scenario {
	t.Helper()
	train, test := cil.Synthetic(6, 64, 40, 20, 11)
	train.Shape, test.Shape = []int{8, 8, 1}, []int{8, 8, 1}
	s, err := cil.NewScenario(train, test, 2, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }
