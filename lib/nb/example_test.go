package nb_test

import (
	"fmt"
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
