// Package blocks holds the reusable building blocks of the HRM
// (Wang et al. 2025) and TRM (Jolicoeur-Martineau 2025) recursive reasoning
// models, on GoMLX:
//
//   - Layers: [RMSNorm] (no weight), [SwiGLU], [Rotary] (RoPE), non-causal
//     multi-head [Attention], TRM's MLP [TokenMixer], the post-norm [Block]
//     and a [Stack] of blocks, configured by a [Config] (read from scope
//     parameters by [NewConfig]); [PuzzleEmbedding] (per-puzzle prefix
//     tokens).
//   - Initializers: [TruncatedNormal] and truncated [LeCunNormal].
//   - Loss: [Stablemax] and [StablemaxCrossEntropy] (in float64).
//   - Training: the [AdamATan2] and [SignSGD] optimizers (GoMLX
//     optimizer.Interface implementations, usable with train.Trainer),
//     [Routed] to send variables under scope prefixes (the puzzle
//     embeddings) to another optimizer, and [EMA] weights for evaluation
//     ([WithEMA] adds the EMA update to an optimizer).
//
// Usage (a TRM-style network f on x [batch, seq, Hidden]):
//
//	cfg := blocks.Config{Hidden: 64, Heads: 4, Mixer: blocks.MixAttention}
//	f := func(scope *model.Scope, h *graph.Node) *graph.Node {
//		return blocks.Stack(scope.At("net"), h, cfg, 2) // Called again: same variables.
//	}
//	z = f(scope, graph.Add(graph.Add(z, y), x))
//
// Variable paths (relative to the scope given) are part of the API:
//
//	Block:       mix/qkv [D, 3·Heads·HeadDim], mix/o [Heads·HeadDim, D]   (MixAttention)
//	             mix/gate_up [seq, 2·inter'], mix/down [inter', seq]      (MixMLP)
//	             mlp/gate_up [D, 2·inter], mlp/down [inter, D]
//	Stack:       layer_<i>/... (Block's)
//	PuzzleEmbedding: table [numIDs, prefixLen·D]
//
// with inter = SwiGLUInter(D, Expansion), inter' = SwiGLUInter(seq,
// Expansion).
//
// Optimizer and EMA state live in the same model.Store, outside the model's
// scopes (default Names): /AdamATan2/{step,learning_rate}, /AdamATan2/<variable
// path>_{1st,2nd}_moment, /SignSGD/{step,learning_rate}, /global_step,
// /ema/shadow/<variable path>, /ema/updates.
//
// GoMLX v0.28.16 notes, for code built on this package: on the Go backend,
// graphs not marked as training embed variables that already have values
// as constants when first compiled, so an evaluation Exec compiled once
// keeps the weights it first saw (see [EMA]); training graphs
// (scope.SetTraining(g, true), as train.Trainer does) are not affected.
// RMSNorm avoids Rsqrt, which has no gradient in GoMLX v0.28.16.
//
// Differences from the papers' code are documented where they occur:
// [SwiGLUInter] (multiple of 8 for widths <= 128), [AdamATan2] (defaults
// of the adam-atan2 package HRM uses), [SignSGD] (rows with
// a non-zero gradient rather than the rows of the batch's ids), [EMA]
// (only variables the training graph uses), [TruncatedNormal] (redraws
// then clips).
//
// Mixed precision: the layers compute in their input's dtype; weights are
// stored in [MasterDType] of it (float32 for bfloat16 and float16 inputs)
// and cast where used ([Weight], [CastedLinear]), so optimizers and the EMA
// update float32 values. RMSNorm, RoPE and the attention softmax compute in
// float32; bfloat16 attention uses the backend's fused attention where it
// has a fused backward (XLA on CUDA).
//
// Panics (for invalid configurations and shapes) are errors starting with
// "blocks: ".
package blocks
