package study

import (
	"fmt"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/labnotes/labnotes/lib/cil"
	"github.com/labnotes/labnotes/lib/cil/deep"
	"github.com/labnotes/labnotes/lib/nb"
)

// Order is the class order of the stream: PyCIL's (numpy's permutation with
// seed 1993), the papers' protocol; for 10 classes [4 2 7 6 0 3 5 8 9 1].
var Order = cil.PyCILOrder(10, cil.PyCILSeed)

// Stream is a class-incremental scenario with the data it was cut from.
type Stream struct {
	*cil.Scenario
	Train, Test *cil.Data
}

// SplitFashionMNIST returns Split Fashion-MNIST, B0-Inc2 (5 tasks of 2
// classes in [Order]) on the first train and test images (cil.Data.First;
// 0: all 60,000 and 10,000, not copied; cil.FashionMNIST from its default
// place), average-pooled by pool.
func SplitFashionMNIST(pool, train, test int) (Stream, error) {
	tr, te, err := cil.FashionMNIST("", pool)
	if err != nil {
		return Stream{}, fmt.Errorf("study: SplitFashionMNIST: %w", err)
	}
	if train > 0 {
		tr = tr.First(train)
	}
	if test > 0 {
		te = te.First(test)
	}
	sc, err := cil.NewScenario(tr, te, 2, 2, Order)
	if err != nil {
		return Stream{}, fmt.Errorf("study: SplitFashionMNIST: %w", err)
	}
	return Stream{Scenario: sc, Train: tr, Test: te}, nil
}

// Record is one learner's run on a stream, saved for later cells.
type Record struct {
	Method    string
	Memory    cil.Memory // after the last task
	Params    int64
	Exemplars int // exemplar budget (0 for methods without one)
	Result    *cil.Result
}

// Run trains method m with options o on the stream sc (cil.Run) and returns
// its record; after, if not nil, is called after each task.
func Run(be compute.Backend, m deep.Method, o deep.Options, sc *cil.Scenario, after func()) (Record, error) {
	l, err := deep.New(be, m, o)
	if err != nil {
		return Record{}, fmt.Errorf("study: Run %s: %w", m, err)
	}
	r, err := cil.Run(l, sc, func(*cil.Result) {
		if after != nil {
			after()
		}
	})
	if err != nil {
		return Record{}, fmt.Errorf("study: Run %s: %w", m, err)
	}
	rec := Record{Method: string(m), Memory: l.Memory(), Params: l.Parameters(), Result: r}
	if l.Buffer() != nil || m == deep.GDumb {
		rec.Exemplars = l.Options().Memory
	}
	return rec, nil
}

// Save writes recs to dir/name.json (nb.SaveJSON) for [Load].
func Save(dir, name string, recs []Record) error {
	if err := nb.SaveJSON(path(dir, name), recs); err != nil {
		return fmt.Errorf("study: Save: %w", err)
	}
	return nil
}

// Load reads the records [Save] wrote under name in dir, by method.
func Load(dir, name string) (map[string]Record, error) {
	var recs []Record
	if err := nb.LoadJSON(path(dir, name), &recs); err != nil {
		return nil, fmt.Errorf("study: Load: %w", err)
	}
	out := map[string]Record{}
	for _, r := range recs {
		out[r.Method] = r
	}
	return out, nil
}

// path is where Save keeps the records named name.
func path(dir, name string) string { return filepath.Join(dir, name+".json") }

// AccuracyMap returns r's accuracy matrix as a heat map titled with the
// learner's name and last accuracy: row t after task t, column j the
// accuracy (%) on task j's classes.
func AccuracyMap(name string, r *cil.Result) *nb.HeatMap {
	var rows, cols []string
	vals := make([][]float64, len(r.Acc))
	for t, row := range r.Acc {
		rows, cols = append(rows, fmt.Sprintf("after task %d", t+1)), append(cols, fmt.Sprintf("task %d", t+1))
		vals[t] = []float64(row)
	}
	return &nb.HeatMap{Title: fmt.Sprintf("%s (last %.1f%%)", name, 100*r.Last()), Rows: rows, Cols: cols,
		Values: vals, Min: 0, Max: 1, Format: func(v float64) string { return fmt.Sprintf("%.0f", 100*v) }}
}

// Pct formats a fraction as percent with one decimal, without the sign: 0.1234 -> "12.3".
func Pct(v float64) string { return fmt.Sprintf("%.1f", 100*v) }

// MB formats a byte count in MiB with two decimals (cil.MiB).
func MB(b int64) string { return fmt.Sprintf("%.2f", float64(b)/cil.MiB) }
