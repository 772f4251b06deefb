// Package maze holds the mazes of HRM's Maze-Hard task: N x N grids of
// walls and open cells with a start S and a goal G; the answer marks a
// shortest S->G path with 'o'. It has a seeded generator with a minimum
// shortest-path length (the "hard" filter: more than 110 steps at 30x30), a
// BFS shortest-path solver, a validator that a predicted path is a shortest
// valid path, the text format ("# SGo", one character per cell, row-major),
// HRM's token encoding and .npy/CSV files, dihedral augmentations, and an
// SVG renderer.
package maze
