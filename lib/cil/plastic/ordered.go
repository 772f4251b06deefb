package plastic

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"

	"github.com/labnotes/labnotes/lib/cil"
)

// Pretrain trains a fresh network of the given sizes on data for epochs
// shuffled passes, batch examples per update (SGD at lr): the pretrained
// feature extractor of an ordered-stream comparison.
func Pretrain(be compute.Backend, data *cil.Data, sizes []int, epochs, batch int, lr float64, seed uint64) (*Online, error) {
	o, err := NewOnline(be, Config{Sizes: sizes, LR: lr, Batch: batch, Seed: seed})
	if err != nil {
		return nil, err
	}
	if err := o.Epochs(data, epochs, rand.New(rand.NewPCG(seed, 0x9e))); err != nil {
		return nil, err
	}
	return o, nil
}

// Extractor returns the activations of hidden layer l (0-based) as a
// cil.Extractor, and the number of parameters it uses (the layers up to
// l: its algorithm bytes are 4 times that) and its FLOPs per example.
func (o *Online) Extractor(l int) (e cil.Extractor, params, flops int64) {
	if l < 0 || l >= len(o.sizes)-2 {
		panic(fmt.Sprintf("plastic: Extractor(%d): the network has hidden layers [0, %d)", l, len(o.sizes)-2))
	}
	for k := 0; k <= l; k++ {
		params += int64(o.sizes[k]*o.sizes[k+1] + o.sizes[k+1])
		flops += 2 * int64(o.sizes[k]*o.sizes[k+1])
	}
	net := o.Net() // frozen copy: later training of o does not change the extractor
	frozen, err := NewOnline(o.be, Config{Sizes: o.sizes, Seed: o.cfg.Seed})
	if err != nil {
		panic(err.Error())
	}
	if err := frozen.SetNet(net); err != nil {
		panic(err.Error())
	}
	e = func(x *cil.Data) ([]float32, int, error) {
		_, hidden, err := frozen.Forward(x.X)
		if err != nil {
			return nil, 0, err
		}
		return hidden[l], o.sizes[l+1], nil
	}
	return e, params, flops
}

// Maker makes a fresh learner for an ordered-stream comparison.
type Maker struct {
	Name string
	New  func() (cil.Learner, error)
	// AlgorithmBytes are the bytes the learner brings before any data (a
	// pretrained extractor's weights); they are not counted as state.
	AlgorithmBytes int64
	// ExtractorFLOPs is the arithmetic of the learner's frozen feature
	// extractor per example (added to learning and predicting FLOPs).
	ExtractorFLOPs int64
}

// OrderedResult is one learner on the class-sorted stream and on the
// shuffled control.
type OrderedResult struct {
	Learner  string  `json:"learner"`
	Sorted   float64 `json:"sorted"`   // test accuracy after the class-sorted stream
	Shuffled float64 `json:"shuffled"` // after the same examples shuffled
	// Curve is the accuracy on the classes seen so far after each class of
	// the sorted stream.
	Curve []float64 `json:"curve"`
	// Agree is the fraction of test examples predicted the same after both
	// streams.
	Agree   float64 `json:"agree"`
	Axes    Axes    `json:"axes"` // on the sorted stream
	Seconds float64 `json:"seconds"`
}

// RunOrdered feeds train to a fresh learner of every maker twice — sorted
// by class (all examples of class 0, then class 1, ...; one task per
// class, so Learn sees one class at a time, its examples in order) and
// shuffled (one task holding everything, in a random order) — and tests
// both on test. The four axes are measured on the sorted run: learning
// FLOPs over the stream, predicting FLOPs of the test set once, state
// bytes, algorithm bytes, accuracy.
func RunOrdered(makers []Maker, train, test *cil.Data, seed uint64, progress func(name string)) ([]OrderedResult, error) {
	classes := max(train.Classes(), test.Classes())
	sorted, err := cil.NewScenario(cil.SortByClass(train), test, 1, 1, nil)
	if err != nil {
		return nil, err
	}
	shuffled, err := cil.NewScenario(train.Subset(rand.New(rand.NewPCG(seed, 0x5f)).Perm(train.Len())), test, classes, classes, nil)
	if err != nil {
		return nil, err
	}
	var out []OrderedResult
	for _, m := range makers {
		if progress != nil {
			progress(m.Name)
		}
		start := time.Now()
		r := OrderedResult{Learner: m.Name}
		var preds [2][]int32
		for k, s := range []*cil.Scenario{sorted, shuffled} {
			l, err := m.New()
			if err != nil {
				return out, fmt.Errorf("plastic: %s: %w", m.Name, err)
			}
			res, err := cil.Run(l, s, nil)
			if err != nil {
				return out, err
			}
			var learnF, predF0 int64
			if c, ok := l.(cil.Coster); ok {
				learnF, predF0 = c.FLOPs()
			}
			if preds[k], err = l.Predict(test); err != nil {
				return out, err
			}
			acc := cil.Accuracy(preds[k], test.Y)
			if k == 1 {
				r.Shuffled = acc
				continue
			}
			r.Sorted, r.Curve = acc, res.Total
			var predF int64
			if c, ok := l.(cil.Coster); ok {
				_, p := c.FLOPs()
				predF = p - predF0
			}
			mem := l.Memory().Total()
			r.Axes = Axes{Learner: m.Name, Accuracy: acc, AlgorithmBytes: m.AlgorithmBytes, StateBytes: max(mem-m.AlgorithmBytes, 0),
				LearnFLOPs:   learnF + m.ExtractorFLOPs*int64(train.Len()),
				PredictFLOPs: predF + m.ExtractorFLOPs*int64(test.Len())}
		}
		same := 0
		for i := range preds[0] {
			if preds[0][i] == preds[1][i] {
				same++
			}
		}
		r.Agree = float64(same) / float64(len(preds[0]))
		r.Seconds = time.Since(start).Seconds()
		out = append(out, r)
	}
	return out, nil
}
