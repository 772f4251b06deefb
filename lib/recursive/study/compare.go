package study

import (
	"fmt"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/labnotes/labnotes/lib/nb"
	"github.com/labnotes/labnotes/lib/recursive"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

// Defaults of [RunAll]'s data and curves.
const (
	// HeldOut is the fraction of the generated puzzles held out.
	HeldOut = 0.2
	// DataSeed seeds the generated puzzles: every run sees the same ones.
	DataSeed = 11
	// LossWindow is the number of steps averaged in Result.Loss.
	LossWindow = 25
)

// Result is what a notebook keeps of one trained run (JSON, between cells).
type Result struct {
	Name        string
	Seed        uint64
	Exact, Cell float64   // held-out exact and cell accuracy
	ExactByStep []float64 // held-out exact accuracy after each supervision step
	Params      int
	Seconds     float64   // wall time of the run (graph building, training, evaluation)
	Loss        []float64 // training loss, mean of every LossWindow steps
}

// RunAll trains every run with every seed (recursive.Compare: runs outer,
// seeds inner) for steps steps on puzzles generated Sudoku puzzles of shape
// (HeldOut of them held out, seeded by DataSeed), showing a progress bar
// labelled name, prints one line on the data and time, saves the results in
// order to dir/name.json (see [Load]) and returns them.
func RunAll(b compute.Backend, dir, name string, shape sudoku.Shape, puzzles, steps int, runs []recursive.Run, seeds []uint64) ([]Result, error) {
	train, test, err := recursive.SudokuSplit(shape, puzzles, HeldOut, DataSeed)
	if err != nil {
		return nil, fmt.Errorf("study: RunAll %s: %w", name, err)
	}
	p := nb.NewProgress(len(runs)*len(seeds)*steps, name)
	done := 0
	var out []Result
	_, err = recursive.Compare(b, runs, recursive.CompareOptions{Steps: steps, Seeds: seeds, Train: train, Test: test,
		OnStep: func(run string, seed uint64, s recursive.StepInfo) {
			done++
			p.Update(done, "run", fmt.Sprintf("%s seed %d", run, seed), "loss", s.Loss)
		},
		OnRun: func(r recursive.RunResult) {
			_, loss := LossCurve(r.History, LossWindow)
			out = append(out, Result{Name: r.Name, Seed: r.Seed, Exact: r.Eval.ExactAccuracy, Cell: r.Eval.CellAccuracy,
				ExactByStep: r.Eval.ExactByStep, Params: r.Params, Seconds: r.Seconds, Loss: loss})
		}})
	p.Done()
	if err != nil {
		return nil, fmt.Errorf("study: RunAll %s: %w", name, err)
	}
	fmt.Printf("%s Sudoku: %d training puzzles, %d held-out; %d runs of %d steps in %.0f s\n",
		shape, train.Len(), test.Len(), len(out), steps, Seconds(out))
	if err := nb.SaveJSON(resultsPath(dir, name), out); err != nil {
		return nil, fmt.Errorf("study: RunAll: %w", err)
	}
	return out, nil
}

// Load returns the results [RunAll] saved under name in dir.
func Load(dir, name string) ([]Result, error) {
	var rs []Result
	if err := nb.LoadJSON(resultsPath(dir, name), &rs); err != nil {
		return nil, fmt.Errorf("study: Load: %w", err)
	}
	return rs, nil
}

// resultsPath is where RunAll saves the results named name.
func resultsPath(dir, name string) string { return filepath.Join(dir, name+".json") }

// Seconds returns the total wall time of rs.
func Seconds(rs []Result) float64 {
	t := 0.0
	for _, r := range rs {
		t += r.Seconds
	}
	return t
}

// Summarize groups results by name (recursive.Summarize): mean, min, max
// and spread of the exact accuracy over seeds.
func Summarize(rs []Result) []recursive.Summary {
	var rr []recursive.RunResult
	for _, r := range rs {
		rr = append(rr, recursive.RunResult{Name: r.Name, Seed: r.Seed, Params: r.Params, Seconds: r.Seconds,
			Eval: recursive.EvalResult{ExactAccuracy: r.Exact, CellAccuracy: r.Cell}})
	}
	return recursive.Summarize(rr)
}

// Table shows one row per summary: the model, the extra columns of
// extra[name] under extraHeaders, then parameters, each seed's exact
// accuracy, the mean, the spread (max - min over seeds), the mean cell
// accuracy and the mean seconds per run.
func Table(sums []recursive.Summary, extra map[string][]any, extraHeaders ...string) {
	nb.Table(tableRows(sums, extra, extraHeaders...))
}

// tableRows returns Table's header and rows.
func tableRows(sums []recursive.Summary, extra map[string][]any, extraHeaders ...string) ([]string, [][]any) {
	h := append([]string{"model"}, extraHeaders...)
	h = append(h, "params", "exact by seed", "exact mean", "spread (max-min)", "cell mean", "s / run")
	var rows [][]any
	for _, s := range sums {
		row := append([]any{s.Name}, extra[s.Name]...)
		bySeed := ""
		for i, e := range s.Exact {
			if i > 0 {
				bySeed += " "
			}
			bySeed += fmt.Sprintf("%.3f", e)
		}
		rows = append(rows, append(row, s.Params, bySeed, s.Mean, s.Spread, s.Cell, s.Seconds))
	}
	return h, rows
}

// Find returns the summary named name; it panics when there is none.
func Find(sums []recursive.Summary, name string) recursive.Summary {
	for _, s := range sums {
		if s.Name == name {
			return s
		}
	}
	panic(fmt.Sprintf("study: Find: no results for %q", name))
}

// Beats reports whether a beats b by more than the seed-to-seed spread
// (recursive.Margin), with a sentence saying by how much.
func Beats(a, b recursive.Summary) (bool, string) {
	gap, spread := recursive.Margin(a, b)
	return gap > spread, fmt.Sprintf("%s beats %s: mean exact %.3f vs %.3f, gap %.3f vs seed spread %.3f (%d seeds each)",
		a.Name, b.Name, a.Mean, b.Mean, gap, spread, len(a.Exact))
}
