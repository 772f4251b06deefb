package plastic

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/labnotes/labnotes/internal/testutil"
	"github.com/labnotes/labnotes/lib/cil"
)

func TestExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	be := testutil.Backend(t)
	train, _, err := cil.FashionMNIST("", 0)
	if err != nil {
		t.Fatal(err)
	}
	tasks, _ := strconv.Atoi(os.Getenv("TASKS"))
	per, _ := strconv.Atoi(os.Getenv("PER"))
	lr, _ := strconv.ParseFloat(os.Getenv("LR"), 64)
	hid, _ := strconv.Atoi(os.Getenv("HID"))
	cfgs := map[string]Config{
		"sgd":  {LR: lr},
		"adam": {Optimizer: Adam, LR: 1e-3},
		"l2":   {LR: lr, L2: 1e-3},
		"snp":  {LR: lr, Shrink: 1e-4, Perturb: 1e-3},
		"cbp5": {LR: lr, CBP: &CBPConfig{Rho: 1e-5}},
		"cbp4": {LR: lr, CBP: &CBPConfig{Rho: 1e-4}},
	}
	for _, name := range []string{os.Getenv("WHICH")} {
		c := cfgs[name]
		c.Sizes = []int{784, hid, hid, 10}
		o, err := NewOnline(be, c)
		if err != nil {
			t.Fatal(err)
		}
		st := time.Now()
		_, err = RunPermuted(o, Permuted{Data: train, Seed: 1}, tasks, per, 1000, func(s TaskStats) {
			fmt.Printf("%s task %d acc %.3f dormant %.3f rank %d wmag %.4f repl %v %.1fs\n", name, s.Task, s.Accuracy, s.Dormant, s.StableRank, s.WeightMag, s.Replaced, s.Seconds)
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(name, time.Since(st))
	}
}
