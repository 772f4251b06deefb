// Package deep holds the class-incremental learners that train networks,
// on GoMLX, behind lib/cil's Learner interface: Finetune, Joint, Replay,
// iCaRL, LwF, EWC, WA, DER, MEMO and GDumb, as described in Zhou et al.,
// "Deep Class-Incremental Learning: A Survey" (2024) and implemented in
// PyCIL. Each [Method]'s constant documents its data, loss and after-task
// steps in the papers' symbols (notation in [New]), beside its recipe in
// methods.go; the order-invariant baselines (NCM, streaming LDA, kNN) and
// the scenarios, metrics and exemplar Buffer are in lib/cil.
//
// Usage (ExampleNew):
//
//	l, err := deep.New(backend, deep.Replay, deep.Options{Epochs: 5})
//	res, err := cil.Run(l, scenario, nil) // res.Acc, res.Last(), res.AverageIncremental()
//	mem := l.Memory()                     // bytes: Exemplars, Parameters, Other
//
// Networks. A backbone is a base (generalized) block followed by a top
// (specialized) block: [MLP] (dense Dim->Hidden, ReLU; dense Hidden->Hidden,
// ReLU; 784-256-256 by default) or [CNN] (3x3 conv to 16 channels, ReLU,
// 2x2 max pool; 3x3 conv to 32, ReLU, 2x2 max pool, dense to Hidden = 128,
// ReLU), then one linear head over the classes seen so far. The head grows
// at each task: it is re-created with the old classes' weights copied in
// (PyCIL's update_fc), so its parameters are exactly Hidden·K·seen + seen.
// DER adds a whole backbone per task, MEMO a top block on one shared base;
// both concatenate the K backbones' features. Weights are initialized on
// the host as PyTorch's nn.Linear / nn.Conv2d: U(±1/sqrt(fan_in)).
//
// Variable paths in each learner's store are API:
//
//	/net/base_<k>/dense_0/{w,b}    MLP base k: w [Dim, Hidden]
//	/net/top_<k>/dense_1/{w,b}     MLP top k: w [Hidden, Hidden]
//	/net/base_<k>/conv_0/{w,b}     CNN base k: w [3, 3, C, 16]
//	/net/top_<k>/conv_1/{w,b}      CNN top k: w [3, 3, 16, 32]
//	/net/top_<k>/dense/{w,b}       CNN top k: w [H/4·W/4·32, Hidden]
//	/head/{w,b}                    w [K·Hidden, seen], b [seen]
//	/aux/{w,b}                     DER/MEMO auxiliary head, during a task only: w [Hidden, new+1]
//	/opt/{m,v}<path>, /opt/step    optimizer state, during a Learn only
//	/ewc/fisher<path>, /ewc/mean<path>   EWC's Fisher and anchor weights
//	/plastic/init<path>            L2Init's initial weights θ₀ (Options.Plasticity)
//	/plastic/util<path>            continual backprop's utilities of the layer at <path>: [units]
//	/plastic/rng                   shrink & perturb's random state
//
// Training. Each Learn runs Options.Epochs epochs of shuffled minibatches
// (Batch 128) with a fresh optimizer (Adam, lr 1e-3, by default; SGD with
// momentum as PyCIL on request) and a constant learning rate. One training
// graph per task (the head's width changes with each task) is compiled on
// the first step and reused for every epoch; the last batch of an epoch
// is padded with zero-weight rows so that it needs no second graph. The
// previous model's logits for distillation are computed once at the start
// of a task. [Learner.Epochs] records each epoch's wall time and loss.
//
// Plasticity. Options.Plasticity ([Plasticity]) adds lib/cil/plastic's
// remedies for loss of plasticity to any method's training, all off by
// default (every number is then unchanged): L2Init adds L2Init·(θ − θ₀) to
// each gradient; shrink & perturb makes every updated parameter
// (1 − Shrink)·θ + Noise·ε after each step (plastic.ShrinkPerturb);
// continual backprop (CBP) keeps a utility per hidden unit in the training
// graph (plastic.Utility: the MLP's dense_0 and dense_1 units; the CNN's
// conv_0 and conv_1 channels, with activations averaged over positions,
// and its dense units) and after each step replaces the due mature units
// of lowest utility through a plastic.Units view of the layer's weights,
// the weights its units feed (the next layer's, the head's; a channel
// feeds nine rows of the next kernel, or one row per position of the
// flattened feature map) and their optimizer moments, which are zeroed
// (plastic.CBP.Replace): the new units do not change the outputs. CBP is
// only for single-backbone methods: New refuses DER and MEMO.
// [Learner.Measure] gives plastic.Stats (dormant fraction,
// stable rank, mean |w|) on a probe; Plasticity.Probe records them after
// every task in Learner.Plasticity. [Learner.Replaced] counts the
// replacements. The remedies' state (θ₀, utilities) counts in
// Memory().Other.
//
// Precision. Options.Precision is lib/backend's Float32 or BFloat16 mixed precision:
// layers compute in bfloat16 on bfloat16 casts of the float32 weights;
// weights, optimizer state, EWC's state, logits, losses, softmax and
// reductions stay float32 (the store only ever holds float32 variables).
// Left empty it follows the backend (backend.DefaultDType): bfloat16 on XLA
// with a GPU plugin, float32 on the Go backend, whose numbers are therefore
// unchanged. On the Go backend bfloat16 logits are within 3% of float32's
// and a short training run's losses within 10% of each task's initial loss
// (precision_test.go states the measured values).
//
// Devices. Options.Devices spreads every training step, Fisher batch and
// evaluation batch over that many devices of the backend (0, the default:
// all it has) with lib/parallel: each batch split by example, the weights
// replicated, XLA's SPMD partitioner reducing the gradients, so a step is
// still the step of the whole batch. Batch must be a multiple of the
// device count ([New] says otherwise); evaluation batches are padded up to
// one. With one device (the Go backend) every number is unchanged. Runs
// on more than one device have not been executed yet: only their layouts,
// splits and errors are tested, on CPU.
//
// Speed on 2 CPU cores (Go backend, go:ops_sequential): the MLP trains an
// epoch of 12,000 Fashion-MNIST images in ~0.25-0.3 s (cmd/benchcil; PyTorch
// 1.13 on the same cores: ~0.22-0.25 s); the CNN takes ~0.15 s per
// batch-128 step (~14 s per such epoch), its convolutions written as
// im2col + matmul because the Go backend's Convolve and MaxPool were ~7x
// slower.
//
// Memory ([Learner.Memory], bytes): exemplars as stored raw examples
// (Data.ExampleBytes each), parameters 4 bytes each for every parameter
// kept (frozen DER backbones included), other state (iCaRL's class means,
// EWC's Fisher and anchor) 4 bytes per float. The model used for
// distillation is the current model at the start of the next task, so it
// is not counted twice; the DER/MEMO auxiliary head is dropped after each
// task and not counted.
//
// Differences from PyCIL, all deliberate: Adam at a constant learning rate
// and a few epochs (PyCIL: SGD 0.1 with step decay for 170-250 epochs on
// ResNets), no data augmentation, no batch norm; MEMO trains the shared
// base in every task (PyCIL's train_base) and freezes old specialized
// blocks; GDumb retrains from scratch after every task, on its memory.
//
// GoMLX note: on the Go backend, graphs not marked as training embed
// variables as constants (lib/recursive/blocks' doc), so every graph here is marked
// as training (there is no dropout or batch norm for it to change).
//
// Panics inside Learn and Predict are returned as errors; messages start
// with "deep: ".
package deep
