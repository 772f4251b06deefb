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

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }
