package performer

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/labnotes/labnotes/internal/testutil"
)

// run executes fn on the test backend and returns its outputs.
func run(t testing.TB, fn func(in []*Node) []*Node, args ...any) []*tensors.Tensor {
	t.Helper()
	return MustNewExec(testutil.Backend(t), fn).MustExec(args...)
}

// relL2 returns ||a-b|| / ||b||.
func relL2(a, b []float32) float64 {
	num, den := 0.0, 1e-30
	for i := range a {
		num += (float64(a[i]) - float64(b[i])) * (float64(a[i]) - float64(b[i]))
		den += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(num / den)
}

// maxRelDiff returns max|a-b| / max|b|.
func maxRelDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	diff, scale := 0.0, 1e-30
	for i := range a {
		diff = max(diff, math.Abs(float64(a[i])-float64(b[i])))
		scale = max(scale, math.Abs(float64(b[i])))
	}
	return diff / scale
}

func allFinite(xs []float32) bool {
	for _, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

// kernelTerms returns, for each random feature, the per-feature estimate
// z_i of K(x, y) (so K ≈ mean z_i), for x, y of dimension d.
func kernelTerms(t *testing.T, kernel Kernel, p Projection, seed uint64, x, y []float64) []float64 {
	d := len(x)
	xt := tensors.FromFlatDataAndDimensions(testutil.Float32s(x), 1, 1, 1, d)
	yt := tensors.FromFlatDataAndDimensions(testutil.Float32s(y), 1, 1, 1, d)
	out := run(t, func(in []*Node) []*Node {
		fm := FeatureMap{Kernel: kernel, Projection: Const(in[0].Graph(), p.Draw(seed)), NoMaxSubtraction: true}
		return []*Node{Mul(fm.Query(in[0]), fm.Key(in[1], nil))}
	}, xt, yt)
	prod := tensors.MustCopyFlatData[float32](out[0])
	m := p.NumFeatures
	z := make([]float64, m)
	for i := range m {
		switch kernel {
		case KernelSoftmax:
			z[i] = float64(prod[i]) * float64(m)
		default: // 2m features, sin and cos halves; hyperbolic: + and - halves.
			z[i] = (float64(prod[i]) + float64(prod[i+m])) * float64(m)
		}
	}
	return z
}

func randVec(seed uint64, d int, norm float64) []float64 {
	v := Projection{NumFeatures: d, Dim: 1}.DrawFloat64(seed)
	n := 0.0
	for _, x := range v {
		n += x * x
	}
	for i := range v {
		v[i] *= norm / math.Sqrt(n)
	}
	return v
}

// TestSoftmaxEstimatorUnbiased: the mean of many per-feature estimates is
// within 4.5 standard errors of exp(x·y), for several kernel values and
// feature types.
func TestSoftmaxEstimatorUnbiased(t *testing.T) {
	const d, n = 8, 400000
	x := randVec(1, d, 1.0)
	cases := []struct {
		name   string
		kernel Kernel
		y      []float64
	}{
		{"positive/aligned", KernelSoftmax, randVec(1, d, 0.8)},
		{"positive/random", KernelSoftmax, randVec(2, d, 1.2)},
		{"positive/opposite", KernelSoftmax, scaleVec(randVec(1, d, 1.0), -1)},
		{"hyperbolic/random", KernelSoftmaxHyperbolic, randVec(3, d, 1.0)},
		{"trig/random", KernelSoftmaxTrig, randVec(4, d, 0.7)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			z := kernelTerms(t, c.kernel, Projection{NumFeatures: n, Dim: d}, 7, x, c.y)
			mean, sq := 0.0, 0.0
			for _, v := range z {
				mean += v
			}
			mean /= n
			for _, v := range z {
				sq += (v - mean) * (v - mean)
			}
			se := math.Sqrt(sq/(n-1)) / math.Sqrt(n)
			want := math.Exp(dot(x, c.y))
			if math.Abs(mean-want) > 4.5*se+1e-5*want {
				t.Errorf("mean estimate %.5f, want exp(x·y)=%.5f (standard error %.5f)", mean, want, se)
			}
			// A biased estimator (e.g. a wrong normalization) must fail: check the
			// test has the power to see a 5% bias.
			if 4.5*se > 0.05*want {
				t.Errorf("test too weak: 4.5 se = %.4f vs 5%% of %.4f", 4.5*se, want)
			}
		})
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func scaleVec(v []float64, s float64) []float64 {
	for i := range v {
		v[i] *= s
	}
	return v
}

// kernelMSE returns the mean (over seeds and all query-key pairs) squared
// error of the estimated kernel matrix phi(Q) phi(K)^T vs exp(Q K^T),
// relative to the mean squared kernel value.
func kernelMSE(t *testing.T, kernel Kernel, p Projection, seeds int, q, k *tensors.Tensor) float64 {
	exec := MustNewExec(testutil.Backend(t), func(in []*Node) []*Node {
		fm := FeatureMap{Kernel: kernel, Projection: in[2], NoMaxSubtraction: true}
		est := Einsum("bhqm,bhkm->bhqk", fm.Query(in[0]), fm.Key(in[1], nil))
		exact := Exp(Einsum("bhqd,bhkd->bhqk", in[0], in[1]))
		return []*Node{ReduceAllMean(Square(Sub(est, exact))), ReduceAllMean(Square(exact))}
	})
	total := 0.0
	for s := range seeds {
		out := exec.MustExec(q, k, p.Draw(uint64(1000+s)))
		total += float64(tensors.ToScalar[float32](out[0])) / float64(tensors.ToScalar[float32](out[1]))
	}
	return total / float64(seeds)
}

// TestOrthogonalBeatsIID: orthogonal features have a lower kernel MSE than
// iid ones, for both row norm choices and several m.
func TestOrthogonalBeatsIID(t *testing.T) {
	const d, l = 16, 32
	// Moderate norms (|q| ≈ 0.7): at large norms the estimator is so
	// heavy-tailed that sample MSEs are dominated by rare draws.
	q, k := randTensor(11, 0.18, 1, 1, l, d), randTensor(12, 0.18, 1, 1, l, d)
	for _, m := range []int{16, 64} {
		for _, norms := range []RowNorms{RowNormsChi, RowNormsSqrtD} {
			t.Run(fmt.Sprintf("m=%d/%s", m, norms), func(t *testing.T) {
				iid := kernelMSE(t, KernelSoftmax, Projection{NumFeatures: m, Dim: d}, 300, q, k)
				orth := kernelMSE(t, KernelSoftmax, Projection{NumFeatures: m, Dim: d, Orthogonal: true, Norms: norms}, 300, q, k)
				t.Logf("relative MSE: iid %.4g, orthogonal %.4g", iid, orth)
				if !(orth < 0.95*iid) {
					t.Errorf("orthogonal MSE %.4g not below 0.95 x iid MSE %.4g", orth, iid)
				}
			})
		}
	}
}

// TestPositiveBeatsTrigWhereKernelSmall: with x·y very negative (kernel
// values tiny), positive features' relative error is far below trig's.
func TestPositiveBeatsTrigWhereKernelSmall(t *testing.T) {
	const d, l = 16, 16
	// q_i = r u + noise, k_j = -r u + noise: every q·k ≈ -r² (kernel values
	// ≈ exp(-4)), while |q + k| stays small.
	u := randVec(20, d, 2)
	noiseQ := tensors.MustCopyFlatData[float32](randTensor(21, 0.05, l, d))
	noiseK := tensors.MustCopyFlatData[float32](randTensor(22, 0.05, l, d))
	qv, kv := make([]float32, l*d), make([]float32, l*d)
	for i := range l {
		for j := range d {
			qv[i*d+j] = float32(u[j]) + noiseQ[i*d+j]
			kv[i*d+j] = -float32(u[j]) + noiseK[i*d+j]
		}
	}
	q := tensors.FromFlatDataAndDimensions(qv, 1, 1, l, d)
	k := tensors.FromFlatDataAndDimensions(kv, 1, 1, l, d)
	p := Projection{NumFeatures: 64, Dim: d, Orthogonal: true}
	pos := kernelMSE(t, KernelSoftmax, p, 10, q, k)
	trig := kernelMSE(t, KernelSoftmaxTrig, p, 10, q, k)
	t.Logf("relative MSE where the kernel is small: positive %.3g, trig %.3g", pos, trig)
	if !(pos*10 < trig) {
		t.Errorf("positive features (%.3g) not 10x better than trig (%.3g)", pos, trig)
	}
}

// TestLinearEqualsQuadratic: FAVOR's linear-time attention equals the same
// kernel computed quadratically (deterministic ReLU, random ReLU, softmax
// features; bidirectional and causal in chunks of several sizes), gradients
// included.
func TestLinearEqualsQuadratic(t *testing.T) {
	const b, h, l, d, dv = 2, 3, 50, 8, 5
	q, k, v := randTensor(31, 1, b, h, l, d), randTensor(32, 1, b, h, l, d), randTensor(33, 1, b, h, l, dv)
	r := randTensor(34, 1, b, h, l, dv)
	w := Projection{NumFeatures: 24, Dim: d, Orthogonal: true}.Draw(5)
	cases := []struct {
		kernel Kernel
		causal bool
		chunk  int
	}{
		{KernelReLU, false, 0}, {KernelReLURandom, false, 0}, {KernelSoftmax, false, 0},
		{KernelReLU, true, 1}, {KernelReLU, true, 7}, {KernelReLU, true, 16}, {KernelReLU, true, 64},
		{KernelSoftmax, true, 7}, {KernelSoftmax, true, 50}, {KernelSoftmaxHyperbolic, true, 13},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/causal=%v/chunk=%d", c.kernel, c.causal, c.chunk), func(t *testing.T) {
			out := run(t, func(in []*Node) []*Node {
				cfg := Config{Kernel: c.kernel, Causal: c.causal, ChunkSize: c.chunk}
				fm := cfg.featureMap(in[3])
				qp, kp := cfg.Features(in[0], in[1], in[3])
				var lin *Node
				switch {
				case c.causal && usesLogScaledKeys(cfg):
					klog, s := fm.KeyLogScaled(cfg.scaleInputs(in[1]), nil)
					lin = CausalLogScaledAttention(qp, klog, s, in[2], c.chunk, DefaultDenominatorEpsilon)
				case c.causal:
					lin = CausalLinearAttention(qp, kp, in[2], c.chunk, DefaultDenominatorEpsilon)
				default:
					lin = LinearAttention(qp, kp, in[2], DefaultDenominatorEpsilon)
				}
				quad := refAttention(fm, cfg, in[0], in[1], in[2])
				viaAttention := Attention(in[0], in[1], in[2], in[3], cfg)
				gl := Gradient(ReduceAllSum(Mul(lin, in[4])), in[0], in[1], in[2])
				gq := Gradient(ReduceAllSum(Mul(quad, in[4])), in[0], in[1], in[2])
				return append([]*Node{lin, quad, viaAttention}, append(gl, gq...)...)
			}, q, k, v, w, r)
			if e := maxRelDiff(flat32(out[0]), flat32(out[1])); e > 2e-5 {
				t.Errorf("linear vs quadratic: max relative difference %.3g", e)
			}
			if e := maxRelDiff(flat32(out[2]), flat32(out[1])); e > 2e-5 {
				t.Errorf("Attention vs quadratic: max relative difference %.3g", e)
			}
			for i, name := range []string{"dq", "dk", "dv"} {
				if e := maxRelDiff(flat32(out[3+i]), flat32(out[6+i])); e > 1e-4 {
					t.Errorf("gradient %s: max relative difference %.3g", name, e)
				}
			}
		})
	}
}

// TestApproximatesExact: with many orthogonal positive features FAVOR+ is
// close to exact softmax attention (bidirectional and causal), and so are
// its gradients; with few features it is further away.
func TestApproximatesExact(t *testing.T) {
	const b, h, l, d = 1, 2, 64, 16
	q, k, v := randTensor(41, 0.5, b, h, l, d), randTensor(42, 0.5, b, h, l, d), randTensor(43, 1, b, h, l, d)
	r := randTensor(44, 1, b, h, l, d)
	for _, causal := range []bool{false, true} {
		errAt := func(m int) (outErr, gradErr float64) {
			w := Projection{NumFeatures: m, Dim: d, Orthogonal: true}.Draw(9)
			out := run(t, func(in []*Node) []*Node {
				cfg := Config{Causal: causal, ChunkSize: 16}
				fav := Attention(in[0], in[1], in[2], in[3], cfg)
				ex := ExactAttention(in[0], in[1], in[2], cfg)
				gf := Gradient(ReduceAllSum(Mul(fav, in[4])), in[0])
				ge := Gradient(ReduceAllSum(Mul(ex, in[4])), in[0])
				return []*Node{fav, ex, gf[0], ge[0]}
			}, q, k, v, w, r)
			return relL2(flat32(out[0]), flat32(out[1])), relL2(flat32(out[2]), flat32(out[3]))
		}
		few, _ := errAt(8)
		many, manyGrad := errAt(4096)
		t.Logf("causal=%v: relative L2 error m=8: %.3g, m=4096: %.3g (gradient %.3g)", causal, few, many, manyGrad)
		if many > 0.06 || manyGrad > 0.35 || !(3*many < few) {
			t.Errorf("causal=%v: FAVOR+ error with 4096 features %.3g (gradient %.3g), with 8: %.3g", causal, many, manyGrad, few)
		}
	}
}

// TestMasks: masked keys (filled with huge values) change nothing compared
// with attention over the valid keys only — numerator and denominator — and
// masked queries get zero rows; for FAVOR+ and exact attention.
func TestMasks(t *testing.T) {
	const h, l, valid, d = 2, 12, 7, 8
	q, kValid, vValid := randTensor(51, 1, 1, h, l, d), randTensor(52, 1, 1, h, valid, d), randTensor(53, 1, 1, h, valid, d)
	kv := tensors.MustCopyFlatData[float32](kValid)
	vv := tensors.MustCopyFlatData[float32](vValid)
	kFull := make([]float32, h*l*d)
	vFull := make([]float32, h*l*d)
	mask := make([]bool, l)
	qmask := make([]bool, l)
	for i := range l {
		mask[i] = i < valid
		qmask[i] = i%3 != 0
	}
	for hh := range h {
		for i := range l {
			for j := range d {
				idx := (hh*l+i)*d + j
				if i < valid {
					kFull[idx], vFull[idx] = kv[(hh*valid+i)*d+j], vv[(hh*valid+i)*d+j]
				} else {
					kFull[idx], vFull[idx] = 50, 1e4 // would dominate the max and the sums
				}
			}
		}
	}
	kf := tensors.FromFlatDataAndDimensions(kFull, 1, h, l, d)
	vf := tensors.FromFlatDataAndDimensions(vFull, 1, h, l, d)
	mt := tensors.FromFlatDataAndDimensions(mask, 1, l)
	qmt := tensors.FromFlatDataAndDimensions(qmask, 1, l)
	w := Projection{NumFeatures: 32, Dim: d, Orthogonal: true}.Draw(3)
	for _, kernel := range []Kernel{KernelSoftmax, KernelReLU, KernelExact} {
		t.Run(string(kernel), func(t *testing.T) {
			out := run(t, func(in []*Node) []*Node {
				masked := Attention(in[0], in[3], in[4], in[5], Config{Kernel: kernel, KeyMask: in[6], QueryMask: in[7]})
				ref := Attention(in[0], in[1], in[2], in[5], Config{Kernel: kernel})
				return []*Node{masked, ref}
			}, q, kValid, vValid, kf, vf, w, mt, qmt)
			got, want := flat32(out[0]), flat32(out[1])
			for i := range got {
				row := (i / d) % l
				if !qmask[row] {
					if got[i] != 0 {
						t.Fatalf("masked query row %d not zero: %g", row, got[i])
					}
					want[i] = 0
				}
			}
			if e := maxRelDiff(got, want); e > 1e-5 || !allFinite(got) {
				t.Errorf("masked vs valid-only keys: max relative difference %.3g", e)
			}
		})
	}
}

// TestLargeNormsFinite: inputs with large norms give finite outputs and
// gradients with the stabilizers (bidirectional and causal, softmax and
// hyperbolic), while the raw estimator overflows.
func TestLargeNormsFinite(t *testing.T) {
	const l, d = 40, 16
	q, k, v := randTensor(61, 12, 1, 2, l, d), randTensor(62, 12, 1, 2, l, d), randTensor(63, 1, 1, 2, l, d)
	w := Projection{NumFeatures: 32, Dim: d, Orthogonal: true}.Draw(4)
	for _, c := range []Config{{}, {Causal: true, ChunkSize: 8}, {Kernel: KernelSoftmaxHyperbolic}, {Kernel: KernelReLU, Causal: true}} {
		t.Run(fmt.Sprintf("%s/causal=%v", c.kernel(), c.Causal), func(t *testing.T) {
			out := run(t, func(in []*Node) []*Node {
				o := Attention(in[0], in[1], in[2], in[3], c)
				return append([]*Node{o}, Gradient(ReduceAllSum(o), in[0], in[1], in[2])...)
			}, q, k, v, w)
			for i, o := range out {
				if !allFinite(flat32(o)) {
					t.Errorf("output %d not finite", i)
				}
			}
		})
	}
	raw := run(t, func(in []*Node) []*Node {
		return []*Node{Attention(in[0], in[1], in[2], in[3], Config{NoMaxSubtraction: true})}
	}, q, k, v, w)
	if allFinite(flat32(raw[0])) {
		t.Logf("note: the raw estimator stayed finite at this scale")
	}
}

// usesLogScaledKeys reports whether Attention stabilizes cfg's keys with a running max
// (causal positive softmax kernels).
func usesLogScaledKeys(cfg Config) bool {
	return cfg.Causal && (cfg.kernel() == KernelSoftmax || cfg.kernel() == KernelSoftmaxHyperbolic)
}

// refAttention computes what Attention computes with cfg (without the query mask) the
// quadratic way: QuadraticKernelAttention on the features, or for causal softmax kernels the
// documented formula of CausalLogScaledAttention written plainly on the [L, L] matrix:
// (Q'_i·K'_j) e^{s_j - R_i} for j <= i, R_i = max_{j<=i} s_j, rows normalized. (Multiplying
// the keys by e^{s_j} instead would put the denominator guard on unscaled denominators, which
// underflow for the larger inputs of a randomly initialized layer.)
func refAttention(fm FeatureMap, cfg Config, q, k, v *Node) *Node {
	qp := fm.Query(cfg.scaleInputs(q))
	if !usesLogScaledKeys(cfg) {
		out, _ := QuadraticKernelAttention(qp, fm.Key(cfg.scaleInputs(k), cfg.KeyMask), v, cfg.Causal, DefaultDenominatorEpsilon)
		return out
	}
	kp, s := fm.KeyLogScaled(cfg.scaleInputs(k), cfg.KeyMask)
	dims := s.Shape().Dimensions
	l := dims[2]
	tri := Reshape(LowerTriangular(q.Graph(), l), 1, 1, l, l)                     // [i, j]: j <= i
	sj := BroadcastToDims(ExpandAxes(StopGradient(s), 2), dims[0], dims[1], l, l) // s_j at [i, j]
	neg := BroadcastToShape(Scalar(q.Graph(), s.DType(), negLarge), sj.Shape())
	r := ReduceAndKeep(Where(tri, sj, neg), ReduceMax, -1) // R_i
	a := Mul(Einsum("bhim,bhjm->bhij", qp, kp), Exp(Where(tri, Sub(sj, r), neg)))
	den := guardDenominator(ReduceAndKeep(a, ReduceSum, -1), DefaultDenominatorEpsilon)
	return Einsum("bhij,bhjd->bhid", Div(a, den), v)
}

// TestCausalSoftmaxIsCausal: with causal softmax FAVOR+, outputs at positions before t do not
// change when the keys and values from t on are replaced by much larger ones (a stabilizer
// taking one max over all keys fails this: the future moves the epsilon's and the
// denominator guard's weight).
func TestCausalSoftmaxIsCausal(t *testing.T) {
	const b, h, l, d, dv, cut = 1, 2, 40, 8, 4, 17
	q, k, v := randTensor(41, 1, b, h, l, d), randTensor(42, 1, b, h, l, d), randTensor(43, 1, b, h, l, dv)
	k2, v2 := randTensor(44, 1, b, h, l, d), randTensor(45, 1, b, h, l, dv)
	w := Projection{NumFeatures: 32, Dim: d, Orthogonal: true}.Draw(7)
	for _, kernel := range []Kernel{KernelSoftmax, KernelSoftmaxHyperbolic} {
		for _, chunk := range []int{1, 5, 16, 64} {
			t.Run(fmt.Sprintf("%s/chunk=%d", kernel, chunk), func(t *testing.T) {
				out := run(t, func(in []*Node) []*Node {
					cfg := Config{Kernel: kernel, Causal: true, ChunkSize: chunk}
					pos := Reshape(Iota(in[0].Graph(), shapes.Make(dtypes.Int32, l), 0), 1, 1, l, 1)
					later := GreaterOrEqual(pos, Scalar(in[0].Graph(), dtypes.Int32, cut))
					k2 := Where(later, MulScalar(in[4], 4), in[1]) // later keys 4x larger
					v2 := Where(later, in[5], in[2])
					return []*Node{Attention(in[0], in[1], in[2], in[3], cfg), Attention(in[0], k2, v2, in[3], cfg)}
				}, q, k, v, w, k2, v2)
				a, c := flat32(out[0]), flat32(out[1])
				for hh := range h {
					lo := hh * l * dv
					if e := maxRelDiff(a[lo:lo+cut*dv], c[lo:lo+cut*dv]); e > 1e-6 {
						t.Errorf("head %d: outputs before position %d changed by %.3g when later tokens changed", hh, cut, e)
					}
					if e := maxRelDiff(a[lo+cut*dv:lo+l*dv], c[lo+cut*dv:lo+l*dv]); e < 1e-3 {
						t.Errorf("head %d: outputs from position %d did not change (%.3g): the test changes nothing", hh, cut, e)
					}
				}
			})
		}
	}
}

// TestHalfPrecision measures FAVOR+ on bfloat16 inputs against float32 (relative L2 error of
// the output, bidirectional and causal): by default (features, sums and normalizer in
// float32) and with Config.HalfFeatures (everything in bfloat16). The default must stay
// within 0.5% and at least 4 times more accurate; the numbers are in Config.HalfFeatures' doc.
func TestHalfPrecision(t *testing.T) {
	const b, h, l, d = 1, 8, 1024, 64
	q, k, v := randTensor(51, 1, b, h, l, d), randTensor(52, 1, b, h, l, d), randTensor(53, 1, b, h, l, d)
	w := Projection{NumFeatures: 256, Dim: d, Orthogonal: true}.Draw(9)
	for _, causal := range []bool{false, true} {
		out := run(t, func(in []*Node) []*Node {
			bf := func(x *Node) *Node { return ConvertDType(x, dtypes.BFloat16) }
			f32 := func(x *Node) *Node { return ConvertDType(x, dtypes.Float32) }
			// The reference runs in float32 on the same (bfloat16-rounded) inputs: the
			// errors are the attention's own, not the rounding of its inputs.
			ref := Attention(f32(bf(in[0])), f32(bf(in[1])), f32(bf(in[2])), in[3], Config{Causal: causal})
			mixed := Attention(bf(in[0]), bf(in[1]), bf(in[2]), in[3], Config{Causal: causal})
			half := Attention(bf(in[0]), bf(in[1]), bf(in[2]), in[3], Config{Causal: causal, HalfFeatures: true})
			// Features in float32, their products and sums over L in bfloat16.
			cfg := Config{Causal: causal}
			var hybrid *Node
			if causal {
				fm := cfg.featureMap(in[3])
				kp, s := fm.KeyLogScaled(cfg.scaleInputs(f32(bf(in[1]))), nil)
				hybrid = CausalLogScaledAttention(bf(fm.Query(cfg.scaleInputs(f32(bf(in[0]))))), bf(kp), bf(s), bf(in[2]), 0, DefaultDenominatorEpsilon)
			} else {
				qp, kp := cfg.Features(f32(bf(in[0])), f32(bf(in[1])), in[3])
				hybrid = LinearAttention(bf(qp), bf(kp), bf(in[2]), DefaultDenominatorEpsilon)
			}
			return []*Node{ref, f32(mixed), f32(half), f32(hybrid)}
		}, q, k, v, w)
		ref := flat32(out[0])
		mixed, half, hybrid := relL2(flat32(out[1]), ref), relL2(flat32(out[2]), ref), relL2(flat32(out[3]), ref)
		t.Logf("causal=%v: relative L2 error vs float32: all float32 inside %.2g, all bfloat16 %.2g, float32 features with bfloat16 products and sums %.2g",
			causal, mixed, half, hybrid)
		if mixed > 0.005 || mixed > half/4 {
			t.Errorf("causal=%v: bfloat16 with float32 features: error %.3g, want <= 0.005 and <= 1/4 of all-bfloat16's %.3g", causal, mixed, half)
		}
	}
}
