// Package arc holds ARC-AGI tasks (versions 1 and 2) for recursive
// reasoning models: a loader for the task JSON, the 30x30 canvas encoding
// HRM uses (pad 0, end-of-grid marker 1, colours 2..11) and smaller square
// canvases ([Canvas]) for small tasks on small machines, augmentations (8
// dihedral transforms, colour permutations that keep black, translations on
// the canvas) with exact inverses, the scorer (invert each augmented
// prediction, vote, pass@2), a [puzzle.Source] for streaming augmented
// training pairs ([Dataset]; [Protocol] builds the papers' training set:
// all pairs of the training tasks and the demonstration pairs of the
// evaluation tasks, whose test pairs are held out; [Select] picks the tasks
// that fit a canvas), an SVG renderer, and [Load], which reads a split of
// ARC-AGI-1 or -2 from lib/datasets' folder, or the few small ARC-AGI-1
// evaluation tasks shipped in this package ([Shipped]) when the dataset is
// absent (`bin/labnotes data fetch arc-agi-1` gets it).
package arc
