package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/connsim/connsim/experiments"
)

// unsetSSThresh: ssthresh values at or above it mean "not set yet".
const unsetSSThresh = int64(1) << 40

// CwndOptions configures Cwnd.
type CwndOptions struct {
	Title string // default "Congestion window: <model>, <point>"
	// Conns lists the connections to draw (ConnTrace.Connection); empty
	// draws all of them.
	Conns []int
	// NoSSThresh leaves out the dotted ssthresh lines.
	NoSSThresh bool
}

// Cwnd draws the congestion window of each connection of one load as a
// step line (KB against ms), its ssthresh as a dotted line of the same
// colour once it is set, and a short vertical bar on the line wherever a
// response completed on that connection. Slow start shows as a steep
// staircase, a loss as a drop to ssthresh, and a restart after idle as a
// drop at the start of the next request's burst.
func Cwnd(tr experiments.Trace, opt CwndOptions) (*plot.Plot, error) {
	conns, err := pickConns(tr, opt.Conns)
	if err != nil {
		return nil, err
	}
	// The time the trace ends: the last sample, close or response.
	end := 0.0
	for _, c := range conns {
		for _, s := range c.Cwnd {
			end = maxFinite(end, s.TimeMS)
		}
		end = maxFinite(end, c.CloseMS)
		for _, t := range c.ResponseEndsMS {
			end = maxFinite(end, t)
		}
	}

	title := opt.Title
	if title == "" {
		title = "Congestion window: " + runName(tr.Model, tr.Point, -1)
	}
	p := newPlot(title, "time since the start of the page load (ms)", "congestion window (KB)")
	p.Add(grid(true, true))
	leg := newSideLegend("connection")
	var guides, lines, marks []plot.Plotter
	drawn := 0
	for i, c := range conns {
		samples := slices.Clone(c.Cwnd)
		samples = slices.DeleteFunc(samples, func(s experiments.CwndSample) bool {
			return math.IsNaN(s.TimeMS) || math.IsInf(s.TimeMS, 0)
		})
		if len(samples) == 0 {
			continue
		}
		slices.SortStableFunc(samples, func(a, b experiments.CwndSample) int { return cmp.Compare(a.TimeMS, b.TimeMS) })
		stop := end
		if !math.IsNaN(c.CloseMS) && !math.IsInf(c.CloseMS, 0) {
			stop = c.CloseMS
		}
		xys := make(plotter.XYs, 0, len(samples)+1)
		for _, s := range samples {
			xys = append(xys, plotter.XY{X: s.TimeMS, Y: float64(s.Cwnd) / 1e3})
		}
		if last := samples[len(samples)-1]; stop > last.TimeMS {
			xys = append(xys, plotter.XY{X: stop, Y: float64(last.Cwnd) / 1e3})
		}
		ls := seriesLine(i, vg.Points(2))
		l, err := line(xys, ls, plotter.PostStep)
		if err != nil {
			return nil, fmt.Errorf("plots: connection %d: %w", c.Connection, err)
		}
		lines = append(lines, l)

		if !opt.NoSSThresh {
			ss := draw.LineStyle{Color: seriesColor(i), Width: vg.Points(1.3), Dashes: dotted()}
			for _, run := range ssthreshRuns(samples, stop) {
				sl, err := line(run, ss, plotter.PostStep)
				if err != nil {
					return nil, fmt.Errorf("plots: connection %d ssthresh: %w", c.Connection, err)
				}
				guides = append(guides, sl)
			}
		}

		var ends plotter.XYs
		for _, t := range c.ResponseEndsMS {
			if math.IsNaN(t) || math.IsInf(t, 0) {
				continue
			}
			ends = append(ends, plotter.XY{X: t, Y: cwndAt(samples, t) / 1e3})
		}
		if len(ends) > 0 {
			sc, err := scatter(ends, draw.GlyphStyle{Color: darken(seriesColor(i)), Radius: vg.Points(6), Shape: vtickGlyph{}})
			if err != nil {
				return nil, err
			}
			marks = append(marks, sc)
		}
		label := "c" + strconv.Itoa(c.Connection)
		if c.Host != "" {
			label += " " + c.Host
		}
		leg.add(label, lineThumb(ls, nil))
		drawn++
	}
	if drawn == 0 {
		return nil, fmt.Errorf("%w: no cwnd samples", ErrNoData)
	}
	if !opt.NoSSThresh && len(guides) > 0 {
		leg.add("ssthresh", lineThumb(draw.LineStyle{Color: color.Gray{Y: 60}, Width: vg.Points(1.3), Dashes: dotted()}, nil))
	}
	if len(marks) > 0 {
		leg.add("response\ncomplete", lineThumb(draw.LineStyle{}, &draw.GlyphStyle{Color: color.Gray{Y: 40}, Radius: vg.Points(6), Shape: vtickGlyph{}}))
	}
	p.Add(guides...)
	p.Add(lines...)
	p.Add(marks...)
	p.Add(leg)
	p.X.Min = min(p.X.Min, 0)
	_, p.X.Max = niceRange(0, p.X.Max)
	setScales(p, false, false)
	return p, nil
}

// pickConns returns the connections of tr to draw, in connection order.
func pickConns(tr experiments.Trace, want []int) ([]experiments.ConnTrace, error) {
	if len(tr.Conns) == 0 {
		return nil, fmt.Errorf("%w: the trace has no connections", ErrNoData)
	}
	var out []experiments.ConnTrace
	for _, c := range tr.Conns {
		if len(want) == 0 || slices.Contains(want, c.Connection) {
			out = append(out, c)
		}
	}
	for _, w := range want {
		if !slices.ContainsFunc(out, func(c experiments.ConnTrace) bool { return c.Connection == w }) {
			return nil, fmt.Errorf("plots: no connection %d in the trace (have %s)", w, connList(tr))
		}
	}
	slices.SortStableFunc(out, func(a, b experiments.ConnTrace) int { return cmp.Compare(a.Connection, b.Connection) })
	return out, nil
}

func connList(tr experiments.Trace) string {
	var s []string
	for _, c := range tr.Conns {
		s = append(s, strconv.Itoa(c.Connection))
	}
	return strings.Join(s, ", ")
}

// ssthreshRuns splits the samples into runs where ssthresh is set, each
// extended to the next sample (or to stop) so the step covers its time.
func ssthreshRuns(samples []experiments.CwndSample, stop float64) []plotter.XYs {
	var runs []plotter.XYs
	var cur plotter.XYs
	for i, s := range samples {
		if s.SSThresh >= unsetSSThresh || s.SSThresh <= 0 {
			if len(cur) > 0 {
				cur = append(cur, plotter.XY{X: s.TimeMS, Y: cur[len(cur)-1].Y})
				runs = append(runs, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: s.TimeMS, Y: float64(s.SSThresh) / 1e3})
		if i == len(samples)-1 && stop > s.TimeMS {
			cur = append(cur, plotter.XY{X: stop, Y: float64(s.SSThresh) / 1e3})
		}
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}

// cwndAt is the window in force at time t (bytes): the last sample at or
// before t, or the first sample when t precedes them all.
func cwndAt(samples []experiments.CwndSample, t float64) float64 {
	i, _ := slices.BinarySearchFunc(samples, t, func(s experiments.CwndSample, t float64) int {
		if s.TimeMS <= t {
			return -1
		}
		return 1
	})
	if i == 0 {
		return float64(samples[0].Cwnd)
	}
	return float64(samples[i-1].Cwnd)
}

func maxFinite(a, b float64) float64 {
	if math.IsNaN(b) || math.IsInf(b, 0) {
		return a
	}
	return max(a, b)
}

// darken mixes c with black, for markers drawn on top of a line of c.
func darken(c color.RGBA) color.RGBA {
	return color.RGBA{R: uint8(uint32(c.R) * 7 / 10), G: uint8(uint32(c.G) * 7 / 10), B: uint8(uint32(c.B) * 7 / 10), A: 0xFF}
}
