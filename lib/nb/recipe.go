package nb

import (
	"fmt"
	"strings"
	"time"
)

// Recipe is a notebook's recipe parameter: which training recipe a gpu-scale
// run follows.
type Recipe string

// The recipes a notebook can run.
const (
	// RecipeDefault (the parameter left empty) runs the notebook's own
	// configuration for its scale.
	RecipeDefault Recipe = ""
	// RecipePaper runs the paper's full recipe (its steps or epochs, batch
	// and model size) instead of the shortened gpu configuration; it is
	// accepted at scale gpu only.
	RecipePaper Recipe = "paper"
)

// ParseRecipe checks the notebook parameter recipe against scale s: "" (the
// notebook's configuration) at any scale, "paper" (ignoring case and
// surrounding spaces) at [GPU] scale only. Any other value, and "paper" at
// [Smoke] or [CPU] scale, is an error naming the parameter and the values
// it accepts.
func ParseRecipe(recipe string, s Scale) (Recipe, error) {
	r := Recipe(strings.ToLower(strings.TrimSpace(recipe)))
	switch r {
	case RecipeDefault:
		return r, nil
	case RecipePaper:
		if s != GPU {
			return "", fmt.Errorf("nb: parameter recipe = %q needs scale %q (scale is %q): the paper's full recipe is GPU-sized; run with -p scale=gpu -p recipe=paper, or leave recipe empty", recipe, GPU, s)
		}
		return r, nil
	}
	return "", fmt.Errorf("nb: invalid value %q of parameter recipe: accepted are %q (the notebook's configuration for its scale) and %q (the paper's full recipe, at scale %q)", recipe, RecipeDefault, RecipePaper, GPU)
}

// MustRecipe is like [ParseRecipe] but panics on an error.
func MustRecipe(recipe string, s Scale) Recipe {
	r, err := ParseRecipe(recipe, s)
	if err != nil {
		panic(err.Error())
	}
	return r
}

// Pace is a measured training speed: Done units of work (training steps,
// epochs) took Seconds of wall time. It predicts how long a longer run of the
// same configuration takes, e.g. a paper's full recipe from a shorter run.
type Pace struct {
	Unit    string  // what one unit is, singular ("training step", "epoch")
	Done    int     // units measured
	Seconds float64 // their wall time
}

// PerUnit returns the measured seconds per unit (0 when nothing was done).
func (p Pace) PerUnit() float64 {
	if p.Done <= 0 {
		return 0
	}
	return p.Seconds / float64(p.Done)
}

// Expect returns the time units units take at this pace.
func (p Pace) Expect(units int) time.Duration {
	return time.Duration(p.PerUnit() * float64(units) * float64(time.Second))
}

// String says what was measured, e.g. "0.1718 s per training step (6000
// training steps in 17.2 min)".
func (p Pace) String() string {
	return fmt.Sprintf("%.4g s per %s (%s in %s)", p.PerUnit(), p.Unit, p.count(p.Done), Hours(time.Duration(p.Seconds*float64(time.Second))))
}

// count returns "n units", with the unit in the plural unless n is 1.
func (p Pace) count(n int) string {
	if n == 1 {
		return "1 " + p.Unit
	}
	return fmt.Sprintf("%d %ss", n, p.Unit)
}

// Recipe returns a line giving the expected time of a full recipe (named
// name, units units of work) at this pace, e.g. "measured 0.1718 s per
// training step (...); the full recipe (TRM-MLP Sudoku-Extreme, 65104
// training steps) at this pace: about 3.1 h".
func (p Pace) Recipe(name string, units int) string {
	return fmt.Sprintf("measured %s; the full recipe (%s, %s) at this pace: about %s",
		p, name, p.count(units), Hours(p.Expect(units)))
}

// Hours formats a duration for a reader planning a run: seconds below 90 s,
// minutes below 90 min, hours below 72 h, then days ("45 s", "17.2 min",
// "3.1 h", "4.2 days").
func Hours(d time.Duration) string {
	switch s := d.Seconds(); {
	case s < 90:
		return fmt.Sprintf("%.0f s", s)
	case s < 90*60:
		return fmt.Sprintf("%.1f min", s/60)
	case s < 72*3600:
		return fmt.Sprintf("%.1f h", s/3600)
	default:
		return fmt.Sprintf("%.1f days", s/86400)
	}
}
