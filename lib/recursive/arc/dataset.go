package arc

import (
	"fmt"
	"math/rand/v2"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// Item is one input/output pair of a task, a base example of a [Dataset].
type Item struct {
	Task          int
	Input, Output Grid
}

// Dataset is a [puzzle.Source] of ARC pairs on canvases of side Side
// (default 30: 900 tokens). Augmentation
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
	// Side is the canvas side (0: MaxSize). Every grid must fit it (see
	// [Task.MaxSide] and [Select]).
	Side Canvas
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

// Canvas returns the canvas the pairs are drawn on (Side, or 30x30).
func (d *Dataset) Canvas() Canvas {
	if d.Side == 0 {
		return Canvas(MaxSize)
	}
	return d.Side
}

// SeqLen is the number of canvas tokens (900 by default).
func (d *Dataset) SeqLen() int { return d.Canvas().Len() }

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
	cv := d.Canvas()
	dr, dc := 0, 0
	if d.Translate && k > 0 {
		hi, wi := in.Size()
		ho, wo := out.Size()
		dr = rng.IntN(max(int(cv)-max(hi, ho)+1, 1))
		dc = rng.IntN(max(int(cv)-max(wi, wo)+1, 1))
	}
	if err := cv.Encode(inputs, in, dr, dc); err != nil {
		return 0, fmt.Errorf("arc: task %s input: %w", d.Tasks[it.Task].ID, err)
	}
	if err := cv.Encode(labels, out, dr, dc); err != nil {
		return 0, fmt.Errorf("arc: task %s output: %w", d.Tasks[it.Task].ID, err)
	}
	return d.PuzzleID(it.Task, k), nil
}

// Protocol returns the training Dataset of the HRM/TRM ARC protocol: every
// pair (demonstrations and tests) of the train tasks, and only the
// demonstration pairs of the eval tasks, whose test pairs are held out for
// scoring. Task j of eval is task len(train)+j of the Dataset (its puzzle
// identifiers are PuzzleID(len(train)+j, k)). Grids must fit a canvas of
// side (0: 30); a pair that does not is an error naming its task.
func Protocol(train, eval []*Task, perTask int, seed uint64, translate bool, side Canvas) (*Dataset, error) {
	d := &Dataset{PerTask: max(perTask, 1), Seed: seed, Translate: translate, Side: side}
	n := int(d.Canvas())
	for i, t := range append(append([]*Task{}, train...), eval...) {
		d.Tasks = append(d.Tasks, t)
		pairs := t.Train
		if i < len(train) {
			pairs = append(append([]Pair{}, t.Train...), t.Test...)
		}
		for _, p := range pairs {
			if p.Output == nil {
				return nil, fmt.Errorf("arc: training task %s has a test pair without output", t.ID)
			}
			if s := max(gridSide(p.Input), gridSide(p.Output)); s > n {
				return nil, fmt.Errorf("arc: task %s has a %d-cell side, over the %dx%d canvas", t.ID, s, n, n)
			}
			d.Items = append(d.Items, Item{Task: i, Input: p.Input, Output: p.Output})
		}
	}
	return d, nil
}

func gridSide(g Grid) int {
	h, w := g.Size()
	return max(h, w)
}

// MaxSide returns the longest side of the task's grids (test outputs
// included when present): the smallest canvas side that holds the task.
func (t *Task) MaxSide() int {
	m := 0
	for _, p := range append(append([]Pair{}, t.Train...), t.Test...) {
		m = max(m, gridSide(p.Input), gridSide(p.Output))
	}
	return m
}

// Select returns the tasks whose grids all fit a side x side canvas
// (MaxSide <= side), in order.
func Select(tasks []*Task, side int) []*Task {
	var out []*Task
	for _, t := range tasks {
		if t.MaxSide() <= side {
			out = append(out, t)
		}
	}
	return out
}
