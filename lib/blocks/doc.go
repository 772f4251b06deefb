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
//   - Training: the [AdamATan2] and [SignSGD] optimizers, [Routed] to send
//     variables under scope prefixes (the puzzle embeddings) to another
//     optimizer, and [EMA] weights for evaluation.
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
// Panics (for invalid configurations and shapes) start with "blocks: ".
package blocks
