// Package gonbpatch fixes faults of the pinned GoNB kernel (github.com/janpfeifer/gonb v0.11.5)
// without forking it: [Write] copies the released module from the module cache, applies small
// textual edits to the copy, and writes a go.mod for `go build -modfile` that is the project's
// own plus a replace directive pointing at the copy (scripts/setup.sh builds the kernel so;
// `go build -overlay` would be smaller but refuses files in the module cache). The project's
// go.mod stays pinned to the released module;
// each edit must match the pinned source exactly, so a GoNB upgrade that changes those lines
// fails loudly at setup instead of silently dropping a fix.
//
// The edits (Linux; GoNB's kernel is only built here for Linux):
//
//   - A message that fails the signature check, or is malformed (no "<IDS|MSG>" delimiter, fewer
//     than five frames after it), is dropped and counted in the kernel's log instead of stopping
//     the kernel ("invalid signature, stopping kernel") or crashing it (index out of range):
//     any local process able to reach the kernel's ports could otherwise end a run.
//   - gopls and each cell program get a parent-death signal (SIGKILL): a kernel killed by force
//     no longer leaves gopls (~155 MB) or a running cell program behind.
//   - A cell's display data (HTML, plots) is read to the end before the cell's reply is sent: GoNB
//     read and published it concurrently, so under load it could arrive after the reply's idle
//     status or be cut off (seen: jupyter_kernel_test's test_display_data receiving nothing on two
//     busy cores).
//   - is_complete_request, which console front-ends (jupyter console) send before running what
//     was typed, is answered instead of ignored: "incomplete" while a bracket, a raw string or a
//     block comment is open, "invalid" for a bracket closed but never opened or a string or rune
//     literal cut by its line's end, else "complete" (iscomplete.go, added to GoNB's dispatcher).
package gonbpatch
