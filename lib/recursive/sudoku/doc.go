// Package sudoku holds Sudoku puzzles for recursive-reasoning models (HRM,
// TRM): 4x4, 6x6 and 9x9 grids (2x2, 2x3 and 3x3 boxes), a fast exact solver
// that counts solutions and measures search effort, a seeded generator of
// unique-solution puzzles with difficulty control, validity-preserving
// augmentations with a canonical form (for leak-free train/test splits), the
// token encoding the models use, readers and writers for the published
// formats (HRM's CSV, tdoku's one-puzzle-a-line files, HRM's .npy arrays) and
// an SVG renderer.
//
// A [Grid] is a value: cells in row-major order, 0 for a blank and 1..N for a
// digit. The solver uses bitmask constraint propagation (naked and hidden
// singles) and depth-first search on the cell with the fewest candidates; its
// [Stats] count guesses and dead ends, like tdoku's "guesses" measure. When
// asked to count up to two solutions it explores the whole search tree of a
// unique puzzle, so the counts of [Count] do not depend on the order in which
// digits are tried and serve as a difficulty measure.
package sudoku
