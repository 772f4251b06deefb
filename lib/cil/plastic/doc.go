// Package plastic is about loss of plasticity (Dohare et al., "Loss of
// plasticity in deep continual learning", Nature 2024): a network trained
// on a long sequence of tasks slowly loses the ability to learn at all.
// It holds the remedies, the measures, and a fast online learner to run
// them on.
//
//   - remedies that work on any network's layer variables: continual
//     backprop ([CBP]: a running [Utility] per hidden unit computed in the
//     training graph; [CBP.Replace] reinitializes the least useful mature
//     units through a [Units] view of a layer — input weights, bias,
//     outgoing weights and the optimizer state of each); shrink & perturb
//     ([ShrinkPerturb]); L2 towards the initial weights and plain L2
//     ([Config].L2Init, L2); head reset ([Online.ResetHead]);
//   - measures per task ([Measure]): the fraction of dormant units
//     (cil.Dormant), the stable rank of the representation (cil.StableRank)
//     and the mean weight magnitude;
//   - [Online]: a ReLU MLP trained one example (or a few) per update, many
//     updates per call of one compiled graph (a While loop over a chunk),
//     forward and backward written out, with the online accuracy of the
//     stream; [Stream] wraps it as a cil.Learner (online SGD, replay,
//     continual backprop) for class-incremental streams;
//   - experiments: [Permuted] online permuted streams (each task a fixed
//     pixel permutation) run by [RunPermuted] and [RunPermutedSuite] over
//     the [Remedies]; [RunCumulative], the class-incremental protocol with
//     all data kept (warm-started or retrained from scratch); [RunOrdered],
//     a class-sorted stream against its shuffled control, each learner
//     placed on the four [Axes] (FLOPs, trainable-state bytes, algorithm
//     bytes, accuracy; [Scatter] plots them), with [Pretrain] and
//     [Online.Extractor] for a pretrained feature extractor.
//
// For another network (lib/cil/deep) the hooks are: a utility vector per
// hidden layer kept in the training graph and updated with [Utility]
// from the layer's activations and outgoing weights; after each step
// [CBP.Advance] and, for the layers with units due, [CBP.Replace] on a
// [Units] view of the layer's variables and their optimizer state, copied
// back; [ShrinkPerturb] after the update; [MeasureActs] on a probe's
// hidden activations. deep.Options.Plasticity is built this way.
//
// Defaults follow the LoP repository's online permuted MNIST (SGD, batch 1,
// ρ = 1e-4, maturity 100, utility decay 0.99) except the step size,
// DefaultLR = 0.01 (theirs is 0.003, for layers of 2000 units).
package plastic
