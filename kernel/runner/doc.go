// Package runner executes Jupyter notebooks headlessly against a kernel started from a
// kernelspec (by default the Labnotes GoNB kernel), like papermill/nbclient but in Go.
//
// [Run] checks its input first — the notebook (nbformat 4, valid UTF-8), the parameters (typed
// and range-checked against the parameters cell), the timeout and the output path — so that bad
// input fails in a moment, before any kernel starts. It then injects the parameters, starts the
// kernel in its own process group with a parent-death signal (the kernel, and through the patched
// GoNB gopls and the cell programs, die with the runner even when it is SIGKILLed), runs the code
// cells in order over the Jupyter wire protocol (package wire) — skipping cells tagged
// skip-execution, running on past cells tagged raises-exception, and past every failure with
// Options.AllowErrors — records outputs (stream text and rich output capped per cell) and timings
// as nbclient does, shuts the kernel down (always: also on errors and when the context is
// canceled) and writes the executed notebook atomically, with an error banner cell on top when
// the run failed. Errors are [Error]s classified by [Failure]; [ExitCode] maps them to the
// labnotes command's exit statuses. The CLI should cancel the context on SIGINT/SIGTERM
// (signal.NotifyContext) so that the kernel is shut down.
package runner
