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

// Sequence draws a Stevens time-sequence plot of one connection: each
// server-to-client data segment is a vertical bar at the time it was sent
// spanning its bytes (relative sequence numbers, in KB), retransmissions
// are red bars with a triangle on top, segments lost on the path carry an
// x, and the client's cumulative ACK is a green step line. Request bytes
// (client to server) are not drawn: they live in the other sequence
// space. Dotted verticals mark the times responses completed. conn is the
// ConnTrace.Connection number (1-based).
// MaxSequenceSegments is the number of packets a time-sequence plot
// draws at most; a longer trace shows its first ones and says so.
const MaxSequenceSegments = 50_000

func Sequence(tr experiments.Trace, conn int, opt SequenceOptions) (*plot.Plot, error) {
	i := slices.IndexFunc(tr.Conns, func(c experiments.ConnTrace) bool { return c.Connection == conn })
	if i < 0 {
		if len(tr.Conns) == 0 {
			return nil, fmt.Errorf("%w: the trace has no connections", ErrNoData)
		}
		return nil, fmt.Errorf("plots: no connection %d in the trace (have %s)", conn, connList(tr))
	}
	c := tr.Conns[i]
	segs := slices.Clone(c.Segments)
	segs = slices.DeleteFunc(segs, func(s experiments.SegmentSample) bool {
		if opt.ToMS > opt.FromMS && (s.TimeMS < opt.FromMS || s.TimeMS > opt.ToMS) {
			return true
		}
		return math.IsNaN(s.TimeMS) || math.IsInf(s.TimeMS, 0)
	})
	slices.SortStableFunc(segs, func(a, b experiments.SegmentSample) int { return cmp.Compare(a.TimeMS, b.TimeMS) })
	if total := len(segs); total > MaxSequenceSegments {
		// Bounded work: the first segments, and the title says so.
		segs = segs[:MaxSequenceSegments]
		opt.Title = sequenceTitle(opt.Title, tr, conn) + fmt.Sprintf(" (first %d of %d packets)", MaxSequenceSegments, total)
	}

	dataColor := seriesColor(0)
	rtxColor := color.RGBA{R: 0xD0, G: 0x20, B: 0x20, A: 0xFF}
	ackColor := seriesColor(2)
	data := &vsegs{style: draw.LineStyle{Color: dataColor, Width: vg.Points(2.2)}}
	rtx := &vsegs{style: draw.LineStyle{Color: rtxColor, Width: vg.Points(2.6)}}
	var rtxTops, drops, ackDrops, acks plotter.XYs
	for _, s := range segs {
		switch {
		case !s.FromClient && s.Len > 0:
			lo, hi := float64(s.Seq)/1e3, float64(s.Seq+s.Len)/1e3
			if s.Retransmit {
				rtx.segs = append(rtx.segs, [3]float64{s.TimeMS, lo, hi})
				rtxTops = append(rtxTops, plotter.XY{X: s.TimeMS, Y: hi})
			} else {
				data.segs = append(data.segs, [3]float64{s.TimeMS, lo, hi})
			}
			if s.Dropped {
				drops = append(drops, plotter.XY{X: s.TimeMS, Y: (lo + hi) / 2})
			}
		case s.FromClient && s.Dropped:
			ackDrops = append(ackDrops, plotter.XY{X: s.TimeMS, Y: float64(s.Ack) / 1e3})
		case s.FromClient:
			acks = append(acks, plotter.XY{X: s.TimeMS, Y: float64(s.Ack) / 1e3})
		}
	}
	if len(data.segs)+len(rtx.segs) == 0 && len(acks) == 0 {
		return nil, fmt.Errorf("%w: connection %d has no data segments or ACKs%s", ErrNoData, conn, window(opt))
	}
	acks, ackDrops = dataAcks(acks, ackDrops, data, rtx)
	// The last event drawn: the x axis ends shortly after it.
	last := math.Inf(-1)
	for _, v := range []*vsegs{data, rtx} {
		for _, sg := range v.segs {
			last = max(last, sg[0])
		}
	}
	for _, a := range append(slices.Clone(acks), ackDrops...) {
		last = max(last, a.X)
	}

	title := sequenceTitle(opt.Title, tr, conn)
	p := newPlot(title, "time since the start of the page load (ms)", "server sequence number (KB, relative)")
	p.Add(grid(true, true))
	leg := newSideLegend("")

	var ends []plot.Plotter
	guide := draw.LineStyle{Color: color.Gray{Y: 150}, Width: vg.Points(0.8), Dashes: dotted()}
	var endTimes []float64
	for _, t := range c.ResponseEndsMS {
		// Responses completing at the same instant share one line.
		if !math.IsNaN(t) && !math.IsInf(t, 0) && !slices.Contains(endTimes, t) {
			endTimes = append(endTimes, t)
			ends = append(ends, &vguide{x: t, style: guide, noRange: true})
		}
	}
	p.Add(ends...)

	ackStyle := draw.LineStyle{Color: ackColor, Width: vg.Points(1.6)}
	if len(acks) > 0 {
		l, err := newLine(acks, ackStyle, plotter.PostStep)
		if err != nil {
			return nil, err
		}
		p.Add(l)
	}
	if len(data.segs) > 0 {
		p.Add(data)
		leg.add("data segment", lineThumb(draw.LineStyle{}, &draw.GlyphStyle{Color: dataColor, Radius: vg.Points(5), Shape: vtickGlyph{}}))
	}
	tri := draw.GlyphStyle{Color: rtxColor, Radius: vg.Points(4), Shape: draw.PyramidGlyph{}}
	if len(rtx.segs) > 0 {
		p.Add(rtx)
		sc, err := scatter(rtxTops, tri)
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
	if len(acks) > 0 {
		leg.add("ACK from client", lineThumb(ackStyle, nil))
	}
	cross := draw.GlyphStyle{Color: color.Black, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
	if len(drops) > 0 {
		sc, err := scatter(drops, cross)
		if err != nil {
			return nil, err
		}
		p.Add(sc)
		leg.add("segment lost", lineThumb(draw.LineStyle{}, &cross))
	}
	ackCross := draw.GlyphStyle{Color: ackColor, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
	if len(ackDrops) > 0 {
		sc, err := scatter(ackDrops, ackCross)
		if err != nil {
			return nil, err
		}
		p.Add(sc)
		leg.add("ACK lost", lineThumb(draw.LineStyle{}, &ackCross))
	}
	if len(ends) > 0 {
		leg.add("response\ncomplete", lineThumb(guide, nil))
	}
	p.Add(leg)
	if opt.ToMS > opt.FromMS {
		p.X.Min, p.X.Max = opt.FromMS, opt.ToMS
		p.Y.Min, p.Y.Max = niceRange(p.Y.Min, p.Y.Max)
	} else {
		lo, _ := niceRange(p.X.Min, p.X.Max)
		hi := last + 0.02*(last-lo)
		if !(hi > lo) {
			hi = lo + 1
		}
		// End on a minor tick, so the axis stops just after the data.
		fine := niceStep(hi-lo, 30)
		p.X.Min, p.X.Max = lo, math.Ceil(hi/fine-1e-9)*fine
		setScales(p, false, false)
	}
	return p, nil
}

// dataAcks keeps the ACKs that belong to the data transfer: every ACK
// sent before the last data segment, and after it those that acknowledge
// new data, up to the highest data byte. The ACKs of the connection's
// close (of the server's FIN, one past the data) and duplicates after the
// last ACK of data are left out, so the ACK line ends at the last ACK of
// data instead of running on flat to the close. Without data segments the
// ACKs are kept as they are.
func dataAcks(acks, lost plotter.XYs, data ...*vsegs) (plotter.XYs, plotter.XYs) {
	lastSent, top := math.Inf(-1), math.Inf(-1)
	for _, v := range data {
		for _, s := range v.segs {
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
