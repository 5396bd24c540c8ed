package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/connsim/connsim/experiments"
	"github.com/connsim/connsim/sim/link"
)

// DefaultLadderPackets is how many packets a ladder diagram draws when
// LadderOptions.MaxPackets is 0.
const DefaultLadderPackets = 40

// MaxLadderPackets bounds LadderOptions.MaxPackets: past a few hundred
// arrows a ladder is a smear, and a time-sequence plot reads better.
const MaxLadderPackets = 400

// LadderOptions configures Ladder and LadderData.
type LadderOptions struct {
	Title string // default "Packets: <model>, <point>"
	// MaxPackets is how many packets are drawn, the first ones by send
	// time (default DefaultLadderPackets, at most MaxLadderPackets); a
	// longer trace is cut and the figure says so.
	MaxPackets int
	// Conn draws one connection (ConnTrace.Connection) instead of all.
	Conn int
	// OneWayMS is the one-way delay assumed for packets whose arrival
	// the trace does not record (a trace built by hand, ArriveMS 0).
	// With it 0 such a trace is an error.
	OneWayMS float64
}

// Packet kinds of a ladder diagram, from the TCP flags and the payload.
const (
	KindSYN      = "SYN"
	KindSYNACK   = "SYN-ACK"
	KindACK      = "ACK"      // no payload, no SYN, FIN or RST
	KindRequest  = "request"  // payload from the client
	KindResponse = "response" // payload from the server
	KindFIN      = "FIN"
	KindRST      = "RST"
)

// LadderPacket is one arrow of a ladder diagram.
type LadderPacket struct {
	Conn       int
	FromClient bool
	Kind       string  // one of the Kind constants
	Label      string  // the text on the arrow
	SendMS     float64 // when the sender handed it to the network
	// ArriveMS is when it reached the other side; for a dropped packet,
	// where its arrow stops (half way to where it would have arrived).
	ArriveMS   float64
	Seq, Len   int64
	Ack        int64
	Retransmit bool
	Dropped    bool
}

// LadderData is what a ladder diagram shows.
type LadderData struct {
	Title   string
	Packets []LadderPacket // in send order
	Total   int            // packets in the trace (of Conn, if set)
	Conns   int            // connections drawn
	// Gaps are idle times cut out of the time axis: stretches longer
	// than four round trips with no packet in flight (a keep-alive
	// connection resting before its close), less half a round trip at
	// either end. Each is drawn as a thin shaded band; the tick labels
	// stay true times.
	Gaps [][2]float64
}

// Cut reports whether the diagram leaves packets out.
func (d LadderData) Cut() bool { return d.Total > len(d.Packets) }

// Ladder draws a ladder (sequence) diagram of a run's first packets: the
// client's time line on the left, the server's on the right, time running
// down, and each packet an arrow from its send time on one side to its
// arrival time on the other, so a slanted arrow's drop is its one-way
// delay (propagation, queueing and serialization) and the handshake
// SYN → SYN-ACK is one round trip (RFC 9293, section 3.5). Arrows are
// coloured by kind: handshake and teardown (SYN, SYN-ACK, FIN, RST),
// request data, response data, pure ACKs. A retransmission is dashed and
// labelled "rtx"; a packet lost on the path stops half way in an X.
// Each arrow is labelled (with "cN" first when several connections are
// drawn); a cut trace says "first N of M packets" under the axis.
//
// It is the textbook picture of connection management: short-lived
// connections repeat SYN, SYN-ACK before each request and FIN after it;
// persistent ones send request after response on one handshake;
// pipelined ones send several requests before the first response
// arrives.
//
// Arrival times are those the trace records (the packet's delivery at
// the far end of the path, [experiments.SegmentSample].ArriveMS), so
// queueing delay is included exactly; LadderOptions.OneWayMS stands in
// for a trace without them.
func Ladder(tr experiments.Trace, opt LadderOptions) (*plot.Plot, error) {
	d, err := LadderDataOf(tr, opt)
	if err != nil {
		return nil, err
	}
	return drawLadder(d), nil
}

// LadderDataOf picks and labels the packets Ladder draws; see Ladder.
func LadderDataOf(tr experiments.Trace, opt LadderOptions) (LadderData, error) {
	n := opt.MaxPackets
	switch {
	case n == 0:
		n = DefaultLadderPackets
	case n < 0 || n > MaxLadderPackets:
		return LadderData{}, fmt.Errorf("plots: ladder: %d packets: want 1..%d", n, MaxLadderPackets)
	}
	if opt.OneWayMS < 0 || math.IsNaN(opt.OneWayMS) || math.IsInf(opt.OneWayMS, 0) {
		return LadderData{}, fmt.Errorf("plots: ladder: one-way delay %v ms: want a finite value >= 0", opt.OneWayMS)
	}
	title := opt.Title
	if title == "" {
		title = "Packets: " + runName(tr.Model, tr.Point, -1)
	}
	var all []LadderPacket
	conns := 0
	for _, c := range tr.Conns {
		if opt.Conn != 0 && c.Connection != opt.Conn {
			continue
		}
		conns++
		for _, s := range c.Segments {
			if !finite(s.TimeMS) {
				continue
			}
			all = append(all, LadderPacket{Conn: c.Connection, FromClient: s.FromClient, Kind: segmentKind(s),
				SendMS: s.TimeMS, ArriveMS: s.ArriveMS, Seq: s.Seq, Len: s.Len, Ack: s.Ack,
				Retransmit: s.Retransmit, Dropped: s.Dropped})
		}
	}
	if opt.Conn != 0 && conns == 0 {
		if len(tr.Conns) == 0 {
			return LadderData{}, fmt.Errorf("%w: the trace has no connections", ErrNoData)
		}
		return LadderData{}, fmt.Errorf("plots: no connection %d in the trace (have %s)", opt.Conn, connList(tr))
	}
	if len(all) == 0 {
		return LadderData{}, fmt.Errorf("%w: the trace has no packets", ErrNoData)
	}
	// Send order; a stable sort keeps each connection's order at equal
	// times (the trace lists connections in dial order).
	slices.SortStableFunc(all, func(a, b LadderPacket) int { return cmp.Compare(a.SendMS, b.SendMS) })
	d := LadderData{Title: title, Total: len(all), Conns: conns}
	d.Packets = all[:min(n, len(all))]
	oneWay := [2]float64{opt.OneWayMS, opt.OneWayMS} // [from server, from client]
	if typ, ok := typicalOneWay(all); ok {
		oneWay = typ
	}
	for i := range d.Packets {
		p := &d.Packets[i]
		dir := 0
		if p.FromClient {
			dir = 1
		}
		known := finite(p.ArriveMS) && p.ArriveMS > p.SendMS
		switch {
		case p.Dropped:
			// Half way to where it would have arrived.
			p.ArriveMS = p.SendMS + oneWay[dir]/2
		case !known && opt.OneWayMS > 0:
			p.ArriveMS = p.SendMS + opt.OneWayMS
		case !known && math.IsNaN(p.ArriveMS):
			// Still in flight when the run ended: drawn as if on time.
			p.ArriveMS = p.SendMS + oneWay[dir]
		case !known:
			return LadderData{}, fmt.Errorf("plots: ladder: the trace records no arrival times (packet %d of connection %d); give LadderOptions.OneWayMS", i+1, p.Conn)
		}
		p.Label = ladderLabel(*p, conns > 1)
	}
	d.Gaps = idleGaps(d.Packets, oneWay[0]+oneWay[1])
	return d, nil
}

// idleGaps returns the stretches longer than four round trips (rtt)
// when no drawn packet is in flight, shortened by half a round trip at
// either end; see LadderData.Gaps.
func idleGaps(ps []LadderPacket, rtt float64) [][2]float64 {
	if !(rtt > 0) || len(ps) == 0 {
		return nil
	}
	var gaps [][2]float64
	// ps is in send order: the busy time so far ends at busy.
	busy := max(ps[0].SendMS, ps[0].ArriveMS)
	for _, p := range ps[1:] {
		if p.SendMS-busy > 4*rtt {
			gaps = append(gaps, [2]float64{busy + rtt/2, p.SendMS - rtt/2})
		}
		busy = max(busy, p.SendMS, p.ArriveMS)
	}
	return gaps
}

// typicalOneWay returns the median recorded one-way delay of each
// direction ([from server, from client]), where a dropped packet's arrow
// stops half way; ok is false when the trace records none.
func typicalOneWay(ps []LadderPacket) (d [2]float64, ok bool) {
	var v [2][]float64
	for _, p := range ps {
		if !p.Dropped && finite(p.ArriveMS) && p.ArriveMS > p.SendMS {
			i := 0
			if p.FromClient {
				i = 1
			}
			v[i] = append(v[i], p.ArriveMS-p.SendMS)
		}
	}
	for i := range v {
		if len(v[i]) == 0 {
			continue
		}
		ok = true
		slices.Sort(v[i])
		d[i] = v[i][len(v[i])/2]
	}
	if ok && len(v[0]) == 0 {
		d[0] = d[1]
	}
	if ok && len(v[1]) == 0 {
		d[1] = d[0]
	}
	return d, ok
}

// segmentKind names a packet from its flags and payload.
func segmentKind(s experiments.SegmentSample) string {
	switch f := s.Flags; {
	case f&link.RST != 0:
		return KindRST
	case f&link.SYN != 0 && f&link.ACK != 0:
		return KindSYNACK
	case f&link.SYN != 0:
		return KindSYN
	case f&link.FIN != 0:
		return KindFIN
	case s.Len > 0 && s.FromClient:
		return KindRequest
	case s.Len > 0:
		return KindResponse
	}
	return KindACK
}

// ladderLabel is the text on an arrow: the kind, the payload bytes and
// where they start, or the acknowledgement number (sequence numbers are
// relative to each side's ISN, as Wireshark shows them).
func ladderLabel(p LadderPacket, conn bool) string {
	s := ""
	if conn {
		s = fmt.Sprintf("c%d ", p.Conn)
	}
	switch p.Kind {
	case KindRequest, KindResponse:
		s += fmt.Sprintf("%s %d B, seq %d", p.Kind, p.Len, p.Seq)
	case KindACK:
		s += fmt.Sprintf("ACK %d", p.Ack)
	case KindFIN:
		s += "FIN"
		if p.Len > 0 {
			s += fmt.Sprintf(" + %d B", p.Len)
		}
	default:
		s += p.Kind
	}
	if p.Retransmit {
		s += " (rtx)"
	}
	if p.Dropped {
		s += " lost"
	}
	return s
}

// Colours of the arrow kinds.
var (
	ladderControl  = color.RGBA{R: 0x33, G: 0x33, B: 0x33, A: 0xFF} // SYN, SYN-ACK, FIN, RST
	ladderRequest  = palette[0]                                     // blue
	ladderResponse = palette[1]                                     // vermillion
	ladderAck      = color.RGBA{R: 0x8A, G: 0x8A, B: 0x8A, A: 0xFF}
	ladderLost     = color.RGBA{R: 0xD0, G: 0x20, B: 0x20, A: 0xFF}
)

func ladderColor(kind string) color.RGBA {
	switch kind {
	case KindRequest:
		return ladderRequest
	case KindResponse:
		return ladderResponse
	case KindACK:
		return ladderAck
	}
	return ladderControl
}

// flipped turns a scale upside down (plot.InvertedScale swaps lo and
// hi instead, which a brokenAxis does not take).
type flipped struct{ plot.Normalizer }

func (f flipped) Normalize(lo, hi, x float64) float64 { return 1 - f.Normalizer.Normalize(lo, hi, x) }

// ladderTicks names the two time lines on the x axis.
type ladderTicks struct{}

func (ladderTicks) Ticks(float64, float64) []plot.Tick {
	return []plot.Tick{{Value: 0, Label: "client"}, {Value: 1, Label: "server"}}
}

// drawLadder draws LadderData; see Ladder.
func drawLadder(d LadderData) *plot.Plot {
	xlabel := fmt.Sprintf("all %d packets", d.Total)
	if d.Cut() {
		xlabel = fmt.Sprintf("first %d of %d packets shown", len(d.Packets), d.Total)
	}
	p := newPlot(d.Title, xlabel, "time since the start of the run (ms)")
	p.Add(grid(false, true))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, k := range d.Packets {
		lo, hi = min(lo, k.SendMS), max(hi, k.ArriveMS, k.SendMS)
	}
	if len(d.Gaps) == 0 {
		lo, hi = niceRange(lo, hi)
	} else {
		// A nice round end would add idle time the gaps just cut.
		shown := hi - lo
		for _, g := range d.Gaps {
			shown -= g[1] - g[0]
		}
		hi += 0.03 * shown
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	p.Y.Min, p.Y.Max = lo, hi
	p.Y.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
	if len(d.Gaps) > 0 {
		axis := brokenAxis{gaps: d.Gaps, frac: 0.04}
		p.Y.Scale = flipped{axis}
		p.Y.Tick.Marker = axis
	}
	p.X.Min, p.X.Max = -0.08, 1.08
	p.X.Tick.Marker = ladderTicks{}
	p.X.Tick.Label.Font = sansFont(labelSize)
	p.X.Tick.LineStyle.Width = 0
	p.Add(&ladderArrows{d: d})
	leg := newSideLegend("")
	used := map[string]bool{}
	for _, k := range d.Packets {
		used[k.Kind] = true
		if k.Retransmit {
			used["rtx"] = true
		}
		if k.Dropped {
			used["lost"] = true
		}
	}
	for _, e := range []struct {
		key, label string
		c          color.RGBA
		dashes     []vg.Length
	}{
		{KindSYN, "SYN, SYN-ACK,\nFIN, RST", ladderControl, nil},
		{KindRequest, "request data", ladderRequest, nil},
		{KindResponse, "response data", ladderResponse, nil},
		{KindACK, "pure ACK", ladderAck, nil},
		{"rtx", "retransmission", ladderControl, ladderDashes()},
	} {
		if used[e.key] || (e.key == KindSYN && (used[KindSYNACK] || used[KindFIN] || used[KindRST])) {
			leg.add(e.label, lineThumb(draw.LineStyle{Color: e.c, Width: vg.Points(1.4), Dashes: e.dashes}, nil))
		}
	}
	if len(d.Gaps) > 0 {
		leg.add("idle time\ncut out", boxThumb(color.Gray{Y: 225}, draw.LineStyle{}))
	}
	if bursts(d.Packets, (hi-lo)/60) {
		leg.add("label +N: N more\narrows sent with it", thumbFunc(func(c *draw.Canvas) {
			t := textStyle(7)
			t.XAlign, t.YAlign = draw.XCenter, draw.YCenter
			c.FillText(t, c.Center(), "+N")
		}))
	}
	if used["lost"] {
		gs := draw.GlyphStyle{Color: ladderLost, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
		leg.add("lost on the path", lineThumb(draw.LineStyle{}, &gs))
	}
	p.Add(leg)
	return p
}

// bursts reports whether two packets of one direction were sent closer
// than near (ms): their labels then likely share one, with "+N" (see
// drawLabels; the legend explains it only then).
func bursts(ps []LadderPacket, near float64) bool {
	last := [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, p := range ps {
		d := 0
		if p.FromClient {
			d = 1
		}
		if p.SendMS-last[d] < near {
			return true
		}
		last[d] = p.SendMS
	}
	return false
}

func ladderDashes() []vg.Length { return []vg.Length{vg.Points(4), vg.Points(3)} }

// ladderArrows draws the two time lines and the packets, with labels.
type ladderArrows struct{ d LadderData }

func (a *ladderArrows) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, g := range a.d.Gaps {
		y0, y1 := trY(g[0]), trY(g[1])
		c.FillPolygon(color.Gray{Y: 225}, []vg.Point{{X: c.Min.X, Y: y0}, {X: c.Max.X, Y: y0}, {X: c.Max.X, Y: y1}, {X: c.Min.X, Y: y1}})
		note := textStyle(8)
		note.Color = color.Gray{Y: 70}
		note.XAlign, note.YAlign = draw.XCenter, draw.YCenter
		c.FillText(note, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (y0 + y1) / 2}, fmt.Sprintf("%s ms idle, not to scale", formatNumber(g[1]-g[0], 3)))
	}
	axis := draw.LineStyle{Color: color.Black, Width: vg.Points(2)}
	for _, x := range []float64{0, 1} {
		c.StrokeLine2(axis, trX(x), c.Min.Y, trX(x), c.Max.Y)
	}
	var labels []ladderLabelAt
	// Data arrows are drawn last: a FIN or ACK sent with a response
	// runs along the same path and would hide its colour.
	order := make([]int, 0, len(a.d.Packets))
	for _, data := range []bool{false, true} {
		for i, k := range a.d.Packets {
			if (k.Kind == KindRequest || k.Kind == KindResponse) == data {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		k := a.d.Packets[i]
		x0, x1 := 0.0, 1.0
		if !k.FromClient {
			x0, x1 = 1, 0
		}
		from := vg.Point{X: trX(x0), Y: trY(k.SendMS)}
		to := vg.Point{X: trX(x1), Y: trY(k.ArriveMS)}
		if k.Dropped {
			// ArriveMS is already half way in time; stop half way across.
			to.X = trX((x0 + x1) / 2)
		}
		col := ladderColor(k.Kind)
		ls := draw.LineStyle{Color: col, Width: vg.Points(1.2)}
		if k.Retransmit {
			ls.Dashes = ladderDashes()
		}
		c.StrokeLine2(ls, from.X, from.Y, to.X, to.Y)
		ang := math.Atan2(float64(to.Y-from.Y), float64(to.X-from.X))
		if k.Dropped {
			c.DrawGlyphNoClip(draw.GlyphStyle{Color: ladderLost, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}, to)
		} else {
			// An arrow head at the receiver's line.
			h := vg.Points(6)
			var path vg.Path
			path.Move(to)
			for _, da := range []float64{-0.4, 0.4} {
				path.Line(vg.Point{X: to.X - h*vg.Length(math.Cos(ang+da)), Y: to.Y - h*vg.Length(math.Sin(ang+da))})
			}
			path.Close()
			c.SetColor(col)
			c.Fill(path)
		}
		// The label along the arrow, above it, 40% of the way from the
		// sender (half way along a lost packet's stub).
		f := vg.Length(0.4)
		if k.Dropped {
			f = 0.5
		}
		rot := ang
		if to.X < from.X {
			rot += math.Pi
		}
		labels = append(labels, ladderLabelAt{i: i, k: k, at: vg.Point{X: from.X + (to.X-from.X)*f, Y: from.Y + (to.Y-from.Y)*f}, rot: rot})
	}
	// Labels in send order, as drawLabels groups bursts.
	slices.SortFunc(labels, func(x, y ladderLabelAt) int { return cmp.Compare(x.i, y.i) })
	a.drawLabels(&c, labels)
}

// ladderLabelAt is an arrow's label and where it goes.
type ladderLabelAt struct {
	i   int // index in LadderData.Packets
	k   LadderPacket
	at  vg.Point
	rot float64
}

// labelRank orders the labels of a burst: the one of the highest rank
// is shown for all.
func labelRank(k LadderPacket) int {
	switch {
	case k.Dropped:
		return 6
	case k.Retransmit:
		return 5
	case k.Kind == KindSYN || k.Kind == KindSYNACK:
		return 4 // a new connection
	case k.Kind == KindRequest || k.Kind == KindResponse:
		// The exchange the diagram is about: a short-lived server's
		// response must not read as its FIN, sent with it.
		return 3
	case k.Kind == KindFIN || k.Kind == KindRST:
		return 2
	}
	return 1 // a pure ACK
}

// drawLabels draws the arrows' labels. Labels of arrows in one direction
// closer than a line of text (a burst of segments sent together) would
// overprint: such a burst shows one label, its most telling one (lost,
// retransmitted, SYN or SYN-ACK, data, FIN or RST, ACK), with "+N" for
// the rest and the other kinds among them in brackets.
func (a *ladderArrows) drawLabels(c *draw.Canvas, labels []ladderLabelAt) {
	sty := textStyle(7)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
	near := vg.Points(8.5)
	var open [2][]ladderLabelAt // the burst of each direction
	flush := func(b []ladderLabelAt) {
		if len(b) == 0 {
			return
		}
		best := b[0]
		for _, l := range b[1:] {
			if labelRank(l.k) > labelRank(best.k) {
				best = l
			}
		}
		text := best.k.Label
		if len(b) > 1 {
			text += fmt.Sprintf(" +%d", len(b)-1)
			// Name the other kinds in the burst.
			var others []string
			for _, l := range b {
				if l.k.Kind != best.k.Kind && !slices.Contains(others, l.k.Kind) {
					others = append(others, l.k.Kind)
				}
			}
			if len(others) > 0 {
				text += " (" + strings.Join(others, ", ") + ")"
			}
		}
		t := sty
		t.Color = darkenRGBA(ladderColor(best.k.Kind))
		if best.k.Dropped {
			t.Color = ladderLost
		}
		t.Rotation = best.rot
		c.FillText(t, best.at, text)
	}
	for _, l := range labels {
		dir := 0
		if l.k.FromClient {
			dir = 1
		}
		if b := open[dir]; len(b) > 0 && vg.Length(math.Abs(float64(l.at.Y-b[0].at.Y))) >= near {
			flush(b)
			open[dir] = nil
		}
		open[dir] = append(open[dir], l)
	}
	flush(open[0])
	flush(open[1])
}

func (a *ladderArrows) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for _, k := range a.d.Packets {
		ymin, ymax = min(ymin, k.SendMS), max(ymax, k.ArriveMS, k.SendMS)
	}
	return 0, 1, ymin, ymax
}

// darkenRGBA is a label colour a shade darker than its arrow, so grey
// text stays readable on white.
func darkenRGBA(c color.RGBA) color.RGBA {
	return color.RGBA{R: uint8(float64(c.R) * 0.75), G: uint8(float64(c.G) * 0.75), B: uint8(float64(c.B) * 0.75), A: 0xFF}
}
