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

	pointOf    []int // run position -> point index
	left       []int // point index -> runs not finished
	points     int   // points in this slice of the sweep
	pointsDone int
}

// newProgress reports on runs, whose points are given by pointOf (the
// point index of each run, in RunAll's order).
func newProgress(w io.Writer, name string, pointOf []int) *progress {
	total := len(pointOf)
	maxPoint := -1
	for _, pi := range pointOf {
		maxPoint = max(maxPoint, pi)
	}
	left := make([]int, maxPoint+1)
	for _, pi := range pointOf {
		left[pi]++
	}
	points := 0
	for _, n := range left {
		if n > 0 {
			points++
		}
	}
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := time.Now()
	return &progress{w: w, name: name, total: total, start: now, last: now, tty: tty,
		pointOf: pointOf, left: left, points: points}
}

// finished counts run i (a position in RunAll's input) as done. RunAll
// calls it from one goroutine at a time.
func (p *progress) finished(i int) {
	pi := p.pointOf[i]
	p.left[pi]--
	if p.left[pi] == 0 {
		p.pointsDone++
	}
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
