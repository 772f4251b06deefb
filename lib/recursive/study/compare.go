package study

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"

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
// seeds inner; [Parallelism] of them at a time) for steps steps on puzzles
// generated Sudoku puzzles of shape (HeldOut of them held out, seeded by
// DataSeed), showing a progress bar labelled name, prints one line on the
// data and time, saves the results in order and the comparison's wall time
// to dir/name.json (see [Load] and [Wall]) and returns the results.
func RunAll(b compute.Backend, dir, name string, shape sudoku.Shape, puzzles, steps int, runs []recursive.Run, seeds []uint64) ([]Result, error) {
	start := time.Now()
	train, test, err := recursive.SudokuSplit(shape, puzzles, HeldOut, DataSeed)
	if err != nil {
		return nil, fmt.Errorf("study: RunAll %s: %w", name, err)
	}
	p := nb.NewProgress(len(runs)*len(seeds)*steps, name)
	done := 0
	rs, err := recursive.Compare(b, runs, recursive.CompareOptions{Steps: steps, Seeds: seeds, Train: train, Test: test,
		Parallel: Parallelism(b),
		OnStep: func(run string, seed uint64, s recursive.StepInfo) {
			done++
			p.Update(done, "run", fmt.Sprintf("%s seed %d", run, seed), "loss", s.Loss)
		}})
	p.Done()
	if err != nil {
		return nil, fmt.Errorf("study: RunAll %s: %w", name, err)
	}
	var out []Result
	for _, r := range rs {
		_, loss := LossCurve(r.History, LossWindow)
		out = append(out, Result{Name: r.Name, Seed: r.Seed, Exact: r.Eval.ExactAccuracy, Cell: r.Eval.CellAccuracy,
			ExactByStep: r.Eval.ExactByStep, Params: r.Params, Seconds: r.Seconds, Loss: loss})
	}
	wall := time.Since(start).Seconds()
	fmt.Printf("%s Sudoku: %d training puzzles, %d held-out; %d runs of %d steps in %.0f s (%d at a time)\n",
		shape, train.Len(), test.Len(), len(out), steps, wall, Parallelism(b))
	if err := save(dir, name, out, wall); err != nil {
		return nil, fmt.Errorf("study: RunAll: %w", err)
	}
	return out, nil
}

// Parallelism is how many runs [RunAll] trains at once on b: 2 on the Go
// backend with at least 2 CPUs (its small-model steps keep about 1.4 of 2
// cores busy; two runs side by side took 33.0 s instead of 48.6 s on 2
// cores, with identical numbers), else 1.
func Parallelism(b compute.Backend) int {
	if strings.HasPrefix(strings.ToLower(b.Name()), "go") { // "Go Backend"
		return min(runtime.GOMAXPROCS(0), 2)
	}
	return 1
}

// saved is what [RunAll] and [RunCheckpointed] save under dir/name.json.
type saved struct {
	Results []Result
	// Wall is the seconds the comparison took: with runs side by side
	// less than the sum of their Seconds.
	Wall float64
}

func save(dir, name string, rs []Result, wall float64) error {
	return nb.SaveJSON(resultsPath(dir, name), saved{Results: rs, Wall: wall})
}

func load(dir, name string) (saved, error) {
	var s saved
	if err := nb.LoadJSON(resultsPath(dir, name), &s); err != nil {
		return s, fmt.Errorf("study: Load: %w", err)
	}
	return s, nil
}

// Load returns the results [RunAll] saved under name in dir.
func Load(dir, name string) ([]Result, error) {
	s, err := load(dir, name)
	return s.Results, err
}

// Wall returns the seconds the comparison [RunAll] saved under name in dir
// took (for [RunCheckpointed]: its runs' training seconds).
func Wall(dir, name string) (float64, error) {
	s, err := load(dir, name)
	return s.Wall, err
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
