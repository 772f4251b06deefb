package blocks

import (
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/labnotes/labnotes/internal/testutil"
)

// TestLayersAgainstReference checks each layer's output and gradients
// (input and every variable) against a naive float64 reference, and its
// variable names and shapes.
func TestLayersAgainstReference(t *testing.T) {
	be := testutil.Backend(t)
	const b, s, d = 2, 5, 8
	attn := Config{Hidden: d, Heads: 2, HeadDim: 4, Expansion: 2, RopeTheta: 100}
	attnNoRope := attn
	attnNoRope.NoRope = true
	mlp := Config{Hidden: d, Heads: 2, Expansion: 2, Mixer: MixMLP}
	inter := SwiGLUInter(d, 2)    // round(10.67)=11 -> 16
	seqInter := SwiGLUInter(s, 2) // round(6.67)=7 -> 8
	for i, c := range []layerCase{
		{
			name: "RMSNorm", dims: []int{b, s, d}, tol: 1e-5,
			build: func(_ *model.Scope, x *graph.Node) *graph.Node { return RMSNorm(x, 1e-5) },
			ref:   func(x []float64, _ vals) []float64 { return refRMSNorm(x, d, 1e-5) },
		},
		{
			name: "SwiGLU", dims: []int{b, s, d}, tol: 1e-5,
			build: func(scope *model.Scope, x *graph.Node) *graph.Node { return SwiGLU(scope, x, 2) },
			ref: func(x []float64, v vals) []float64 {
				return refSwiGLU(x, d, inter, v["gate_up"], v["down"])
			},
			wantVars: map[string][]int{"gate_up": {d, 2 * inter}, "down": {inter, d}},
		},
		{
			name: "Rotary", dims: []int{b, s, 2, 6}, tol: 1e-5,
			build: func(_ *model.Scope, x *graph.Node) *graph.Node { return Rotary(x, 10) },
			ref:   func(x []float64, _ vals) []float64 { return refRotary(x, b, s, 2, 6, 10) },
		},
		{
			name: "Attention", dims: []int{b, s, d}, tol: 1e-5,
			build: func(scope *model.Scope, x *graph.Node) *graph.Node { return Attention(scope, x, attn) },
			ref: func(x []float64, v vals) []float64 {
				return refAttention(x, b, s, d, 2, 4, v["qkv"], v["o"], true, 100)
			},
			wantVars: map[string][]int{"qkv": {d, 3 * 2 * 4}, "o": {2 * 4, d}},
		},
		{
			name: "Attention no RoPE, 3 heads of 2", dims: []int{b, s, d}, tol: 1e-5,
			build: func(scope *model.Scope, x *graph.Node) *graph.Node {
				c := attnNoRope
				c.Heads, c.HeadDim = 3, 2
				return Attention(scope, x, c)
			},
			ref: func(x []float64, v vals) []float64 {
				return refAttention(x, b, s, d, 3, 2, v["qkv"], v["o"], false, 0)
			},
			wantVars: map[string][]int{"qkv": {d, 3 * 3 * 2}, "o": {3 * 2, d}},
		},
		{
			name: "TokenMixer", dims: []int{b, s, d}, tol: 1e-5,
			build: func(scope *model.Scope, x *graph.Node) *graph.Node { return TokenMixer(scope, x, mlp) },
			ref: func(x []float64, v vals) []float64 {
				y := refSwiGLU(transpose12(x, b, s, d), s, seqInter, v["gate_up"], v["down"])
				return transpose12(y, b, d, s)
			},
			wantVars: map[string][]int{"gate_up": {s, 2 * seqInter}, "down": {seqInter, s}},
		},
		{
			name: "Block attention", dims: []int{b, s, d}, tol: 1e-5,
			build: func(scope *model.Scope, x *graph.Node) *graph.Node { return Block(scope, x, attn) },
			ref: func(x []float64, v vals) []float64 {
				h := refRMSNorm(add(x, refAttention(x, b, s, d, 2, 4, v["mix/qkv"], v["mix/o"], true, 100)), d, 1e-5)
				return refRMSNorm(add(h, refSwiGLU(h, d, inter, v["mlp/gate_up"], v["mlp/down"])), d, 1e-5)
			},
			wantVars: map[string][]int{"mix/qkv": {d, 24}, "mix/o": {8, d}, "mlp/gate_up": {d, 2 * inter}, "mlp/down": {inter, d}},
		},
		{
			name: "Block mlp", dims: []int{b, s, d}, tol: 1e-5,
			build: func(scope *model.Scope, x *graph.Node) *graph.Node { return Block(scope, x, mlp) },
			ref: func(x []float64, v vals) []float64 {
				// TRM: transpose, add the mixer, normalize over the sequence axis, transpose back.
				xt := transpose12(x, b, s, d)
				ht := refRMSNorm(add(xt, refSwiGLU(xt, s, seqInter, v["mix/gate_up"], v["mix/down"])), s, 1e-5)
				h := transpose12(ht, b, d, s)
				return refRMSNorm(add(h, refSwiGLU(h, d, inter, v["mlp/gate_up"], v["mlp/down"])), d, 1e-5)
			},
			wantVars: map[string][]int{"mix/gate_up": {s, 2 * seqInter}, "mix/down": {seqInter, s}, "mlp/gate_up": {d, 2 * inter}, "mlp/down": {inter, d}},
		},
		{
			name: "Stack of 2", dims: []int{b, s, d}, tol: 1e-5,
			build: func(scope *model.Scope, x *graph.Node) *graph.Node { return Stack(scope, x, attn, 2) },
			ref: func(x []float64, v vals) []float64 {
				for l := range 2 {
					p := map[int]string{0: "layer_0/", 1: "layer_1/"}[l]
					h := refRMSNorm(add(x, refAttention(x, b, s, d, 2, 4, v[p+"mix/qkv"], v[p+"mix/o"], true, 100)), d, 1e-5)
					x = refRMSNorm(add(h, refSwiGLU(h, d, inter, v[p+"mlp/gate_up"], v[p+"mlp/down"])), d, 1e-5)
				}
				return x
			},
			wantVars: map[string][]int{
				"layer_0/mix/qkv": {d, 24}, "layer_0/mix/o": {8, d}, "layer_0/mlp/gate_up": {d, 2 * inter}, "layer_0/mlp/down": {inter, d},
				"layer_1/mix/qkv": {d, 24}, "layer_1/mix/o": {8, d}, "layer_1/mlp/gate_up": {d, 2 * inter}, "layer_1/mlp/down": {inter, d},
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) { checkLayer(t, be, uint64(i+1), c) })
	}
}

func TestSwiGLUInter(t *testing.T) {
	for _, c := range []struct {
		d         int
		expansion float64
		want      int
	}{
		{512, 4, 1536}, // HRM: round(1365.33)=1365 -> 1536
		{384, 4, 1024}, // round(1024) = 1024, already a multiple
		{129, 4, 512},  // round(344) -> 512 (multiple of 256 above 128)
		{128, 4, 344},  // round(341.33)=341 -> 344 (multiple of 8)
		{64, 4, 176},   // round(170.67)=171 -> 176
		{97, 4, 264},   // TRM-MLP Sudoku sequence (TRM itself: 512)
		{8, 2, 16},     // round(10.67)=11 -> 16
		{3, 0.75, 8},   // round(1.5)=2 (half to even) -> 8
		{6, 0.75, 8},   // round(3) -> 8
	} {
		if got := SwiGLUInter(c.d, c.expansion); got != c.want {
			t.Errorf("SwiGLUInter(%d, %g) = %d, want %d", c.d, c.expansion, got, c.want)
		}
	}
}

// TestRMSNormLowPrecision: a float16 input whose squares overflow float16
// (300² > 65504) is normalized correctly, because RMSNorm computes in
// float32, and the result is float16.
func TestRMSNormLowPrecision(t *testing.T) {
	be := testutil.Backend(t)
	x := []float64{300, -300, 150, 0, 1, 2, -3, 4}
	out := graph.MustExecOnce(be, func(x *graph.Node) *graph.Node {
		return RMSNorm(graph.ConvertDType(x, dtypes.Float16), 1e-5)
	}, tensorOf(x, 2, 4))
	if out.DType() != dtypes.Float16 {
		t.Fatalf("dtype %s, want float16", out.DType())
	}
	got := testutil.Float64s(graph.MustExecOnce(be, func(x *graph.Node) *graph.Node { return graph.ConvertDType(x, dtypes.Float32) }, out))
	testutil.AssertClose(t, "float16 RMSNorm", got, refRMSNorm(x, 4, 1e-5), 2e-3)
}

// TestRoPERelativePositions: with RoPE, attention scores q_i·k_j depend only
// on i-j: rotating the same q and k vectors placed at every position gives
// scores constant along diagonals, and not constant across them.
func TestRoPERelativePositions(t *testing.T) {
	be := testutil.Backend(t)
	const s, d = 6, 8
	out := graph.MustExecOnce(be, func(q, k *graph.Node) *graph.Node {
		qs := graph.BroadcastToDims(graph.Reshape(q, 1, 1, 1, d), 1, s, 1, d)
		ks := graph.BroadcastToDims(graph.Reshape(k, 1, 1, 1, d), 1, s, 1, d)
		return graph.Einsum("bqhd,bkhd->bqk", Rotary(qs, 10), Rotary(ks, 10))
	}, tensors.FromValue([]float32{1, 0.5, -1, 2, 0.3, -0.7, 1.5, 0.2}), tensors.FromValue([]float32{0.4, -1, 1, 0.5, 2, 0.1, -0.3, 1}))
	sc := testutil.Float64s(out)
	for i := range s {
		for j := range s {
			if i > 0 && j > 0 {
				if diff := math.Abs(sc[i*s+j] - sc[(i-1)*s+j-1]); diff > 1e-4 {
					t.Errorf("score(%d,%d)=%.5f != score(%d,%d)=%.5f", i, j, sc[i*s+j], i-1, j-1, sc[(i-1)*s+j-1])
				}
			}
		}
	}
	if math.Abs(sc[0*s+1]-sc[1*s+0]) < 1e-3 && math.Abs(sc[0]-sc[1]) < 1e-3 {
		t.Errorf("scores do not depend on the offset: %v", sc[:s])
	}
}

// TestAttentionPermutationEquivariance: without RoPE, permuting the input
// tokens permutes the output; with RoPE it does not.
func TestAttentionPermutationEquivariance(t *testing.T) {
	be := testutil.Backend(t)
	const b, s, d = 1, 5, 8
	perm := []int{3, 0, 4, 1, 2}
	for _, noRope := range []bool{true, false} {
		cfg := Config{Hidden: d, Heads: 2, Expansion: 2, NoRope: noRope}
		store := model.NewStore()
		exec := model.MustNewExec(be, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return Block(scope.In("block"), x, cfg)
		})
		x := randTensorVals(11, b*s*d)
		px := make([]float64, len(x))
		for i, p := range perm {
			copy(px[i*d:(i+1)*d], x[p*d:(p+1)*d])
		}
		y := testutil.Float64s(exec.MustExec(tensorOf(x, b, s, d))[0])
		py := testutil.Float64s(exec.MustExec(tensorOf(px, b, s, d))[0])
		want := make([]float64, len(y))
		for i, p := range perm {
			copy(want[i*d:(i+1)*d], y[p*d:(p+1)*d])
		}
		maxDiff := 0.0
		for i := range want {
			maxDiff = max(maxDiff, math.Abs(py[i]-want[i]))
		}
		if noRope && maxDiff > 1e-5 {
			t.Errorf("no RoPE: permuted output differs by %g", maxDiff)
		}
		if !noRope && maxDiff < 1e-3 {
			t.Errorf("RoPE: output is permutation equivariant (difference %g), positions are ignored", maxDiff)
		}
	}
}

func randTensorVals(seed uint64, n int) []float64 {
	v := make([]float64, n)
	x := seed
	for i := range v {
		x = x*6364136223846793005 + 1442695040888963407
		v[i] = float64(int64(x>>11)%2000)/1000 - 1
	}
	return v
}

// TestLowPrecisionBlock: a Block on bfloat16 inputs keeps float32 (master)
// weights, cast to bfloat16 where used, and stays close to the float32
// Block with the same weights, for both mixers.
func TestLowPrecisionBlock(t *testing.T) {
	be := testutil.Backend(t)
	const b, s, d = 1, 4, 8
	x := randTensorVals(5, b*s*d)
	for _, mixer := range []Mixer{MixAttention, MixMLP} {
		cfg := Config{Hidden: d, Heads: 2, Expansion: 2, Mixer: mixer}
		store := model.NewStore()
		run := func(dtype dtypes.DType) []float64 {
			exec := model.MustNewExec(be, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
				scope.SetTraining(x.Graph(), true) // Variables as parameters: both runs read the same weights.
				return graph.ConvertDType(Block(scope.In("block"), graph.ConvertDType(x, dtype), cfg), dtypes.Float32)
			})
			return testutil.Float64s(exec.MustExec(tensorOf(x, b, s, d))[0])
		}
		low := run(dtypes.BFloat16)
		if dt := store.GetVariable("/block/mlp/gate_up").DType(); dt != dtypes.Float32 {
			t.Fatalf("%s: weights dtype %s, want float32 master weights", mixer, dt)
		}
		testutil.AssertClose(t, string(mixer)+": bfloat16 block vs float32", low, run(dtypes.Float32), 5e-2)
	}
}

// TestFusedAttentionPath: the fused attention call of attend (taken on
// XLA/CUDA for bfloat16: layout BSHD, scale 1/sqrt(headDim)) gives the
// explicit branch's output, checked in float32 with the Go backend's fused
// attention (it has no bfloat16 kernel) on q, k, v [batch, seq, heads,
// headDim].
func TestFusedAttentionPath(t *testing.T) {
	be := testutil.Backend(t)
	const b, s, h, d = 2, 5, 2, 8
	q, k, v := randTensorVals(1, b*s*h*d), randTensorVals(2, b*s*h*d), randTensorVals(3, b*s*h*d)
	fusedRan := false
	run := func(fused bool) []float64 {
		out := graph.MustExecOnce(be, func(q, k, v *graph.Node) *graph.Node {
			if !fused {
				return attend(q, k, v) // float32: the explicit branch
			}
			out, ok := graph.InternalFusedOpCaller(func() *graph.Node { return fusedSDPA(q, k, v) }, func() *graph.Node { return q }, false)
			fusedRan = ok
			return out
		}, tensorOf(q, b, s, h, d), tensorOf(k, b, s, h, d), tensorOf(v, b, s, h, d))
		return testutil.Float64s(out)
	}
	fused := run(true)
	if !fusedRan {
		t.Skipf("backend %s has no fused attention for float32 BSHD", be.Name())
	}
	testutil.AssertClose(t, "fused vs explicit attention", fused, run(false), 1e-5)
}
