package puzzle

import (
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
)

// Source is a base set of puzzles of one family and its augmentations.
type Source interface {
	// Len is the number of base puzzles.
	Len() int
	// SeqLen is the number of tokens of one input (and one label).
	SeqLen() int
	// Example writes augmentation k of base puzzle i into inputs and labels
	// (each of len SeqLen) and returns the puzzle identifier the model
	// embeds. k == 0 must be the puzzle itself; rng is seeded from the
	// stream's seed, i and k, so an example is reproducible on its own.
	Example(i, k int, rng *rand.Rand, inputs, labels []uint8) (puzzleID int32, err error)
}

// Config describes a stream.
type Config struct {
	// Seed keys the shuffle and every augmentation.
	Seed uint64
	// PerPuzzle is the number of examples per base puzzle: the original
	// (k = 0) plus PerPuzzle-1 augmentations (default 1).
	PerPuzzle int
	// BatchSize is the number of examples per batch (default 64).
	BatchSize int
	// DropLast drops a last, short batch.
	DropLast bool
	// NoShuffle keeps examples in order (puzzle-major), e.g. for test sets.
	NoShuffle bool
	// Workers is the number of goroutines filling batches (default
	// runtime.GOMAXPROCS). The output does not depend on it.
	Workers int
}

// Total is the number of examples the stream yields for src.
func (c Config) Total(src Source) int { return src.Len() * max(c.PerPuzzle, 1) }

// Batch is a batch of examples, row-major: Inputs[j*SeqLen : (j+1)*SeqLen]
// is example j. A Batch yielded by [Stream] is reused: it is valid only
// until the loop body returns.
type Batch struct {
	// Index is the batch number in the stream.
	Index int
	// Size is the number of examples (BatchSize, or fewer in the last).
	Size   int
	SeqLen int
	Inputs []uint8
	Labels []uint8
	// PuzzleIDs holds each example's puzzle identifier; Base and Aug the
	// base puzzle index and augmentation number it came from.
	PuzzleIDs []int32
	Base      []int32
	Aug       []int32
}

// Row returns example j's input and label tokens.
func (b *Batch) Row(j int) (inputs, labels []uint8) {
	return b.Inputs[j*b.SeqLen : (j+1)*b.SeqLen], b.Labels[j*b.SeqLen : (j+1)*b.SeqLen]
}

// Int32 returns the inputs and labels widened to int32 (new slices), the
// element type GoMLX models take.
func (b *Batch) Int32() (inputs, labels []int32) {
	n := b.Size * b.SeqLen
	inputs, labels = make([]int32, n), make([]int32, n)
	for i := range n {
		inputs[i], labels[i] = int32(b.Inputs[i]), int32(b.Labels[i])
	}
	return inputs, labels
}

func newBatch(size, seqLen int) *Batch {
	return &Batch{SeqLen: seqLen, Inputs: make([]uint8, size*seqLen), Labels: make([]uint8, size*seqLen),
		PuzzleIDs: make([]int32, size), Base: make([]int32, size), Aug: make([]int32, size)}
}

// Stream yields the batches of src under cfg: every (puzzle, augmentation)
// pair exactly once, in a seeded pseudorandom order, BatchSize at a time.
// Workers fill batches concurrently into a few recycled buffers, so memory
// does not grow with the stream's length. Stopping the loop early stops the
// workers.
func Stream(src Source, cfg Config) iter.Seq2[*Batch, error] {
	per := max(cfg.PerPuzzle, 1)
	bs := cfg.BatchSize
	if bs <= 0 {
		bs = 64
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	total := src.Len() * per
	nb := (total + bs - 1) / bs
	if cfg.DropLast {
		nb = total / bs
	}
	workers = max(min(workers, nb), 1)
	perm := NewPerm(uint64(total), cfg.Seed)
	seqLen := src.SeqLen()
	fill := func(b *Batch, t int, rng *rand.Rand, pcg *rand.PCG) error {
		b.Index = t
		b.Size = min(bs, total-t*bs)
		for j := range b.Size {
			e := uint64(t*bs + j)
			if !cfg.NoShuffle {
				e = perm.At(e)
			}
			i, k := int(e)/per, int(e)%per
			pcg.Seed(cfg.Seed, Mix(cfg.Seed, e))
			in, lab := b.Row(j)
			id, err := src.Example(i, k, rng, in, lab)
			if err != nil {
				return fmt.Errorf("puzzle %d, augmentation %d: %w", i, k, err)
			}
			b.PuzzleIDs[j], b.Base[j], b.Aug[j] = id, int32(i), int32(k)
		}
		return nil
	}
	return func(yield func(*Batch, error) bool) {
		if nb == 0 {
			return
		}
		if seqLen <= 0 {
			yield(nil, errors.New("puzzle: source has SeqLen <= 0"))
			return
		}
		type result struct {
			b   *Batch
			err error
		}
		// Worker w fills batches w, w+workers, ...; each has two buffers.
		outs := make([]chan result, workers)
		frees := make([]chan *Batch, workers)
		stop := make(chan struct{})
		done := make(chan struct{}, workers)
		for w := range workers {
			outs[w] = make(chan result, 1)
			frees[w] = make(chan *Batch, 2)
			frees[w] <- newBatch(bs, seqLen)
			frees[w] <- newBatch(bs, seqLen)
			go func() {
				defer func() { done <- struct{}{} }()
				pcg := rand.NewPCG(0, 0)
				rng := rand.New(pcg)
				for t := w; t < nb; t += workers {
					var b *Batch
					select {
					case b = <-frees[w]:
					case <-stop:
						return
					}
					err := fill(b, t, rng, pcg)
					select {
					case outs[w] <- result{b, err}:
					case <-stop:
						return
					}
					if err != nil {
						return
					}
				}
			}()
		}
		defer func() {
			close(stop)
			for range workers {
				<-done
			}
		}()
		for t := range nb {
			w := t % workers
			r := <-outs[w]
			if r.err != nil {
				yield(nil, r.err)
				return
			}
			if !yield(r.b, nil) {
				return
			}
			frees[w] <- r.b
		}
	}
}
