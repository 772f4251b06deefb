package transformer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/pkg/errors"
)

// Result summarizes a Run for tables and for later notebook cells (each
// GoNB cell is a separate program: results travel through files).
type Result struct {
	Name      string
	Config    string  // Config.String().
	Steps     int     // Training steps run.
	Accuracy  float64 // Last evaluation accuracy.
	Loss      float64 // Last evaluation loss.
	StepMs    float64 // Median training step time, ms.
	PeakMB    float64 // Peak resident memory growth during training, MiB (0: unknown).
	TrainSecs float64
	History   []Point
}

// Result returns the run's summary.
func (r *Run) Result() Result {
	res := Result{Name: r.Name, Config: r.Config.String(), Steps: r.steps, Accuracy: r.LastAccuracy(),
		StepMs: float64(r.MedianStepTime().Microseconds()) / 1000, PeakMB: float64(r.PeakMemory) / (1 << 20),
		TrainSecs: r.trainSeconds, History: slices.Clone(r.History)}
	if len(r.History) > 0 {
		res.Loss = r.History[len(r.History)-1].EvalLoss
	}
	return res
}

// Curve returns the steps (shifted by offset) and accuracies of the
// result's history, for plots.
func (r Result) Curve(offset int) (steps, accuracy []float64) {
	for _, p := range r.History {
		steps = append(steps, float64(p.Step+offset))
		accuracy = append(accuracy, p.EvalAccuracy)
	}
	return
}

// SaveResult writes res as dir/<name>.json (name made file-safe).
func SaveResult(dir string, res Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "transformer")
	}
	data, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		return errors.Wrap(err, "transformer")
	}
	return errors.Wrap(os.WriteFile(filepath.Join(dir, fileName(res.Name)+".json"), data, 0o644), "transformer")
}

// LoadResult reads the result named name from dir.
func LoadResult(dir, name string) (Result, error) {
	var res Result
	data, err := os.ReadFile(filepath.Join(dir, fileName(name)+".json"))
	if err != nil {
		return res, errors.Wrapf(err, "transformer: result %q (run the cell that makes it first)", name)
	}
	return res, errors.Wrapf(json.Unmarshal(data, &res), "transformer: result %q", name)
}

func fileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// Contender is one model of a comparison: a name and its config.
type Contender struct {
	Name   string
	Config Config
}

// Compare trains one fresh model per contender on task with the same data,
// steps, learning rate and seed, evaluating on eval every evalEvery steps
// (and at the end), and returns their runs in order.
func Compare(backend compute.Backend, task Task, contenders []Contender, trainDS, eval train.Dataset,
	steps, evalEvery int, learningRate float64, seed int64) ([]*Run, error) {
	var runs []*Run
	for _, c := range contenders {
		run := NewRun(backend, c.Name, c.Config, task, learningRate, seed)
		if err := run.Train(trainDS, eval, steps, evalEvery); err != nil {
			return runs, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// FineTune creates a run with cfg, loads the model weights of the
// checkpoint in ckptDir (e.g. an exact-attention model's, see
// Run.LoadWeights), records its accuracy on eval before any training (the
// "zero-shot" point at step 0 of History) and trains it for steps steps with
// a fresh Adam optimizer at learningRate.
func FineTune(backend compute.Backend, name string, cfg Config, task Task, ckptDir string, trainDS, eval train.Dataset,
	steps, evalEvery int, learningRate float64, seed int64) (*Run, error) {
	r := NewRun(backend, name, cfg, task, learningRate, seed)
	if _, err := r.LoadWeights(ckptDir); err != nil {
		return nil, err
	}
	if err := r.Record(eval); err != nil {
		return nil, err
	}
	if err := r.Train(trainDS, eval, steps, evalEvery); err != nil {
		return nil, err
	}
	return r, nil
}

// ZeroShot returns the accuracy recorded before training (History[0]), as
// FineTune records it.
func (r Result) ZeroShot() float64 {
	if len(r.History) == 0 {
		return 0
	}
	return r.History[0].EvalAccuracy
}
