package transformer

import "slices"

// Result summarizes a Run for tables and for later notebook cells (each
// GoNB cell is a separate program: results travel through files, see
// lib/performer/study's SaveResult).
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

// ZeroShot returns the accuracy recorded before training (History[0]), as
// FineTune records it.
func (r Result) ZeroShot() float64 {
	if len(r.History) == 0 {
		return 0
	}
	return r.History[0].EvalAccuracy
}
