package nb_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/labnotes/labnotes/lib/nb"
)

func ExamplePick() {
	scale := nb.MustScale("cpu")
	steps := nb.Pick(scale, 10, 1_000, 100_000)
	fmt.Println(scale, steps)
	// Output: cpu 1000
}

func ExampleParseScale() {
	s, err := nb.ParseScale(" GPU ")
	fmt.Println(s, err)
	_, err = nb.ParseScale("huge")
	fmt.Println(err)
	// Output:
	// gpu <nil>
	// nb: invalid scale "huge": valid scales are "smoke", "cpu" and "gpu"
}

func ExampleTable() {
	nb.Table([]string{"model", "params", "loss", "time"}, [][]any{
		{"mlp", 12_810, 0.31274, 1500 * time.Millisecond},
		{"cnn", 1_234_567, 2.0, 42 * time.Second},
	})
	// Output:
	// model   params    loss  time
	// -----  -------  ------  ----
	// mlp      12810  0.3127  1.5s
	// cnn    1234567       2   42s
}

func ExampleClaim() {
	acc := 0.9312
	nb.Claim(acc > 0.9, "accuracy %.1f%% beats 90%%", 100*acc)
	nb.ClaimLess("test loss", 0.3127, 0.5)
	// Output:
	// ✓ claim: accuracy 93.1% beats 90%
	// ✓ claim: test loss < 0.5 (got 0.3127)
}

func ExampleFormat() {
	fmt.Println(nb.Format(3.0), nb.Format(1.0/3), nb.Format(float32(2.5e-7)), nb.Format(1234*time.Microsecond), nb.Format(nil) == "")
	// Output: 3 0.3333 2.5e-07 1.23ms true
}

func ExampleLinePlot() {
	losses := []float64{2.3, 1.1, 0.7, 0.52, 0.45}
	(&nb.LinePlot{Title: "Loss", XLabel: "step", LogY: true}).Add("train", nil, losses).Show()
	// Output: [plot "Loss": train: 5 points, y 0.45..2.3, last 0.45]
}

func ExampleMust() {
	n := nb.Must(strconv.Atoi("42"))
	fmt.Println(n)
	defer func() { fmt.Println("panic:", recover()) }()
	nb.Must(strconv.Atoi("forty-two"))
	// Output:
	// 42
	// panic: strconv.Atoi: parsing "forty-two": invalid syntax
}

func ExampleMust2() {
	q, r := nb.Must2(divmod(7, 2))
	fmt.Println(q, r)
	// Output: 3 1
}

// divmod returns a/b and a%b, or an error for b == 0.
func divmod(a, b int) (int, int, error) {
	if b == 0 {
		return 0, 0, errors.New("divmod: division by zero")
	}
	return a / b, a % b, nil
}

func ExampleWindowed() {
	steps := []float64{1, 2, 3, 4, 5, 6, 7}
	losses := []float64{4, 2, 2, 1, 1, 0.5, 9}
	wx, wy := nb.Windowed(steps, losses, 2) // the lone last point is dropped
	fmt.Println(wx, wy)
	// Output: [2 4 6] [3 1.5 0.75]
}

func ExampleSaveJSON() {
	type result struct {
		Name  string
		Exact float64
	}
	// In a notebook: dir := nb.WorkDir("07", checkpoints).
	dir := nb.Must(os.MkdirTemp("", "nb-example-"))
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "models.json")
	nb.Check(nb.SaveJSON(path, []result{{"TRM", 0.71}, {"HRM", 0.40}}))
	var got []result
	nb.Check(nb.LoadJSON(path, &got))
	fmt.Println(got)
	err := nb.LoadJSON(filepath.Join(dir, "missing.json"), &got)
	fmt.Println(errors.Is(err, os.ErrNotExist))
	// Output:
	// [{TRM 0.71} {HRM 0.4}]
	// true
}

func ExampleRow() {
	// In a notebook: the two SVGs side by side, captions below. Here: text.
	nb.Row([]string{"puzzle", "its solution"}, []string{"<svg>...</svg>", "<svg>...</svg>"})
	// Output: [row of 2 figures: puzzle | its solution]
}

func ExampleParseRecipe() {
	r, err := nb.ParseRecipe("paper", nb.GPU)
	fmt.Printf("%q %v\n", r, err)
	_, err = nb.ParseRecipe("paper", nb.CPU)
	fmt.Println(err)
	// Output:
	// "paper" <nil>
	// nb: parameter recipe = "paper" needs scale "gpu" (scale is "cpu"): the paper's full recipe is GPU-sized; run with -p scale=gpu -p recipe=paper, or leave recipe empty
}

func ExampleSections() {
	// A notebook with sections 1, 2, 2b and 3 whose gpu-scale default leaves 2b out.
	all, gpu := []string{"1", "2", "2b", "3"}, []string{"1", "2", "3"}
	sec := nb.MustSections("", all, gpu) // the parameter sections left empty
	fmt.Println(sec, sec.Has("2"))
	if sec.Skip("2b") { // section 2b's cell returns here
		fmt.Println("skipped")
	}
	sec = nb.MustSections("2b", all, gpu) // -p sections=2b
	fmt.Println(sec, sec.Skip("2b"))
	_, err := nb.ParseSections("4", all, gpu)
	fmt.Println(err)
	// Output:
	// 1,2,3 true
	// section 2b is not run (sections = 1,2,3); -p sections=2b runs it
	// skipped
	// 2b false
	// nb: parameter sections = "4" names "4", which is not a section of this notebook: accepted are 1,2,2b,3 (comma-separated), or empty for the default (1,2,3)
}

func ExamplePace() {
	// 6000 training steps timed in 1030.8 s; the recipe has 65104.
	p := nb.Pace{Unit: "training step", Done: 6000, Seconds: 1030.8}
	fmt.Println(p.Recipe("TRM-MLP, Sudoku-Extreme", 65104))
	// Output:
	// measured 0.1718 s per training step (6000 training steps in 17.2 min); the full recipe (TRM-MLP, Sudoku-Extreme, 65104 training steps) at this pace: about 3.1 h
}
