package cil_test

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/cil"
)

func Example() {
	train, test := cil.Synthetic(6, 8, 100, 50, 1)
	s, _ := cil.NewScenario(cil.SortByClass(train), test, 2, 2, nil) // 3 tasks of 2 classes
	r, _ := cil.Run(&cil.NCM{}, s, nil)
	fmt.Printf("tasks %d, last %.2f, forgetting %.2f\n", r.Tasks(), r.Last(), r.Forgetting())
	// Output: tasks 3, last 0.84, forgetting 0.09
}

func ExampleNewBuffer() {
	train, _ := cil.Synthetic(4, 8, 50, 0, 1)
	b := cil.NewBuffer(20, 0, cil.Herding) // 20 exemplars shared by the seen classes
	identity := func(d *cil.Data) ([]float32, int, error) { return d.X, d.Dim, nil }
	_ = b.Update(train, 4, identity, 0) // 4 classes seen: 5 exemplars each
	fmt.Println(b.Len(), b.Class(3).Len(), b.Bytes())
	// Output: 20 5 640
}

func ExampleHerdingSelect() {
	// Three unit vectors; their mean is closest to the third, and the first
	// then brings the running mean closer than the second.
	f := []float32{1, 0, 0, 1, 0.6, 0.8}
	fmt.Println(cil.HerdingSelect(f, 3, 2, 3))
	// Output: [2 0 1]
}

func ExampleBuffer_Update() {
	train, _ := cil.Synthetic(6, 4, 30, 0, 1)
	first := train.Subset(train.Where(func(y int32) bool { return y < 3 }))
	second := train.Subset(train.Where(func(y int32) bool { return y >= 3 }))
	b := cil.NewBuffer(30, 0, cil.Random)
	_ = b.Update(first, 3, nil, 1)
	fmt.Println(b.Quota(3), b.Len())
	_ = b.Update(second, 6, nil, 2) // old classes are cut to the new quota
	fmt.Println(b.Quota(6), b.Len(), b.Class(0).Len())
	// Output:
	// 10 30
	// 5 30 5
}

func ExampleNewScenario() {
	train, test := cil.Synthetic(10, 4, 20, 10, 1)
	// B0 Inc2 in the papers' class order for 10 classes.
	s, _ := cil.NewScenario(train, test, 2, 2, cil.PyCILOrder(10, cil.PyCILSeed))
	fmt.Println(s.Order())
	task := s.Task(1)
	fmt.Println(task.Known, task.New, task.Train.Len(), task.Test.Len())
	// Output:
	// [4 2 7 6 0 3 5 8 9 1]
	// 2 2 40 40
}

func ExamplePyCILOrder() {
	fmt.Println(cil.PyCILOrder(100, cil.PyCILSeed)[:10])
	// Output: [68 56 78 8 23 84 90 65 74 76]
}

func ExampleTopUp() {
	// Replay (2000 CIFAR exemplars + one ResNet32) aligned to DER after 10
	// tasks (2000 exemplars + 10 ResNet32s).
	resnet32 := cil.ParamBytes(463_504)
	replay := cil.Memory{Exemplars: 2000 * 3072, Parameters: resnet32}
	der := cil.Memory{Exemplars: 2000 * 3072, Parameters: 10 * resnet32}
	fmt.Printf("%.1f MB vs %.1f MB: +%d exemplars\n", replay.MB(), der.MB(), cil.TopUp(der.Total(), replay, 3072))
	// Output: 7.6 MB vs 23.5 MB: +5431 exemplars
}

func ExampleAUC() {
	// Average accuracy 0.6 at 7.6 MB rising to 0.8 at 23.5 MB.
	fmt.Printf("%.2f\n", cil.AUC([]float64{7.6, 23.5}, []float64{0.6, 0.8}))
	// Output: 11.13
}

func ExampleStableRank() {
	// Rows spanning 2 of 3 dimensions: mᵀm has eigenvalues 12, 7 and 0.
	m := []float32{1, 0, 0, 0, 2, 0, 1, 2, 0, 3, 0, 0}
	sv := cil.SingularValues(m, 4, 3)
	fmt.Printf("%.3f %d\n", sv, cil.StableRank(sv))
	// Output: [3.464 2.646 0.000] 2
}
