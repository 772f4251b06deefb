package arc

import (
	"fmt"
	"math/rand/v2"

	"github.com/labnotes/labnotes/lib/puzzle"
)

// Item is one input/output pair of a task, a base example of a [Dataset].
type Item struct {
	Task          int
	Input, Output Grid
}

// Dataset is a [puzzle.Source] of ARC pairs on 30x30 canvases. Augmentation
// k of a task (the same for all its pairs) is [Dataset.TaskAug]; k == 0 is
// the task itself. Each augmented task is its own puzzle: identifier
// 1 + task*PerTask + k (0 is left for "no puzzle", as in HRM).
type Dataset struct {
	Tasks []*Task
	Items []Item
	// PerTask must equal the stream's Config.PerPuzzle.
	PerTask int
	// Seed keys the task augmentations.
	Seed uint64
	// Translate places each augmented pair (k > 0) at a random offset on
	// the canvas (the same for its input and output).
	Translate bool
}

var _ puzzle.Source = (*Dataset)(nil)

// NewDataset makes a Dataset of the demonstration pairs of tasks and, with
// includeTest, their test pairs (which must have outputs).
func NewDataset(tasks []*Task, includeTest bool, perTask int, seed uint64, translate bool) (*Dataset, error) {
	d := &Dataset{Tasks: tasks, PerTask: max(perTask, 1), Seed: seed, Translate: translate}
	for ti, t := range tasks {
		pairs := t.Train
		if includeTest {
			pairs = append(append([]Pair{}, t.Train...), t.Test...)
		}
		for _, p := range pairs {
			if p.Output == nil {
				return nil, fmt.Errorf("arc: task %s has a test pair without output", t.ID)
			}
			d.Items = append(d.Items, Item{Task: ti, Input: p.Input, Output: p.Output})
		}
	}
	return d, nil
}

// Len is the number of pairs.
func (d *Dataset) Len() int { return len(d.Items) }

// SeqLen is the canvas size, 900.
func (d *Dataset) SeqLen() int { return CanvasLen }

// NumPuzzleIDs is the number of puzzle identifiers, 0 included.
func (d *Dataset) NumPuzzleIDs() int { return 1 + len(d.Tasks)*d.PerTask }

// PuzzleID returns the identifier of augmentation k of task t.
func (d *Dataset) PuzzleID(t, k int) int32 { return int32(1 + t*d.PerTask + k) }

// TaskAug returns augmentation k of task t (identity for k == 0).
func (d *Dataset) TaskAug(t, k int) Aug {
	if k == 0 {
		return IdentityAug()
	}
	return RandomAug(rand.New(rand.NewPCG(d.Seed, puzzle.Mix(d.Seed, uint64(t), uint64(k)))))
}

// Example writes augmentation k of pair i on canvases.
func (d *Dataset) Example(i, k int, rng *rand.Rand, inputs, labels []uint8) (int32, error) {
	it := d.Items[i]
	a := d.TaskAug(it.Task, k)
	in, out := a.Apply(it.Input), a.Apply(it.Output)
	dr, dc := 0, 0
	if d.Translate && k > 0 {
		hi, wi := in.Size()
		ho, wo := out.Size()
		dr = rng.IntN(MaxSize - max(hi, ho) + 1)
		dc = rng.IntN(MaxSize - max(wi, wo) + 1)
	}
	if err := Encode(inputs, in, dr, dc); err != nil {
		return 0, err
	}
	if err := Encode(labels, out, dr, dc); err != nil {
		return 0, err
	}
	return d.PuzzleID(it.Task, k), nil
}
