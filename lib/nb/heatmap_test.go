package nb

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func ExampleHeatMap() {
	(&HeatMap{Title: "accuracy", Rows: []string{"after task 1", "after task 2"},
		Cols: []string{"task 1", "task 2"}, Values: [][]float64{{0.98}, {0.61, 0.95}}, Max: 1}).Show()
	// Output:
	// accuracy
	//               task 1  task 2
	// ------------  ------  ------
	// after task 1    0.98
	// after task 2    0.61    0.95
}

func TestHeatMapColor(t *testing.T) {
	h := &HeatMap{Values: [][]float64{{2, 4}, {6, math.NaN()}}}
	for _, tc := range []struct {
		v     float64
		bg    string
		white bool
	}{
		{2, "#d73027", true},  // the data's minimum: red, white text
		{4, "#fee08b", false}, // the middle: yellow, black text
		{6, "#1a9850", true},  // the maximum: green
		{-10, "#d73027", true},
		{3, "#eb8859", false}, // halfway between red (215, 48, 39) and yellow (254, 224, 139)
		{math.NaN(), "", false},
	} {
		bg, white := h.Color(tc.v)
		if bg != tc.bg || white != tc.white {
			t.Errorf("Color(%g) = %q, %v; want %q, %v", tc.v, bg, white, tc.bg, tc.white)
		}
	}
	// A fixed scale [0, 1]: 0.5 is yellow whatever the data.
	fixed := &HeatMap{Values: [][]float64{{0.9, 0.95}}, Min: 0, Max: 1}
	if bg, _ := fixed.Color(0.5); bg != "#fee08b" {
		t.Errorf("fixed scale: Color(0.5) = %q, want yellow", bg)
	}
	// One distinct value: the middle colour.
	if bg, _ := (&HeatMap{Values: [][]float64{{7}}}).Color(7); bg != "#fee08b" {
		t.Errorf("single value: %q", bg)
	}
}

func TestHeatMapHTML(t *testing.T) {
	h := &HeatMap{Title: "a<b", Rows: []string{"r&1", "r2"}, Cols: []string{"c1", "c2", "c3"},
		Values: [][]float64{{0}, {0.5, math.NaN(), 1}}, Min: 0, Max: 1,
		Format: func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }}
	got := h.HTML()
	for _, want := range []string{
		`<caption style="font-weight:bold;text-align:left;padding:2px 0">a&lt;b</caption>`,
		`>r&amp;1</th>`,
		`background:#d73027;color:#fff;border:1px solid #fff">0%</td>`,
		`background:#fee08b;color:#000;border:1px solid #fff">50%</td>`,
		`background:#1a9850;color:#fff;border:1px solid #fff">100%</td>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML lacks %q:\n%s", want, got)
		}
	}
	// Row 1 has 3 cells, row 0 is padded to 3 (2 empty), the NaN is empty: 3 empty cells.
	if n := strings.Count(got, `"></td>`); n != 3 {
		t.Errorf("%d empty cells, want 3:\n%s", n, got)
	}
	if strings.Count(got, "<tr>") != 3 || strings.Contains(got, "<script") {
		t.Errorf("want a header and 2 rows, no script:\n%s", got)
	}
}

func TestHeatMapShow(t *testing.T) {
	h := &HeatMap{Rows: []string{"x"}, Cols: []string{"long column"}, Values: [][]float64{{1.0 / 3}}}
	c := newCapture(t, false)
	h.Show()
	want := "   long column\n-  -----------\nx       0.3333\n"
	if c.out.String() != want || len(c.html) != 0 {
		t.Errorf("text output %q, want %q (html %v)", c.out.String(), want, c.html)
	}
	c = newCapture(t, true)
	h.Show()
	if len(c.html) != 1 || c.html[0] != h.HTML() || c.out.Len() != 0 {
		t.Errorf("notebook output: html %v, text %q", c.html, c.out.String())
	}
}
