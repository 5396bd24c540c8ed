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
	d, err := barData(rows, opt)
	if err != nil {
		return nil, err
	}
	return drawBar(d), nil
}

// BarData is what a bar chart shows: its bars at x positions 0, 1, ...
// (one per group), the tick labels under the groups, and the texts.
type BarData struct {
	Title, XLabel, YLabel string
	Ticks                 []plot.Tick // one per group, at 0, 1, ...
	Groups                int
	Bars                  []BarSpec
	Values                bool // print each median above its bar
	// Legend lists the series with their colours; false when the bars
	// are labelled on the x axis (no X).
	Legend      bool
	LegendTitle string
	Series      []string
}

// BarSpec is one bar: its centre and width in group units, the median
// (the height) and, with Spread, the p25–p75 error bar.
type BarSpec struct {
	Series        int // index into the series, for the colour
	Center, Width float64
	Median        float64
	Spread        bool
	P25, P75      float64
	Label         string // the median, as printed above the bar
	LabelY        float64
}

// barData shapes rows into a bar chart's data; see Bar.
func barData(rows []experiments.Row, opt BarOptions) (BarData, error) {
	series, err := SeriesFromRows(rows, Query{X: opt.X, Y: opt.Y, Series: opt.Series, Where: opt.Where})
	if err != nil {
		return BarData{}, err
	}
	yu, _ := MetricUnit(opt.Y)
	xu := axisUnit(rows, opt.X)
	d := BarData{Title: opt.Title, YLabel: pick(opt.YLabel, yu.Label()), Legend: opt.X != "", LegendTitle: "model"}
	if d.Title == "" {
		d.Title = capitalize(yu.Name)
		if opt.X != "" {
			d.Title += " by " + xu.Name
		}
		if len(opt.Where) > 0 {
			d.Title += " (" + whereText(rows, opt.Where) + ")"
		}
	}
	if opt.X != "" {
		d.XLabel = xu.Label()
		if allNamed(series) {
			// Names stand for the values: the axis has no unit to show.
			d.XLabel = xu.Name
		}
	}
	d.XLabel = pick(opt.XLabel, d.XLabel)
	if opt.Series != "" && opt.Series != "model" {
		d.LegendTitle = axisUnit(rows, opt.Series).Name
	}
	for _, s := range series {
		d.Series = append(d.Series, s.Label)
	}
	xs, xtext := barGroups(series, xu)
	pos := map[float64]int{}
	for i, x := range xs {
		pos[x] = i
		d.Ticks = append(d.Ticks, plot.Tick{Value: float64(i), Label: xtext[x]})
	}
	d.Groups = len(xs)
	if opt.X == "" {
		d.Groups, d.Ticks = len(series), nil
		for i, s := range series {
			d.Ticks = append(d.Ticks, plot.Tick{Value: float64(i), Label: wrapLabel(s.Label, 14)})
		}
	}
	m := len(series)
	for i, s := range series {
		for _, pt := range s.Points {
			b := BarSpec{Series: i, Center: float64(i), Width: 0.6, Median: pt.Median, LabelY: pt.Median,
				Label: formatNumber(pt.Median, 3)}
			if opt.X != "" {
				w := 0.8 / float64(m)
				b.Center = float64(pos[pt.X]) - 0.4 + (float64(i)+0.5)*w
				b.Width = w * 0.9
			}
			if pt.N > 1 && pt.P75 > pt.P25 && opt.Spread != NoSpread {
				b.Spread, b.P25, b.P75 = true, pt.P25, pt.P75
				b.LabelY = max(b.LabelY, pt.P75)
			}
			d.Bars = append(d.Bars, b)
		}
	}
	if len(d.Bars) == 0 {
		return BarData{}, fmt.Errorf("%w: no bars", ErrNoData)
	}
	d.Values = !opt.NoValues && len(d.Bars) <= 24
	return d, nil
}

// barGroups returns the x values of the series, sorted, with the text
// each group is labelled with.
func barGroups(series []Series, xu Unit) ([]float64, map[float64]string) {
	var xs []float64
	xtext := map[float64]string{}
	for _, s := range series {
		for _, pt := range s.Points {
			if _, ok := xtext[pt.X]; ok {
				continue
			}
			xs = append(xs, pt.X)
			xtext[pt.X] = formatNumber(pt.X, 4)
			if xu.Unit == "" && pt.XText != "" && !strings.ContainsAny(pt.XText[:1], "{[") {
				// A word (its number is only an index) or a count:
				// show it as written. Lists and mappings keep their
				// index, which titles can explain.
				xtext[pt.X] = shorten(pt.XText, 28)
			}
			if pt.XLabel != "" {
				xtext[pt.X] = pt.XLabel // named in the spec's labels
			}
		}
	}
	slices.Sort(xs)
	return xs, xtext
}

// drawBar draws a bar chart's data.
func drawBar(d BarData) *plot.Plot {
	p := newPlot(d.Title, d.XLabel, d.YLabel)
	p.Add(grid(false, true))
	bars := &rects{outline: draw.LineStyle{Color: color.Gray{Y: 40}, Width: vg.Points(0.6)}}
	errs := &vsegs{style: draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}, cap: vg.Points(3)}
	vals := &barValues{sty: textStyle(9)}
	for _, b := range d.Bars {
		bars.rs = append(bars.rs, dataRect{x0: b.Center - b.Width/2, x1: b.Center + b.Width/2, y0: 0, y1: b.Median, fill: seriesColor(b.Series)})
		if b.Spread {
			errs.segs = append(errs.segs, [3]float64{b.Center, b.P25, b.P75})
		}
		vals.add(b.Center, b.LabelY, b.Label)
	}
	p.Add(bars)
	if len(errs.segs) > 0 {
		p.Add(errs)
	}
	if d.Values {
		p.Add(vals)
	}
	if d.Legend {
		leg := newSideLegend(d.LegendTitle)
		for i, s := range d.Series {
			leg.add(s, boxThumb(seriesColor(i), bars.outline))
		}
		p.Add(leg)
	}
	p.X.Tick.Marker = plot.ConstantTicks(d.Ticks)
	p.X.Tick.Length = 0
	p.X.Min, p.X.Max = -0.5, float64(d.Groups)-0.5
	if p.Y.Max > 0 {
		p.Y.Max *= 1.08 // room for the printed values
	}
	setScales(p, false, false)
	return p
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
