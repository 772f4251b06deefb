package recursive

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// Run names a configuration to train in a comparison ([Compare]).
type Run struct {
	Name   string
	Config Config
}

// RunResult is one trained run: its configuration (with the seed used),
// its held-out evaluation and its cost.
type RunResult struct {
	Name   string
	Config Config
	Seed   uint64
	// Eval is the held-out evaluation after training, with EvalSteps
	// supervision steps.
	Eval EvalResult
	// Params is the number of trainable parameters.
	Params int
	// Steps is the number of training steps; Seconds their wall time
	// (graph compilation included).
	Steps   int
	Seconds float64
	// FinalLoss is the mean training loss of the last 10% of the steps.
	FinalLoss float64
	// History is the trainer's per-step history.
	History []StepInfo
}

// CompareOptions describes a comparison: every run trained for Steps
// training steps on Train with each seed, then evaluated on Test with
// EvalSteps supervision steps (default: the run's NSup).
type CompareOptions struct {
	Steps     int
	EvalSteps int
	Seeds     []uint64
	Train     puzzle.Source
	Test      puzzle.Source
	// OnRun, if set, is called after each run (e.g. to print a line); with
	// Parallel > 1 in the order the runs finish.
	OnRun func(RunResult)
	// OnStep, if set, becomes each trainer's OnStep (e.g. a progress bar).
	// OnRun and OnStep are never called concurrently.
	OnStep func(run string, seed uint64, s StepInfo)
	// Parallel is how many runs train at once on the backend (0 or 1: one
	// after the other). Each run's numbers depend only on its configuration
	// and seed, so the results are the same either way; a run's Seconds is
	// then its wall time beside the others.
	Parallel int
}

// TrainAndEvaluate trains a fresh model of cfg on train for steps training
// steps and evaluates it on test with evalSteps supervision steps (0: NSup).
func TrainAndEvaluate(backend compute.Backend, cfg Config, train, test puzzle.Source, steps, evalSteps int, onStep func(StepInfo)) (RunResult, error) {
	start := time.Now()
	tr, err := NewTrainer(backend, cfg, train)
	if err != nil {
		return RunResult{}, err
	}
	defer tr.Close()
	tr.OnStep = onStep
	if err := tr.Train(steps); err != nil {
		return RunResult{}, err
	}
	if evalSteps <= 0 {
		evalSteps = tr.Config.NSup
	}
	res, err := tr.Evaluate(test, evalSteps)
	if err != nil {
		return RunResult{}, err
	}
	r := RunResult{Config: tr.Config, Seed: tr.Config.Seed, Eval: res, Params: tr.NumParameters(),
		Steps: steps, Seconds: time.Since(start).Seconds(), History: tr.History}
	tail := max(len(tr.History)/10, 1)
	for _, s := range tr.History[len(tr.History)-tail:] {
		r.FinalLoss += s.Loss / float64(tail)
	}
	return r, nil
}

// Compare trains every run with every seed of opts (Config.Seed replaced),
// opts.Parallel of them at a time, and returns the results in order: runs
// outer, seeds inner. After a run fails no new run starts (those under way
// finish); it returns the results of the runs before the first one (in that
// order) that failed, and its error.
func Compare(backend compute.Backend, runs []Run, opts CompareOptions) ([]RunResult, error) {
	if opts.Steps < 1 || len(opts.Seeds) == 0 || opts.Train == nil || opts.Test == nil || opts.Parallel < 0 {
		return nil, errors.New("recursive: Compare needs Steps >= 1, Seeds, Train, Test and Parallel >= 0")
	}
	type job struct {
		run  Run
		seed uint64
	}
	var jobs []job
	for _, run := range runs {
		for _, seed := range opts.Seeds {
			jobs = append(jobs, job{run, seed})
		}
	}
	results, errs := make([]RunResult, len(jobs)), make([]error, len(jobs))
	var mu sync.Mutex // serializes the callbacks
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(min(opts.Parallel, len(jobs)), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				cfg := j.run.Config
				cfg.Seed = j.seed
				var onStep func(StepInfo)
				if opts.OnStep != nil {
					onStep = func(s StepInfo) {
						mu.Lock()
						defer mu.Unlock()
						opts.OnStep(j.run.Name, j.seed, s)
					}
				}
				r, err := TrainAndEvaluate(backend, cfg, opts.Train, opts.Test, opts.Steps, opts.EvalSteps, onStep)
				if err != nil {
					mu.Lock()
					errs[i] = errors.WithMessagef(err, "recursive: run %q seed %d", j.run.Name, j.seed)
					mu.Unlock()
					continue
				}
				r.Name = j.run.Name
				results[i] = r
				if opts.OnRun != nil {
					mu.Lock()
					opts.OnRun(r)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range jobs {
		mu.Lock()
		failed := slices.ContainsFunc(errs, func(err error) bool { return err != nil })
		mu.Unlock()
		if failed { // as one at a time: no new run after a failure
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return results[:i], err
		}
	}
	return results, nil
}

// Summary is the spread over seeds of one run's held-out exact accuracy.
type Summary struct {
	Name string
	// Exact holds the exact accuracy of each seed, in order.
	Exact []float64
	// Mean, Min and Max of Exact; Spread = Max - Min.
	Mean, Min, Max, Spread float64
	// Cell is the mean cell accuracy (secondary).
	Cell float64
	// Params of the model; Seconds is the mean wall time of a run.
	Params  int
	Seconds float64
}

// Summarize groups results by Name (in order of first appearance) and
// returns each group's exact accuracies over seeds.
func Summarize(results []RunResult) []Summary {
	var out []Summary
	index := map[string]int{}
	for _, r := range results {
		i, ok := index[r.Name]
		if !ok {
			i = len(out)
			index[r.Name] = i
			out = append(out, Summary{Name: r.Name, Params: r.Params, Min: math.Inf(1), Max: math.Inf(-1)})
		}
		s := &out[i]
		s.Exact = append(s.Exact, r.Eval.ExactAccuracy)
		s.Cell += r.Eval.CellAccuracy
		s.Seconds += r.Seconds
		s.Min, s.Max = min(s.Min, r.Eval.ExactAccuracy), max(s.Max, r.Eval.ExactAccuracy)
	}
	for i := range out {
		s := &out[i]
		n := float64(len(s.Exact))
		for _, e := range s.Exact {
			s.Mean += e / n
		}
		s.Cell /= n
		s.Seconds /= n
		s.Spread = s.Max - s.Min
	}
	return out
}

// Margin compares two summaries: the gap of their mean exact accuracies
// and the larger of their seed-to-seed spreads. a beats b by more than the
// spread when meanGap > spread.
func Margin(a, b Summary) (meanGap, spread float64) {
	return a.Mean - b.Mean, max(a.Spread, b.Spread)
}

// String formats a summary as one line.
func (s Summary) String() string {
	return fmt.Sprintf("%s: exact %.3f (min %.3f, max %.3f over %d seeds), cell %.3f", s.Name, s.Mean, s.Min, s.Max, len(s.Exact), s.Cell)
}
