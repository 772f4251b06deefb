// Package testutil holds helpers shared by the library's tests. It is internal:
// notebooks cannot import it, tests can.
package testutil

import (
	"os"
	"testing"

	"github.com/gomlx/compute"

	"github.com/labnotes/labnotes/lib/backend"
)

// BackendEnv names the environment variable that picks the backend tests run on,
// in GOMLX_BACKEND's syntax ("go", "xla:cuda", ...). Unset, tests use "go", the
// pure-Go backend, so their numbers do not depend on the machine.
const BackendEnv = "LABNOTES_TEST_BACKEND"

// Backend returns the backend for a test: the one named by $LABNOTES_TEST_BACKEND,
// else the pure-Go backend. It is the process-wide backend of lib/backend, so the
// first call in a test binary decides it.
func Backend(t testing.TB) compute.Backend {
	t.Helper()
	name := BackendName()
	t.Setenv(backend.ConfigEnv, name)
	b, err := backend.New()
	if err != nil {
		t.Fatalf("testutil: backend %q (from $%s): %v", name, BackendEnv, err)
	}
	return b
}

// BackendName is the backend tests and examples use: $LABNOTES_TEST_BACKEND, or "go".
func BackendName() string {
	if name := os.Getenv(BackendEnv); name != "" {
		return name
	}
	return "go"
}
