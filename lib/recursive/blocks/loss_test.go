package blocks

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/labnotes/labnotes/internal/testutil"
)

func refStablemax(x float64) float64 {
	if x >= 0 {
		return x + 1
	}
	return 1 / (1 - x)
}

// refStablemaxCE is HRM's stablemax_cross_entropy in float64 on logits
// [n, v], labels [n], mask [n].
func refStablemaxCE(logits []float64, labels []int32, mask []bool, v int) []float64 {
	out := make([]float64, len(labels))
	for i := range labels {
		if !mask[i] {
			continue
		}
		sum := 0.0
		for j := range v {
			sum += refStablemax(logits[i*v+j])
		}
		out[i] = -math.Log(refStablemax(logits[i*v+int(labels[i])]) / sum)
	}
	return out
}

func TestStablemax(t *testing.T) {
	be := testutil.Backend(t)
	x := []float64{-1e4, -3, -1, -0.5, 0, 0.5, 1, 3, 1e4}
	got := testutil.Float64s(graph.MustExecOnce(be, Stablemax, tensorOf(x, len(x))))
	want := make([]float64, len(x))
	for i, a := range x {
		want[i] = refStablemax(a)
	}
	testutil.AssertClose(t, "Stablemax", got, want, 1e-6)
}

// TestStablemaxCrossEntropy compares values (random and ±1e4 logits) and
// gradients with a float64 reference, and checks masked positions are 0.
func TestStablemaxCrossEntropy(t *testing.T) {
	be := testutil.Backend(t)
	const b, l, v = 2, 3, 5
	rng := rand.New(rand.NewPCG(3, 4))
	labels := []int32{0, 4, 2, 1, 99, 3} // 99: masked, out of range.
	mask := []bool{true, true, true, true, false, true}
	for _, c := range []struct {
		name  string
		scale float64
		tol   float64
	}{
		{"random logits", 2, 1e-6},
		{"logits ±1e4", 1e4, 1e-6},
	} {
		t.Run(c.name, func(t *testing.T) {
			logits := testutil.Normal(rng, b*l*v, c.scale)
			if c.scale > 100 {
				for i := range logits {
					logits[i] = math.Copysign(1e4, logits[i]) * (1 + float64(i%3)*0.1)
				}
			}
			outs := graph.MustExecOnceN(be, func(x, y, m *graph.Node) (loss, grad *graph.Node) {
				loss = StablemaxCrossEntropy(x, y, m)
				return loss, graph.Gradient(graph.ReduceAllSum(loss), x)[0]
			}, tensorOf(logits, b, l, v), tensors.FromFlatDataAndDimensions(labels, b, l), tensors.FromFlatDataAndDimensions(mask, b, l))
			if outs[0].DType() != dtypes.Float32 {
				t.Errorf("loss dtype %s, want float32", outs[0].DType())
			}
			got := testutil.Float64s(outs[0])
			want := refStablemaxCE(logits, labels, mask, v)
			testutil.AssertClose(t, "loss", got, want, c.tol)
			if got[4] != 0 {
				t.Errorf("masked loss %g, want 0", got[4])
			}
			// Gradient against finite differences of the reference (relative step).
			num := make([]float64, len(logits))
			for i := range logits {
				h := 1e-6 * max(1, math.Abs(logits[i]))
				old := logits[i]
				logits[i] = old + h
				up := refStablemaxCE(logits, labels, mask, v)
				logits[i] = old - h
				down := refStablemaxCE(logits, labels, mask, v)
				logits[i] = old
				for j := range up {
					num[i] += (up[j] - down[j]) / (2 * h)
				}
			}
			testutil.AssertClose(t, "d loss/d logits", testutil.Float64s(outs[1]), num, 1e-4)
		})
	}
}
