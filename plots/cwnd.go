package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"maps"
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
	// Requests are the request rows of the same run (any order; rows of
	// other runs must be left out). With them the x axis spans the page
	// loads, each later visit's start is marked, and a long idle time
	// between visits is cut out of the axis. Without them the axis spans
	// the trace from the first connection's opening to the last response.
	Requests []experiments.RequestRow
	// FullRange keeps the whole trace on a plain axis: to its last
	// sample or close, idle times included.
	FullRange bool
}

// Cwnd draws the congestion window of each connection of one load as a
// step line (KB against ms), its ssthresh as a dotted line of the same
// colour once it is set, and a short vertical bar on the line wherever a
// response completed on that connection. Slow start shows as a steep
// staircase, a loss as a drop to ssthresh, and a restart after idle as a
// drop at the start of the next request's burst.
//
// The x axis runs from the start of the first request to the end of the
// last one (see CwndOptions.Requests), plus a small margin; the flat
// tail of an idle connection waiting to be closed is not shown. When the
// run has several page visits, a dashed line marks where each later
// visit starts, and an idle time between visits much longer than the
// loads is cut out of the axis: it is shaded, the axis carries a "//"
// there, and the tick labels on either side are the true times.
func Cwnd(tr experiments.Trace, opt CwndOptions) (*plot.Plot, error) {
	d, err := cwndData(tr, opt)
	if err != nil {
		return nil, err
	}
	return drawCwnd(d)
}

// CwndData is what a congestion-window plot shows, in ms and KB.
type CwndData struct {
	Title, XLabel string
	Conns         []CwndConn // the connections with samples, in order
	SSThresh      bool       // some connection has an ssthresh line
	// Span is set when the x axis spans the page loads: from Lo to Hi
	// (ms), with the idle times Gaps cut out of it. Otherwise it runs
	// from 0 to a round number past the trace's end.
	Span   bool
	Lo, Hi float64
	Gaps   [][2]float64
	// Visits are the page visits marked on the axis (when it spans
	// several).
	Visits []CwndVisit
}

// CwndConn is one connection of a congestion-window plot.
type CwndConn struct {
	Connection int
	Color      int    // palette index: its place among the picked connections
	Label      string // legend text, "c1 www.example.com"
	// Window is the congestion window (KB against ms) as a step line,
	// from the first sample to the close or the trace's end.
	Window plotter.XYs
	// SSThresh are the runs of samples where ssthresh is set, each a step
	// line; a value at or above 1<<40 means "not set yet".
	SSThresh []plotter.XYs
	// Ends are the times responses completed (each instant once), on the
	// window line.
	Ends plotter.XYs
}

// CwndVisit is a page visit's start on the trace's clock.
type CwndVisit struct {
	Visit   int // 0-based
	StartMS float64
}

// cwndData picks the connections and shapes their samples and the page
// visits into a congestion-window plot's data; see Cwnd.
// CwndSSThresh reports whether the cwnd figure of tr with opt draws an
// ssthresh line: whether a loss or an idle restart set ssthresh on a
// drawn connection (false for data it cannot draw), so a caption
// promises the dotted line only when there is one.
func CwndSSThresh(tr experiments.Trace, opt CwndOptions) bool {
	d, err := cwndData(tr, opt)
	return err == nil && d.SSThresh
}

func cwndData(tr experiments.Trace, opt CwndOptions) (CwndData, error) {
	conns, err := pickConns(tr, opt.Conns)
	if err != nil {
		return CwndData{}, err
	}
	loads := cwndLoads(tr, conns, opt.Requests)
	d := CwndData{Title: opt.Title, XLabel: "time since the start of the page load (ms)"}
	if d.Title == "" {
		d.Title = "Congestion window: " + runName(tr.Model, tr.Point, -1)
	}
	if len(loads) > 1 && !opt.FullRange {
		d.XLabel = "time since the start of the first visit (ms)"
	}
	end := traceEnd(conns)
	var all []experiments.CwndSample
	for i, c := range conns {
		cc, samples := cwndConn(i, c, end, !opt.NoSSThresh)
		if len(samples) == 0 {
			continue
		}
		all = append(all, samples...)
		d.SSThresh = d.SSThresh || len(cc.SSThresh) > 0
		d.Conns = append(d.Conns, cc)
	}
	if len(d.Conns) == 0 {
		return CwndData{}, fmt.Errorf("%w: no cwnd samples", ErrNoData)
	}
	if !opt.FullRange && len(loads) > 0 {
		slices.SortStableFunc(all, func(a, b experiments.CwndSample) int { return cmp.Compare(a.TimeMS, b.TimeMS) })
		d.Span = true
		d.Lo, d.Hi, d.Gaps = cwndRange(loads, all)
		if len(loads) > 1 {
			for _, ld := range loads {
				d.Visits = append(d.Visits, CwndVisit{Visit: ld.visit, StartMS: ld.visitStart})
			}
		}
	}
	return d, nil
}

// traceEnd is the time the trace ends: its last sample, close or
// response.
func traceEnd(conns []experiments.ConnTrace) float64 {
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
	return end
}

// cwndConn shapes connection c (the i-th picked) of a trace that ends at
// end, and returns its samples with a finite time, sorted by time (none:
// nothing to draw). ssthresh says whether to give its ssthresh runs.
func cwndConn(i int, c experiments.ConnTrace, end float64, ssthresh bool) (CwndConn, []experiments.CwndSample) {
	samples := slices.DeleteFunc(slices.Clone(c.Cwnd), func(s experiments.CwndSample) bool {
		return math.IsNaN(s.TimeMS) || math.IsInf(s.TimeMS, 0)
	})
	if len(samples) == 0 {
		return CwndConn{}, nil
	}
	slices.SortStableFunc(samples, func(a, b experiments.CwndSample) int { return cmp.Compare(a.TimeMS, b.TimeMS) })
	cc := CwndConn{Connection: c.Connection, Color: i, Label: "c" + strconv.Itoa(c.Connection)}
	if c.Host != "" {
		cc.Label += " " + c.Host
	}
	stop := end
	if !math.IsNaN(c.CloseMS) && !math.IsInf(c.CloseMS, 0) {
		stop = c.CloseMS
	}
	cc.Window = make(plotter.XYs, 0, len(samples)+1)
	for _, s := range samples {
		cc.Window = append(cc.Window, plotter.XY{X: s.TimeMS, Y: float64(s.Cwnd) / 1e3})
	}
	if last := samples[len(samples)-1]; stop > last.TimeMS {
		cc.Window = append(cc.Window, plotter.XY{X: stop, Y: float64(last.Cwnd) / 1e3})
	}
	if ssthresh {
		cc.SSThresh = ssthreshRuns(samples, stop)
	}
	for _, t := range c.ResponseEndsMS {
		// Responses completing at the same instant share one mark.
		if math.IsNaN(t) || math.IsInf(t, 0) || slices.ContainsFunc(cc.Ends, func(e plotter.XY) bool { return e.X == t }) {
			continue
		}
		cc.Ends = append(cc.Ends, plotter.XY{X: t, Y: cwndAt(samples, t) / 1e3})
	}
	return cc, samples
}

// connMarks are the response marks of one connection.
type connMarks struct {
	*plotter.Scatter
	color int // palette index
}

// drawCwnd draws a congestion-window plot's data.
func drawCwnd(d CwndData) (*plot.Plot, error) {
	p := newPlot(d.Title, d.XLabel, "congestion window (KB)")
	p.Add(grid(true, true))
	leg := newSideLegend("connection")
	guides, lines, marks, err := cwndPlotters(d.Conns, leg)
	if err != nil {
		return nil, err
	}
	var axis *brokenAxis
	if len(d.Gaps) > 0 {
		axis = &brokenAxis{gaps: d.Gaps, frac: 0.06}
		p.Add(&gapBands{axis: axis, fill: color.Gray{Y: 238}})
	}
	visits := visitGuides(d.Visits)
	if d.SSThresh {
		leg.add("ssthresh", lineThumb(draw.LineStyle{Color: color.Gray{Y: 60}, Width: vg.Points(1.3), Dashes: dotted()}, nil))
	}
	p.Add(guides...)
	p.Add(lines...)
	for _, m := range marks {
		p.Add(m.Scatter)
	}
	p.Add(visits...)
	if axis != nil {
		p.Add(&breakMarks{axis: axis, style: draw.LineStyle{Color: color.Black, Width: vg.Points(1)}})
	}
	p.Add(leg)
	if d.Span {
		p.X.Min, p.X.Max = d.Lo, d.Hi // after Add, which widens to the data
	} else {
		p.X.Min = min(p.X.Min, 0)
		_, p.X.Max = niceRange(0, p.X.Max)
	}
	// Room above the highest window for the visit notes.
	if len(visits) > 0 {
		p.Y.Max *= 1.08
	}
	setScales(p, false, false)
	if axis != nil {
		p.X.Scale = *axis
		p.X.Tick.Marker = *axis
	}
	crowded := thinCrowdedMarks(marks, p.X.Norm)
	if len(marks) > 0 {
		gs := draw.GlyphStyle{Color: color.Gray{Y: 40}, Radius: vg.Points(6), Shape: vtickGlyph{}}
		if crowded {
			gs = draw.GlyphStyle{Color: color.Gray{Y: 120}, Radius: vg.Points(4.5), Shape: vtickGlyph{width: vg.Points(1.1)}}
		}
		leg.add("response complete\n(when the client\nhad it in full)", lineThumb(draw.LineStyle{}, &gs))
	}
	if axis != nil {
		leg.add("idle time cut\nout of the axis\n(not to scale)", breakThumb(color.Gray{Y: 238}, draw.LineStyle{Color: color.Black, Width: vg.Points(1)}))
	}
	return p, nil
}

// cwndPlotters makes each connection's window line, ssthresh lines and
// response marks, and lists the connection in the legend.
func cwndPlotters(conns []CwndConn, leg *sideLegend) (guides, lines []plot.Plotter, marks []connMarks, err error) {
	for _, c := range conns {
		ls := seriesLine(c.Color, vg.Points(2))
		l, err := newLine(c.Window, ls, plotter.PostStep)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("plots: connection %d: %w", c.Connection, err)
		}
		lines = append(lines, l)
		ss := draw.LineStyle{Color: seriesColor(c.Color), Width: vg.Points(1.3), Dashes: dotted()}
		for _, run := range c.SSThresh {
			sl, err := newLine(run, ss, plotter.PostStep)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("plots: connection %d ssthresh: %w", c.Connection, err)
			}
			guides = append(guides, sl)
		}
		if len(c.Ends) > 0 {
			sc, err := scatter(c.Ends, markStyle(c.Color, false))
			if err != nil {
				return nil, nil, nil, err
			}
			marks = append(marks, connMarks{sc, c.Color})
		}
		leg.add(c.Label, lineThumb(ls, nil))
	}
	return guides, lines, marks, nil
}

// visitGuides marks where each visit starts: a dashed line and a note,
// the first visit (at the y axis) a note only.
func visitGuides(visits []CwndVisit) []plot.Plotter {
	var gs []plot.Plotter
	vs := draw.LineStyle{Color: color.Gray{Y: 90}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
	for k, v := range visits {
		g := &vguide{x: v.StartMS, style: vs, note: fmt.Sprintf("visit %d", v.Visit+1), sty: textStyle(noteSize), noRange: true, noteRight: true}
		if k == 0 {
			g.style = draw.LineStyle{}
		}
		gs = append(gs, g)
	}
	return gs
}

// thinCrowdedMarks draws marks thinner and lighter where many responses
// close together would make a comb that hides the line (norm maps x to
// 0..1 along the axis); it reports whether it did.
func thinCrowdedMarks(marks []connMarks, norm func(float64) float64) bool {
	crowded := false
	for _, m := range marks {
		if marksCrowded(m.XYs, norm) {
			m.GlyphStyle = markStyle(m.color, true)
			crowded = true
		}
	}
	return crowded
}

// markStyle is the style of the response-complete marks of connection i:
// a bold dark bar, or a thin light one when the marks are crowded.
func markStyle(i int, crowded bool) draw.GlyphStyle {
	if crowded {
		return draw.GlyphStyle{Color: lighten(darken(seriesColor(i)), 0.45), Radius: vg.Points(4.5), Shape: vtickGlyph{width: vg.Points(1.1)}}
	}
	return draw.GlyphStyle{Color: darken(seriesColor(i)), Radius: vg.Points(6), Shape: vtickGlyph{}}
}

// crowdedMarks is the spacing, in points of a default figure's x axis,
// below which response marks count as crowded.
const crowdedMarks = 14

// marksCrowded reports whether the marks' median spacing on the axis is
// under crowdedMarks points (norm maps x to 0..1 along the axis).
func marksCrowded(xys plotter.XYs, norm func(float64) float64) bool {
	var xs []float64
	for _, p := range xys {
		if x := norm(p.X); x >= 0 && x <= 1 {
			xs = append(xs, x)
		}
	}
	if len(xs) < 4 {
		return false
	}
	slices.Sort(xs)
	d := make([]float64, len(xs)-1)
	for i := range d {
		d[i] = xs[i+1] - xs[i]
	}
	slices.Sort(d)
	return d[len(d)/2]*axisLengthGuess < crowdedMarks
}

// cwndLoad is one page visit on the trace's clock (ms since the start of
// the run): from its first request's start to its last request's end.
type cwndLoad struct {
	visit      int     // 0-based
	visitStart float64 // where the visit's request times count from
	start, end float64
}

// cwndLoads returns the page visits in which the drawn connections
// carried requests, on the trace's clock. Request rows count time from
// the start of their visit while the trace counts from the start of the
// run, so each visit's offset is found by matching its requests' ends to
// the responses the trace saw complete on the same connections. Without
// request rows (or when none can be matched) it returns one load from the
// first connection's opening to the last response.
func cwndLoads(tr experiments.Trace, drawn []experiments.ConnTrace, reqs []experiments.RequestRow) []cwndLoad {
	if loads := alignVisits(tr, drawn, reqs); len(loads) > 0 {
		return loads
	}
	first, last := math.Inf(1), math.Inf(-1)
	for _, c := range drawn {
		if !math.IsNaN(c.OpenMS) && !math.IsInf(c.OpenMS, 0) {
			first = min(first, c.OpenMS)
		}
		for _, s := range c.Cwnd {
			if !math.IsNaN(s.TimeMS) && !math.IsInf(s.TimeMS, 0) {
				first = min(first, s.TimeMS)
			}
		}
		for _, t := range c.ResponseEndsMS {
			if !math.IsNaN(t) && !math.IsInf(t, 0) {
				last = max(last, t)
			}
		}
	}
	if math.IsInf(first, 0) || math.IsInf(last, 0) || !(last > first) {
		return nil
	}
	return []cwndLoad{{visit: 0, visitStart: first, start: first, end: last}}
}

// alignVisits places each visit of reqs on the trace's clock; see
// cwndLoads. Visits without a request on a drawn connection, or whose
// offset cannot be found, are left out.
func alignVisits(tr experiments.Trace, drawn []experiments.ConnTrace, reqs []experiments.RequestRow) []cwndLoad {
	ends := responseEnds(tr)
	isDrawn := map[int]bool{}
	for _, c := range drawn {
		isDrawn[c.Connection] = true
	}
	byVisit := map[int][]*experiments.RequestRow{}
	for i := range reqs {
		r := &reqs[i]
		if finite(r.StartMS) && finite(r.EndMS) && r.EndMS >= r.StartMS {
			byVisit[r.Visit] = append(byVisit[r.Visit], r)
		}
	}
	var loads []cwndLoad
	prevEnd := 0.0
	for _, v := range slices.Sorted(maps.Keys(byVisit)) {
		rs := byVisit[v]
		off, ok := visitOffset(rs, ends, prevEnd)
		if !ok {
			continue
		}
		ld := cwndLoad{visit: v, visitStart: off, start: math.Inf(1), end: math.Inf(-1)}
		onDrawn := false
		for _, r := range rs {
			ld.start = min(ld.start, off+r.StartMS)
			ld.end = max(ld.end, off+r.EndMS)
			onDrawn = onDrawn || isDrawn[r.Connection]
		}
		prevEnd = ld.end
		if onDrawn {
			loads = append(loads, ld)
		}
	}
	return loads
}

// alignTol is how far apart (ms) a request's end and a response's end
// may be and still line up; rows keep 6 decimals.
const alignTol = 0.01

// responseEnds returns the finite response ends of each connection of
// the trace, sorted.
func responseEnds(tr experiments.Trace) map[int][]float64 {
	ends := map[int][]float64{}
	for _, c := range tr.Conns {
		for _, t := range c.ResponseEndsMS {
			if finite(t) {
				ends[c.Connection] = append(ends[c.Connection], t)
			}
		}
		slices.Sort(ends[c.Connection])
	}
	return ends
}

// visitOffset finds where the visit of requests rs starts on the trace's
// clock, given the response ends per connection. A visit starts after
// the previous one ended (after), so its offset is at least that; among
// the offsets that line up one of its requests with a response, it takes
// the one that lines up most (the earliest of those). Most (4/5) of the
// visit's requests whose connection is in the trace must line up (all do
// when rows and trace are of one run); ok is false otherwise. It sorts rs
// by request number.
func visitOffset(rs []*experiments.RequestRow, ends map[int][]float64, after float64) (off float64, ok bool) {
	slices.SortStableFunc(rs, func(a, b *experiments.RequestRow) int { return cmp.Compare(a.Request, b.Request) })
	need := 0
	for _, r := range rs {
		if len(ends[r.Connection]) > 0 {
			need++
		}
	}
	need = (4*need + 4) / 5
	best, bestN := math.NaN(), 0
	for _, r := range rs {
		for _, e := range ends[r.Connection] {
			off := e - r.EndMS
			if off < after-alignTol {
				continue
			}
			if n := linedUp(rs, ends, off); n > bestN || n == bestN && off < best {
				best, bestN = off, n
			}
		}
		if bestN == len(rs) {
			break
		}
	}
	if bestN == 0 || bestN < need {
		return 0, false
	}
	return best, true
}

// linedUp counts the requests whose end, moved by off, is a response end
// on their connection.
func linedUp(rs []*experiments.RequestRow, ends map[int][]float64, off float64) int {
	n := 0
	for _, r := range rs {
		es := ends[r.Connection]
		i, _ := slices.BinarySearch(es, r.EndMS+off-alignTol)
		if i < len(es) && es[i] <= r.EndMS+off+alignTol {
			n++
		}
	}
	return n
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// cwndRange returns the x range of a cwnd plot over the loads (sorted)
// and the idle gaps to cut out of it. Each load is extended over the
// window changes that follow its last response closely (the server's
// window grows as the last ACKs arrive, up to half an RTT later), plus a
// margin of 2% of the time shown. A gap between loads is cut out when
// it is longer than 1.5 times the longer of the two loads beside it.
func cwndRange(loads []cwndLoad, samples []experiments.CwndSample) (lo, hi float64, gaps [][2]float64) {
	busy := 0.0
	for _, ld := range loads {
		busy += ld.end - ld.start
	}
	if !(busy > 0) {
		busy = 1
	}
	margin := 0.02 * busy
	type span struct{ lo, hi float64 }
	var spans []span
	for _, ld := range loads {
		// Samples that follow the last response in quick succession.
		tail := ld.end
		step := max(0.1*(ld.end-ld.start), 2*margin)
		i, _ := slices.BinarySearchFunc(samples, ld.end, func(s experiments.CwndSample, t float64) int {
			if s.TimeMS <= t {
				return -1
			}
			return 1
		})
		for ; i < len(samples) && samples[i].TimeMS-tail <= step; i++ {
			tail = samples[i].TimeMS
		}
		spans = append(spans, span{ld.start, tail + margin})
	}
	lo, hi = spans[0].lo, spans[0].hi
	prev := spans[0]
	for _, s := range spans[1:] {
		s.lo = max(s.lo-margin, prev.hi)
		if g := s.lo - prev.hi; g > 1.5*max(prev.hi-prev.lo, s.hi-s.lo) {
			gaps = append(gaps, [2]float64{prev.hi, s.lo})
		}
		hi = max(hi, s.hi)
		prev = s
	}
	return lo, hi, gaps
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
