package lra

import (
	"iter"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/pkg/errors"
)

// SequenceDataset streams batches of sequence classification examples. It
// implements GoMLX's train.Dataset: each Batch has
//
//   - Inputs: tokens int32 [BatchSize, SeqLen] (padded with 0 or truncated)
//     and mask bool [BatchSize, SeqLen] (true for real tokens);
//   - Labels: int32 [BatchSize, 1].
//
// A final partial batch is dropped, so every batch has the same shape.
type SequenceDataset struct {
	name      string
	examples  []Example
	seqLen    int
	batchSize int
	shuffle   bool
	seed      uint64
	epochs    int
	iters     uint64
}

// NewSequenceDataset creates a dataset over examples. seqLen 0 means the
// longest example's length.
func NewSequenceDataset(name string, examples []Example, seqLen, batchSize int) *SequenceDataset {
	if batchSize <= 0 {
		panic(errors.Errorf("lra: batch size %d must be positive", batchSize))
	}
	if seqLen <= 0 {
		for _, e := range examples {
			seqLen = max(seqLen, len(e.Tokens))
		}
	}
	return &SequenceDataset{name: name, examples: examples, seqLen: seqLen, batchSize: batchSize, epochs: 1}
}

// Shuffle makes each pass visit the examples in a new order derived from seed.
func (d *SequenceDataset) Shuffle(seed uint64) *SequenceDataset {
	d.shuffle, d.seed = true, seed
	return d
}

// Epochs sets how many passes one Iter makes (default 1; <= 0: endless).
func (d *SequenceDataset) Epochs(n int) *SequenceDataset {
	d.epochs = n
	return d
}

// Name implements train.Dataset.
func (d *SequenceDataset) Name() string { return d.name }

// SeqLen returns the (padded) sequence length.
func (d *SequenceDataset) SeqLen() int { return d.seqLen }

// NumBatches returns the number of batches in one epoch.
func (d *SequenceDataset) NumBatches() int { return len(d.examples) / d.batchSize }

// Iter implements train.Dataset.
func (d *SequenceDataset) Iter() iter.Seq2[train.Batch, error] {
	d.iters++
	rng := rand.New(rand.NewPCG(d.seed, d.iters))
	return func(yield func(train.Batch, error) bool) {
		order := make([]int, len(d.examples))
		for i := range order {
			order[i] = i
		}
		for epoch := 0; d.epochs <= 0 || epoch < d.epochs; epoch++ {
			if d.shuffle {
				rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			}
			if d.NumBatches() == 0 {
				return
			}
			for b := 0; b+d.batchSize <= len(order); b += d.batchSize {
				if !yield(d.batch(order[b:b+d.batchSize]), nil) {
					return
				}
			}
		}
	}
}

// batch builds the tensors of the examples at idx.
func (d *SequenceDataset) batch(idx []int) train.Batch {
	n, l := len(idx), d.seqLen
	toks := make([]int32, n*l)
	mask := make([]bool, n*l)
	labels := make([]int32, n)
	for i, j := range idx {
		e := d.examples[j]
		k := copy(toks[i*l:(i+1)*l], e.Tokens)
		for p := range k {
			mask[i*l+p] = true
		}
		labels[i] = e.Label
	}
	return train.Batch{
		Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(toks, n, l),
			tensors.FromFlatDataAndDimensions(mask, n, l)},
		Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, n, 1)},
	}
}

// WindowDataset streams language-modelling batches of windows of a byte
// text. It implements train.Dataset: each Batch has Inputs tokens int32
// [BatchSize, SeqLen] (byte values) and Labels int32 [BatchSize, SeqLen, 1],
// the next byte at each position.
//
// In random mode (the default) each Iter yields Steps batches (endless if
// Steps <= 0) of windows at seeded random offsets; in Sequential mode it
// yields the text's consecutive non-overlapping windows once (up to Steps
// batches if Steps > 0), e.g. for a deterministic evaluation.
type WindowDataset struct {
	name       string
	text       []byte
	seqLen     int
	batchSize  int
	steps      int
	seed       uint64
	sequential bool
	iters      uint64
}

// NewWindowDataset creates a window dataset over text.
func NewWindowDataset(name string, text []byte, seqLen, batchSize int) *WindowDataset {
	if seqLen <= 0 || batchSize <= 0 {
		panic(errors.Errorf("lra: sequence length %d and batch size %d must be positive", seqLen, batchSize))
	}
	if len(text) < seqLen+1 {
		panic(errors.Errorf("lra: text of %d bytes is shorter than a window of %d+1", len(text), seqLen))
	}
	return &WindowDataset{name: name, text: text, seqLen: seqLen, batchSize: batchSize}
}

// Seed sets the seed of the random windows.
func (d *WindowDataset) Seed(seed uint64) *WindowDataset { d.seed = seed; return d }

// Steps sets the number of batches per Iter (<= 0: endless, or the whole
// text in Sequential mode).
func (d *WindowDataset) Steps(n int) *WindowDataset { d.steps = n; return d }

// Sequential switches to consecutive non-overlapping windows.
func (d *WindowDataset) Sequential() *WindowDataset { d.sequential = true; return d }

// Name implements train.Dataset.
func (d *WindowDataset) Name() string { return d.name }

// Iter implements train.Dataset. Random mode draws a new stream of windows
// at every call (derived from the seed and the call count).
func (d *WindowDataset) Iter() iter.Seq2[train.Batch, error] {
	d.iters++
	rng := rand.New(rand.NewPCG(d.seed, d.iters))
	return func(yield func(train.Batch, error) bool) {
		next := 0
		for step := 0; d.steps <= 0 || step < d.steps; step++ {
			offsets := make([]int, d.batchSize)
			for i := range offsets {
				if d.sequential {
					if next+d.seqLen+1 > len(d.text) {
						return
					}
					offsets[i] = next
					next += d.seqLen
				} else {
					offsets[i] = rng.IntN(len(d.text) - d.seqLen)
				}
			}
			if !yield(d.Batch(offsets), nil) {
				return
			}
		}
	}
}

// Batch returns the batch of windows starting at offsets.
func (d *WindowDataset) Batch(offsets []int) train.Batch {
	n, l := len(offsets), d.seqLen
	in := make([]int32, n*l)
	out := make([]int32, n*l)
	for i, o := range offsets {
		for p := range l {
			in[i*l+p] = int32(d.text[o+p])
			out[i*l+p] = int32(d.text[o+p+1])
		}
	}
	return train.Batch{
		Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(in, n, l)},
		Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(out, n, l, 1)},
	}
}
