// Package npy reads and writes NumPy .npy files (format versions 1.0, 2.0
// and 3.0) holding C-ordered arrays of fixed-size little-endian numbers, as
// used by the HRM/TRM puzzle datasets (all__inputs.npy, all__labels.npy, ...).
//
// Every reader error names the file and the problem (bad magic, a header that
// does not parse, an unsupported dtype, a truncated body) and no input makes
// the reader panic. [Reader] streams the rows of a large array one at a time;
// [Writer] streams rows out.
package npy
