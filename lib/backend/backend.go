package backend

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"

	// Link in both backends, without go-xla's auto-installer.
	_ "github.com/gomlx/compute/gobackend"
	"github.com/gomlx/go-xla/compute/xla"
)

// stdout, if not nil, receives the "backend: ..." line instead of os.Stdout.
var stdout io.Writer

var (
	mu        sync.Mutex
	created   compute.Backend
	chosen    Choice
	createErr error
	tried     bool
)

// New returns the process-wide backend, creating it on the first call: it
// applies [Choose]'s choice (setting its Env with os.Setenv), creates the
// backend and prints one line to stdout:
//
//	backend: <name> (<reason>; compute <dtype>)
//
// where <dtype> is [DefaultDType]'s: bf16 for XLA on a GPU or TPU, float32
// otherwise.
// Later calls return the same backend (or the same error) and print nothing.
func New() (compute.Backend, error) {
	mu.Lock()
	defer mu.Unlock()
	if tried {
		return created, createErr
	}
	tried = true
	chosen = Choose()
	created, createErr = create(chosen)
	if createErr == nil {
		w := stdout
		if w == nil {
			w = os.Stdout
		}
		fmt.Fprintf(w, "backend: %s (%s; %s)\n", chosen.Name, chosen.Reason, PrecisionNote(created))
	}
	return created, createErr
}

// MustNew is like [New] but panics on error.
func MustNew() compute.Backend {
	b, err := New()
	if err != nil {
		panic(fmt.Sprintf("backend: %+v", err))
	}
	return b
}

// create applies c.Env and creates the backend c.Config names. It first
// creates the folder of XLA's autotuning cache (XLA needs it to exist);
// where it cannot, the cache is left out of XLA_FLAGS, with a note on
// stderr.
func create(c Choice) (b compute.Backend, err error) {
	if dir := AutotuneCacheDir(c.Env); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			fmt.Fprintf(os.Stderr, "backend: XLA's autotuning cache left out: %v\n", err)
			c.Env[xlaFlagsEnv] = strings.TrimSpace(strings.ReplaceAll(c.Env[xlaFlagsEnv], autotuneCacheFlag+"="+dir, ""))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		if err := os.Setenv(k, c.Env[k]); err != nil {
			return nil, errors.Wrapf(err, "setting %s", k)
		}
	}
	if _, ok := os.LookupEnv(NoAutoInstallEnv); ok {
		// go-xla reads the variable when its package is initialized, which
		// is before we set it.
		xla.EnableAutoInstall(false)
	}
	defer func() {
		// compute.NewWithConfig panics on unknown backend names.
		if r := recover(); r != nil {
			b, err = nil, errors.Errorf("creating backend %q: %v", c.Config, r)
		}
	}()
	b, err = compute.NewWithConfig(c.Config)
	if err != nil {
		return nil, errors.WithMessagef(err, "creating backend %q (%s)", c.Config, c.Reason)
	}
	return b, nil
}

// Describe returns a multi-line report of the backend choice, for a
// doctor command: the choice, the environment it sets, what was searched
// and the compiled-in backends. Once [New] ran in this process it reports
// New's choice and the created backend (or the error) instead of searching
// again (New's own settings would otherwise show as a set $GOMLX_BACKEND).
func Describe() string {
	mu.Lock()
	defer mu.Unlock()
	c, notes := chosen, []string(nil)
	if !tried {
		c, notes = systemChooser().choose()
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "backend: %s\n", c)
	fmt.Fprintf(&sb, "  config: %s\n", c.Config)
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		fmt.Fprintf(&sb, "  env: %s=%s\n", k, c.Env[k])
	}
	for _, n := range notes {
		fmt.Fprintf(&sb, "  %s\n", n)
	}
	fmt.Fprintf(&sb, "  compiled in: %s\n", strings.Join(slices.Sorted(slices.Values(compute.List())), ", "))
	switch {
	case created != nil:
		fmt.Fprintf(&sb, "  created: %s\n", created.Description())
		fmt.Fprintf(&sb, "  trainers' default precision: %s\n", PrecisionNote(created))
		for i := range created.NumDevices() {
			fmt.Fprintf(&sb, "  device %d: %s\n", i, created.DeviceDescription(compute.DeviceNum(i)))
		}
	case createErr != nil:
		fmt.Fprintf(&sb, "  error: %v\n", createErr)
	}
	return sb.String()
}
