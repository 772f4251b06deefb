// Package performer is the Performer pillar of Labnotes: attention in time
// and memory linear in the sequence length, FAVOR+ (Choromanski et al.,
// "Rethinking Attention with Performers", ICLR 2021), for GoMLX, by random
// feature maps phi with softmax(Q K^T) ≈ D^-1 phi(Q) phi(K)^T.
//
// The pillar's packages:
//
//   - performer (this package): the FAVOR+ core and a drop-in for GoMLX's
//     multi-head attention layer (below).
//   - [github.com/labnotes/labnotes/lib/performer/transformer]: small
//     Transformers (byte-level causal language model, sequence classifier)
//     whose attention is exact or FAVOR+ by an option, sharing variables so
//     exact-attention weights load into a FAVOR+ model; their trainer, Run.
//   - [github.com/labnotes/labnotes/lib/performer/lra]: data for long-range
//     tasks (ListOps, sequential Fashion-MNIST, a Go-source byte corpus).
//   - [github.com/labnotes/labnotes/lib/performer/study]: the drivers of the
//     notebooks and of cmd/benchattention (the paper's approximation
//     experiments, speed and memory over the sequence length, transformer
//     comparisons and fine-tuning).
//
// This package has two levels:
//
//   - A functional core on tensors shaped [batch, heads, length, dim]:
//     [Projection] (iid or block-orthogonal random projections W [m, d], chi
//     or sqrt(d) row norms, drawn on the host or in the graph), [FeatureMap]
//     (positive softmax features, hyperbolic, trigonometric for comparison,
//     ReLU and generalized kernels with a user function; max subtraction with
//     stopped gradients and an epsilon), [Attention] (bidirectional
//     [LinearAttention], and causal [CausalLinearAttention] in chunks, memory
//     O(L·m + (L/C)·m·d), never an [L, m, d] tensor; key masks remove padded
//     keys from numerator and denominator), and the references
//     [ExactAttention] and [QuadraticKernelAttention] used by tests.
//
//   - A layer, [MultiHeadAttention] / [SelfAttention], with the call shape,
//     options and variable scopes of GoMLX's attention.MultiHeadAttention, so
//     a checkpoint trained with exact attention loads unchanged, plus options
//     for the kernel, the number of features, orthogonality, row norms, the
//     feature redraw policy (fixed, every N steps, every call; seeded
//     deterministically) and the causal chunk size. Defaults come from the
//     Param... hyperparameters of the scope (model.GetParamOr).
//
// Typical use, switching a Transformer block to FAVOR+:
//
//	x = performer.SelfAttention(scope.In("layer_0"), x, numHeads, headDim).
//		WithCausalMask(true).
//		WithNumFeatures(256).
//		Done()
//
// Mixed precision: for half-precision (bfloat16, float16) q, k, v,
// [Attention] computes the features' exponentials, stabilizers, sums and
// normalizer in float32 and returns the inputs' dtype (measured 12 to 56 times more
// accurate than all-bfloat16, see [Config].HalfFeatures); [Dense], used by the
// layer's projections, keeps float32 master weights for half-precision inputs.
//
// Numerics follow the JAX reference (data normalizer d^-1/4 on q and k, query
// max per row, key max over features and positions, eps 1e-6, denominator
// guard D + 2 eps where |D| <= eps), with two fixes: padded keys are excluded
// from the max and have zero features; and causal softmax attention does not
// take the keys' max over all positions (through eps and the guard, later keys
// would change earlier outputs) but a running max: [FeatureMap.KeyLogScaled]
// and [CausalLogScaledAttention]. Errors panic with messages
// prefixed "performer: ".
package performer
