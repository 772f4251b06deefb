// Package study holds what notebook 10_class_incremental computes besides the
// learners, so that its cells explain and show while this package computes:
// the Split Fashion-MNIST stream in PyCIL's class order
// ([SplitFashionMNIST]), a learner's run kept as a [Record] ([Run]) and
// saved between cells ([Save], [Load]), the accuracy matrix as a heat map
// ([AccuracyMap]), the notebook's number formats ([Pct], [MB]) and PyCIL's
// training recipe ([PyCIL], the notebook's recipe = "paper").
//
// A cell:
//
//	stream := nb.Must(study.SplitFashionMNIST(2, 3000, 500))
//	var recs []study.Record
//	for _, m := range deep.Methods {
//		recs = append(recs, nb.Must(study.Run(be, m, opts, stream.Scenario, nil)))
//	}
//	nb.Check(study.Save(nb.WorkDir("10", ""), "main", recs))
package study
