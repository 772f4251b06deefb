package deep

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gomlx/compute"

	"github.com/labnotes/labnotes/lib/backend"
	"github.com/labnotes/labnotes/lib/cil"
)

// testBackend is the Go backend, or the one DEEP_TEST_BACKEND names.
func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	name := os.Getenv("DEEP_TEST_BACKEND")
	if name == "" {
		name = "go"
	}
	t.Setenv(backend.ConfigEnv, name)
	return backend.MustNew()
}

// blobs is a synthetic data set: class c's examples are a random centre
// (each coordinate N(0, 1)) plus N(0, noise²) noise, dim features,
// perClass examples per class, labels in order of class.
func blobs(classes, dim, perClass int, noise float64, seed uint64) (train, test *cil.Data) {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := make([]float64, classes*dim)
	for i := range centres {
		centres[i] = rng.NormFloat64()
	}
	gen := func(n int) *cil.Data {
		d := &cil.Data{Dim: dim, ExampleBytes: dim}
		for c := range classes {
			for range n {
				for j := range dim {
					d.X = append(d.X, float32(centres[c*dim+j]+noise*rng.NormFloat64()))
				}
				d.Y = append(d.Y, int32(c))
			}
		}
		return d
	}
	return gen(perClass), gen(perClass / 2)
}

// split returns the class-incremental tasks of inc classes each.
func split(train, test *cil.Data, inc int) []cil.Task {
	classes := 0
	for _, y := range train.Y {
		classes = max(classes, int(y)+1)
	}
	var tasks []cil.Task
	for k := 0; k < classes; k += inc {
		tasks = append(tasks, cil.Task{Index: len(tasks), Known: k, New: inc,
			Train: subset(train, func(y int32) bool { return int(y) >= k && int(y) < k+inc }),
			Test:  subset(test, func(y int32) bool { return int(y) < k+inc })})
	}
	return tasks
}

func subset(d *cil.Data, keep func(int32) bool) *cil.Data {
	out := &cil.Data{Dim: d.Dim, Shape: d.Shape, ExampleBytes: d.ExampleBytes}
	for i, y := range d.Y {
		if keep(y) {
			out.X = append(out.X, d.X[i*d.Dim:(i+1)*d.Dim]...)
			out.Y = append(out.Y, y)
		}
	}
	return out
}

// accuracy is the fraction of d's examples with labels in [lo, hi) that l
// predicts right.
func accuracy(t testing.TB, l cil.Learner, d *cil.Data, lo, hi int) float64 {
	t.Helper()
	part := subset(d, func(y int32) bool { return int(y) >= lo && int(y) < hi })
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
