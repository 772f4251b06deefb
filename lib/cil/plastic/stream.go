package plastic

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"

	"github.com/labnotes/labnotes/lib/cil"
)

// DefaultReplayBatch is the number of replayed examples trained with each
// new one by a [Stream] with a memory.
const DefaultReplayBatch = 9

// Stream is an [Online] network as a cil.Learner for class-incremental
// streams: Learn feeds a task's training examples in their order, one
// update per example (online SGD), optionally with Replay: a reservoir
// memory of Replay examples, and each update trains on the new example
// plus ReplayBatch examples drawn from the memory. Predict chooses among
// the classes seen so far.
type Stream struct {
	label       string
	o           *Online
	replay      int
	replayBatch int
	mem         []int32 // reservoir: examples' labels
	memX        []float32
	dim         int
	exBytes     int64 // Data.ExampleBytes of the stream
	offered     int64
	seen        int
	predict     int64
	rng         *rand.Rand
}

// NewStream makes a Stream named label whose network and update are cfg's
// (cfg.Batch is set to 1 + replayBatch when replay > 0, else 1);
// replayBatch 0 means DefaultReplayBatch.
func NewStream(be compute.Backend, label string, cfg Config, replay, replayBatch int) (*Stream, error) {
	if replay < 0 || replayBatch < 0 {
		return nil, fmt.Errorf("plastic: NewStream: replay %d, replayBatch %d: want >= 0", replay, replayBatch)
	}
	if replayBatch == 0 {
		replayBatch = DefaultReplayBatch
	}
	cfg.Batch = 1
	if replay > 0 {
		cfg.Batch = 1 + replayBatch
	}
	o, err := NewOnline(be, cfg)
	if err != nil {
		return nil, err
	}
	return &Stream{label: label, o: o, replay: replay, replayBatch: replayBatch, dim: cfg.Sizes[0],
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x5e))}, nil
}

// Name is the label given to NewStream.
func (s *Stream) Name() string { return s.label }

// Online is the underlying learner.
func (s *Stream) Online() *Online { return s.o }

// streamBlock is the number of new examples assembled per Learn call.
const streamBlock = 1024

// Learn feeds task.Train's examples in order, one update each.
func (s *Stream) Learn(task cil.Task) error {
	d := task.Train
	if d.Dim != s.dim {
		return fmt.Errorf("plastic: %s: examples of Dim %d, the network takes %d", s.label, d.Dim, s.dim)
	}
	s.seen = max(s.seen, task.Seen())
	s.exBytes = int64(d.ExampleBytes)
	if s.replay == 0 {
		_, _, err := s.o.Learn(d.X, d.Y)
		return err
	}
	b := 1 + s.replayBatch
	x, y, m := make([]float32, streamBlock*b*s.dim), make([]int32, streamBlock*b), make([]float32, streamBlock*b)
	for at := 0; at < d.Len(); at += streamBlock {
		n := min(streamBlock, d.Len()-at)
		for r := range n {
			i := at + r
			row := r * b
			copy(x[row*s.dim:(row+1)*s.dim], d.Row(i))
			y[row], m[row] = d.Y[i], 1
			for j := 1; j < b; j++ {
				k := row + j
				if len(s.mem) == 0 { // nothing stored yet: the new example again
					copy(x[k*s.dim:(k+1)*s.dim], d.Row(i))
					y[k] = d.Y[i]
				} else {
					q := s.rng.IntN(len(s.mem))
					copy(x[k*s.dim:(k+1)*s.dim], s.memX[q*s.dim:(q+1)*s.dim])
					y[k] = s.mem[q]
				}
				m[k] = 0
			}
			s.store(d.Row(i), d.Y[i])
		}
		if _, _, err := s.o.LearnMasked(x[:n*b*s.dim], y[:n*b], m[:n*b]); err != nil {
			return err
		}
	}
	return nil
}

// store offers an example to the reservoir (Vitter's algorithm R: every
// example offered so far is kept with equal probability).
func (s *Stream) store(x []float32, y int32) {
	s.offered++
	if len(s.mem) < s.replay {
		s.mem = append(s.mem, y)
		s.memX = append(s.memX, x...)
		return
	}
	if q := s.rng.Int64N(s.offered); q < int64(s.replay) {
		s.mem[q] = y
		copy(s.memX[int(q)*s.dim:(int(q)+1)*s.dim], x)
	}
}

// Predict returns the most likely class among those seen so far.
func (s *Stream) Predict(x *cil.Data) ([]int32, error) {
	logits, _, err := s.o.Forward(x.X)
	if err != nil {
		return nil, err
	}
	s.predict += int64(x.Len()) * s.o.PredictFLOPs()
	return ArgmaxSeen(logits, s.o.sizes[len(s.o.sizes)-1], max(s.seen, 1)), nil
}

// ArgmaxSeen returns, per row of logits [n, classes], the index of the
// largest of its first seen entries.
func ArgmaxSeen(logits []float32, classes, seen int) []int32 {
	pred := make([]int32, len(logits)/classes)
	for i := range pred {
		row := logits[i*classes : i*classes+seen]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		pred[i] = int32(best)
	}
	return pred
}

// Memory counts the network (4 bytes a parameter), the replay memory
// (Data.ExampleBytes per stored example: 784 for a 28x28 image) and
// the optimizer state and continual backprop's utilities and ages (Other).
func (s *Stream) Memory() cil.Memory {
	params := int64(s.o.Net().Params())
	var other int64
	if s.o.cfg.Optimizer == Adam {
		other += 3 * 4 * params
	}
	if s.o.cbp != nil {
		for _, u := range s.o.sizes[1 : len(s.o.sizes)-1] {
			other += 8 * int64(u) // utility (float32) and age (int32)
		}
	}
	return cil.Memory{Exemplars: int64(len(s.mem)) * s.exBytes, Parameters: 4 * params, Other: other}
}

// FLOPs is the arithmetic of learning and of predicting so far.
func (s *Stream) FLOPs() (learn, predict int64) { return s.o.FLOPs(), s.predict }

// CumulativeStats is one task of a class-incremental run with all data of
// the seen classes kept.
type CumulativeStats struct {
	Task     int     `json:"task"`
	Seen     int     `json:"seen"`
	Accuracy float64 `json:"accuracy"` // test accuracy over the seen classes
	Stats
	Seconds float64 `json:"seconds"`
}

// RunCumulative is Dohare et al.'s class-incremental protocol with all
// data kept: classes arrive perTask at a time in label order; after each
// arrival the network trains for epochs shuffled passes over ALL training
// examples of the classes seen so far (Batch per update), then is tested
// on the seen classes' test examples (argmax over their logits) and
// measured on its first probe training examples of the seen classes. With
// fresh, newOnline is called for every task (retrained from scratch, the
// reference); otherwise once (warm-started).
func RunCumulative(newOnline func() (*Online, error), train, test *cil.Data, perTask, epochs, probe int, fresh bool, seed uint64,
	after func(CumulativeStats)) ([]CumulativeStats, error) {
	classes := max(train.Classes(), test.Classes())
	if perTask <= 0 || epochs <= 0 || probe <= 0 {
		return nil, fmt.Errorf("plastic: RunCumulative: perTask %d, epochs %d, probe %d: want all > 0", perTask, epochs, probe)
	}
	rng := rand.New(rand.NewPCG(seed, 0xc0))
	var o *Online
	var out []CumulativeStats
	for t := 0; t*perTask < classes; t++ {
		start := time.Now()
		seen := min((t+1)*perTask, classes)
		if o == nil || fresh {
			var err error
			if o, err = newOnline(); err != nil {
				return out, err
			}
		}
		tr := train.Subset(train.Where(func(y int32) bool { return int(y) < seen }))
		te := test.Subset(test.Where(func(y int32) bool { return int(y) < seen }))
		if err := o.Epochs(tr, epochs, rng); err != nil {
			return out, err
		}
		logits, _, err := o.Forward(te.X)
		if err != nil {
			return out, err
		}
		acc := cil.Accuracy(ArgmaxSeen(logits, o.sizes[len(o.sizes)-1], seen), te.Y)
		s, err := Measure(o, tr.X[:min(probe, tr.Len())*tr.Dim])
		if err != nil {
			return out, err
		}
		cs := CumulativeStats{Task: t, Seen: seen, Accuracy: acc, Stats: s, Seconds: time.Since(start).Seconds()}
		out = append(out, cs)
		if after != nil {
			after(cs)
		}
	}
	return out, nil
}

// Epochs trains on d for epochs passes, each in a fresh random order from
// rng, Batch examples per update (the examples past the last multiple of
// Batch in each pass are left out).
func (o *Online) Epochs(d *cil.Data, epochs int, rng *rand.Rand) error {
	n := d.Len() / o.cfg.Batch * o.cfg.Batch
	x, y := make([]float32, n*d.Dim), make([]int32, n)
	for range epochs {
		for r, i := range rng.Perm(d.Len())[:n] {
			copy(x[r*d.Dim:(r+1)*d.Dim], d.Row(i))
			y[r] = d.Y[i]
		}
		if _, _, err := o.Learn(x, y); err != nil {
			return err
		}
	}
	return nil
}
