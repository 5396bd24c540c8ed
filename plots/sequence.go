package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/connsim/connsim/experiments"
)

// SequenceOptions configures Sequence.
type SequenceOptions struct {
	Title string // default "Time-sequence: <model>, <point>, connection N"
	// FromMS and ToMS zoom into a time window (when ToMS > FromMS):
	// only packets sent inside it are drawn.
	FromMS, ToMS float64
}

// MaxSequenceSegments is the number of packets a time-sequence plot
// draws at most; a longer trace shows its first ones and says so.
const MaxSequenceSegments = 50_000

// Sequence draws a Stevens time-sequence plot of one connection: each
// server-to-client data segment is a vertical bar at the time it was sent
// spanning its bytes (relative sequence numbers, in KB), retransmissions
// are red bars with a triangle on top, segments lost on the path carry an
// x, and the client's cumulative ACK is a green step line. Request bytes
// (client to server) are not drawn: they live in the other sequence
// space. Dotted verticals mark the times responses completed. conn is the
// ConnTrace.Connection number (1-based).
func Sequence(tr experiments.Trace, conn int, opt SequenceOptions) (*plot.Plot, error) {
	d, err := sequenceData(tr, conn, opt)
	if err != nil {
		return nil, err
	}
	return drawSequence(d)
}

// SequenceData is what a time-sequence plot shows, in ms and KB.
type SequenceData struct {
	Title string
	// Data and Rtx are segments sent and sent again: {time, low, high}.
	Data, Rtx [][3]float64
	RtxTops   plotter.XYs // the top of each retransmission
	Drops     plotter.XYs // data segments lost on the path (their middle)
	Acks      plotter.XYs // the client's cumulative ACKs
	AckDrops  plotter.XYs // ACKs lost on the path
	Ends      []float64   // times responses completed, each once
	Last      float64     // the time of the last thing drawn
	// FromMS and ToMS are the zoom window, when ToMS > FromMS.
	FromMS, ToMS float64
}

// sequenceData picks the connection's segments (in the window, at most
// MaxSequenceSegments, in time order) and sorts them into what is drawn;
// see Sequence.
func sequenceData(tr experiments.Trace, conn int, opt SequenceOptions) (SequenceData, error) {
	i := slices.IndexFunc(tr.Conns, func(c experiments.ConnTrace) bool { return c.Connection == conn })
	if i < 0 {
		if len(tr.Conns) == 0 {
			return SequenceData{}, fmt.Errorf("%w: the trace has no connections", ErrNoData)
		}
		return SequenceData{}, fmt.Errorf("plots: no connection %d in the trace (have %s)", conn, connList(tr))
	}
	c := tr.Conns[i]
	segs := slices.DeleteFunc(slices.Clone(c.Segments), func(s experiments.SegmentSample) bool {
		if opt.ToMS > opt.FromMS && (s.TimeMS < opt.FromMS || s.TimeMS > opt.ToMS) {
			return true
		}
		return math.IsNaN(s.TimeMS) || math.IsInf(s.TimeMS, 0)
	})
	slices.SortStableFunc(segs, func(a, b experiments.SegmentSample) int { return cmp.Compare(a.TimeMS, b.TimeMS) })
	d := SequenceData{Title: sequenceTitle(opt.Title, tr, conn), FromMS: opt.FromMS, ToMS: opt.ToMS}
	if total := len(segs); total > MaxSequenceSegments {
		// Bounded work: the first segments, and the title says so.
		segs = segs[:MaxSequenceSegments]
		d.Title += fmt.Sprintf(" (first %d of %d packets)", MaxSequenceSegments, total)
	}
	for _, s := range segs {
		switch {
		case !s.FromClient && s.Len > 0:
			lo, hi := float64(s.Seq)/1e3, float64(s.Seq+s.Len)/1e3
			if s.Retransmit {
				d.Rtx = append(d.Rtx, [3]float64{s.TimeMS, lo, hi})
				d.RtxTops = append(d.RtxTops, plotter.XY{X: s.TimeMS, Y: hi})
			} else {
				d.Data = append(d.Data, [3]float64{s.TimeMS, lo, hi})
			}
			if s.Dropped {
				d.Drops = append(d.Drops, plotter.XY{X: s.TimeMS, Y: (lo + hi) / 2})
			}
		case s.FromClient && s.Dropped:
			d.AckDrops = append(d.AckDrops, plotter.XY{X: s.TimeMS, Y: float64(s.Ack) / 1e3})
		case s.FromClient:
			d.Acks = append(d.Acks, plotter.XY{X: s.TimeMS, Y: float64(s.Ack) / 1e3})
		}
	}
	if len(d.Data)+len(d.Rtx) == 0 && len(d.Acks) == 0 {
		return SequenceData{}, fmt.Errorf("%w: connection %d has no data segments or ACKs%s", ErrNoData, conn, window(opt))
	}
	d.Acks, d.AckDrops = dataAcks(d.Acks, d.AckDrops, d.Data, d.Rtx)
	d.Last = math.Inf(-1)
	for _, sg := range append(slices.Clone(d.Data), d.Rtx...) {
		d.Last = max(d.Last, sg[0])
	}
	for _, a := range append(slices.Clone(d.Acks), d.AckDrops...) {
		d.Last = max(d.Last, a.X)
	}
	for _, t := range c.ResponseEndsMS {
		// Responses completing at the same instant share one line.
		if !math.IsNaN(t) && !math.IsInf(t, 0) && !slices.Contains(d.Ends, t) {
			d.Ends = append(d.Ends, t)
		}
	}
	return d, nil
}

// drawSequence draws a time-sequence plot's data. It is longer than most
// functions here because each mark goes with its legend entry, in the
// legend's order.
func drawSequence(d SequenceData) (*plot.Plot, error) {
	dataColor := seriesColor(0)
	rtxColor := color.RGBA{R: 0xD0, G: 0x20, B: 0x20, A: 0xFF}
	ackColor := seriesColor(2)
	p := newPlot(d.Title, "time since the start of the page load (ms)", "server sequence number (KB, relative)")
	p.Add(grid(true, true))
	leg := newSideLegend("")
	guide := draw.LineStyle{Color: color.Gray{Y: 150}, Width: vg.Points(0.8), Dashes: dotted()}
	for _, t := range d.Ends {
		p.Add(&vguide{x: t, style: guide, noRange: true})
	}
	ackStyle := draw.LineStyle{Color: ackColor, Width: vg.Points(1.6)}
	if len(d.Acks) > 0 {
		l, err := newLine(d.Acks, ackStyle, plotter.PostStep)
		if err != nil {
			return nil, err
		}
		p.Add(l)
	}
	if len(d.Data) > 0 {
		p.Add(&vsegs{style: draw.LineStyle{Color: dataColor, Width: vg.Points(2.2)}, segs: d.Data})
		leg.add("data segment", lineThumb(draw.LineStyle{}, &draw.GlyphStyle{Color: dataColor, Radius: vg.Points(5), Shape: vtickGlyph{}}))
	}
	tri := draw.GlyphStyle{Color: rtxColor, Radius: vg.Points(4), Shape: draw.PyramidGlyph{}}
	if len(d.Rtx) > 0 {
		p.Add(&vsegs{style: draw.LineStyle{Color: rtxColor, Width: vg.Points(2.6)}, segs: d.Rtx})
		sc, err := scatter(d.RtxTops, tri)
		if err != nil {
			return nil, err
		}
		p.Add(sc)
		leg.add("retransmission", thumbFunc(func(c *draw.Canvas) {
			ctr := c.Center()
			vtickGlyph{}.DrawGlyph(c, draw.GlyphStyle{Color: rtxColor, Radius: vg.Points(5)}, ctr)
			c.DrawGlyphNoClip(tri, vg.Point{X: ctr.X + vg.Points(9), Y: ctr.Y})
		}))
	}
	if len(d.Acks) > 0 {
		leg.add("ACK from client", lineThumb(ackStyle, nil))
	}
	for _, m := range []struct {
		xys   plotter.XYs
		gs    draw.GlyphStyle
		label string
	}{
		{d.Drops, draw.GlyphStyle{Color: color.Black, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}, "segment lost"},
		{d.AckDrops, draw.GlyphStyle{Color: ackColor, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}, "ACK lost"},
	} {
		if len(m.xys) == 0 {
			continue
		}
		sc, err := scatter(m.xys, m.gs)
		if err != nil {
			return nil, err
		}
		p.Add(sc)
		leg.add(m.label, lineThumb(draw.LineStyle{}, &m.gs))
	}
	if len(d.Ends) > 0 {
		leg.add("response\ncomplete", lineThumb(guide, nil))
	}
	p.Add(leg)
	sequenceAxes(p, d)
	return p, nil
}

// sequenceAxes sets the x axis to the zoom window, or to just past the
// last thing drawn.
func sequenceAxes(p *plot.Plot, d SequenceData) {
	if d.ToMS > d.FromMS {
		p.X.Min, p.X.Max = d.FromMS, d.ToMS
		p.Y.Min, p.Y.Max = niceRange(p.Y.Min, p.Y.Max)
		return
	}
	lo, _ := niceRange(p.X.Min, p.X.Max)
	hi := d.Last + 0.02*(d.Last-lo)
	if !(hi > lo) {
		hi = lo + 1
	}
	// End on a minor tick, so the axis stops just after the data.
	fine := niceStep(hi-lo, 30)
	p.X.Min, p.X.Max = lo, math.Ceil(hi/fine-1e-9)*fine
	setScales(p, false, false)
}

// dataAcks keeps the ACKs that belong to the data transfer: every ACK
// sent before the last data segment, and after it those that acknowledge
// new data, up to the highest data byte. The ACKs of the connection's
// close (of the server's FIN, one past the data) and duplicates after the
// last ACK of data are left out, so the ACK line ends at the last ACK of
// data instead of running on flat to the close. Without data segments the
// ACKs are kept as they are.
func dataAcks(acks, lost plotter.XYs, data ...[][3]float64) (plotter.XYs, plotter.XYs) {
	lastSent, top := math.Inf(-1), math.Inf(-1)
	for _, v := range data {
		for _, s := range v {
			lastSent, top = max(lastSent, s[0]), max(top, s[2])
		}
	}
	if math.IsInf(lastSent, -1) {
		return acks, lost
	}
	keep := func(xys plotter.XYs) plotter.XYs {
		var out plotter.XYs
		hiAck := math.Inf(-1)
		for _, a := range xys {
			if a.X <= lastSent {
				out = append(out, a)
				hiAck = max(hiAck, a.Y)
				continue
			}
			if a.Y > hiAck && a.Y <= top+1e-9 {
				out = append(out, a)
				hiAck = a.Y
			}
		}
		return out
	}
	return keep(acks), keep(lost)
}

func window(opt SequenceOptions) string {
	if opt.ToMS > opt.FromMS {
		return fmt.Sprintf(" between %s and %s ms", formatNumber(opt.FromMS, 6), formatNumber(opt.ToMS, 6))
	}
	return ""
}

// sequenceTitle is the plot's title: the one asked for, or one naming the
// run and connection.
func sequenceTitle(title string, tr experiments.Trace, conn int) string {
	if title == "" {
		title = fmt.Sprintf("Time-sequence: %s, connection %d", runName(tr.Model, tr.Point, -1), conn)
	}
	return title
}
