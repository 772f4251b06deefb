package study

import (
	"fmt"

	"github.com/labnotes/labnotes/lib/nb"
	"github.com/labnotes/labnotes/lib/recursive"
)

// LossCurve returns the training loss of history as the mean of windows of
// w steps, at the last step of each window (nb.Windowed).
func LossCurve(history []recursive.StepInfo, w int) (steps, loss []float64) {
	xs, ys := make([]float64, len(history)), make([]float64, len(history))
	for i, h := range history {
		xs[i], ys[i] = float64(h.Step), h.Loss
	}
	return nb.Windowed(xs, ys, w)
}

// ShowTraining shows a training run: the training loss of history (mean of
// w steps, log scale), the held-out exact and cell accuracy of evals against
// the training step, and a table of evals. title names the data ("4x4
// Sudoku", "mazes"); whole names what an exact answer gets right ("puzzle",
// "path").
func ShowTraining(title, whole string, history []recursive.StepInfo, evals []recursive.EvalPoint, w int) {
	xs, loss := LossCurve(history, w)
	(&nb.LinePlot{Title: title + ": training loss", XLabel: "training step", YLabel: fmt.Sprintf("loss (mean of %d steps)", w), LogY: true}).
		Add("", xs, loss).Show()
	var ex, exact, cell []float64
	var rows [][]any
	for _, e := range evals {
		ex, exact, cell = append(ex, float64(e.Step)), append(exact, e.ExactAccuracy), append(cell, e.CellAccuracy)
		rows = append(rows, []any{e.Step, e.ExactAccuracy, e.CellAccuracy})
	}
	(&nb.LinePlot{Title: title + ": held-out accuracy (after N_sup steps)", XLabel: "training step", YLabel: "accuracy"}).
		Add("exact (whole "+whole+" right)", ex, exact).Add("cell (secondary)", ex, cell).Show()
	nb.Table([]string{"training step", "held-out exact accuracy", "held-out cell accuracy"}, rows)
}

// ClaimConsistent claims that the evaluation e covered some puzzles (named
// by what, e.g. "mazes") and that 0 <= exact accuracy <= cell accuracy <= 1.
func ClaimConsistent(what string, e recursive.EvalPoint) {
	nb.Claim(e.Puzzles > 0 && e.ExactAccuracy >= 0 && e.ExactAccuracy <= e.CellAccuracy && e.CellAccuracy <= 1,
		"%d held-out %s evaluated; 0 <= exact accuracy (%.3f) <= cell accuracy (%.3f) <= 1", e.Puzzles, what, e.ExactAccuracy, e.CellAccuracy)
}
