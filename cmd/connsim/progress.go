package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// progress reports runs done on stderr: a redrawn bar on a terminal, a
// plain line every few seconds otherwise, nothing for runs that finish
// within a second. Wall-clock time is read here, in the command, never
// inside a run.
type progress struct {
	w       io.Writer
	name    string
	total   int
	start   time.Time
	last    time.Time
	tty     bool
	printed bool
	done    int

	perPoint int         // runs of each point, contiguous in run order
	left     map[int]int // point position -> runs not finished, for the points begun and not done
	points   int         // points in this slice of the sweep
	// pointsDone counts the points whose runs have all finished.
	pointsDone int
}

// newProgress reports on total runs, perPoint runs for each point in
// turn (a plan's order: run i is of point i/perPoint). It keeps only the
// points whose runs are under way, so its memory does not grow with the
// number of runs.
func newProgress(w io.Writer, name string, total, perPoint int) *progress {
	perPoint = max(perPoint, 1)
	points := (total + perPoint - 1) / perPoint
	tty := false
	under := w
	if o, ok := w.(*orderedWriter); ok {
		under = o.w // an experiment waiting its turn to print (runSpecs)
	}
	if f, ok := under.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := time.Now()
	return &progress{w: w, name: name, total: total, start: now, last: now, tty: tty,
		perPoint: perPoint, left: map[int]int{}, points: points}
}

// finished counts run i (a position in RunAll's input) as done. RunAll
// calls it from one goroutine at a time.
func (p *progress) finished(i int) {
	pi := i / p.perPoint
	n, ok := p.left[pi]
	if !ok {
		n = min(p.perPoint, p.total-pi*p.perPoint)
	}
	if n--; n > 0 {
		p.left[pi] = n
		return
	}
	delete(p.left, pi)
	p.pointsDone++
}

func (p *progress) update(done, total int) {
	p.done = done
	now := time.Now()
	since := now.Sub(p.start)
	if since < time.Second {
		return
	}
	every := 5 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.last) < every && done < total {
		return
	}
	if o, ok := p.w.(*orderedWriter); ok && !o.isLive() {
		return // waiting its turn: its progress would be stale when printed
	}
	p.last = now
	p.printed = true
	rate := float64(done) / since.Seconds()
	eta := etaText(done, total, rate)
	if p.tty {
		const width = 30
		fill := width * done / max(total, 1)
		bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
		fmt.Fprintf(p.w, "\r%s [%s] %d/%d points  %d/%d runs  %.0f runs/s  ETA %s ",
			p.name, bar, p.pointsDone, p.points, done, total, rate, eta)
		return
	}
	fmt.Fprintf(p.w, "%s: %d/%d points, %d/%d runs, %.0f runs/s, ETA %s\n",
		p.name, p.pointsDone, p.points, done, total, rate, eta)
}

func (p *progress) finish() {
	if p.printed && p.tty {
		fmt.Fprintln(p.w)
	}
}

// etaText estimates the time left for total-done runs at rate runs per
// second, to the second: "1m40s", or "?" before the rate is known.
func etaText(done, total int, rate float64) string {
	if rate <= 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		return "?"
	}
	left := float64(max(total-done, 0)) / rate // seconds
	return time.Duration(left * float64(time.Second)).Round(time.Second).String()
}
