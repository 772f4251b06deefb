package study

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gomlx/compute"
	"github.com/labnotes/labnotes/lib/nb"
	"github.com/labnotes/labnotes/lib/recursive"
	"github.com/labnotes/labnotes/lib/recursive/arc"
)

// ARCPoint is one evaluation of an ARC training run ([TrainARC]): how well
// the model fits its training pairs and, when the held-out tasks were voted
// on at that step, their scores.
type ARCPoint struct {
	// Fit is the evaluation on the training pairs (unaugmented).
	Fit recursive.EvalPoint
	// Voted says whether the held-out test inputs were answered under every
	// augmentation and voted on at this step; PassAt2 (the ARC score) and
	// Single (one unaugmented answer, no vote) are their scores.
	Voted           bool
	PassAt2, Single float64
}

// ARCRun is what [TrainARC] needs: the training data d (arc.Protocol) with
// the indices of the held-out evaluation tasks in it (EvalIdx) and the
// number of augmentations voted on (Augs), the steps, the evaluation and
// checkpoint period Every, and VoteEvery, the period of the held-out vote
// (a multiple of Every; 0: at every evaluation). Path is where the trainer
// is saved after each evaluation, and the points beside it (Path +
// ".points.json").
type ARCRun struct {
	Config                  recursive.Config
	Data                    *arc.Dataset
	EvalIdx                 []int
	Augs                    int
	Steps, Every, VoteEvery int
	Path                    string
}

// TrainARC trains r.Config on r.Data for r.Steps steps: every r.Every steps
// it evaluates the fit on the training pairs (recursive.Trainer.Evaluate,
// N_sup steps), every r.VoteEvery steps (and after the last) it also answers
// the held-out test inputs under r.Augs augmentations and votes
// (recursive.Trainer.EvaluateARC), and it saves the trainer and the points
// so far. When r.Path holds a checkpoint the run resumes from it (its
// configuration must be r.Config's, precision aside, as
// recursive.Checkpointed asks) and a finished run is not repeated; onEval
// also gets the points of the resumed run. A fresh run does the same
// training and evaluations, in the same order, as
// Trainer.TrainEvaluating(Steps, Every, Data, ...) with a vote at each
// evaluation. onStep and onEval may be nil. It returns the trainer (the
// caller closes it) and every point of the run.
func TrainARC(b compute.Backend, r ARCRun, onStep func(recursive.StepInfo), onEval func(ARCPoint)) (*recursive.Trainer, []ARCPoint, error) {
	every, vote := r.Every, r.VoteEvery
	if every < 1 {
		every = r.Steps
	}
	if vote < 1 {
		vote = every
	}
	pointsPath := r.Path + ".points.json"
	var t *recursive.Trainer
	var points []ARCPoint
	var err error
	if _, statErr := os.Stat(r.Path); statErr == nil {
		if t, err = recursive.Resume(b, r.Path, r.Data); err != nil {
			return nil, nil, fmt.Errorf("study: TrainARC: %w", err)
		}
		want := r.Config.WithDefaults()
		t.SetPrecision(want.Precision)
		if t.Config != want {
			t.Close()
			return nil, nil, fmt.Errorf("study: TrainARC: checkpoint %s is of another configuration (%+v), not of the one asked for (%+v): remove it or use another path",
				r.Path, t.Config, want)
		}
		if err := nb.LoadJSON(pointsPath, &points); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Close()
			return nil, nil, fmt.Errorf("study: TrainARC: %w", err)
		}
		kept := points[:0]
		for _, p := range points { // Points saved after the checkpoint's step are redone.
			if p.Fit.Step <= t.Steps() {
				kept = append(kept, p)
			}
		}
		points = kept
		if onEval != nil {
			for _, p := range points {
				onEval(p)
			}
		}
	} else if t, err = recursive.NewTrainer(b, r.Config, r.Data); err != nil {
		return nil, nil, fmt.Errorf("study: TrainARC: %w", err)
	}
	t.OnStep = onStep
	for t.Steps() < r.Steps {
		n := min(every-t.Steps()%every, r.Steps-t.Steps())
		fit, err := t.TrainEvaluating(n, n, r.Data, 0, nil)
		if err != nil {
			t.Close()
			return nil, nil, fmt.Errorf("study: TrainARC: %w", err)
		}
		p := ARCPoint{Fit: fit[len(fit)-1]}
		if t.Steps()%vote == 0 || t.Steps() == r.Steps {
			rep, err := t.EvaluateARC(r.Data, r.EvalIdx, r.Augs, t.Config.NSup)
			if err != nil {
				t.Close()
				return nil, nil, fmt.Errorf("study: TrainARC: %w", err)
			}
			p.Voted, p.PassAt2, p.Single = true, rep.PassAt2, rep.Single
		}
		points = append(points, p)
		if onEval != nil {
			onEval(p)
		}
		if err := nb.SaveJSON(pointsPath, points); err != nil {
			t.Close()
			return nil, nil, fmt.Errorf("study: TrainARC: %w", err)
		}
		if err := t.Save(r.Path); err != nil {
			t.Close()
			return nil, nil, fmt.Errorf("study: TrainARC: %w", err)
		}
	}
	return t, points, nil
}
