package plots

import (
	"errors"
	"fmt"
	"slices"

	"github.com/connsim/connsim/experiments"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Spread is how a chart shows the runs around the median at a point.
type Spread int

const (
	// Band shades the p25–p75 range (lines) or draws p25–p75 error bars
	// (bars). It is the default.
	Band Spread = iota
	// ErrorBars draws p25–p75 error bars with caps.
	ErrorBars
	// NoSpread draws medians only.
	NoSpread
)

// LineOptions configures Line. X and Y are required.
type LineOptions struct {
	X      string             // swept key on the x axis, e.g. "network.rtt"
	Y      string             // metric column, e.g. "plt_ms"
	Series string             // "model" (default) or a swept key; see Query
	Where  map[string]float64 // fix other swept keys; see Query
	Title  string             // default "<metric> vs <key>"
	XLabel string             // default from the key, e.g. "RTT (ms)"
	YLabel string             // default from the metric, e.g. "page load time (ms)"
	LogX   bool
	LogY   bool
	Spread Spread // how the p25–p75 range is shown when a point has several runs
	// Join is how a series' medians are joined: Joined (straight lines,
	// the default), Steps or Points (no joins).
	Join Join
}

// Join is how a line chart joins the medians of a series.
type Join int

const (
	// Joined draws straight lines between the medians: for a metric
	// that changes smoothly with the key (load time against RTT).
	Joined Join = iota
	// Steps holds each median until the next x and rises or falls
	// there, for a metric that changes in jumps (the second visit's
	// load time against reading time, which jumps where the idle time
	// passes the RTO or the keep-alive timeout): a ramp between two
	// points would show values nothing measured. The jump is drawn at
	// the next measured x; the threshold lies somewhere between the two.
	Steps
	// Points draws the medians (and their spread) without joins.
	Points
)

// ParseJoin returns the Join a plot's style names: "" or "line"
// (Joined), "step" (Steps), "points" (Points).
func ParseJoin(s string) (Join, error) {
	switch s {
	case "", "line":
		return Joined, nil
	case "step":
		return Steps, nil
	case "points":
		return Points, nil
	}
	return Joined, fmt.Errorf("plots: unknown line style %q (line, step or points)", s)
}

// Line plots a metric against a swept key: one series per model (or per
// opt.Series value), the median of the runs at each x joined by a line,
// and the p25–p75 range shaded when a point has more than one run. When
// the key takes at most 12 values, the x axis is ticked at exactly those
// values (labels that would overlap are left out, never the first or
// last), otherwise at nice round numbers.
func Line(rows []experiments.Row, opt LineOptions) (*plot.Plot, error) {
	d, err := lineData(rows, opt)
	if err != nil {
		return nil, err
	}
	return drawLine(d)
}

// LineData is what a line chart shows, in display units: the series
// (without the points a log axis cannot show) and the texts.
type LineData struct {
	Title, XLabel, YLabel string
	LegendTitle           string // "model" or the series key's name
	Series                []Series
	LogX, LogY            bool
	Spread                Spread
	Join                  Join
}

// lineData shapes rows into a line chart's data; see Line.
func lineData(rows []experiments.Row, opt LineOptions) (LineData, error) {
	if opt.X == "" {
		return LineData{}, errors.New("plots: line chart needs an x key (X)")
	}
	series, err := SeriesFromRows(rows, Query{X: opt.X, Y: opt.Y, Series: opt.Series, Where: opt.Where})
	if err != nil {
		return LineData{}, err
	}
	yu, _ := MetricUnit(opt.Y)
	xu := axisUnit(rows, opt.X)
	if opt.LogX || opt.LogY {
		series = positiveOnly(series, opt.LogX, opt.LogY)
		if len(series) == 0 {
			return LineData{}, fmt.Errorf("%w: no positive values for a log axis", ErrNoData)
		}
	}
	d := LineData{
		Title: opt.Title, XLabel: pick(opt.XLabel, xu.Label()), YLabel: pick(opt.YLabel, yu.Label()),
		LegendTitle: "model", Series: series, LogX: opt.LogX, LogY: opt.LogY, Spread: opt.Spread,
		Join: opt.Join,
	}
	if d.Title == "" {
		d.Title = capitalize(yu.Name) + " vs " + xu.Name
		if len(opt.Where) > 0 {
			d.Title += " (" + whereText(rows, opt.Where) + ")"
		}
	}
	if opt.Series != "" && opt.Series != "model" {
		d.LegendTitle = axisUnit(rows, opt.Series).Name
	}
	return d, nil
}

// drawLine draws a line chart's data.
func drawLine(d LineData) (*plot.Plot, error) {
	p := newPlot(d.Title, d.XLabel, d.YLabel)
	p.Add(grid(true, true))
	leg := newSideLegend(d.LegendTitle)
	var bands, lines []plot.Plotter
	for i, s := range d.Series {
		band, line, thumb, err := lineSeries(i, s, d.Spread, d.Join)
		if err != nil {
			return nil, fmt.Errorf("plots: series %q: %w", s.Label, err)
		}
		if band != nil {
			bands = append(bands, band)
		}
		lines = append(lines, line...)
		leg.add(s.Label, thumb)
	}
	// Bands first, so no line is hidden under another series' band.
	p.Add(bands...)
	p.Add(lines...)
	p.Add(leg)
	setScales(p, d.LogX, d.LogY)
	// A sweep of a few values: tick exactly those, so every point, the
	// first one included, sits on a labelled tick.
	if xs := xValues(d.Series); len(xs) >= 2 && len(xs) <= maxValueTicks {
		p.X.Tick.Marker = valueTicks{values: xs, log: d.LogX}
		p.X.Min, p.X.Max = xs[0], xs[len(xs)-1]
	}
	return p, nil
}

// lineSeries makes the plotters of series i: its spread (a band or error
// bars, nil when no point has several runs or spread is NoSpread), its
// line (joined as join says) and markers, and its legend thumbnail.
//
// A band is translucent and outlined at its p25 and p75 edges by a thin
// line in the series' colour and dash pattern, so where two series'
// bands overlap both stay visible: the lower one's edges show through
// the upper one's fill.
func lineSeries(i int, s Series, spread Spread, join Join) (band plot.Plotter, line []plot.Plotter, thumb plot.Thumbnailer, err error) {
	xys := make(plotter.XYs, len(s.Points))
	spreads := false
	for j, pt := range s.Points {
		xys[j] = plotter.XY{X: pt.X, Y: pt.Median}
		if pt.N > 1 && pt.P75 > pt.P25 {
			spreads = true
		}
	}
	ls := seriesLine(i, vg.Points(2.2))
	gs := seriesGlyphStyle(i)
	sc, err := scatter(xys, gs)
	if err != nil {
		return nil, nil, nil, err
	}
	line = []plot.Plotter{sc}
	if join != Points {
		step := plotter.NoStep
		if join == Steps {
			step = plotter.PostStep
		}
		l, err := newLine(xys, ls, step)
		if err != nil {
			return nil, nil, nil, err
		}
		line = []plot.Plotter{l, sc}
	}
	if join == Points && spread == Band {
		spread = ErrorBars // a band would join the points again
	}
	thumbLine := ls
	if join == Points {
		thumbLine.Width = 0 // the legend shows the marker alone
	}
	switch {
	case spreads && spread == Band:
		poly := make(plotter.XYs, 0, 4*len(s.Points))
		for j, pt := range s.Points {
			if join == Steps && j > 0 {
				// Held until this x, like the line.
				poly = append(poly, plotter.XY{X: pt.X, Y: s.Points[j-1].P25})
			}
			poly = append(poly, plotter.XY{X: pt.X, Y: pt.P25})
		}
		for j := len(s.Points) - 1; j >= 0; j-- {
			poly = append(poly, plotter.XY{X: s.Points[j].X, Y: s.Points[j].P75})
			if join == Steps && j > 0 {
				poly = append(poly, plotter.XY{X: s.Points[j].X, Y: s.Points[j-1].P75})
			}
		}
		b, err := plotter.NewPolygon(poly)
		if err != nil {
			return nil, nil, nil, err
		}
		b.Color = fade(seriesColor(i), 32)
		b.LineStyle = seriesLine(i, vg.Points(0.8))
		return b, line, bandThumb(b.Color, thumbLine, &gs), nil
	case spreads && spread == ErrorBars:
		eb := &vsegs{style: seriesLine(i, vg.Points(1.2)), cap: vg.Points(4)}
		eb.style.Dashes = nil
		for _, pt := range s.Points {
			if pt.N > 1 {
				eb.segs = append(eb.segs, [3]float64{pt.X, pt.P25, pt.P75})
			}
		}
		return eb, line, lineThumb(thumbLine, &gs), nil
	}
	return nil, line, lineThumb(thumbLine, &gs), nil
}

// xValues returns the distinct x values of the series, sorted.
func xValues(series []Series) []float64 {
	var xs []float64
	for _, s := range series {
		for _, pt := range s.Points {
			xs = append(xs, pt.X)
		}
	}
	slices.Sort(xs)
	return slices.Compact(xs)
}

// setScales sets log or linear scales and widens the axes to labelled
// values. A linear y axis starts at 0 when every value is positive, so
// bar heights and line heights compare honestly. A log axis's label is
// laid out where gonum draws it (see centreLogAxisLabels), so the axis
// labels must be set before.
func setScales(p *plot.Plot, logX, logY bool) {
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
		p.X.Min, p.X.Max = niceLogRange(p.X.Min, p.X.Max)
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
		p.Y.Min, p.Y.Max = niceLogRange(p.Y.Min, p.Y.Max)
	} else {
		if p.Y.Min > 0 {
			p.Y.Min = 0
		}
		if p.Y.Max == p.Y.Min {
			p.Y.Max = p.Y.Min + 1
		}
		p.Y.Min, p.Y.Max = niceRange(p.Y.Min, p.Y.Max)
	}
	centreLogAxisLabels(p, logX, logY)
}

// positiveOnly drops points that a log axis cannot show.
func positiveOnly(series []Series, x, y bool) []Series {
	var out []Series
	for _, s := range series {
		var pts []SeriesPoint
		for _, pt := range s.Points {
			if (x && !(pt.X > 0)) || (y && !(pt.Median > 0)) {
				continue
			}
			if y && !(pt.P25 > 0) {
				pt.P25 = pt.Median // the band's lower edge cannot reach 0
			}
			pts = append(pts, pt)
		}
		if len(pts) > 0 {
			s.Points = pts
			out = append(out, s)
		}
	}
	return out
}

func pick(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		return string(c-'a'+'A') + s[1:]
	}
	return s
}
