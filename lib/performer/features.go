package performer

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style.
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/pkg/errors"
)

// Kernel names the attention kernel: the exact softmax, or a random-feature
// (or deterministic-feature) approximation of a kernel.
type Kernel string

const (
	// KernelSoftmax is FAVOR+: positive random features
	// phi(x) = exp(w_i·x - |x|²/2) / sqrt(m), unbiased for exp(x·y), with the
	// max-subtraction stabilizer. The default.
	KernelSoftmax Kernel = "softmax"
	// KernelSoftmaxHyperbolic uses the hyperbolic positive features
	// [exp(w·x), exp(-w·x)] · exp(-|x|²/2) / sqrt(2m): lower variance than
	// KernelSoftmax, 2m features.
	KernelSoftmaxHyperbolic Kernel = "softmax_hyperbolic"
	// KernelSoftmaxTrig uses trigonometric features
	// exp(|x|²/2) [sin(w·x), cos(w·x)] / sqrt(m) (2m features): unbiased but
	// with a relative error that explodes for small kernel values and possibly
	// negative denominators. Kept only to reproduce that instability.
	KernelSoftmaxTrig Kernel = "softmax_trig"
	// KernelReLU is the deterministic generalized kernel phi(x) = relu(x) + eps
	// ("Performer-ReLU"): no projection, no randomness.
	KernelReLU Kernel = "relu"
	// KernelReLURandom is phi(x) = relu(W x) + eps with a random projection W.
	KernelReLURandom Kernel = "relu_random"
	// KernelGeneralized is phi(x) = f(W x) + eps (or f(x) + eps without a
	// projection) for a user function f (see [FeatureMap].Fn).
	KernelGeneralized Kernel = "generalized"
	// KernelExact is exact softmax attention (GoMLX's attention.Core), for
	// models that switch between exact attention and FAVOR+ by an option.
	KernelExact Kernel = "exact"
)

// Kernels lists the kernels, in the order of the constants.
var Kernels = []Kernel{KernelSoftmax, KernelSoftmaxHyperbolic, KernelSoftmaxTrig, KernelReLU,
	KernelReLURandom, KernelGeneralized, KernelExact}

// Default stabilizers.
const (
	// DefaultSoftmaxEpsilon is added to positive softmax features after the
	// max subtraction (the JAX reference's default).
	DefaultSoftmaxEpsilon = 1e-6
	// DefaultReLUEpsilon is added to generalized (ReLU) features.
	DefaultReLUEpsilon = 1e-3
	// DefaultDenominatorEpsilon guards the normalizer: D <- D + 2 eps where
	// |D| <= eps.
	DefaultDenominatorEpsilon = 1e-6
)

// IsRandom reports whether the kernel's features need a random projection.
// For KernelGeneralized it depends on the caller (a nil projection is allowed).
func (k Kernel) IsRandom() bool {
	switch k {
	case KernelSoftmax, KernelSoftmaxHyperbolic, KernelSoftmaxTrig, KernelReLURandom:
		return true
	}
	return false
}

// check panics on an unknown kernel.
func (k Kernel) check() {
	for _, known := range Kernels {
		if k == known {
			return
		}
	}
	panicf("unknown kernel %q (known: %v)", k, Kernels)
}

// FeatureMap maps queries or keys x, shaped [batch, heads, length, d], to
// their features phi(x), shaped [batch, heads, length, m'] (m' = m, or 2m for
// the hyperbolic and trigonometric kernels), so that phi(x)·phi(y) estimates
// the kernel K(x, y) — exp(x·y) for the softmax kernels. Inputs are taken as
// they are: scale queries and keys beforehand (by scale^(1/2) each, as
// [Attention] does) to estimate exp(scale · q·k).
type FeatureMap struct {
	// Kernel selects the features; KernelExact is not a feature map.
	Kernel Kernel
	// Projection W is [m, d] (see [Projection]); required by the random
	// kernels, optional for KernelGeneralized, ignored by KernelReLU.
	Projection *Node
	// Fn is the function of KernelGeneralized (e.g. graph.Relu, graph.Exp);
	// KernelReLU and KernelReLURandom use Relu.
	Fn func(*Node) *Node
	// Epsilon is added to positive features (softmax and generalized
	// kernels) after the max subtraction; used as given (0 adds nothing).
	// See DefaultSoftmaxEpsilon and DefaultReLUEpsilon.
	Epsilon float64
	// NoMaxSubtraction turns the max-subtraction stabilizer off: the features
	// are then the raw unbiased estimator (it overflows for large norms). With
	// it on, queries subtract their per-row max over features and keys one max
	// over features and positions (per batch and head), with stopped
	// gradients; both cancel in attention's numerator and denominator.
	NoMaxSubtraction bool
}

// NumFeatures returns m', the size of the last axis of the features for
// inputs of dimension d.
func (f FeatureMap) NumFeatures(d int) int {
	m := d
	if f.Projection != nil && f.Kernel != KernelReLU {
		m = f.Projection.Shape().Dim(0)
	}
	switch f.Kernel {
	case KernelSoftmaxHyperbolic, KernelSoftmaxTrig:
		return 2 * m
	}
	return m
}

// Query returns the features of queries x [batch, heads, length, d]:
// [batch, heads, length, m'].
func (f FeatureMap) Query(x *Node) *Node { return f.apply(x, true, nil) }

// Key returns the features of keys x [batch, heads, length, d]:
// [batch, heads, length, m']. If mask (bool, [batch, length] or
// [batch, heads, length]) is given, masked keys are left out of the
// stabilizer's max and their features are zero, so they drop out of the
// attention's numerator and denominator.
func (f FeatureMap) Key(x, mask *Node) *Node { return f.apply(x, false, mask) }

// apply computes the features; isQuery selects the max-subtraction axes.
func (f FeatureMap) apply(x *Node, isQuery bool, mask *Node) *Node {
	f.Kernel.check()
	if x.Rank() != 4 {
		panicf("features need x shaped [batch, heads, length, dim], got %s", x.Shape())
	}
	g := x.Graph()
	dtype := x.DType()
	if mask != nil {
		mask = broadcastKeyMask(mask, x)
	}
	// stabilizer returns the max to subtract from the exponents u (stopped gradient).
	stabilizer := func(u *Node) *Node {
		if f.NoMaxSubtraction {
			return ScalarZero(g, dtype)
		}
		if isQuery {
			return StopGradient(ReduceAndKeep(u, ReduceMax, -1))
		}
		if mask != nil {
			u = Where(ExpandAxes(mask, -1), u, BroadcastToShape(Infinity(g, dtype, -1), u.Shape()))
		}
		mx := ReduceAndKeep(u, ReduceMax, -2, -1)
		// An all-masked row gives -inf: use 0 then (its features are zeroed anyway).
		mx = Where(IsFinite(mx), mx, ZerosLike(mx))
		return StopGradient(mx)
	}
	var phi *Node
	switch f.Kernel {
	case KernelSoftmax:
		u := f.project(x)
		m := u.Shape().Dim(-1)
		diag := MulScalar(ReduceAndKeep(Square(x), ReduceSum, -1), 0.5)
		phi = Exp(Sub(Sub(u, diag), stabilizer(u)))
		phi = MulScalar(AddScalar(phi, f.Epsilon), 1/math.Sqrt(float64(m)))
	case KernelSoftmaxHyperbolic:
		u := f.project(x)
		m := u.Shape().Dim(-1)
		diag := MulScalar(ReduceAndKeep(Square(x), ReduceSum, -1), 0.5)
		both := Concatenate([]*Node{u, Neg(u)}, -1)
		phi = Exp(Sub(Sub(both, diag), stabilizer(both)))
		phi = MulScalar(AddScalar(phi, f.Epsilon), 1/math.Sqrt(float64(2*m)))
	case KernelSoftmaxTrig:
		u := f.project(x)
		m := u.Shape().Dim(-1)
		h := Exp(MulScalar(ReduceAndKeep(Square(x), ReduceSum, -1), 0.5))
		phi = Mul(Concatenate([]*Node{Sin(u), Cos(u)}, -1), MulScalar(h, 1/math.Sqrt(float64(m))))
	case KernelReLU:
		phi = AddScalar(activation.Relu(x), f.Epsilon)
	case KernelReLURandom:
		phi = AddScalar(activation.Relu(f.project(x)), f.Epsilon)
	case KernelGeneralized:
		if f.Fn == nil {
			panicf("kernel %q needs FeatureMap.Fn", f.Kernel)
		}
		u := x
		if f.Projection != nil {
			u = f.project(x)
		}
		phi = AddScalar(f.Fn(u), f.Epsilon)
	case KernelExact:
		panicf("kernel %q has no feature map", f.Kernel)
	}
	if mask != nil {
		phi = Mul(phi, ConvertDType(ExpandAxes(mask, -1), dtype))
	}
	return phi
}

// project returns x [batch, heads, length, d] times the projection W [m, d]
// (stopped gradient): u [batch, heads, length, m].
func (f FeatureMap) project(x *Node) *Node {
	if f.Projection == nil {
		panicf("kernel %q needs a projection", f.Kernel)
	}
	w := StopGradient(ConvertDType(f.Projection, x.DType()))
	if w.Rank() != 2 || w.Shape().Dim(1) != x.Shape().Dim(-1) {
		panicf("projection shape %s does not match inputs %s (want [m, %d])", w.Shape(), x.Shape(), x.Shape().Dim(-1))
	}
	// One plain [B·H·L, d] x [d, m] matrix product (faster than a batched einsum).
	dims := x.Shape().Dimensions
	u := Einsum("nd,md->nm", Reshape(x, -1, dims[3]), w)
	return Reshape(u, dims[0], dims[1], dims[2], w.Shape().Dim(0))
}

// broadcastKeyMask turns a bool mask [batch, length] or [batch, heads,
// length] into [batch, heads, length] matching x [batch, heads, length, d].
func broadcastKeyMask(mask, x *Node) *Node {
	if mask.DType() != dtypes.Bool {
		panicf("masks must be bool, got %s", mask.Shape())
	}
	b, h, l := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	switch mask.Rank() {
	case 2:
		mask = ExpandAxes(mask, 1)
	case 3:
	default:
		panicf("mask must be [batch, length] or [batch, heads, length], got %s for inputs %s", mask.Shape(), x.Shape())
	}
	if mask.Shape().Dim(0) != b || mask.Shape().Dim(2) != l || (mask.Shape().Dim(1) != 1 && mask.Shape().Dim(1) != h) {
		panicf("mask shape %s does not match inputs %s", mask.Shape(), x.Shape())
	}
	return BroadcastToDims(mask, b, h, l)
}

// panicf panics with an error prefixed "performer: ".
func panicf(format string, args ...any) {
	panic(errors.Errorf("performer: "+format, args...))
}
