package nb

import (
	"strings"
	"testing"
)

func TestParseSections(t *testing.T) {
	all := []string{"1", "2", "2b", "3"}
	gpu := []string{"1", "2", "3"}
	for _, tc := range []struct {
		sections string
		def      []string
		want     string   // String() of the result
		err      []string // substrings of the error; nil: no error
	}{
		{"", nil, "1,2,2b,3", nil},
		{"", gpu, "1,2,3", nil},
		{"  ", gpu, "1,2,3", nil},
		{"2b", gpu, "2b", nil},
		{"3, 2B ,1", nil, "1,2b,3", nil}, // the notebook's order, whatever the list's
		{"1,2,2b,3", gpu, "1,2,2b,3", nil},
		{"4", gpu, "", []string{`sections = "4" names "4"`, "accepted are 1,2,2b,3", "default (1,2,3)"}},
		{"1,,3", nil, "", []string{"empty item", "1,2,2b,3"}},
		{"2b,2B", nil, "", []string{`section "2b" twice`}},
		{"", []string{"5"}, "", []string{`default section "5"`}},
	} {
		got, err := ParseSections(tc.sections, all, tc.def)
		if tc.err == nil {
			if err != nil || got.String() != tc.want {
				t.Errorf("ParseSections(%q, %v) = %q, %v; want %q", tc.sections, tc.def, got, err, tc.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseSections(%q, %v) = %q, nil; want an error", tc.sections, tc.def, got)
			continue
		}
		for _, s := range append(tc.err, "nb: ") {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("ParseSections(%q, %v) error %q does not contain %q", tc.sections, tc.def, err, s)
			}
		}
	}
}

func TestSectionsSkip(t *testing.T) {
	s := MustSections("", []string{"1", "2b"}, []string{"1"})
	if s.Skip("1") || !s.Has("1") {
		t.Errorf("section 1 of %q: Skip true or Has false", s)
	}
	if !s.Skip("2b") || s.Has("2b") { // what it prints: ExampleSections
		t.Errorf("section 2b of %q: Skip false or Has true", s)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `names "x"`) {
			t.Errorf("MustSections(x) panicked with %v; want the parse error", r)
		}
	}()
	MustSections("x", []string{"1"}, nil)
}
