package datasets

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labnotes/labnotes/lib/recursive/sudoku"
)

// tdoku's hardest set as published (48,766 puzzles) and without the 2000
// lines held out of it (46,766), the file the notebooks read.
const (
	tdokuHardestFull = "puzzles5_forum_hardest_1905_11+"
	tdokuHardest     = "puzzles5_forum_hardest_1905_11+_minus_heldout"
)

// tdokuHeldout lists the 1-based line numbers, one a line, of the 2000
// lines of tdokuHardestFull that tdokuHardest leaves out (found by
// comparing the two files of the copy verified here).
//
//go:embed tdoku_heldout.txt
var tdokuHeldout string

// tdokuSolved are the tdoku sets written with their solutions.
var tdokuSolved = []string{"puzzles3_magictour_top1465", "puzzles6_forum_hardest_1106", tdokuHardest}

// deriveTdoku writes, in the tdoku folder dir, tdokuHardest (tdokuHardestFull
// without the held-out lines) and solved/<set>.solved.csv for each set of
// tdokuSolved: a header "question,answer", then one row per puzzle, the
// question as in the set and its solution as 81 digits. Every puzzle must
// have exactly one solution.
func deriveTdoku(dir string) error {
	full, err := os.ReadFile(filepath.Join(dir, tdokuHardestFull))
	if err != nil {
		return err
	}
	drop := map[int]bool{}
	for _, s := range strings.Fields(tdokuHeldout) {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("held-out line list: %v", err)
		}
		drop[n] = true
	}
	lines := bytes.Split(full, []byte("\n"))
	kept := make([][]byte, 0, len(lines))
	for i, l := range lines {
		if !drop[i+1] {
			kept = append(kept, l)
		}
	}
	if len(lines)-len(kept) != len(drop) {
		return fmt.Errorf("%s has %d lines: the held-out lines are not all in it", tdokuHardestFull, len(lines))
	}
	if err := os.WriteFile(filepath.Join(dir, tdokuHardest), bytes.Join(kept, []byte("\n")), 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "solved"), 0o755); err != nil {
		return err
	}
	for _, set := range tdokuSolved {
		if err := writeSolved(filepath.Join(dir, set), filepath.Join(dir, "solved", set+".solved.csv")); err != nil {
			return err
		}
	}
	return nil
}

// writeSolved solves every puzzle of the tdoku file src and writes the
// question,answer CSV dst.
func writeSolved(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	out.WriteString("question,answer\n")
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		q := strings.TrimSpace(sc.Text())
		if q == "" || q[0] == '#' {
			continue
		}
		g, err := sudoku.ParseShape(q, sudoku.Shape9)
		if err != nil {
			return fmt.Errorf("%s line %d: %v", src, line, err)
		}
		r := sudoku.Analyze(g)
		if !r.Unique() {
			return fmt.Errorf("%s line %d: %d solutions, want exactly one", src, line, r.Solutions)
		}
		fmt.Fprintf(&out, "%s,%s\n", q, digits(r.Solution))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return os.WriteFile(dst, out.Bytes(), 0o644)
}

// digits writes a solved grid as its digits, row by row.
func digits(g sudoku.Grid) string {
	b := make([]byte, g.Shape.Cells())
	for i := range b {
		b[i] = '0' + g.Cells[i]
	}
	return string(b)
}
