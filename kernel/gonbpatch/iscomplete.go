package gonbpatch

import (
	"go/scanner"
	"go/token"
	"strings"
)

// This file is also compiled into the patched GoNB's dispatcher package (see [Write]): it
// imports the standard library only, and its names start with labnotes.

// labnotesCodeStatus is the kernel's answer to an is_complete_request (console front-ends
// ask before running what was typed) for the cell code: "incomplete" while it has an
// unclosed (, [ or {, or an unterminated raw string or block comment (Enter goes on to a
// new line); "invalid" when it closes a bracket it never opened or has an interpreted
// string or rune literal that is not closed on its line (no more typing can fix it);
// otherwise "complete". GoNB's special lines (starting with % or !) are left out.
func labnotesCodeStatus(code string) string {
	var lines []string
	for _, l := range strings.Split(code, "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "%") || strings.HasPrefix(t, "!") {
			l = ""
		}
		lines = append(lines, l)
	}
	src := []byte(strings.Join(lines, "\n"))
	var s scanner.Scanner
	open, invalid := false, false // unterminated raw string or comment; broken literal
	s.Init(token.NewFileSet().AddFile("cell", -1, len(src)), src, func(_ token.Position, msg string) {
		switch msg {
		case "raw string literal not terminated", "comment not terminated":
			open = true
		case "string literal not terminated", "rune literal not terminated":
			invalid = true
		}
	}, scanner.ScanComments)
	depth := 0
	for {
		_, tok, _ := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if depth--; depth < 0 {
				invalid = true
			}
		}
	}
	switch {
	case invalid:
		return "invalid"
	case open || depth > 0:
		return "incomplete"
	}
	return "complete"
}
