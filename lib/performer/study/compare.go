package study

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/nb"
	"github.com/labnotes/labnotes/lib/performer/transformer"
)

// SaveResult writes res as dir/<name>.json (name made file-safe; dir created),
// atomically (nb.SaveJSON).
func SaveResult(dir string, res transformer.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "study")
	}
	return errors.Wrap(nb.SaveJSON(filepath.Join(dir, fileName(res.Name)+".json"), res), "study")
}

// LoadResult reads the result named name from dir.
func LoadResult(dir, name string) (transformer.Result, error) {
	var res transformer.Result
	err := nb.LoadJSON(filepath.Join(dir, fileName(name)+".json"), &res)
	return res, errors.Wrapf(err, "study: result %q", name)
}

// fileName maps a result's name to a file-safe one.
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
	Config transformer.Config
}

// Compare trains one fresh model per contender on task with the same data,
// steps, learning rate and seed, evaluating on eval every evalEvery steps
// (and at the end), and returns their runs in order.
func Compare(backend compute.Backend, task transformer.Task, contenders []Contender, trainDS, eval train.Dataset,
	steps, evalEvery int, learningRate float64, seed int64) ([]*transformer.Run, error) {
	var runs []*transformer.Run
	for _, c := range contenders {
		run := transformer.NewRun(backend, c.Name, c.Config, task, learningRate, seed)
		if err := run.Train(trainDS, eval, steps, evalEvery); err != nil {
			return runs, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// FineTune creates a run with cfg, loads the model weights of the
// checkpoint in ckptDir (e.g. an exact-attention model's, see
// transformer.Run.LoadWeights), records its accuracy on eval before any training (the
// "zero-shot" point at step 0 of History) and trains it for steps steps with
// a fresh Adam optimizer at learningRate.
func FineTune(backend compute.Backend, name string, cfg transformer.Config, task transformer.Task, ckptDir string, trainDS, eval train.Dataset,
	steps, evalEvery int, learningRate float64, seed int64) (*transformer.Run, error) {
	r := transformer.NewRun(backend, name, cfg, task, learningRate, seed)
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
