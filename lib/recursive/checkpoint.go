package recursive

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pkg/errors"

	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// checkpointMagic starts every checkpoint file; a SHA-256 of everything
// between it and the end follows the content.
const checkpointMagic = "labnotes/recursive checkpoint v1\n"

// checkpointMeta is the gob-encoded header of a checkpoint; the tensors of
// Vars (store variables) and then of the carried state follow, each
// written by tensors.Tensor.GobSerialize.
type checkpointMeta struct {
	Config                 Config
	Steps, Epoch, Consumed int
	Finished               int
	TrainSeconds           float64
	RNG                    []byte
	Slots                  []slot
	History                []StepInfo
	Evals                  []EvalPoint
	Vars                   []checkpointVar
	NumStates              int
}

type checkpointVar struct {
	Path      string
	Trainable bool
}

// Save writes the trainer's full state to path: the store's variables
// (weights, optimizer moments and step, EMA, random state), the data
// position, the halting random generator, the per-slot carry (examples,
// step counters, carried model state) and History. It writes a temporary
// file in the same directory and renames it, so path holds either the old
// or the new checkpoint, never a partial one. Resume continues the run
// exactly.
func (t *Trainer) Save(path string) (err error) {
	fail := func(err error, what string) error {
		return errors.WithMessagef(err, "recursive: saving checkpoint %s: %s", path, what)
	}
	rng, err := t.pcg.MarshalBinary()
	if err != nil {
		return fail(err, "random generator")
	}
	meta := checkpointMeta{Config: t.Config, Steps: t.steps, Epoch: t.epoch, Consumed: t.consumed,
		Finished: t.finished, TrainSeconds: t.trainSeconds, RNG: rng, Slots: t.slots, History: t.History, Evals: t.Evals,
		NumStates: len(t.state)}
	var values []*tensors.Tensor
	for v := range t.Store.IterVariables() {
		if !v.HasValue() {
			continue // Created by a graph but not yet initialized.
		}
		value, err := v.Value()
		if err != nil {
			return fail(err, v.Path())
		}
		meta.Vars = append(meta.Vars, checkpointVar{Path: v.Path(), Trainable: v.Trainable})
		values = append(values, value)
	}
	state, err := t.hostState()
	if err != nil {
		return fail(err, "carried state")
	}
	for i, h := range state {
		if any(h) != t.state[i] { // a merged copy of shards
			defer release(h)
		}
	}
	values = append(values, state...)

	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fail(err, "creating temporary file")
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	w := bufio.NewWriter(f)
	h := sha256.New()
	if _, err = w.WriteString(checkpointMagic); err != nil {
		return fail(err, "writing")
	}
	body := io.MultiWriter(w, h)
	enc := gob.NewEncoder(body)
	if err = enc.Encode(&meta); err != nil {
		return fail(err, "encoding header")
	}
	for i, value := range values {
		if err = value.GobSerialize(enc); err != nil {
			return fail(err, "encoding tensor "+tensorName(meta, i))
		}
	}
	if _, err = w.Write(h.Sum(nil)); err != nil {
		return fail(err, "writing")
	}
	if err = w.Flush(); err != nil {
		return fail(err, "writing")
	}
	if err = f.Sync(); err != nil {
		return fail(err, "syncing")
	}
	if err = f.Close(); err != nil {
		return fail(err, "closing")
	}
	if err = os.Rename(tmp, path); err != nil {
		return fail(err, "renaming the temporary file")
	}
	if d, err := os.Open(dir); err == nil { // Make the rename durable; best effort.
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

func tensorName(meta checkpointMeta, i int) string {
	if i < len(meta.Vars) {
		return meta.Vars[i].Path
	}
	return "state " + meta.Config.StateNames()[min(i-len(meta.Vars), len(meta.Config.StateNames())-1)]
}

// Resume reads a checkpoint written by [Trainer.Save] and returns a trainer
// that continues the run exactly where it was saved, on the training
// puzzles src (the same source the run was started with). Errors name the
// file: a missing file, a file that is not a checkpoint, or a corrupt or
// truncated one (its checksum does not match). The resumed trainer spreads
// its batches over every device of backend, whatever count the run was
// saved on (see [Trainer.SetDevices]). For example (ExampleResume):
//
//	err := tr.Save(path) // between any two training steps
//	tr2, err := recursive.Resume(backend, path, train)
//	err = tr2.Train(5) // the same losses as tr.Train(5) (bit for bit on the Go backend)
func Resume(backend compute.Backend, path string, src puzzle.Source) (*Trainer, error) {
	fail := func(err error, format string, args ...any) error {
		if err == nil {
			return errors.Errorf("recursive: checkpoint %s: "+format, append([]any{path}, args...)...)
		}
		return errors.WithMessagef(err, "recursive: checkpoint %s: "+format, append([]any{path}, args...)...)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fail(err, "reading")
	}
	if !bytes.HasPrefix(data, []byte(checkpointMagic)) {
		return nil, fail(nil, "not a recursive checkpoint (bad header)")
	}
	body := data[len(checkpointMagic):]
	if len(body) < sha256.Size {
		return nil, fail(nil, "truncated (%d bytes)", len(data))
	}
	sum := body[len(body)-sha256.Size:]
	body = body[:len(body)-sha256.Size]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, fail(nil, "corrupt or truncated (checksum mismatch)")
	}
	dec := gob.NewDecoder(bytes.NewReader(body))
	var meta checkpointMeta
	if err := dec.Decode(&meta); err != nil {
		return nil, fail(err, "decoding header")
	}
	// The device count is the resuming machine's: every device of backend
	// (a run saved on 8 GPUs resumes on 1, and the reverse).
	meta.Config.Devices = 0
	t, err := NewTrainer(backend, meta.Config, src)
	if err != nil {
		return nil, fail(err, "config")
	}
	// A fresh store: only the checkpoint's variables, with their values.
	store := model.NewStore()
	for k, v := range t.Store.IterParams() {
		store.SetParam(k, v)
	}
	t.Store = store
	for _, cv := range meta.Vars {
		value, err := tensors.GobDeserialize(dec)
		if err != nil {
			return nil, fail(err, "decoding %s", cv.Path)
		}
		v, err := store.CreateVariable(cv.Path, value)
		if err != nil {
			return nil, fail(err, "restoring %s", cv.Path)
		}
		v.SetTrainable(cv.Trainable)
	}
	t.state = t.state[:0]
	for i := range meta.NumStates {
		value, err := tensors.GobDeserialize(dec)
		if err != nil {
			return nil, fail(err, "decoding %s", tensorName(meta, len(meta.Vars)+i))
		}
		t.state = append(t.state, any(value))
	}
	if len(t.state) != meta.Config.NumStates() || len(meta.Slots) != meta.Config.Batch {
		return nil, fail(nil, "inconsistent carry: %d states, %d slots", len(t.state), len(meta.Slots))
	}
	pcg := &rand.PCG{}
	if err := pcg.UnmarshalBinary(meta.RNG); err != nil {
		return nil, fail(err, "random generator")
	}
	t.pcg, t.rng = pcg, rand.New(pcg)
	t.steps, t.epoch, t.consumed, t.finished = meta.Steps, meta.Epoch, meta.Consumed, meta.Finished
	t.trainSeconds, t.slots, t.History, t.Evals = meta.TrainSeconds, meta.Slots, meta.History, meta.Evals
	return t, nil
}

// Checkpointed trains cfg on train for steps training steps in all, with a
// held-out evaluation on test every every steps (as [Trainer.TrainEvaluating],
// evalSteps supervision steps; 0: NSup), and saves the trainer to path after
// each evaluation. If path already holds a checkpoint, the run resumes from
// it instead of starting over: an interrupted run (a killed process, a
// notebook cell that timed out) loses only the steps since its last
// evaluation, and a finished run is not repeated. The checkpoint must be of
// cfg (after [Config.WithDefaults]) but for Config.Precision and
// Config.Devices, which are cfg's (a run saved in bf16 on 8 GPUs resumes in
// f32 on a CPU): another
// configuration is an error that names path. onStep and onEval may be nil; onEval is also called for the
// evaluations a resumed run already had. Trainer.Evals holds every
// evaluation of the run. The caller closes the trainer.
func Checkpointed(backend compute.Backend, cfg Config, train, test puzzle.Source, path string,
	steps, every, evalSteps int, onStep func(StepInfo), onEval func(EvalPoint)) (*Trainer, error) {
	if every < 1 {
		every = steps
	}
	var t *Trainer
	var err error
	if _, statErr := os.Stat(path); statErr == nil {
		if t, err = Resume(backend, path, train); err != nil {
			return nil, err
		}
		want := cfg.WithDefaults()
		t.SetPrecision(want.Precision) // Weights are float32 in every precision.
		if err := t.SetDevices(want.Devices); err != nil {
			t.Close()
			return nil, errors.WithMessagef(err, "recursive: resuming checkpoint %s", path)
		}
		if t.Config != want {
			t.Close()
			return nil, errors.Errorf("recursive: checkpoint %s is of another configuration (%+v), not of the one asked for (%+v): remove it or use another path",
				path, t.Config, want)
		}
		if onEval != nil {
			for _, p := range t.Evals {
				onEval(p)
			}
		}
	} else if t, err = NewTrainer(backend, cfg, train); err != nil {
		return nil, err
	}
	t.OnStep = onStep
	for t.steps < steps {
		n := min(every-t.steps%every, steps-t.steps)
		if _, err := t.TrainEvaluating(n, n, test, evalSteps, onEval); err != nil {
			t.Close()
			return nil, err
		}
		if err := t.Save(path); err != nil {
			t.Close()
			return nil, err
		}
	}
	return t, nil
}
