package deep_test

import (
	"fmt"

	"github.com/gomlx/compute/gobackend"

	"github.com/labnotes/labnotes/lib/cil"
	"github.com/labnotes/labnotes/lib/cil/deep"
	"github.com/labnotes/labnotes/lib/cil/plastic"
)

// ExampleNew trains Replay on a tiny synthetic stream (6 classes in 3 tasks
// of 2) and reports its accuracy and memory.
func ExampleNew() {
	backend, err := gobackend.New("")
	if err != nil {
		panic(err)
	}
	train, test := cil.Synthetic(6, 16, 100, 50, 7)
	scenario, err := cil.NewScenario(train, test, 2, 2, nil)
	if err != nil {
		panic(err)
	}
	l, err := deep.New(backend, deep.Replay, deep.Options{Hidden: 32, Epochs: 10, Batch: 32, LR: 1e-2, Memory: 60, Seed: 1})
	if err != nil {
		panic(err)
	}
	res, err := cil.Run(l, scenario, nil)
	if err != nil {
		panic(err)
	}
	mem := l.Memory()
	fmt.Printf("%s after %d tasks: last accuracy above 0.8: %v\n", l.Name(), res.Tasks(), res.Last() > 0.8)
	fmt.Printf("exemplars: %d (%d bytes), parameters: %d (%d bytes), other: %d bytes\n",
		l.Buffer().Len(), mem.Exemplars, l.Parameters(), mem.Parameters, mem.Other)
	fmt.Println("variables:", l.Store().GetVariable("/head/w").Shape())
	// Output:
	// Replay after 3 tasks: last accuracy above 0.8: true
	// exemplars: 60 (3840 bytes), parameters: 1798 (7192 bytes), other: 0 bytes
	// variables: (Float32)[32, 6]
}

// ExampleLearner_Memory compares the memory of DER (a backbone per task)
// and MEMO (one shared base, a top block per task) after 3 tasks.
func ExampleLearner_Memory() {
	backend, err := gobackend.New("")
	if err != nil {
		panic(err)
	}
	train, test := cil.Synthetic(6, 16, 100, 50, 7)
	scenario, _ := cil.NewScenario(train, test, 2, 2, nil)
	for _, m := range []deep.Method{deep.Replay, deep.DER, deep.MEMO} {
		l, _ := deep.New(backend, m, deep.Options{Hidden: 32, Epochs: 1, Memory: 60, Seed: 1})
		if _, err := cil.Run(l, scenario, nil); err != nil {
			panic(err)
		}
		mem := l.Memory()
		fmt.Printf("%-6s parameters %5d  bytes: exemplars %d + parameters %d = %d\n", m, l.Parameters(), mem.Exemplars, mem.Parameters, mem.Total())
	}
	// Output:
	// Replay parameters  1798  bytes: exemplars 3840 + parameters 7192 = 11032
	// DER    parameters  5382  bytes: exemplars 3840 + parameters 21528 = 25368
	// MEMO   parameters  4294  bytes: exemplars 3840 + parameters 17176 = 21016
}

// ExamplePlasticity runs Finetune with continual backprop and shrink &
// perturb on the tiny stream and reads the per-task plasticity measures.
func ExamplePlasticity() {
	backend, err := gobackend.New("")
	if err != nil {
		panic(err)
	}
	train, test := cil.Synthetic(6, 16, 100, 50, 7)
	scenario, _ := cil.NewScenario(train, test, 2, 2, nil)
	l, err := deep.New(backend, deep.Finetune, deep.Options{Hidden: 32, Epochs: 2, Batch: 32, Seed: 1,
		Plasticity: deep.Plasticity{Shrink: 1e-4, Noise: 1e-3, CBP: &plastic.CBPConfig{Rho: 1e-2, Maturity: 5}, Probe: 100}})
	if err != nil {
		panic(err)
	}
	if _, err := cil.Run(l, scenario, nil); err != nil {
		panic(err)
	}
	fmt.Println("units replaced per hidden layer:", l.Replaced())
	for k, s := range l.Plasticity {
		fmt.Printf("task %d: %d hidden layers measured, weight magnitude > 0: %v\n", k, len(s.DormantByLayer), s.WeightMag > 0)
	}
	// Output:
	// units replaced per hidden layer: [11 11]
	// task 0: 2 hidden layers measured, weight magnitude > 0: true
	// task 1: 2 hidden layers measured, weight magnitude > 0: true
	// task 2: 2 hidden layers measured, weight magnitude > 0: true
}
