package recursive

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/recursive/puzzle"
)

// countSource is a toy Source: puzzle i's input encodes i in base 4.
type countSource struct{ n int }

func (s countSource) Len() int    { return s.n }
func (s countSource) SeqLen() int { return 4 }
func (s countSource) Example(i, k int, _ *rand.Rand, in, lab []uint8) (int32, error) {
	in[0], in[1], in[2], in[3] = uint8(2+i%4), uint8(2+(i/4)%4), uint8(2+(i/16)%4), 1
	copy(lab, in)
	lab[3] = 2
	return 0, nil
}

func haltTestConfig(kind Kind) Config {
	return Config{Kind: kind, SeqLen: 4, Vocab: 6, Hidden: 16, Heads: 2, Layers: 1, Expansion: 2, T: 2, N: 2,
		SmallN: 1, NSup: 3, Batch: 2, LearningRate: 1e-7, NoExplore: true, Seed: 3}
}

// streamOrder returns the examples' first three tokens in the order the
// trainer's stream yields them, over epochs.
func streamOrder(t *testing.T, tr *Trainer, epochs int) [][]uint8 {
	var out [][]uint8
	for e := range epochs {
		for b, err := range puzzle.Stream(tr.src, tr.streamConfig(e)) {
			if err != nil {
				t.Fatal(err)
			}
			for j := range b.Size {
				in, _ := b.Row(j)
				out = append(out, slices.Clone(in))
			}
		}
	}
	return out
}

// TestHalting checks the per-slot carry on hand-made runs: which example
// each slot holds, its step counter, and when it halts, for a halting head
// forced to "halt" (q_halt = +5) or "continue" (q_halt = -5).
func TestHalting(t *testing.T) {
	backend := testutil.Backend(t)
	cases := []struct {
		name      string
		kind      Kind
		noHalting bool
		qBias     float32
		// perRound is the number of steps every slot keeps its example.
		perRound int
	}{
		{"trm head continues: N_sup steps", TRM, false, -5, 3},
		{"trm head halts: every step", TRM, false, 5, 1},
		{"trm halting off: N_sup steps", TRM, true, 5, 3},
		{"hrm head continues", HRM, false, -5, 3},
		{"direct: one step", Direct, false, -5, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := haltTestConfig(tc.kind)
			cfg.NoHalting = tc.noHalting
			if tc.kind == HRM {
				cfg.NoQContinue = true
			}
			if tc.kind == Direct {
				cfg.NSup = 1
			}
			tr := newTrainer(t, backend, cfg, countSource{5})
			if _, err := tr.Store.CreateVariable("/model/q_head/b", tensors.FromValue([]float32{tc.qBias, -5})); err != nil {
				t.Fatal(err)
			}
			order := streamOrder(t, tr, 4)
			B := cfg.Batch
			for step := 1; step <= 9; step++ {
				info, err := tr.TrainStep()
				if err != nil {
					t.Fatal(err)
				}
				round := (step - 1) / tc.perRound
				wantSteps := (step-1)%tc.perRound + 1
				wantHalt := wantSteps == tc.perRound
				for i, s := range tr.slots {
					want := order[round*B+i][:3]
					if !slices.Equal(s.Inputs[:3], want) {
						t.Fatalf("step %d slot %d holds %v, want example %d %v", step, i, s.Inputs[:3], round*B+i, want)
					}
					if s.Steps != wantSteps || s.Halted != wantHalt {
						t.Fatalf("step %d slot %d: steps %d halted %v, want %d %v", step, i, s.Steps, s.Halted, wantSteps, wantHalt)
					}
				}
				if wantHalt && (info.Halted != B || info.HaltedSteps != float64(tc.perRound)) {
					t.Errorf("step %d: %d halted after %g steps, want %d after %d", step, info.Halted, info.HaltedSteps, B, tc.perRound)
				}
				if !wantHalt && info.Halted != 0 {
					t.Errorf("step %d: %d halted, want 0", step, info.Halted)
				}
			}
		})
	}
}

// TestResetState checks that reset rows get the initial vectors and the
// others keep their carried state.
func TestResetState(t *testing.T) {
	cfg := tinyConfig(TRM).WithDefaults()
	store := newTestStore(cfg, 4)
	const b = 2
	s, d := cfg.Positions(), cfg.Hidden
	carried := make([]float32, b*s*d)
	for i := range carried {
		carried[i] = float32(i%7) + 100
	}
	ct := tensors.FromFlatDataAndDimensions(carried, b, s, d)
	out, err := model.CallOnceN(testutil.Backend(t), store, func(scope *model.Scope, in []*Node) []*Node {
		st := ResetState(scope, []*Node{in[0], in[0]}, in[1])
		return append(st, InitialState(scope, in[0].Graph(), b)...)
	}, ct, tensors.FromValue([]bool{true, false}))
	if err != nil {
		t.Fatal(err)
	}
	for k := range 2 {
		got, init := testutil.Float64s(out[k]), testutil.Float64s(out[2+k])
		row := s * d
		if maxAbsDiff(got[:row], init[:row]) != 0 {
			t.Errorf("state %d: reset row differs from the initial state", k)
		}
		for i := row; i < 2*row; i++ {
			if got[i] != float64(carried[i]) {
				t.Fatalf("state %d: kept row changed at %d: %g != %g", k, i, got[i], carried[i])
			}
		}
		if maxAbs(init[:row]) == 0 || maxAbs(init[:row]) > 10 {
			t.Errorf("state %d: initial vector looks wrong (max |x| = %g)", k, maxAbs(init[:row]))
		}
	}
	// The two states have different initial vectors.
	if maxAbsDiff(testutil.Float64s(out[2]), testutil.Float64s(out[3])) == 0 {
		t.Error("y and z share their initial vector")
	}
}

func TestHalts(t *testing.T) {
	trm := Config{Kind: TRM, SeqLen: 4, Vocab: 6, NSup: 4, NoExplore: true}.WithDefaults()
	hrm := Config{Kind: HRM, SeqLen: 4, Vocab: 6, NSup: 4, NoExplore: true}.WithDefaults()
	off := trm
	off.NoHalting = true
	cases := []struct {
		name   string
		cfg    Config
		steps  int
		qh, qc float32
		want   bool
	}{
		{"trm q_halt > 0", trm, 1, 0.5, 9, true},
		{"trm q_halt < 0", trm, 3, -0.5, -9, false},
		{"trm N_sup reached", trm, 4, -5, 0, true},
		{"hrm q_halt > q_continue", hrm, 1, -1, -2, true},
		{"hrm q_halt < q_continue", hrm, 2, 1, 2, false},
		{"hrm N_sup reached", hrm, 4, -5, 5, true},
		{"halting off", off, 1, 5, -5, false},
		{"halting off, N_sup", off, 4, -5, 5, true},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range cases {
		if got := tc.cfg.halts(tc.steps, tc.qh, tc.qc, rng); got != tc.want {
			t.Errorf("%s: halts(%d, %g, %g) = %v, want %v", tc.name, tc.steps, tc.qh, tc.qc, got, tc.want)
		}
	}
	// Exploration with probability 1: a minimum of 2..N_sup steps.
	explore := trm
	explore.ExploreProb = 1
	counts := map[int]int{}
	for range 2000 {
		for s := 1; s <= 4; s++ {
			if explore.halts(s, 5, 0, rng) {
				counts[s]++
				break
			}
		}
	}
	if counts[1] != 0 || counts[2] == 0 || counts[3] == 0 || counts[4] == 0 {
		t.Errorf("halting steps under exploration %v: want none at 1, some at 2, 3, 4", counts)
	}
}

// TestHaltingMixed runs slots that halt at different steps (exploration
// with probability 1 and a head that always says halt) and checks the
// carry invariants: a slot keeps its example and counts its steps until it
// halts, then takes the next example of the stream (slots in order).
func TestHaltingMixed(t *testing.T) {
	cfg := haltTestConfig(TRM)
	cfg.Batch, cfg.NSup, cfg.ExploreProb, cfg.NoExplore = 4, 5, 1, false
	tr := newTrainer(t, testutil.Backend(t), cfg, countSource{7})
	if _, err := tr.Store.CreateVariable("/model/q_head/b", tensors.FromValue([]float32{5, -5})); err != nil {
		t.Fatal(err)
	}
	order := streamOrder(t, tr, 20)
	next := 0
	prev := make([]slot, cfg.Batch)
	for i := range prev {
		prev[i].Halted = true
	}
	haltSteps := map[int]int{}
	for step := 1; step <= 25; step++ {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
		for i, s := range tr.slots {
			want, wantSteps := prev[i].Inputs, prev[i].Steps+1
			if prev[i].Halted {
				want, wantSteps = order[next], 1
				next++
			}
			if !slices.Equal(s.Inputs, want) || s.Steps != wantSteps {
				t.Fatalf("step %d slot %d: %v after %d steps, want %v after %d", step, i, s.Inputs, s.Steps, want, wantSteps)
			}
			if s.Halted {
				if s.Steps < 2 {
					t.Fatalf("step %d slot %d halted after %d step(s) despite exploration", step, i, s.Steps)
				}
				haltSteps[s.Steps]++
			}
			prev[i] = slot{Inputs: slices.Clone(s.Inputs), Steps: s.Steps, Halted: s.Halted}
		}
	}
	if len(haltSteps) < 2 {
		t.Errorf("slots halted after %v steps: want different step counts", haltSteps)
	}
}

func TestNewTrainerErrors(t *testing.T) {
	backend := testutil.Backend(t)
	cases := []struct {
		name string
		cfg  Config
		src  puzzle.Source
		want string
	}{
		{"seq len mismatch", haltTestConfig(TRM), countSource{5}, ""},
		{"bad kind", Config{Kind: "rnn", SeqLen: 4, Vocab: 6}, countSource{5}, "unknown kind"},
		{"odd head dim", Config{SeqLen: 4, Vocab: 6, Hidden: 6, Heads: 2}, countSource{5}, "even head dimension"},
		{"empty source", haltTestConfig(TRM), countSource{0}, "empty"},
	}
	cases[0].cfg.SeqLen, cases[0].want = 5, "SeqLen"
	for _, tc := range cases {
		_, err := NewTrainer(backend, tc.cfg, tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "recursive: ") {
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.want)
		}
	}
}
