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
}

// Line plots a metric against a swept key: one series per model (or per
// opt.Series value), the median of the runs at each x joined by a line,
// and the p25–p75 range shaded when a point has more than one run. When
// the key takes at most 12 values, the x axis is ticked at exactly those
// values (labels that would overlap are left out, never the first or
// last), otherwise at nice round numbers.
func Line(rows []experiments.Row, opt LineOptions) (*plot.Plot, error) {
	if opt.X == "" {
		return nil, errors.New("plots: line chart needs an x key (X)")
	}
	series, err := SeriesFromRows(rows, Query{X: opt.X, Y: opt.Y, Series: opt.Series, Where: opt.Where})
	if err != nil {
		return nil, err
	}
	yu, _ := MetricUnit(opt.Y)
	xu := KeyUnit(opt.X)
	if opt.LogX || opt.LogY {
		series = positiveOnly(series, opt.LogX, opt.LogY)
		if len(series) == 0 {
			return nil, fmt.Errorf("%w: no positive values for a log axis", ErrNoData)
		}
	}
	title := opt.Title
	if title == "" {
		title = capitalize(yu.Name) + " vs " + xu.Name
		if len(opt.Where) > 0 {
			title += " (" + whereText(rows, opt.Where) + ")"
		}
	}
	p := newPlot(title, pick(opt.XLabel, xu.Label()), pick(opt.YLabel, yu.Label()))
	p.Add(grid(true, true))

	legendTitle := "model"
	if opt.Series != "" && opt.Series != "model" {
		legendTitle = KeyUnit(opt.Series).Name
	}
	leg := newSideLegend(legendTitle)
	var bands, lines []plot.Plotter
	for i, s := range series {
		xys := make(plotter.XYs, len(s.Points))
		spread := false
		for j, pt := range s.Points {
			xys[j] = plotter.XY{X: pt.X, Y: pt.Median}
			if pt.N > 1 && pt.P75 > pt.P25 {
				spread = true
			}
		}
		ls := seriesLine(i, vg.Points(2.2))
		gs := seriesGlyphStyle(i)
		l, err := line(xys, ls, plotter.NoStep)
		if err != nil {
			return nil, fmt.Errorf("plots: series %q: %w", s.Label, err)
		}
		sc, err := scatter(xys, gs)
		if err != nil {
			return nil, fmt.Errorf("plots: series %q: %w", s.Label, err)
		}
		lines = append(lines, l, sc)
		switch {
		case spread && opt.Spread == Band:
			poly := make(plotter.XYs, 0, 2*len(s.Points))
			for _, pt := range s.Points {
				poly = append(poly, plotter.XY{X: pt.X, Y: pt.P25})
			}
			for j := len(s.Points) - 1; j >= 0; j-- {
				poly = append(poly, plotter.XY{X: s.Points[j].X, Y: s.Points[j].P75})
			}
			band, err := plotter.NewPolygon(poly)
			if err != nil {
				return nil, fmt.Errorf("plots: series %q: %w", s.Label, err)
			}
			fill := fade(seriesColor(i), 45)
			band.Color = fill
			band.LineStyle.Width = 0
			bands = append(bands, band)
			leg.add(s.Label, bandThumb(fill, ls, &gs))
		case spread && opt.Spread == ErrorBars:
			eb := &vsegs{style: seriesLine(i, vg.Points(1.2)), cap: vg.Points(4)}
			eb.style.Dashes = nil
			for _, pt := range s.Points {
				if pt.N > 1 {
					eb.segs = append(eb.segs, [3]float64{pt.X, pt.P25, pt.P75})
				}
			}
			bands = append(bands, eb)
			leg.add(s.Label, lineThumb(ls, &gs))
		default:
			leg.add(s.Label, lineThumb(ls, &gs))
		}
	}
	// Bands first, so no line is hidden under another series' band.
	p.Add(bands...)
	p.Add(lines...)
	p.Add(leg)
	setScales(p, opt.LogX, opt.LogY)
	// A sweep of a few values: tick exactly those, so every point, the
	// first one included, sits on a labelled tick.
	if xs := xValues(series); len(xs) >= 2 && len(xs) <= maxValueTicks {
		p.X.Tick.Marker = valueTicks{values: xs, log: opt.LogX}
		p.X.Min, p.X.Max = xs[0], xs[len(xs)-1]
	}
	return p, nil
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
// bar heights and line heights compare honestly.
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
