// Package runner executes Jupyter notebooks headlessly against a kernel started from a
// kernelspec (by default the Labnotes GoNB kernel), like papermill/nbclient but in Go.
//
// [Run] reads the notebook (the input file is never modified), injects parameters, starts the
// kernel in its own process group, runs the code cells in order over the Jupyter wire protocol
// (package wire), records outputs and timings as nbclient does, stops at the first failing cell,
// shuts the kernel down (always: also on errors and when the context is canceled) and writes the
// executed notebook atomically, including for failed runs. The CLI should cancel the context on
// SIGINT/SIGTERM (signal.NotifyContext) so that the kernel is shut down.
package runner
