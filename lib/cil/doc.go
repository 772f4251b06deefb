// Package cil is class-incremental learning without a task identity: classes
// arrive in tasks, and after each task a [Learner] is tested on every class
// seen so far.
//
// It holds what all learners share: the data types ([Data], [Task],
// [Memory]), the class-balanced exemplar memory of replay methods ([Buffer]
// with herding or random selection), and small synthetic data for tests
// ([Synthetic]). Learners that train networks live in lib/cil/deep.
//
//	train, _ := cil.Synthetic(4, 8, 50, 0, 1)
//	b := cil.NewBuffer(20, 0, cil.Herding) // 20 exemplars shared by the seen classes
//	identity := func(d *cil.Data) ([]float32, int, error) { return d.X, d.Dim, nil }
//	_ = b.Update(train, 4, identity, 0)    // 4 classes seen: 5 exemplars each
//	fmt.Println(b.Len(), b.Class(3).Len(), b.Bytes())
//	// Output: 20 5 640
//
// Memory is counted in bytes, as in the memory-aligned comparison of Zhou et
// al. (2023): exemplars at their raw size ([Data].ExampleBytes each) plus 4
// bytes per model parameter.
package cil
