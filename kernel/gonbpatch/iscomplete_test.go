package gonbpatch

import "testing"

func TestCodeStatus(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"", "complete"},
		{"%%\nfmt.Println(1)", "complete"},
		{"func f() {", "incomplete"},
		{"func f() {\n\treturn\n}", "complete"},
		{"x := []int{\n\t1,", "incomplete"},
		{"fmt.Println(", "incomplete"},
		{"s := `raw\nstring", "incomplete"},
		{"/* comment", "incomplete"},
		{"// a { in a comment", "complete"},
		{"s := \"a { in a string\"", "complete"},
		{"%%\n!ls {", "complete"}, // a shell line is not Go
		{"%help", "complete"},
		{"}", "invalid"},
		{"f())", "invalid"},
		{"s := \"not closed\nx := 1", "invalid"},
		{"r := 'x", "invalid"},
	} {
		if got := labnotesCodeStatus(tc.code); got != tc.want {
			t.Errorf("labnotesCodeStatus(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}
