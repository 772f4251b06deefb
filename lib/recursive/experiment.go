package recursive

import (
	"fmt"
	"math"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

// SudokuSplit generates n puzzles of shape (sudoku.GenerateN with seed:
// minimal puzzles, so few givens) and splits them with sudoku.SplitCanonical
// into a training and a held-out set (about testFraction of them) such that
// no held-out puzzle is a symmetry of a training puzzle.
func SudokuSplit(shape sudoku.Shape, n int, testFraction float64, seed uint64) (train, test *sudoku.Dataset, err error) {
	gen, err := sudoku.GenerateN(sudoku.GenOptions{Shape: shape}, seed, n, 0)
	if err != nil {
		return nil, nil, errors.WithMessage(err, "recursive: generating puzzles")
	}
	grids := make([]sudoku.Grid, len(gen))
	for i, g := range gen {
		grids[i] = g.Puzzle
	}
	trainIdx, testIdx := sudoku.SplitCanonical(grids, testFraction, seed)
	pick := func(idx []int) *sudoku.Dataset {
		d := &sudoku.Dataset{Shape: shape}
		for _, i := range idx {
			d.Puzzles = append(d.Puzzles, gen[i].Puzzle)
			d.Solutions = append(d.Solutions, gen[i].Solution)
		}
		return d
	}
	return pick(trainIdx), pick(testIdx), nil
}

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
	// OnRun, if set, is called after each run (e.g. to print a line).
	OnRun func(RunResult)
	// OnStep, if set, becomes each trainer's OnStep (e.g. a progress bar).
	OnStep func(run string, seed uint64, s StepInfo)
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

// Compare trains every run with every seed of opts (Config.Seed replaced)
// and returns the results in order: runs outer, seeds inner.
func Compare(backend compute.Backend, runs []Run, opts CompareOptions) ([]RunResult, error) {
	if opts.Steps < 1 || len(opts.Seeds) == 0 || opts.Train == nil || opts.Test == nil {
		return nil, errors.New("recursive: Compare needs Steps >= 1, Seeds, Train and Test")
	}
	var out []RunResult
	for _, run := range runs {
		for _, seed := range opts.Seeds {
			cfg := run.Config
			cfg.Seed = seed
			var onStep func(StepInfo)
			if opts.OnStep != nil {
				name := run.Name
				onStep = func(s StepInfo) { opts.OnStep(name, seed, s) }
			}
			r, err := TrainAndEvaluate(backend, cfg, opts.Train, opts.Test, opts.Steps, opts.EvalSteps, onStep)
			if err != nil {
				return out, errors.WithMessagef(err, "recursive: run %q seed %d", run.Name, seed)
			}
			r.Name = run.Name
			out = append(out, r)
			if opts.OnRun != nil {
				opts.OnRun(r)
			}
		}
	}
	return out, nil
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

// Predictions are a model's answers after each supervision step.
type Predictions struct {
	// Inputs and Labels are the puzzles' tokens, [puzzle][L].
	Inputs, Labels [][]uint8
	// Answers[s][p] is the argmax answer (tokens, [L]) of puzzle p after
	// supervision step s+1.
	Answers [][][]uint8
	// Exact[s][p] tells whether Answers[s][p] equals Labels[p] on every
	// label cell (label token != 0).
	Exact [][]bool
}

// Predict runs steps supervision steps (no halting; the EMA weights when
// Config.EMA > 0 and the model was trained) on the base puzzles idx of src
// (augmentation 0) and returns the answer after every step: the answer y
// improving over supervision steps.
func (t *Trainer) Predict(src puzzle.Source, idx []int, steps int) (Predictions, error) {
	cfg := t.Config
	if src.SeqLen() != cfg.SeqLen {
		return Predictions{}, errors.Errorf("recursive: source has SeqLen %d, config %d", src.SeqLen(), cfg.SeqLen)
	}
	if steps < 1 {
		return Predictions{}, errors.Errorf("recursive: Predict needs steps >= 1, got %d", steps)
	}
	if cfg.EMA > 0 && t.steps > 0 {
		restore, err := t.swapEMA()
		if err != nil {
			return Predictions{}, err
		}
		defer restore()
	}
	if t.predExec == nil {
		exec, err := model.NewExec(t.Backend, t.Store, t.predictGraph)
		if err != nil {
			return Predictions{}, errors.WithMessage(err, "recursive: prediction graph")
		}
		t.predExec = exec
	}
	B, L := cfg.Batch, cfg.SeqLen
	p := Predictions{Answers: make([][][]uint8, steps), Exact: make([][]bool, steps)}
	puzzleIDs := make([]int32, 0, len(idx))
	for _, i := range idx {
		in, lab := make([]uint8, L), make([]uint8, L)
		id, err := src.Example(i, 0, nil, in, lab)
		if err != nil {
			return p, errors.WithMessagef(err, "recursive: puzzle %d", i)
		}
		if int(id) < 0 || int(id) >= cfg.NumPuzzleIDs {
			return p, errors.Errorf("recursive: puzzle %d has puzzle id %d, out of range [0, %d)", i, id, cfg.NumPuzzleIDs)
		}
		p.Inputs, p.Labels = append(p.Inputs, in), append(p.Labels, lab)
		puzzleIDs = append(puzzleIDs, id)
	}
	for from := 0; from < len(idx); from += B {
		n := min(B, len(idx)-from)
		tokens, ids := make([]int32, B*L), make([]int32, B)
		reset := make([]bool, B)
		for i := range B {
			r := from + min(i, n-1)
			for j := range L {
				tokens[i*L+j] = int32(p.Inputs[r][j])
			}
			ids[i] = puzzleIDs[r]
			reset[i] = true
		}
		tk, idt := tensors.FromFlatDataAndDimensions(tokens, B, L), tensors.FromFlatDataAndDimensions(ids, B)
		state := t.zeroState(B)
		for s := range steps {
			args := []any{tk, idt, tensors.FromFlatDataAndDimensions(reset, B)}
			for _, x := range state {
				args = append(args, x)
			}
			out, err := t.predExec.Call(args...)
			if err != nil {
				return p, errors.WithMessage(err, "recursive: prediction step")
			}
			k := cfg.NumStates()
			release(args[2:]...) // reset and the previous state
			state = out[:k]
			pred := tensors.MustCopyFlatData[int32](out[k])
			release(toAny(out[k:])...)
			for i := range n {
				ans := make([]uint8, L)
				ok := true
				lab := p.Labels[from+i]
				for j := range L {
					ans[j] = uint8(pred[i*L+j])
					if lab[j] != 0 && ans[j] != lab[j] {
						ok = false
					}
				}
				p.Answers[s] = append(p.Answers[s], ans)
				p.Exact[s] = append(p.Exact[s], ok)
			}
			for i := range reset {
				reset[i] = false
			}
		}
		release(append([]any{tk, idt}, toAny(state)...)...)
	}
	return p, nil
}

// predictGraph is one supervision step without training: inputs tokens,
// puzzle ids, reset and the state; outputs the new state and the argmax
// answer [B, L] (int32).
func (t *Trainer) predictGraph(root *model.Scope, in []*Node) []*Node {
	g := in[0].Graph()
	root.Store().SetTraining(g, true) // See evalGraph.
	ms := root.At(ScopeModel)
	state := ResetState(ms, in[3:], in[2])
	so := Step(ms, in[0], in[1], state)
	return append(append([]*Node{}, so.State...), graph.ArgMax(so.Logits, -1, in[0].DType()))
}

// EvalPoint is a held-out evaluation made during training.
type EvalPoint struct {
	Step int // training steps done
	EvalResult
}

// TrainEvaluating runs steps training steps and evaluates on test (with
// evalSteps supervision steps; 0: NSup) every every steps and after the
// last one, calling onEval (if not nil) with each point: the held-out
// accuracy curve of a run. The points are returned and also appended to
// t.Evals.
func (t *Trainer) TrainEvaluating(steps, every int, test puzzle.Source, evalSteps int, onEval func(EvalPoint)) ([]EvalPoint, error) {
	if every < 1 {
		every = steps
	}
	if evalSteps <= 0 {
		evalSteps = t.Config.NSup
	}
	var points []EvalPoint
	for done := 0; done < steps; {
		n := min(every, steps-done)
		if err := t.Train(n); err != nil {
			return points, err
		}
		done += n
		res, err := t.Evaluate(test, evalSteps)
		if err != nil {
			return points, err
		}
		p := EvalPoint{Step: t.steps, EvalResult: res}
		points = append(points, p)
		t.Evals = append(t.Evals, p)
		if onEval != nil {
			onEval(p)
		}
	}
	return points, nil
}

// Cost is the compute of one supervision step, counted in applications of
// one post-norm block to the [B, S, D] state (all blocks cost the same for
// a given D, S and mixer), for comparing models at an equal budget.
type Cost struct {
	// Forward is the number of block applications of a step.
	Forward int
	// Backward is the number of those the gradient flows through (the rest
	// run without gradient): TRM its last recursion (n+1 network calls;
	// 2 with OneStepGrad), HRM 2 module calls (1-step gradient), Looped and
	// Direct all of them.
	Backward int
	// TrainForward is Forward plus the extra forward pass of HRM's
	// Q-continue target (QContinue), in training only.
	TrainForward int
}

// Cost returns the compute of one supervision step of c (see [Cost]):
// TRM T·(n+1) network calls, HRM N·(T+1) module calls, Looped T calls,
// Direct one, each of Layers blocks.
func (c Config) Cost() Cost {
	c = c.WithDefaults()
	var calls, grad int
	switch c.Kind {
	case TRM:
		calls, grad = c.T*(c.SmallN+1), c.SmallN+1
		if c.OneStepGrad {
			grad = 2
		}
	case HRM:
		calls, grad = c.N*(c.T+1), 2
	case Looped:
		calls, grad = c.T, c.T
	case Direct:
		calls, grad = 1, 1
	}
	k := Cost{Forward: calls * c.Layers, Backward: grad * c.Layers}
	k.TrainForward = k.Forward
	if c.QContinue && !c.NoHalting && c.Kind != Direct {
		k.TrainForward *= 2
	}
	return k
}
