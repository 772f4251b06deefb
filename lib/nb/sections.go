package nb

import (
	"fmt"
	"slices"
	"strings"
)

// Sections is the set of a notebook's sections that a run executes, read
// from its sections parameter by [ParseSections]. A notebook uses it where
// its sections together outgrow one run at some scale (at gpu scale, two
// trainings of ~25 minutes each): each section's cell begins with
//
//	if sec.Skip("2b") {
//		return
//	}
type Sections struct {
	names []string // the sections run, in the notebook's order
}

// ParseSections reads the notebook parameter sections: a comma-separated
// list of names out of all (the notebook's sections, in order; spaces
// around names and case are ignored), or "" for def (the notebook's
// default for the run's scale; nil means all). An unknown name, an empty
// list item or a repeated name is an error naming the parameter and the
// names accepted.
func ParseSections(sections string, all, def []string) (Sections, error) {
	for _, d := range def {
		if !slices.Contains(all, d) {
			return Sections{}, fmt.Errorf("nb: default section %q is not one of the notebook's sections %s", d, strings.Join(all, ","))
		}
	}
	if strings.TrimSpace(sections) == "" {
		if def == nil {
			def = all
		}
		return Sections{names: order(all, def)}, nil
	}
	var names []string
	for _, f := range strings.Split(sections, ",") {
		name := strings.ToLower(strings.TrimSpace(f))
		i := slices.IndexFunc(all, func(a string) bool { return strings.ToLower(a) == name })
		switch {
		case name == "":
			return Sections{}, fmt.Errorf("nb: parameter sections = %q has an empty item: give a comma-separated list of %s, or leave it empty for the default (%s)", sections, strings.Join(all, ","), strings.Join(order(all, def), ","))
		case i < 0:
			return Sections{}, fmt.Errorf("nb: parameter sections = %q names %q, which is not a section of this notebook: accepted are %s (comma-separated), or empty for the default (%s)", sections, name, strings.Join(all, ","), strings.Join(order(all, def), ","))
		case slices.Contains(names, all[i]):
			return Sections{}, fmt.Errorf("nb: parameter sections = %q names section %q twice", sections, all[i])
		}
		names = append(names, all[i])
	}
	return Sections{names: order(all, names)}, nil
}

// MustSections is like [ParseSections] but panics on an error.
func MustSections(sections string, all, def []string) Sections {
	s, err := ParseSections(sections, all, def)
	if err != nil {
		panic(err.Error())
	}
	return s
}

// order returns the names of all that are in some (all's order); nil some: all.
func order(all, some []string) []string {
	if some == nil {
		return slices.Clone(all)
	}
	var out []string
	for _, a := range all {
		if slices.Contains(some, a) {
			out = append(out, a)
		}
	}
	return out
}

// Has tells whether the run executes section name.
func (s Sections) Has(name string) bool { return slices.Contains(s.names, name) }

// Skip is !Has(name), and prints a line saying that section name is left
// out of this run when it is: a notebook's section cell returns at once
// when Skip says so.
func (s Sections) Skip(name string) bool {
	if s.Has(name) {
		return false
	}
	fmt.Printf("section %s is not run (sections = %s); -p sections=%s runs it\n", name, s, name)
	return true
}

// String returns the sections run, comma-separated in the notebook's order
// ("1,2,3").
func (s Sections) String() string { return strings.Join(s.names, ",") }
