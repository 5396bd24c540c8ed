package main

import (
	"fmt"
	"io"
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
}

func newProgress(w io.Writer, name string, total int) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := time.Now()
	return &progress{w: w, name: name, total: total, start: now, last: now, tty: tty}
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
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(total-done)/rate) * time.Second / time.Second).Round(time.Second).String()
	}
	if p.tty {
		const width = 30
		fill := width * done / max(total, 1)
		bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
		fmt.Fprintf(p.w, "\r%s [%s] %d/%d runs  %.0f runs/s  ETA %s ", p.name, bar, done, total, rate, eta)
		return
	}
	fmt.Fprintf(p.w, "%s: %d/%d runs, %.0f runs/s, ETA %s\n", p.name, done, total, rate, eta)
}

func (p *progress) finish() {
	if p.printed && p.tty {
		fmt.Fprintln(p.w)
	}
}
