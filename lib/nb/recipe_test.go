package nb

import (
	"strings"
	"testing"
	"time"
)

func TestParseRecipe(t *testing.T) {
	for _, tc := range []struct {
		recipe string
		scale  Scale
		want   Recipe
		err    []string // substrings of the error; nil: no error
	}{
		{"", Smoke, RecipeDefault, nil},
		{"", CPU, RecipeDefault, nil},
		{"", GPU, RecipeDefault, nil},
		{"  ", GPU, RecipeDefault, nil},
		{"paper", GPU, RecipePaper, nil},
		{" Paper ", GPU, RecipePaper, nil},
		{"paper", CPU, "", []string{`recipe = "paper"`, `scale "gpu"`, `scale is "cpu"`}},
		{"paper", Smoke, "", []string{`recipe = "paper"`, `scale is "smoke"`}},
		{"full", GPU, "", []string{`invalid value "full" of parameter recipe`, `accepted are "" `, `and "paper"`}},
		{"papers", Smoke, "", []string{`parameter recipe`, `"paper"`}},
	} {
		got, err := ParseRecipe(tc.recipe, tc.scale)
		if tc.err == nil {
			if err != nil || got != tc.want {
				t.Errorf("ParseRecipe(%q, %s) = %q, %v; want %q, nil", tc.recipe, tc.scale, got, err, tc.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseRecipe(%q, %s) = %q, nil; want an error", tc.recipe, tc.scale, got)
			continue
		}
		for _, s := range append(tc.err, "nb: ") {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("ParseRecipe(%q, %s) error %q does not contain %q", tc.recipe, tc.scale, err, s)
			}
		}
	}
}

func TestMustRecipePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "parameter recipe") {
			t.Errorf("MustRecipe(\"x\", gpu) panicked with %v, want the error naming the parameter", r)
		}
	}()
	if r := MustRecipe("paper", GPU); r != RecipePaper {
		t.Errorf("MustRecipe(paper, gpu) = %q", r)
	}
	MustRecipe("x", GPU)
}

func TestPace(t *testing.T) {
	for _, tc := range []struct {
		p       Pace
		units   int
		perUnit float64
		expect  time.Duration
		str     string
	}{
		{Pace{"training step", 6000, 1030.8}, 65104, 0.1718, 11184867200000, "0.1718 s per training step (6000 training steps in 17.2 min)"},
		{Pace{"epoch", 50, 40}, 850, 0.8, 680 * time.Second, "0.8 s per epoch (50 epochs in 40 s)"},
		{Pace{"training step", 0, 0}, 100, 0, 0, "0 s per training step (0 training steps in 0 s)"},
		{Pace{"epoch", 1, 2}, 1, 2, 2 * time.Second, "2 s per epoch (1 epoch in 2 s)"},
	} {
		if got := tc.p.PerUnit(); got < tc.perUnit-1e-12 || got > tc.perUnit+1e-12 {
			t.Errorf("%+v.PerUnit() = %g, want %g", tc.p, got, tc.perUnit)
		}
		if got := tc.p.Expect(tc.units); got < tc.expect-time.Millisecond || got > tc.expect+time.Millisecond {
			t.Errorf("%+v.Expect(%d) = %v, want %v", tc.p, tc.units, got, tc.expect)
		}
		if got := tc.p.String(); got != tc.str {
			t.Errorf("%+v.String() = %q, want %q", tc.p, got, tc.str)
		}
		if got := tc.p.Recipe("R", tc.units); !strings.HasPrefix(got, "measured "+tc.str+"; the full recipe (R, ") {
			t.Errorf("%+v.Recipe = %q", tc.p, got)
		}
	}
}

func TestHours(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{45 * time.Second, "45 s"},
		{89 * time.Second, "89 s"},
		{90 * time.Second, "1.5 min"},
		{17*time.Minute + 11*time.Second, "17.2 min"},
		{90 * time.Minute, "1.5 h"},
		{11185 * time.Second, "3.1 h"},
		{71 * time.Hour, "71.0 h"},
		{72 * time.Hour, "3.0 days"},
		{100 * time.Hour, "4.2 days"},
	} {
		if got := Hours(tc.d); got != tc.want {
			t.Errorf("Hours(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
