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
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/connsim/connsim/experiments"
)

// WaterfallOptions configures Waterfall.
type WaterfallOptions struct {
	// Title defaults to "Waterfall: <model>, <point>". In a title,
	// {loaded_ms} becomes the end of the load (ms, as the dotted line's
	// note writes it), {connections} the number of connections among
	// the rows and {requests} the number of requests of the visit, so
	// the numbers a title states are those of the run it shows.
	Title string
	// Visit picks the page visit to draw (0 = the first); requests of
	// other visits are ignored.
	Visit int
	// ByConnection orders rows by connection, then request, instead of
	// by request; each connection's requests then sit together.
	ByConnection bool
	// Trace is the run's trace (nil: no loss marks). Each retransmitted
	// segment of a connection is marked on the rows of that connection
	// that were under way when it was resent: a red line from the
	// lost original's sending to the retransmission, which ends in a
	// red bar. A long line is a stall: the retransmission timer (or a
	// loss probe) had to fire, as nothing revealed the loss sooner.
	Trace *experiments.Trace
	// XMax (ms), when past the end of the load, extends the time axis
	// to it, so waterfalls meant to be compared share one scale.
	XMax float64
}

// Phase is one part of a request's timeline, in HAR's order.
type Phase struct {
	Name  string
	Color color.RGBA
}

// Phases lists the waterfall phases in the order they happen. The colours
// follow browser developer tools (DNS teal, connect orange, TLS purple,
// waiting green, receiving blue) and differ in lightness, so adjacent
// phases stay apart in greyscale.
var Phases = [...]Phase{
	{"queued", color.RGBA{R: 0xC8, G: 0xC8, B: 0xC8, A: 0xFF}},
	{"dns", color.RGBA{R: 0x00, G: 0x89, B: 0x7B, A: 0xFF}},
	{"connect", color.RGBA{R: 0xF5, G: 0x9E, B: 0x2A, A: 0xFF}},
	{"tls", color.RGBA{R: 0x7B, G: 0x1F, B: 0xA2, A: 0xFF}},
	{"send", color.RGBA{R: 0x2E, G: 0x2E, B: 0x2E, A: 0xFF}},
	{"wait", color.RGBA{R: 0x8B, G: 0xD1, B: 0x7C, A: 0xFF}},
	{"receive", color.RGBA{R: 0x1E, G: 0x5A, B: 0xB4, A: 0xFF}},
}

// phaseDurations returns a request's phase durations in Phases' order.
func phaseDurations(r *experiments.RequestRow) [len(Phases)]float64 {
	return [...]float64{r.QueuedMS, r.DNSMS, r.ConnectMS, r.TLSMS, r.SendMS, r.WaitMS, r.ReceiveMS}
}

// phaseRects tiles a request's timeline with one rectangle per phase that
// took time, consecutively from StartMS, between y0 and y1. It also
// returns each rectangle's index in Phases.
func phaseRects(r *experiments.RequestRow, y0, y1 float64) ([]dataRect, []int) {
	var rs []dataRect
	var phases []int
	t := r.StartMS
	for k, d := range phaseDurations(r) {
		if math.IsNaN(d) || d <= 0 {
			continue
		}
		rs = append(rs, dataRect{x0: t, x1: t + d, y0: y0, y1: y1, fill: Phases[k].Color})
		phases = append(phases, k)
		t += d
	}
	return rs, phases
}

// rowPitch is the vertical room of one waterfall row, in points, when the
// figure is saved at DefaultSize.
const rowPitch = 15

// waterfallTicks labels the request rows. Its type also tells DefaultSize
// that the plot is a waterfall and how many rows it has.
type waterfallTicks []plot.Tick

func (t waterfallTicks) Ticks(float64, float64) []plot.Tick { return t }
func (t waterfallTicks) rows() int                          { return len(t) }

// MaxWaterfallRows is the number of requests a waterfall draws at most;
// a page with more shows its first ones and says so in the title.
const MaxWaterfallRows = 200

// Waterfall draws one page load as a timeline: one row per request, top
// to bottom in request order, each bar split into the phases queued, dns,
// connect, tls, send, wait and receive, starting at the request's
// StartMS. "c<N>" in each row's label names the connection that carried
// it, and a coloured stripe left of the row tells neighbouring
// connections apart: rows with the same number reused one connection.
// Stripe colours are given in the order connections first appear and
// repeat after eight connections; they are never phase colours. With
// two to eight hostnames the stripes colour hosts instead. The dotted
// line marks the end of the load. A request that waited through refused
// connection attempts (RequestRow.Refusals) has its queued span hatched,
// and a replayed one (RequestRow.Replayed) an "R" badge where it was
// sent again; the legend lists these marks only when some row has one.
// reqs must come from one run (one model, point and run).
func Waterfall(reqs []experiments.RequestRow, opt WaterfallOptions) (*plot.Plot, error) {
	d, err := waterfallData(reqs, opt)
	if err != nil {
		return nil, err
	}
	return drawWaterfall(d), nil
}

// WaterfallMarks reports whether the waterfall of reqs with opt (the
// rows it draws) marks a request that waited through refused connection
// attempts, and one that was replayed; false for data it cannot draw.
func WaterfallMarks(reqs []experiments.RequestRow, opt WaterfallOptions) (refused, replayed bool) {
	d, err := waterfallData(reqs, opt)
	if err != nil {
		return false, false
	}
	return d.Refused, d.Replayed
}

// WaterfallData is what a waterfall shows: its rows top to bottom (at
// most MaxWaterfallRows), the end of the load and how stripes are
// coloured.
type WaterfallData struct {
	Title string
	Rows  []WaterfallRow
	End   float64 // ms: the end of the load, the last phase or EndMS
	// Hosts are the hostnames in the order they first appear. With more
	// than one and at most len(stripePalette), ByHost is set and the
	// stripes colour hosts; otherwise they tell connections apart.
	Hosts  []string
	ByHost bool
	Used   [len(Phases)]bool // phases that took time in some row
	Conns  int               // connections among the rows
	// Refused, Replayed and Lost say that some row has that mark (the
	// legend lists only the marks in use).
	Refused, Replayed, Lost bool
	XMax                    float64 // the time axis reaches at least this far (ms)
}

// WaterfallRow is one request's row.
type WaterfallRow struct {
	Label  string // "#3 c2 10.3 KB host"
	Phases []dataRect
	Stripe color.Color

	// Refusals counts the connection attempts refused while the
	// request waited; Hatch is the span hatched for them: its queued
	// phase, or start to end when it has none (a request that failed
	// waiting). Zero when Refusals is 0.
	Refusals int
	Hatch    dataRect
	// Replayed marks a request sent again after a connection closed
	// under it; ReplayAt (ms) is where its badge goes: its last send,
	// the start of its send phase (its start when it was never sent).
	Replayed bool
	ReplayAt float64
	// Losses are the retransmissions of its connection while the
	// request was under way, on the visit's clock (ms).
	Losses []LossSpan
}

// LossSpan is one retransmitted segment: Sent is when its lost original
// was sent (Resent when it cannot be found), Resent when it was sent
// again.
type LossSpan struct{ Sent, Resent float64 }

// waterfallData picks, orders and cuts a run's requests for a waterfall;
// see Waterfall.
func waterfallData(reqs []experiments.RequestRow, opt WaterfallOptions) (WaterfallData, error) {
	rows, err := visitRows(reqs, opt)
	if err != nil {
		return WaterfallData{}, err
	}
	d := WaterfallData{Title: opt.Title, XMax: opt.XMax}
	if d.Title == "" {
		d.Title = "Waterfall: " + runName(reqs[0].Model, reqs[0].Point, -1)
		if opt.Visit > 0 {
			d.Title += fmt.Sprintf(", visit %d", opt.Visit+1)
		}
	}
	total := len(rows)
	if total > MaxWaterfallRows {
		// Drawing is superlinear in rows (87 s for 10,000) and a taller
		// waterfall is no longer readable: draw the first ones and say so.
		rows = rows[:MaxWaterfallRows]
		d.Title += fmt.Sprintf(" (first %d of %d requests)", MaxWaterfallRows, total)
	}
	const half = 0.32 // half a bar's height, in rows
	n := len(rows)
	manyHosts := slices.ContainsFunc(rows, func(r *experiments.RequestRow) bool { return r.Host != rows[0].Host })
	for _, r := range rows {
		if !slices.Contains(d.Hosts, r.Host) {
			d.Hosts = append(d.Hosts, r.Host)
		}
	}
	// With several hostnames (sharding, a CDN) and few enough of them,
	// the stripe says which host a row's connection goes to; otherwise
	// it tells neighbouring connections apart.
	d.ByHost = len(d.Hosts) > 1 && len(d.Hosts) <= len(stripePalette)
	colors := stripeColors{}
	phases := 0
	losses := lossSpans(opt.Trace, reqs, opt.Visit)
	for i, r := range rows {
		y := float64(n - 1 - i)
		rs, ks := phaseRects(r, y-half, y+half)
		for k, rc := range rs {
			if math.IsNaN(rc.x1) || math.IsInf(rc.x1, 0) || math.IsNaN(rc.x0) || math.IsInf(rc.x0, 0) {
				return WaterfallData{}, fmt.Errorf("plots: request %d has a non-finite time", r.Request)
			}
			d.Used[ks[k]] = true
			d.End = max(d.End, rc.x1)
		}
		phases += len(rs)
		if !math.IsNaN(r.EndMS) && !math.IsInf(r.EndMS, 0) {
			d.End = max(d.End, r.EndMS)
		}
		row := WaterfallRow{Label: requestLabel(r, manyHosts), Phases: rs, Stripe: colors.of(r.Connection)}
		if d.ByHost {
			row.Stripe = stripePalette[slices.Index(d.Hosts, r.Host)]
		}
		markRow(&row, r, rs, ks, y-half, y+half)
		row.Losses = rowLosses(r, losses[r.Connection])
		d.Refused = d.Refused || row.Refusals > 0
		d.Replayed = d.Replayed || row.Replayed
		d.Lost = d.Lost || len(row.Losses) > 0
		d.Rows = append(d.Rows, row)
	}
	if phases == 0 {
		return WaterfallData{}, fmt.Errorf("%w: every request has zero duration", ErrNoData)
	}
	d.Conns = len(colors.index)
	d.Title = strings.NewReplacer(
		"{loaded_ms}", loadedAt(d.End),
		"{connections}", strconv.Itoa(d.Conns),
		"{requests}", strconv.Itoa(total),
	).Replace(d.Title)
	return d, nil
}

// WaterfallLost reports whether the waterfall of reqs with opt marks a
// retransmission on some row (false for data it cannot draw).
func WaterfallLost(reqs []experiments.RequestRow, opt WaterfallOptions) bool {
	d, err := waterfallData(reqs, opt)
	return err == nil && d.Lost
}

// WaterfallEnd returns the end (ms) of the load a waterfall of reqs with
// opt shows, NaN when it cannot be drawn: what a shared time axis
// (WaterfallOptions.XMax) must reach.
func WaterfallEnd(reqs []experiments.RequestRow, opt WaterfallOptions) float64 {
	opt.Trace = nil
	d, err := waterfallData(reqs, opt)
	if err != nil {
		return math.NaN()
	}
	return d.End
}

// lossSpans returns each connection's retransmissions in tr, on the
// clock of the given visit of reqs (nil without a trace, or when the
// visit cannot be placed on the trace's clock). A retransmission's
// original is the latest earlier segment in the same direction with the
// same sequence number and length that was not itself a retransmission.
func lossSpans(tr *experiments.Trace, reqs []experiments.RequestRow, visit int) map[int][]LossSpan {
	if tr == nil {
		return nil
	}
	off := 0.0
	if loads := alignVisits(*tr, tr.Conns, reqs); len(loads) > 0 {
		i := slices.IndexFunc(loads, func(l cwndLoad) bool { return l.visit == visit })
		if i < 0 {
			return nil
		}
		off = loads[i].visitStart
	} else if visit > 0 {
		return nil
	}
	out := map[int][]LossSpan{}
	for _, c := range tr.Conns {
		for i, s := range c.Segments {
			if !s.Retransmit || !finite(s.TimeMS) {
				continue
			}
			sent := s.TimeMS
			for j := i - 1; j >= 0; j-- {
				o := c.Segments[j]
				if o.FromClient == s.FromClient && o.Seq == s.Seq && o.Len == s.Len && !o.Retransmit && finite(o.TimeMS) {
					sent = o.TimeMS
					break
				}
			}
			out[c.Connection] = append(out[c.Connection], LossSpan{Sent: sent - off, Resent: s.TimeMS - off})
		}
	}
	return out
}

// rowLosses returns the retransmissions of a request's connection that
// were resent while it was under way: after its queued phase (when its
// connection was its own) and no later than its end.
func rowLosses(r *experiments.RequestRow, spans []LossSpan) []LossSpan {
	from := r.StartMS
	if finite(r.QueuedMS) && r.QueuedMS > 0 {
		from += r.QueuedMS
	}
	var out []LossSpan
	for _, l := range spans {
		if l.Resent >= from && finite(r.EndMS) && l.Resent <= r.EndMS {
			out = append(out, LossSpan{Sent: max(l.Sent, from), Resent: l.Resent})
		}
	}
	return out
}

// markRow sets a row's marks from its request: the hatched span of its
// refusals and the place of its replay badge (see WaterfallRow). rs and
// ks are the row's phase rectangles and their phases, between y0 and y1.
func markRow(row *WaterfallRow, r *experiments.RequestRow, rs []dataRect, ks []int, y0, y1 float64) {
	if r.Refusals > 0 {
		row.Refusals = r.Refusals
		if i := slices.Index(ks, 0); i >= 0 {
			row.Hatch = rs[i]
		} else if end := r.EndMS; !math.IsNaN(end) && !math.IsInf(end, 0) {
			row.Hatch = dataRect{x0: r.StartMS, x1: end, y0: y0, y1: y1}
		} else {
			row.Hatch = dataRect{x0: r.StartMS, x1: r.StartMS, y0: y0, y1: y1}
		}
		row.Hatch.fill = nil
	}
	if r.Replayed {
		row.Replayed = true
		row.ReplayAt = r.StartMS
		if r.SendMS > 0 || r.WaitMS > 0 || r.ReceiveMS > 0 {
			// Answered: its send phase starts after the queued, dns,
			// connect and tls phases.
			ds := phaseDurations(r)
			for _, d := range ds[:4] {
				if !math.IsNaN(d) && d > 0 {
					row.ReplayAt += d
				}
			}
		}
	}
}

// visitRows returns the requests of the chosen visit, ordered by request
// (or by connection, then request), after checking that they come from
// one run.
func visitRows(reqs []experiments.RequestRow, opt WaterfallOptions) ([]*experiments.RequestRow, error) {
	if len(reqs) == 0 {
		return nil, fmt.Errorf("%w: no requests", ErrNoData)
	}
	first := reqs[0]
	var rows []*experiments.RequestRow
	for i := range reqs {
		r := &reqs[i]
		if r.Model != first.Model || r.Run != first.Run || !samePoint(r.Point, first.Point) {
			return nil, fmt.Errorf("plots: waterfall needs the requests of one run, got %s and %s",
				runName(first.Model, first.Point, first.Run), runName(r.Model, r.Point, r.Run))
		}
		if r.Visit == opt.Visit {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no requests in visit %d", ErrNoData, opt.Visit)
	}
	slices.SortStableFunc(rows, func(a, b *experiments.RequestRow) int {
		if opt.ByConnection {
			if c := cmp.Compare(a.Connection, b.Connection); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Request, b.Request)
	})
	return rows, nil
}

// drawWaterfall draws a waterfall's data.
func drawWaterfall(d WaterfallData) *plot.Plot {
	p := newPlot(d.Title, "time since the start of the page load (ms)", "")
	p.Add(grid(true, false))
	n := len(d.Rows)
	bars := &rects{outline: draw.LineStyle{Color: color.White, Width: vg.Points(0.3)}}
	stripes := &leftStripes{half: 0.45, width: vg.Points(7)}
	ticks := make(waterfallTicks, n)
	for i, r := range d.Rows {
		y := float64(n - 1 - i)
		bars.rs = append(bars.rs, r.Phases...)
		stripes.ys = append(stripes.ys, y)
		stripes.colors = append(stripes.colors, r.Stripe)
		ticks[i] = plot.Tick{Value: y, Label: r.Label}
	}
	p.Add(bars)
	// A send phase lasts a packet's time on the link (a fraction of a ms):
	// drawn at its true width it would vanish at page scale, so it is
	// drawn at least sendMinWidth wide, over the start of the wait.
	send := &rects{minWidth: vg.Points(sendMinWidth)}
	for _, r := range d.Rows {
		for _, rc := range r.Phases {
			if rc.fill == Phases[4].Color {
				send.rs = append(send.rs, rc)
			}
		}
	}
	p.Add(send)
	p.Add(stripes)
	if d.Lost {
		ls := &lossMarks{}
		for i, r := range d.Rows {
			for _, l := range r.Losses {
				ls.spans = append(ls.spans, [3]float64{l.Sent, l.Resent, float64(n - 1 - i)})
			}
		}
		p.Add(ls)
	}
	// The marks are added only when some row has one, so a waterfall
	// without them is drawn as before.
	if d.Refused {
		h := &hatches{style: refusedHatch()}
		for _, r := range d.Rows {
			if r.Refusals > 0 {
				h.rs = append(h.rs, r.Hatch)
			}
		}
		p.Add(h)
	}
	if d.Replayed {
		b := &badges{text: "R"}
		for i, r := range d.Rows {
			if r.Replayed {
				b.pts = append(b.pts, [2]float64{r.ReplayAt, float64(n - 1 - i)})
			}
		}
		p.Add(b)
	}
	p.Add(&vguide{
		x:     d.End,
		style: draw.LineStyle{Color: color.Gray{Y: 60}, Width: vg.Points(1.2), Dashes: dotted()},
		note:  "loaded at " + loadedAt(d.End) + " ms",
		sty:   textStyle(noteSize),
		// On an axis shared with a longer load, the note goes right of
		// the line, where no bar is, not over the first rows' bars.
		noteRight: d.XMax > d.End,
	})
	p.Add(waterfallLegend(d))
	return finishWaterfall(p, ticks, n, max(d.End, d.XMax))
}

// sendMinWidth is the least width (points) a send phase is drawn with.
const sendMinWidth = 2

// lossColor marks retransmissions on a waterfall: a red no phase uses
// and darker than the stripes' red, so it reads on every phase colour.
var lossColor = color.RGBA{R: 0xB0, A: 0xFF}

// lossMarks draws retransmissions on waterfall rows: spans are (sent,
// resent, row y); a line at the row's middle from sent to resent, with
// a bar across the row at resent.
type lossMarks struct{ spans [][3]float64 }

func (l *lossMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	line := draw.LineStyle{Color: lossColor, Width: vg.Points(1.4)}
	bar := draw.LineStyle{Color: lossColor, Width: vg.Points(2)}
	for _, s := range l.spans {
		x0, x1, y := trX(s[0]), trX(s[1]), trY(s[2])
		h := (trY(s[2]+0.4) - trY(s[2]-0.4)) / 2
		if x1 > x0 {
			c.StrokeLines(line, c.ClipLinesXY([]vg.Point{{X: x0, Y: y}, {X: x1, Y: y}})...)
		}
		c.StrokeLines(bar, c.ClipLinesXY([]vg.Point{{X: x1, Y: y - h}, {X: x1, Y: y + h}})...)
	}
}

// waterfallLegend lists the phases in use and what the stripes mean.
func waterfallLegend(d WaterfallData) *sideLegend {
	leg := newSideLegend("phase")
	for k, ph := range Phases {
		if d.Used[k] {
			name := ph.Name
			if k == 4 {
				name = fmt.Sprintf("send (drawn at\nleast %d pt wide)", sendMinWidth)
			}
			leg.add(name, boxThumb(ph.Color, draw.LineStyle{}))
		}
	}
	if d.Lost {
		leg.add("retransmission\n(line: from the\nlost original;\nlong: a timer\nhad to fire)", thumbFunc(func(c *draw.Canvas) {
			y, h := c.Center().Y, (c.Max.Y-c.Min.Y)/2
			c.StrokeLine2(draw.LineStyle{Color: lossColor, Width: vg.Points(1.4)}, c.Min.X, y, c.Max.X, y)
			c.StrokeLine2(draw.LineStyle{Color: lossColor, Width: vg.Points(2)}, c.Max.X, y-h, c.Max.X, y+h)
		}))
	}
	if d.Refused {
		leg.add("refused attempts\n(hatched: waited\nthrough them)", thumbFunc(func(c *draw.Canvas) {
			boxThumb(Phases[0].Color, draw.LineStyle{}).Thumbnail(c)
			hatchRect(c, refusedHatch(), c.Min.X, c.Max.X, c.Min.Y, c.Max.Y)
		}))
	}
	if d.Replayed {
		leg.add("replayed\n(R: sent again\nafter its connection\nclosed)", thumbFunc(func(c *draw.Canvas) {
			drawBadge(c, c.Center(), "R")
		}))
	}
	if d.ByHost {
		leg.add("stripe: host\n(c<N> in the row\nlabel: connection)", thumbFunc(func(*draw.Canvas) {}))
		for i, h := range d.Hosts {
			leg.add(shorten(h, 24), boxThumb(stripePalette[i], draw.LineStyle{}))
		}
		return leg
	}
	// Stripe colours tell neighbouring connections apart; the c<N> in
	// the row label names the connection.
	label := "connection\n(c<N> in the row\nlabel; stripe colour\nfor each connection)"
	if d.Conns > len(stripePalette) {
		label = fmt.Sprintf("connection\n(c<N> in the row\nlabel; stripe colours\nrepeat every %d)", len(stripePalette))
	}
	leg.add(label, thumbFunc(func(c *draw.Canvas) {
		// Narrow stripes like the rows', one per colour in use.
		n := min(d.Conns, len(stripePalette))
		w := (c.Max.X - c.Min.X) / vg.Length(len(stripePalette))
		for j := range n {
			x0 := c.Min.X + w*vg.Length(j)
			c.FillPolygon(stripePalette[j], []vg.Point{
				{X: x0, Y: c.Min.Y}, {X: x0, Y: c.Max.Y}, {X: x0 + w*0.7, Y: c.Max.Y}, {X: x0 + w*0.7, Y: c.Min.Y},
			})
		}
	}))
	return leg
}

// finishWaterfall sets a waterfall's axes: one row per request, time from
// 0 to a round value past the end of the load.
func finishWaterfall(p *plot.Plot, ticks waterfallTicks, n int, end float64) *plot.Plot {
	p.Y.Tick.Marker = ticks
	p.Y.Tick.Label.Font = sansFont(10)
	p.Y.Tick.Length = 0
	p.Y.Padding = vg.Points(12)
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	p.X.Min = 0
	_, p.X.Max = niceRange(0, end)
	return p
}

// stripePalette colours the connection stripes of a waterfall. None of
// them is near a phase colour (no grey, teal, orange, purple, black,
// green or blue; CIE76 distance 30 or more from each), and neighbours
// in the list differ in lightness. They are not the series palette, whose
// orange and black are the connect and send phases.
var stripePalette = [...]color.RGBA{
	{R: 0xC6, G: 0x28, B: 0x28, A: 0xFF}, // red
	{R: 0xEB, G: 0xD5, B: 0x34, A: 0xFF}, // yellow
	{R: 0x8C, G: 0x56, B: 0x4B, A: 0xFF}, // brown
	{R: 0xE3, G: 0x77, B: 0xC2, A: 0xFF}, // pink
	{R: 0x6B, G: 0x6B, B: 0x00, A: 0xFF}, // olive
	{R: 0xF4, G: 0xA6, B: 0xA6, A: 0xFF}, // peach
	// Eight, so that a page sharded over up to eight hostnames is
	// coloured by host.
	{R: 0x7F, G: 0xB8, B: 0xF0, A: 0xFF}, // sky
	{R: 0xD8, G: 0xC0, B: 0x8A, A: 0xFF}, // sand
}

// stripeColors gives connections stripe colours in the order they first
// appear in the rows, so rows next to each other on different
// connections differ in colour even when the connection numbers jump
// (c1, c7, c13 with sharding). Beyond len(stripePalette) connections the
// colours repeat.
type stripeColors struct{ index map[int]int }

func (s *stripeColors) of(conn int) color.Color {
	if s.index == nil {
		s.index = map[int]int{}
	}
	i, ok := s.index[conn]
	if !ok {
		i = len(s.index)
		s.index[conn] = i
	}
	return stripePalette[i%len(stripePalette)]
}

// requestLabel is a waterfall row's label: "#3 c2 10.3 KB host", the
// host only when the page uses several.
func requestLabel(r *experiments.RequestRow, host bool) string {
	s := fmt.Sprintf("#%d c%d %s", r.Request, r.Connection, formatBytes(r.Bytes))
	if host && r.Host != "" {
		h := r.Host
		if rs := []rune(h); len(rs) > 20 {
			h = string(rs[:19]) + "…"
		}
		s += " " + h
	}
	return s
}

func samePoint(a, b []experiments.AxisValue) bool {
	return slices.EqualFunc(a, b, func(x, y experiments.AxisValue) bool {
		return x.Key == y.Key && (x.Value == y.Value || math.IsNaN(x.Value) && math.IsNaN(y.Value))
	})
}

// runName names a run for titles and errors: "pipelined, rtt=100ms, run 2".
// A negative run leaves the run out.
func runName(model string, point []experiments.AxisValue, run int) string {
	s := model
	for _, a := range point {
		s += ", " + shortKey(a.Key) + "=" + axisText(a)
	}
	if run >= 0 {
		s += fmt.Sprintf(", run %d", run)
	}
	return s
}

// loadedAt formats a load time in ms: whole milliseconds from 100 ms on,
// so that neighbouring figures read alike ("855", "788"), four
// significant digits below.
func loadedAt(ms float64) string {
	if ms >= 100 {
		return strconv.FormatFloat(math.Round(ms), 'f', 0, 64)
	}
	return formatNumber(ms, 4)
}
