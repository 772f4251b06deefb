package nb

import (
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
)

// AttachProgress shows a [Progress] labelled label for every run of loop
// (RunSteps, RunEpochs, RunToGlobalStep), with the trainer's train metrics
// (loss, moving average loss, ...) by their short names. Metrics are only
// formatted when the display is refreshed.
func AttachProgress(loop *train.Loop, label string) {
	var p *Progress
	const hook = "nb.AttachProgress"
	total := func(loop *train.Loop) int {
		if loop.EndStep < 0 {
			return 0
		}
		return loop.EndStep - loop.StartStep
	}
	metricsKV := func(loop *train.Loop, metrics []*tensors.Tensor) []any {
		var kv []any
		for i, m := range loop.Trainer.TrainMetrics() {
			if i < len(metrics) && metrics[i] != nil {
				kv = append(kv, m.ShortName(), m.PrettyPrint(metrics[i]))
			}
		}
		return kv
	}
	loop.OnStart(hook, 0, func(loop *train.Loop, _ train.Dataset) error {
		p = NewProgress(total(loop), label)
		return nil
	})
	loop.OnStep(hook, 0, func(loop *train.Loop, metrics []*tensors.Tensor) error {
		p.SetTotal(total(loop)) // RunEpochs estimates EndStep after the first epoch.
		p.update(loop.LoopStep+1-loop.StartStep, nil, func() []any { return metricsKV(loop, metrics) })
		return nil
	})
	loop.OnEnd(hook, 0, func(loop *train.Loop, metrics []*tensors.Tensor) error {
		p.mu.Lock()
		p.setMetrics(metricsKV(loop, metrics))
		p.mu.Unlock()
		p.Done()
		return nil
	})
}
