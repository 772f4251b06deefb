package lra_test

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/performer/lra"
)

func ExampleParseListOps() {
	e, err := lra.ParseListOps("[MAX 2 9 [MIN 4 7 ] [SM 5 6 ] ]")
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Eval(), e.Len(), e.Depth())
	// Output: 9 12 2
}

func ExampleListOpsConfig_Generate() {
	cfg := lra.ListOpsConfig{MinLength: 8, MaxLength: 16, MaxDepth: 2, MaxArgs: 3, Seed: 1}
	exprs, _ := cfg.Generate(2)
	for _, e := range exprs {
		fmt.Println(e, "=", e.Eval())
	}
	// Output:
	// [SM [MAX 0 7 6 ] 7 ] = 4
	// [SM [MED 7 8 4 ] 5 9 ] = 1
}
