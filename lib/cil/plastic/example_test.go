package plastic_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/labnotes/labnotes/lib/cil/plastic"
)

// Continual backprop on a layer of 300 units with ρ = 0.01 and maturity
// 5: no unit is eligible for 5 steps, then about 3 units a step (ρ times
// the mature units) are replaced — the ones of lowest utility.
func ExampleCBP() {
	const n = 300
	c := plastic.NewCBP([]int{n}, plastic.CBPConfig{Rho: 0.01, Maturity: 5, Decay: 0.99}, 1)
	u := plastic.Units{N: n, FanIn: 2, FanOut: 3, In: make([]float32, 2*n), Bias: make([]float32, n), Out: make([]float32, n*3)}
	util := make([]float32, n)
	for k := range util {
		util[k] = float32(k) // unit 0 is the least useful
	}
	for step := 1; step <= 8; step++ {
		due := c.Advance(1)
		replaced := c.Replace(0, due[0], util, u, plastic.Bound(u.FanIn, true))
		fmt.Printf("step %d: replaced %v\n", step, replaced)
	}
	// Output:
	// step 1: replaced []
	// step 2: replaced []
	// step 3: replaced []
	// step 4: replaced []
	// step 5: replaced []
	// step 6: replaced [0 1 2]
	// step 7: replaced [3 4]
	// step 8: replaced [5 6 7]
}

// A replaced unit gets fresh input weights, and zero bias, outgoing
// weights and optimizer state: it does not change the network's outputs
// when it appears.
func ExampleUnits_Reinit() {
	u := plastic.Units{N: 2, FanIn: 2, FanOut: 2,
		In: []float32{0.5, 0.6, 0.7, 0.8}, Bias: []float32{0.1, 0.2}, Out: []float32{1, 2, 3, 4},
		OutState: [][]float32{{9, 9, 9, 9}}}
	u.Reinit(1, 0.01, rand.New(rand.NewPCG(1, 1)))
	fmt.Println("bias", u.Bias, "out", u.Out, "out state", u.OutState[0])
	fmt.Println("unit 0's input weights kept:", u.In[0], u.In[2])
	// Output:
	// bias [0.1 0] out [1 2 0 0] out state [9 9 0 0]
	// unit 0's input weights kept: 0.5 0.7
}
