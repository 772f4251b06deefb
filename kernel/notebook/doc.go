// Package notebook reads, validates and writes Jupyter notebooks in nbformat 4 (.ipynb JSON),
// and injects parameters papermill-style into Go notebooks.
//
// Cells, outputs and notebook metadata keep fields this package does not know about, so a
// notebook read and written again loses nothing of substance (sources are written as lists of
// lines and keys are sorted, as Jupyter itself does).
//
// Parameters are the top-level declarations (`var name = literal`, possibly in a `var ( ... )`
// block) of the cell tagged "parameters". [Notebook.InjectParameters] inserts after that cell a
// code cell tagged "injected-parameters" that re-declares the given names; GoNB keeps the latest
// declaration of a name, so the injected values override the defaults.
package notebook
