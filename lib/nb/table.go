package nb

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Table shows a table: an HTML table in a notebook, aligned text on stdout
// otherwise. Cells are formatted with [Format]; numeric columns are aligned
// right. Rows may be shorter or longer than the header.
func Table(header []string, rows [][]any) {
	if inNotebook() {
		displayHTML(TableHTML(header, rows))
		return
	}
	fmt.Fprint(outW(), TableText(header, rows))
}

// tableCells formats every cell and notes which columns are numeric.
func tableCells(header []string, rows [][]any) (cells [][]string, numeric []bool) {
	cols := len(header)
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	numeric = make([]bool, cols)
	for c := range numeric {
		numeric[c] = len(rows) > 0
		for _, r := range rows {
			if c < len(r) && r[c] != nil && !isNumber(r[c]) {
				numeric[c] = false
			}
		}
	}
	cells = make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = make([]string, cols)
		for c, v := range r {
			cells[i][c] = Format(v)
		}
	}
	return cells, numeric
}

// TableText renders a table as aligned text, a line per row, with a dashed
// line under the header.
func TableText(header []string, rows [][]any) string {
	cells, numeric := tableCells(header, rows)
	width := make([]int, len(numeric))
	for c, h := range header {
		width[c] = utf8.RuneCountInString(h)
	}
	for _, r := range cells {
		for c, s := range r {
			width[c] = max(width[c], utf8.RuneCountInString(s))
		}
	}
	var sb strings.Builder
	line := func(fields []string) {
		var parts []string
		for c := range width {
			s := ""
			if c < len(fields) {
				s = fields[c]
			}
			pad := strings.Repeat(" ", width[c]-utf8.RuneCountInString(s))
			if numeric[c] {
				s = pad + s
			} else if c < len(width)-1 {
				s += pad
			}
			parts = append(parts, s)
		}
		sb.WriteString(strings.TrimRight(strings.Join(parts, "  "), " "))
		sb.WriteByte('\n')
	}
	if len(header) > 0 {
		line(header)
		dashes := make([]string, len(width))
		for c, w := range width {
			dashes[c] = strings.Repeat("-", w)
		}
		line(dashes)
	}
	for _, r := range cells {
		line(r)
	}
	return sb.String()
}

// TableHTML renders a table as an HTML <table> with inline styles.
func TableHTML(header []string, rows [][]any) string {
	cells, numeric := tableCells(header, rows)
	const cellStyle = "padding:2px 10px;border-bottom:1px solid #ddd;"
	align := func(c int) string {
		if c < len(numeric) && numeric[c] {
			return "text-align:right;font-variant-numeric:tabular-nums;"
		}
		return "text-align:left;"
	}
	var sb strings.Builder
	sb.WriteString(`<table style="border-collapse:collapse;font-family:sans-serif;font-size:13px;margin:4px 0">`)
	if len(header) > 0 {
		sb.WriteString("<thead><tr>")
		for c, h := range header {
			fmt.Fprintf(&sb, `<th style="%sborder-bottom:2px solid #888;%s">%s</th>`, cellStyle, align(c), esc(h))
		}
		sb.WriteString("</tr></thead>")
	}
	sb.WriteString("<tbody>")
	for _, r := range cells {
		sb.WriteString("<tr>")
		for c, s := range r {
			fmt.Fprintf(&sb, `<td style="%s%s">%s</td>`, cellStyle, align(c), esc(s))
		}
		sb.WriteString("</tr>")
	}
	sb.WriteString("</tbody></table>")
	return sb.String()
}
