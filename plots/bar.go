package plots

import (
	"fmt"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/connsim/connsim/experiments"
)

// BarOptions configures Bar. Y is required.
type BarOptions struct {
	// X is the swept key whose values form the bar groups (one group per
	// value, one bar per model in each). Empty gives one bar per model,
	// labelled on the x axis.
	X      string
	Y      string             // metric column, e.g. "connections"
	Series string             // "model" (default) or a swept key; see Query
	Where  map[string]float64 // fix other swept keys; see Query
	Title  string
	XLabel string
	YLabel string
	Spread Spread // Band and ErrorBars both draw p25–p75 error bars; NoSpread none
	// NoValues turns off the median printed above each bar (it is also
	// left out when there are more than 24 bars).
	NoValues bool
}

// Bar draws a metric per model as bars: the bar height is the median of
// the runs, the error bar spans p25–p75 when a point has more than one
// run, and the median is printed above the bar.
func Bar(rows []experiments.Row, opt BarOptions) (*plot.Plot, error) {
	series, err := SeriesFromRows(rows, Query{X: opt.X, Y: opt.Y, Series: opt.Series, Where: opt.Where})
	if err != nil {
		return nil, err
	}
	yu, _ := MetricUnit(opt.Y)
	xu := KeyUnit(opt.X)
	title := opt.Title
	if title == "" {
		title = capitalize(yu.Name)
		if opt.X != "" {
			title += " by " + xu.Name
		}
		if len(opt.Where) > 0 {
			title += " (" + whereText(rows, opt.Where) + ")"
		}
	}
	xlabel := ""
	if opt.X != "" {
		xlabel = xu.Label()
	}
	p := newPlot(title, pick(opt.XLabel, xlabel), pick(opt.YLabel, yu.Label()))
	p.Add(grid(false, true))

	// Group positions: one per x value (or one per series without X).
	var xs []float64
	xtext := map[float64]string{}
	for _, s := range series {
		for _, pt := range s.Points {
			if _, ok := xtext[pt.X]; !ok {
				xs = append(xs, pt.X)
				xtext[pt.X] = formatNumber(pt.X, 4)
				if xu.Unit == "" && pt.XText != "" && !strings.ContainsAny(pt.XText[:1], "{[") {
					// A word (its number is only an index) or a
					// count: show it as written. Lists and mappings
					// keep their index, which titles can explain.
					xtext[pt.X] = shorten(pt.XText, 28)
				}
				if pt.XLabel != "" {
					xtext[pt.X] = pt.XLabel // named in the spec's labels
				}
			}
		}
	}
	slices.Sort(xs)
	if opt.X != "" && opt.XLabel == "" && allNamed(series) {
		// Names stand for the values: the axis has no unit to show.
		p.X.Label.Text = xu.Name
	}
	pos := map[float64]int{}
	for i, x := range xs {
		pos[x] = i
	}

	m := len(series)
	bars := &rects{outline: draw.LineStyle{Color: color.Gray{Y: 40}, Width: vg.Points(0.6)}}
	errs := &vsegs{style: draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}, cap: vg.Points(3)}
	vals := &barValues{sty: textStyle(9)}
	var ticks []plot.Tick
	groups := len(xs)
	if opt.X == "" {
		groups = m
	}
	for i, s := range series {
		for _, pt := range s.Points {
			var center, w float64
			if opt.X == "" {
				center, w = float64(i), 0.6
			} else {
				w = 0.8 / float64(m)
				center = float64(pos[pt.X]) - 0.4 + (float64(i)+0.5)*w
				w *= 0.9
			}
			bars.rs = append(bars.rs, dataRect{x0: center - w/2, x1: center + w/2, y0: 0, y1: pt.Median, fill: seriesColor(i)})
			top := pt.Median
			if pt.N > 1 && pt.P75 > pt.P25 && opt.Spread != NoSpread {
				errs.segs = append(errs.segs, [3]float64{center, pt.P25, pt.P75})
				top = max(top, pt.P75)
			}
			vals.add(center, top, formatNumber(pt.Median, 3))
		}
	}
	if opt.X == "" {
		for i, s := range series {
			ticks = append(ticks, plot.Tick{Value: float64(i), Label: wrapLabel(s.Label, 14)})
		}
	} else {
		for i, x := range xs {
			ticks = append(ticks, plot.Tick{Value: float64(i), Label: xtext[x]})
		}
	}
	p.Add(bars)
	if len(errs.segs) > 0 {
		p.Add(errs)
	}
	if !opt.NoValues && len(bars.rs) <= 24 {
		p.Add(vals)
	}
	if opt.X != "" {
		legendTitle := "model"
		if opt.Series != "" && opt.Series != "model" {
			legendTitle = KeyUnit(opt.Series).Name
		}
		leg := newSideLegend(legendTitle)
		for i, s := range series {
			leg.add(s.Label, boxThumb(seriesColor(i), bars.outline))
		}
		p.Add(leg)
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Tick.Length = 0
	p.X.Min, p.X.Max = -0.5, float64(groups)-0.5
	if p.Y.Max > 0 {
		p.Y.Max *= 1.08 // room for the printed values
	}
	setScales(p, false, false)
	if len(bars.rs) == 0 {
		return nil, fmt.Errorf("%w: no bars", ErrNoData)
	}
	return p, nil
}

// barValues prints a value just above each bar.
type barValues struct {
	xs, ys []float64
	labels []string
	sty    text.Style
}

func (b *barValues) add(x, y float64, label string) {
	b.xs, b.ys, b.labels = append(b.xs, x), append(b.ys, y), append(b.labels, label)
}

func (b *barValues) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := b.sty
	sty.XAlign = draw.XCenter
	sty.YAlign = draw.YBottom
	for i, l := range b.labels {
		c.FillText(sty, vg.Point{X: trX(b.xs[i]), Y: trY(b.ys[i]) + vg.Points(3)}, l)
	}
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// allNamed reports whether every point of every series has a name from the
// spec's labels.
func allNamed(series []Series) bool {
	for _, s := range series {
		for _, pt := range s.Points {
			if pt.XLabel == "" {
				return false
			}
		}
	}
	return true
}
