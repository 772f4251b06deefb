package nb

import "fmt"

// Windowed smooths a curve by the mean of consecutive, non-overlapping
// windows of w points: point k of the result is the mean of ys[k*w :
// (k+1)*w] at the x of the window's last point. A last window shorter than
// w is dropped, so len(wx) = len(wy) = len(ys)/w. xs nil stands for 1, 2,
// 3, ... (a step count). It panics when w < 1 or xs and ys differ in length.
//
// A training-loss curve over windows of 25 steps:
//
//	wx, wy := nb.Windowed(steps, losses, 25)
//	(&nb.LinePlot{Title: "loss", LogY: true}).Add("", wx, wy).Show()
func Windowed(xs, ys []float64, w int) (wx, wy []float64) {
	if w < 1 {
		panic(fmt.Sprintf("nb: Windowed: window %d, want >= 1", w))
	}
	if xs != nil && len(xs) != len(ys) {
		panic(fmt.Sprintf("nb: Windowed: %d x values for %d y values, want as many", len(xs), len(ys)))
	}
	for i := 0; i+w <= len(ys); i += w {
		m := 0.0
		for _, y := range ys[i : i+w] {
			m += y / float64(w)
		}
		x := float64(i + w)
		if xs != nil {
			x = xs[i+w-1]
		}
		wx, wy = append(wx, x), append(wy, m)
	}
	return wx, wy
}
