package runner

import "errors"

// Failure says why a run failed; [ExitCode] turns it into the labnotes command's exit status.
type Failure string

// The kinds of failure.
const (
	// CellError: a cell raised an error (compile error, panic, non-zero exit).
	CellError Failure = "cell-error"
	// Timeout: a cell ran longer than Options.CellTimeout.
	Timeout Failure = "timeout"
	// DeadKernel: the kernel died while a cell ran, or did not start.
	DeadKernel Failure = "dead-kernel"
	// BadInput: the notebook, a parameter, an option or the output path is unusable; no cell
	// ran.
	BadInput Failure = "bad-input"
	// Cancelled: the context was cancelled (SIGINT, SIGTERM).
	Cancelled Failure = "cancelled"
)

// Exit statuses of `labnotes run` and `labnotes report` (see the README).
const (
	ExitOK         = 0
	ExitCellError  = 1
	ExitBadInput   = 2 // also the status of a command-line usage error
	ExitTimeout    = 3
	ExitDeadKernel = 4
	ExitCancelled  = 130 // as a shell reports a command ended by SIGINT
)

// Error is a failed run's error, classified.
type Error struct {
	Failure Failure
	Err     error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// fail wraps err as an [Error] of kind f.
func fail(f Failure, err error) error { return &Error{Failure: f, Err: err} }

// FailureOf returns the kind of a run's error: "" for nil, [CellError] for an error that is not
// an [Error].
func FailureOf(err error) Failure {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Failure
	}
	return CellError
}

// ExitCode returns the exit status for a run's error: [ExitOK] for nil, else the status of its
// [Failure].
func ExitCode(err error) int {
	switch FailureOf(err) {
	case "":
		return ExitOK
	case Timeout:
		return ExitTimeout
	case DeadKernel:
		return ExitDeadKernel
	case BadInput:
		return ExitBadInput
	case Cancelled:
		return ExitCancelled
	}
	return ExitCellError
}
