// Package transformer holds small Transformer models whose attention is
// chosen by an option: GoMLX's exact multi-head attention or FAVOR+ (and the
// other kernels) from lib/performer. Both use the same variables, so a model
// trained with exact attention loads into a FAVOR+ model unchanged and can be
// fine-tuned (the Performer paper's "backward compatibility").
//
// Building blocks, in GoMLX's style (a model.Scope sub-scope per layer,
// hyperparameters read with model.GetParamOr from Param... keys, builders
// ending in Done):
//
//   - [EncoderBlock] and [DecoderBlock]: pre-normalization blocks
//     (attention and a GELU feed-forward layer, with residuals).
//   - [LanguageModel]: a causal byte-level language model.
//   - [Classifier]: a bidirectional sequence classifier (mean pooling).
//
// [Run] (the trainer) trains and evaluates one such model with GoMLX's train.Trainer,
// records accuracy curves, step times and peak memory, and saves and loads
// checkpoints (ml/model/checkpoint); [Run.LoadWeights] loads another run's
// weights, e.g. exact-attention weights into a FAVOR+ run.
//
// Variable paths (relative to the scope given to the model) are part of
// the API:
//
//	token_embedding/embeddings                                  [vocab, EmbedDim]
//	position_embedding/embeddings                               [MaxLen, EmbedDim]
//	layer_<i>/attention_norm/{gain,offset}
//	layer_<i>/attention/MultiHeadAttention/{query,key,value,output}/dense/{weights,biases}
//	layer_<i>/ffn_norm/{gain,offset}
//	layer_<i>/ffn/{hidden,output}/dense/{weights,biases}
//	final_norm/{gain,offset}
//	logits/dense/{weights,biases}    (language model)
//	classes/dense/{weights,biases}   (classifier)
//
// Panics (for invalid configurations and shapes) start with "transformer: ".
package transformer
