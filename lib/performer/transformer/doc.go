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
// Mixed precision: [Config].Precision (a backend.Precision; ParamPrecision) selects float32 or
// bfloat16 compute; the default follows the backend (bfloat16 on XLA on a
// GPU, float32 on the Go backend, whose numbers are unchanged). In bfloat16
// the variables, gradients and Adam's state stay float32 (master weights, see
// performer.Dense), and layer normalization, attention's softmax, FAVOR+'s
// features and normalizer, pooling and the logits are computed in float32;
// matrix products and activations are bfloat16. Measured on the Go backend
// (precision_test.go): logits within 1.4% of float32's (relative to the
// largest logit) and an 80-step training run within 0.044 nats of float32's
// evaluation loss.
//
// Data parallelism: [Config].Devices (default [DefaultDevices], 0: every
// device of the backend) spreads [Run.Train] and [Run.Evaluate] over that
// many devices with lib/parallel: each batch (a multiple of the device count)
// is split along axis 0, variables and Adam's state are replicated, and XLA
// reduces the gradients (Trainer.DistributedTrainStep with AutoSharding).
// With one device (always on the Go backend) it is the plain single-device
// path, number for number. The device count is not checkpointed. Multi-GPU
// runs have not been executed yet (no multi-GPU machine was available): only
// the layouts and sharding of batches are tested, on the host.
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
