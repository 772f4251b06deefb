package cil

// This file fixes the types every learner and tool of the package shares.
// The learners that train networks live in lib/cil/deep and implement
// [Learner] on these types.

// Data is a labelled set of examples, each a flat vector of Dim float32
// features (images: pixels scaled to [0, 1], row-major, Shape [H, W, C]).
type Data struct {
	X     []float32 // [N, Dim], row-major.
	Y     []int32   // [N]: labels (after a Scenario: the class's position in its class order).
	Dim   int       // features per example; equals the product of Shape.
	Shape []int     // per-example shape, e.g. [28, 28, 1]; nil means [Dim].
	// ExampleBytes is what storing one raw example costs in bytes (784 for a
	// 28x28 grey-scale uint8 image), the unit of exemplar memory accounting.
	ExampleBytes int
}

// Task is one step of a class-incremental stream: the training data of the
// classes new in this task and the test data of every class seen so far.
// Classes are numbered by their position in the scenario's class order, so
// task t brings the classes [Known, Known+New).
type Task struct {
	Index int   // 0-based task number.
	Known int   // classes seen before this task.
	New   int   // classes this task adds.
	Train *Data // training examples of the new classes only.
	Test  *Data // test examples of all Known+New classes seen so far.
}

// Seen is the number of classes seen once the task is learned.
func (t Task) Seen() int { return t.Known + t.New }

// Memory is what a learner keeps between tasks, in bytes.
type Memory struct {
	Exemplars  int64 // stored raw examples (count x Data.ExampleBytes).
	Parameters int64 // model parameters kept for prediction and later tasks (4 bytes each for float32), frozen copies included.
	Other      int64 // any other state: class means, Fisher matrices, covariance, old models kept only for distillation...
}

// Total is the sum of the three parts.
func (m Memory) Total() int64 { return m.Exemplars + m.Parameters + m.Other }

// Learner is a class-incremental learner: it learns tasks one after the
// other, with no task identity at test time, and predicts over every class
// seen so far.
type Learner interface {
	// Name is a short label for tables and plots ("Replay", "iCaRL").
	Name() string
	// Learn trains on one task. task.Train holds only the new classes; the
	// learner brings its own memory of the old ones. Test data must not be read.
	Learn(task Task) error
	// Predict returns a class in [0, seen) for each example of x, where seen
	// is the number of classes learned so far.
	Predict(x *Data) ([]int32, error)
	// Memory reports the bytes the learner holds after its last Learn.
	Memory() Memory
}
