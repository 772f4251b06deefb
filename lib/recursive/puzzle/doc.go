// Package puzzle builds the training and test streams that recursive
// reasoning models (HRM, TRM) consume from a base set of puzzles: N
// augmentations per puzzle, shuffled by a seeded pseudorandom permutation,
// cut into batches of int tokens — streamed, so that a million augmented
// puzzles never sit in memory at once (memory stays at a few batches).
//
// A puzzle family (lib/recursive/sudoku, lib/recursive/maze, lib/recursive/arc) provides a [Source]: how
// many base puzzles there are and how to write augmentation k of puzzle i.
// [Stream] does the rest; the same (Source, Config) always yields the same
// batches, whatever the number of workers.
//
// The package also splits puzzles into train and test by symmetry class ([SplitGroups]), so no test
// puzzle is an augmentation of a training puzzle.
package puzzle
