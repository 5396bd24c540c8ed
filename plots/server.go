package plots

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/connsim/connsim/experiments"
)

// ServerOptions configures Server.
type ServerOptions struct {
	Title string // default "Server: <model>, <point>, run <n>"
}

// ServerData is what Server draws: step lines of the server's open
// connections, busy workers and listen backlog against time in seconds
// (each value holds from its sample until the next). A line that is 0
// throughout (no workers, no backlog) is left out.
type ServerData struct {
	Title string
	Lines []ServerLine
}

// ServerLine is one quantity of the server against time.
type ServerLine struct {
	Name string
	XYs  plotter.XYs // x: s since the start of the run; y: count
}

// ServerSeries returns the data of the server figure of one run from its
// trace (experiments.Trace.Server). It fails when the trace has no
// server samples (a run without clients:).
func ServerSeries(tr experiments.Trace, opt ServerOptions) (ServerData, error) {
	samples := slices.Clone(tr.Server)
	samples = slices.DeleteFunc(samples, func(s experiments.ServerSample) bool {
		return math.IsNaN(s.TimeMS) || math.IsInf(s.TimeMS, 0)
	})
	if len(samples) == 0 {
		return ServerData{}, errors.New("plots: the run has no server samples (a server figure needs clients:)")
	}
	slices.SortStableFunc(samples, func(a, b experiments.ServerSample) int { return cmp.Compare(a.TimeMS, b.TimeMS) })
	d := ServerData{Title: opt.Title}
	if d.Title == "" {
		d.Title = "Server: " + runName(tr.Model, tr.Point, tr.Run)
	}
	for _, q := range []struct {
		name string
		get  func(experiments.ServerSample) int
	}{
		{"open connections", func(s experiments.ServerSample) int { return s.Open }},
		{"busy workers", func(s experiments.ServerSample) int { return s.Busy }},
		{"listen backlog", func(s experiments.ServerSample) int { return s.Backlog }},
	} {
		xys := make(plotter.XYs, 0, len(samples)+1)
		peak := 0
		for _, s := range samples {
			v := q.get(s)
			peak = max(peak, v)
			// Several changes at one instant: the last one holds.
			if n := len(xys); n > 0 && xys[n-1].X == s.TimeMS/1e3 {
				xys[n-1].Y = float64(v)
				continue
			}
			xys = append(xys, plotter.XY{X: s.TimeMS / 1e3, Y: float64(v)})
		}
		if peak == 0 && q.name != "open connections" {
			continue
		}
		d.Lines = append(d.Lines, ServerLine{Name: q.name, XYs: xys})
	}
	return d, nil
}

// Server draws the server's open connections, busy workers and listen
// backlog against time for one run of a spec with clients: (see
// ServerSeries).
func Server(tr experiments.Trace, opt ServerOptions) (*plot.Plot, error) {
	d, err := ServerSeries(tr, opt)
	if err != nil {
		return nil, err
	}
	return drawServer(d)
}

func drawServer(d ServerData) (*plot.Plot, error) {
	p := newPlot(d.Title, "time since the start of the run (s)", "connections / workers")
	p.Add(grid(true, true))
	leg := newSideLegend("")
	for i, l := range d.Lines {
		ls := seriesLine(i, vg.Points(2))
		line, err := newLine(l.XYs, ls, plotter.PostStep)
		if err != nil {
			return nil, fmt.Errorf("plots: %s: %w", l.Name, err)
		}
		p.Add(line)
		leg.add(l.Name, lineThumb(ls, nil))
	}
	p.Add(leg)
	p.X.Min, p.Y.Min = 0, 0
	_, p.Y.Max = niceRange(0, max(p.Y.Max, 1))
	setScales(p, false, false)
	return p, nil
}
