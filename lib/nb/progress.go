package nb

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Update intervals of a Progress.
const (
	// notebookInterval is the least time between two notebook updates.
	notebookInterval = 250 * time.Millisecond
	// textInterval is the most time between two text lines (besides the
	// one every 10% of the steps).
	textInterval = 30 * time.Second
)

// Progress shows the progress of a loop of known length: in a notebook, a
// single output updated in place (at most 4 times a second) with a bar,
// step/total, elapsed time, ETA and the latest metrics; otherwise a text
// line on stdout every 10% of the steps (or 30 s) and a final one.
//
//	p := nb.NewProgress(steps, "train")
//	for i := range steps {
//		loss := trainStep()
//		p.Update(i+1, "loss", loss)
//	}
//	p.Done()
//
// Its methods may be called from several goroutines.
type Progress struct {
	mu        sync.Mutex
	label     string
	total     int
	step      int
	metrics   []string // "name=value"
	start     time.Time
	now       func() time.Time
	id        string // Notebook display id.
	lastShow  time.Time
	lastText  time.Time
	lastTenth int // Last tenth of total reported in text mode.
	shown     bool
	done      bool
}

// NewProgress starts a progress display for total steps (0 if unknown)
// labelled label. Nothing is shown until the first Update.
func NewProgress(total int, label string) *Progress {
	return newProgress(total, label, time.Now)
}

func newProgress(total int, label string, now func() time.Time) *Progress {
	return &Progress{label: label, total: total, now: now, start: now(), lastTenth: -1}
}

// SetTotal changes the total number of steps (0 if unknown).
func (p *Progress) SetTotal(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = total
}

// Update records that step steps are done, with the latest metrics given
// as name, value pairs, e.g. p.Update(i+1, "loss", loss, "lr", lr), and
// refreshes the display if it is due. Values are formatted with [Format].
func (p *Progress) Update(step int, metrics ...any) {
	p.update(step, metrics, nil)
}

// update records step and the metrics kv, or, when the display is due,
// those lazy returns (if not nil), and shows them if due.
func (p *Progress) update(step int, kv []any, lazy func() []any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.step = step
	p.setMetrics(kv)
	now := p.now()
	if inNotebook() {
		if !p.shown || now.Sub(p.lastShow) >= notebookInterval {
			p.setLazyMetrics(lazy)
			p.showHTML(now)
		}
		return
	}
	tenth := -1
	if p.total > 0 {
		tenth = min(10, 10*step/p.total)
	}
	if tenth > p.lastTenth || (p.total <= 0 && !p.shown) || now.Sub(p.lastText) >= textInterval {
		p.lastTenth = max(p.lastTenth, tenth)
		p.setLazyMetrics(lazy)
		p.showText(now)
	}
}

// setMetrics replaces the metrics shown with the name, value pairs kv, if
// there are any.
func (p *Progress) setMetrics(kv []any) {
	if len(kv) == 0 {
		return
	}
	p.metrics = p.metrics[:0]
	for i := 0; i < len(kv); i += 2 {
		if i+1 == len(kv) {
			p.metrics = append(p.metrics, "?="+Format(kv[i]))
			break
		}
		p.metrics = append(p.metrics, Format(kv[i])+"="+Format(kv[i+1]))
	}
}

// setLazyMetrics sets the metrics lazy returns, if lazy is not nil.
func (p *Progress) setLazyMetrics(lazy func() []any) {
	if lazy != nil {
		p.setMetrics(lazy())
	}
}

// Done shows the final state. Later calls to Update and Done do nothing.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	now := p.now()
	if inNotebook() {
		p.showHTML(now)
		return
	}
	p.showText(now)
}

// stats returns the step/total text, the fraction done (or -1) and the
// elapsed and ETA texts.
func (p *Progress) stats(now time.Time) (steps string, frac float64, elapsed, eta string) {
	d := now.Sub(p.start)
	elapsed = formatDuration(d)
	frac = -1
	steps = fmt.Sprintf("%d", p.step)
	if p.total > 0 {
		frac = min(1, max(0, float64(p.step)/float64(p.total)))
		steps = fmt.Sprintf("%d/%d", p.step, p.total)
		if p.step > 0 && p.step < p.total {
			eta = formatDuration(time.Duration(float64(d) * float64(p.total-p.step) / float64(p.step)))
		}
	}
	return
}

// showText prints one progress line.
func (p *Progress) showText(now time.Time) {
	p.shown, p.lastText = true, now
	steps, frac, elapsed, eta := p.stats(now)
	var sb strings.Builder
	sb.WriteString(p.label)
	if p.label != "" {
		sb.WriteString(": ")
	}
	if p.done {
		sb.WriteString("done ")
	}
	sb.WriteString(steps)
	if frac >= 0 {
		fmt.Fprintf(&sb, " (%d%%)", int(100*frac))
	}
	if p.done {
		sb.WriteString(" in " + elapsed)
	} else {
		sb.WriteString(" elapsed " + elapsed)
		if eta != "" {
			sb.WriteString(" eta " + eta)
		}
	}
	for _, m := range p.metrics {
		sb.WriteString(" " + m)
	}
	fmt.Fprintln(outW(), sb.String())
}

// showHTML shows (or replaces) the notebook output.
func (p *Progress) showHTML(now time.Time) {
	if p.id == "" {
		p.id = "nb-progress-" + newID()
	}
	p.shown, p.lastShow = true, now
	updateHTML(p.id, p.html(now))
}

// html renders the progress bar.
func (p *Progress) html(now time.Time) string {
	steps, frac, elapsed, eta := p.stats(now)
	color := "#4a86c8"
	if p.done {
		color = "#2da44e"
	}
	var sb strings.Builder
	sb.WriteString(`<div style="font-family:monospace;font-size:13px;line-height:18px;margin:2px 0">`)
	if p.label != "" {
		fmt.Fprintf(&sb, `<b>%s</b> `, esc(p.label))
	}
	width := "100"
	if frac >= 0 {
		width = fmt.Sprintf("%.1f", 100*frac)
	} else if !p.done {
		color = "#9ab8dc" // Unknown total: a pale full bar.
	}
	fmt.Fprintf(&sb, `<span style="display:inline-block;width:240px;height:12px;border:1px solid #999;border-radius:3px;`+
		`background:#eee;vertical-align:middle;overflow:hidden"><span style="display:block;width:%s%%;height:100%%;background:%s"></span></span> `,
		width, color)
	sb.WriteString(esc(steps))
	if frac >= 0 {
		fmt.Fprintf(&sb, " (%d%%)", int(100*frac))
	}
	if p.done {
		fmt.Fprintf(&sb, " · done in %s", elapsed)
	} else {
		fmt.Fprintf(&sb, " · %s elapsed", elapsed)
		if eta != "" {
			fmt.Fprintf(&sb, " · ETA %s", eta)
		}
	}
	if len(p.metrics) > 0 {
		fmt.Fprintf(&sb, " · %s", esc(strings.Join(p.metrics, " ")))
	}
	sb.WriteString(`</div>`)
	return sb.String()
}
