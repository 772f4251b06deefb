package nb

import (
	"fmt"
	"html"
	"regexp"
	"strings"
)

// Row shows figures side by side, each above its caption: htmls[i] is a
// figure's HTML (an inline SVG, a [HeatMap.HTML], ...) and captions[i] its
// caption, an HTML fragment too ("" for none; escape plain text that may
// hold '<' or '&' with html.EscapeString). The row wraps when the figures do
// not fit. In a notebook it waits until the output is shown (gonbui.Sync);
// elsewhere it prints one line of text naming the captions (tags removed).
// It panics when the slices differ in length.
func Row(captions []string, htmls []string) {
	if len(captions) != len(htmls) {
		panic(fmt.Sprintf("nb: Row: %d captions for %d figures, want one caption per figure", len(captions), len(htmls)))
	}
	if !inNotebook() {
		fmt.Fprintln(outW(), rowText(captions))
		return
	}
	displayHTML(RowHTML(captions, htmls))
}

// RowHTML returns the HTML that [Row] shows: a wrapping flex row of
// <figure> elements, captions below the figures (at most 220 px wide).
func RowHTML(captions []string, htmls []string) string {
	var b strings.Builder
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:14px;align-items:flex-end">`)
	for i, h := range htmls {
		b.WriteString(`<figure style="margin:0;text-align:center">`)
		b.WriteString(h)
		if captions[i] != "" {
			b.WriteString(`<figcaption style="font:12px sans-serif;max-width:220px">` + captions[i] + `</figcaption>`)
		}
		b.WriteString(`</figure>`)
	}
	b.WriteString(`</div>`)
	return b.String()
}

// rowText describes a row in one line: "[row of 3 figures: a | b | c]".
func rowText(captions []string) string {
	s := fmt.Sprintf("[row of %d figures", len(captions))
	if strings.Join(captions, "") == "" {
		return s + "]"
	}
	text := make([]string, len(captions))
	for i, c := range captions {
		text[i] = html.UnescapeString(tags.ReplaceAllString(c, ""))
	}
	return s + ": " + strings.Join(text, " | ") + "]"
}

// tags matches HTML tags.
var tags = regexp.MustCompile(`<[^>]*>`)
