package plots

import (
	"errors"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/connsim/connsim/experiments"
)

// These tests check what each figure shows, without rendering it.

// TestLineData: one series per model in the order the models first
// appear, points sorted by RTT, medians exactly the fixture's page load
// times, and a default title and labels from the units.
func TestLineData(t *testing.T) {
	rows := fixtureLineRows(1)
	slices.Reverse(rows) // the rows' Index, not their order, decides
	d, err := lineData(rows, LineOptions{X: "network.rtt", Y: "plt_ms"})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, s := range d.Series {
		labels = append(labels, s.Label)
	}
	if !slices.Equal(labels, fixtureModels) {
		t.Errorf("series %q, want %q", labels, fixtureModels)
	}
	rounds := []float64{38, 21, 6, 9, 7, 5}
	for m, s := range d.Series {
		var xs []float64
		for _, pt := range s.Points {
			xs = append(xs, pt.X)
			if want := rounds[m]*pt.X + 250; pt.Median != want || pt.N != 1 {
				t.Errorf("%s at %g ms: median %g of %d runs, want %g of 1", s.Label, pt.X, pt.Median, pt.N, want)
			}
		}
		if want := []float64{20, 50, 100, 150, 200}; !slices.Equal(xs, want) {
			t.Errorf("%s: x %v, want %v", s.Label, xs, want)
		}
	}
	if d.Title != "Page load time vs RTT" || d.LegendTitle != "model" {
		t.Errorf("title %q, legend %q; want \"Page load time vs RTT\", \"model\"", d.Title, d.LegendTitle)
	}
}

// TestLineDataLog: a log axis drops the points it cannot show, and a
// series left with none.
func TestLineDataLog(t *testing.T) {
	rows := fixtureLineRows(1)
	for i := range rows {
		if rows[i].Model == "http2" || rows[i].Point[0].Value == 20 {
			rows[i].Metrics.PLTMS = 0
		}
	}
	d, err := lineData(rows, LineOptions{X: "network.rtt", Y: "plt_ms", LogY: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Series) != len(fixtureModels)-1 {
		t.Fatalf("%d series, want %d (http2 has no positive value)", len(d.Series), len(fixtureModels)-1)
	}
	for _, s := range d.Series {
		if s.Label == "http2" || len(s.Points) != 4 || s.Points[0].X != 50 {
			t.Errorf("series %s: %d points from %g ms; want 4 from 50 ms", s.Label, len(s.Points), s.Points[0].X)
		}
	}
	for i := range rows {
		rows[i].Metrics.PLTMS = 0
	}
	if _, err := lineData(rows, LineOptions{X: "network.rtt", Y: "plt_ms", LogY: true}); !errors.Is(err, ErrNoData) {
		t.Errorf("all zero on a log axis: err %v, want ErrNoData", err)
	}
}

// TestBarData: one bar per model without X, labelled on the axis, with
// the median printed; grouped by RTT with X, the bars of a group side by
// side and a legend; medians and p25–p75 from the runs.
func TestBarData(t *testing.T) {
	rows := fixtureLineRows(5)
	d, err := barData(rows, BarOptions{Y: "connections", Where: map[string]float64{"network.rtt": 100}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Bars) != 6 || d.Groups != 6 || d.Legend || !d.Values {
		t.Fatalf("%d bars in %d groups, legend %v, values %v; want 6 in 6, no legend, values", len(d.Bars), d.Groups, d.Legend, d.Values)
	}
	for i, b := range d.Bars {
		want := float64([]int{41, 1, 1, 6, 18, 1}[i])
		if b.Center != float64(i) || b.Median != want || b.Spread {
			t.Errorf("bar %d: centre %g, median %g, spread %v; want %d, %g, none (every run alike)", i, b.Center, b.Median, b.Spread, i, want)
		}
		if d.Ticks[i].Value != float64(i) || d.Ticks[i].Label != wrapLabel(fixtureModels[i], 14) {
			t.Errorf("tick %d: %+v, want the model's name", i, d.Ticks[i])
		}
	}

	d, err = barData(rows, BarOptions{X: "network.rtt", Y: "plt_ms"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Bars) != 30 || d.Groups != 5 || !d.Legend || d.Values {
		t.Fatalf("%d bars in %d groups, legend %v, values %v; want 30 in 5, legend, no values (over 24 bars)", len(d.Bars), d.Groups, d.Legend, d.Values)
	}
	for _, b := range d.Bars {
		if b.Center < -0.4 || b.Center > 4.4 || !b.Spread || !(b.P25 <= b.Median && b.Median <= b.P75) {
			t.Errorf("bar %+v: want a centre inside its group and p25 <= median <= p75", b)
		}
	}
	if labels := []string{d.Ticks[0].Label, d.Ticks[4].Label}; !slices.Equal(labels, []string{"20", "200"}) {
		t.Errorf("group labels %q, want RTTs 20 and 200", labels)
	}
	if _, err := barData([]experiments.Row{{Err: "boom"}}, BarOptions{Y: "plt_ms"}); !errors.Is(err, ErrNoData) {
		t.Errorf("only failed rows: err %v, want ErrNoData", err)
	}
}

// TestWaterfallData: rows in request order (or by connection), a row per
// request up to MaxWaterfallRows and the title saying how many were left
// out, and the end of the load at the last phase.
func TestWaterfallData(t *testing.T) {
	reqs := fixtureWaterfall()
	d, err := waterfallData(reqs, WaterfallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Rows) != len(reqs) || d.Rows[0].Label[:3] != "#0 " || d.ByHost || d.Conns != 6 {
		t.Fatalf("%d rows from %q, by host %v, %d connections; want %d from #0, by connection, 6",
			len(d.Rows), d.Rows[0].Label, d.ByHost, d.Conns, len(reqs))
	}
	end := 0.0
	for _, r := range reqs {
		end = max(end, r.EndMS)
	}
	if d.End != end {
		t.Errorf("end %g, want the last request's end %g", d.End, end)
	}
	d, err = waterfallData(reqs, WaterfallOptions{ByConnection: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Rows[1].Label; got[:4] == "#1 c" && got[4] != '1' {
		t.Errorf("by connection, row 1 is %q, want a request of c1", got)
	}

	var many []experiments.RequestRow
	for i := range MaxWaterfallRows + 50 {
		many = append(many, experiments.RequestRow{Model: "m", Request: i, Connection: 1, StartMS: float64(i), ReceiveMS: 1, EndMS: float64(i + 1)})
	}
	d, err = waterfallData(many, WaterfallOptions{Title: "T"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Rows) != MaxWaterfallRows || d.Title != "T (first 200 of 250 requests)" || d.End != MaxWaterfallRows {
		t.Errorf("%d rows, title %q, end %g; want %d, \"T (first 200 of 250 requests)\", %d", len(d.Rows), d.Title, d.End, MaxWaterfallRows, MaxWaterfallRows)
	}
}

// TestSequenceData: segments sorted by time and sorted into data,
// retransmissions, drops and ACKs; at most MaxSequenceSegments, the title
// saying so.
func TestSequenceData(t *testing.T) {
	c := experiments.ConnTrace{Connection: 1, ResponseEndsMS: []float64{30, 30, 40}}
	add := func(s experiments.SegmentSample) { c.Segments = append(c.Segments, s) }
	add(experiments.SegmentSample{TimeMS: 20, Seq: 1460, Len: 1460, Retransmit: true})
	add(experiments.SegmentSample{TimeMS: 10, Seq: 0, Len: 1460})
	add(experiments.SegmentSample{TimeMS: 11, Seq: 1460, Len: 1460, Dropped: true})
	add(experiments.SegmentSample{TimeMS: 15, Ack: 1460, FromClient: true})
	add(experiments.SegmentSample{TimeMS: 25, Ack: 2920, FromClient: true})
	add(experiments.SegmentSample{TimeMS: 26, Ack: 2920, FromClient: true, Dropped: true})
	tr := experiments.Trace{Model: "m", Conns: []experiments.ConnTrace{c}}
	d, err := sequenceData(tr, 1, SequenceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Data) != 2 || d.Data[0][0] != 10 || len(d.Rtx) != 1 || d.RtxTops[0].Y != 2.92 || len(d.Drops) != 1 {
		t.Errorf("data %v, rtx %v (tops %v), drops %v; want 2 data from t=10, 1 rtx to 2.92 KB, 1 drop", d.Data, d.Rtx, d.RtxTops, d.Drops)
	}
	if len(d.Acks) != 2 || len(d.AckDrops) != 1 || d.Last != 26 || !slices.Equal(d.Ends, []float64{30, 40}) {
		t.Errorf("acks %v, lost %v, last %g, ends %v; want 2 ACKs, 1 lost, last 26 (the lost ACK), ends [30 40] (30 once)",
			d.Acks, d.AckDrops, d.Last, d.Ends)
	}
	if _, err := sequenceData(tr, 2, SequenceOptions{}); err == nil {
		t.Error("connection 2: no error")
	}

	c.Segments = nil
	for i := range MaxSequenceSegments + 10 {
		add(experiments.SegmentSample{TimeMS: float64(MaxSequenceSegments + 10 - i), Seq: int64(i) * 1460, Len: 1460})
	}
	tr.Conns[0] = c
	d, err = sequenceData(tr, 1, SequenceOptions{Title: "T"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Data) != MaxSequenceSegments || d.Data[0][0] != 1 || d.Title != "T (first 50000 of 50010 packets)" {
		t.Errorf("%d segments from t=%g, title %q; want %d from t=1, \"T (first 50000 of 50010 packets)\"",
			len(d.Data), d.Data[0][0], d.Title, MaxSequenceSegments)
	}
}

// TestCwndData: each connection's window as a step line in KB, to its
// close or the trace's end; ssthresh only where it is set (the fixture's
// 1<<62 means "not set yet"); a response mark per instant, on the line;
// palette indexes by place among the picked connections.
func TestCwndData(t *testing.T) {
	tr := fixtureTrace()
	c1 := &tr.Conns[0]
	c1.ResponseEndsMS = append(c1.ResponseEndsMS, 910, math.NaN()) // one mark for two responses, none for NaN
	d, err := cwndData(tr, CwndOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Conns) != 2 || d.Conns[0].Label != "c1 www.example.com" || d.Conns[1].Label != "c2 static.example.com" {
		t.Fatalf("connections %+v, want c1 and c2 with their hosts", d.Conns)
	}
	a, b := d.Conns[0], d.Conns[1]
	last := c1.Cwnd[len(c1.Cwnd)-1]
	if len(a.Window) != len(c1.Cwnd) || a.Window[0] != (plotter.XY{X: 100, Y: 14.6}) || a.Window[len(a.Window)-1].X != last.TimeMS {
		t.Errorf("c1 window: %d points from %v to %v; want one per sample, from {100 14.6} to the last sample at %g (the trace's end)",
			len(a.Window), a.Window[0], a.Window[len(a.Window)-1], last.TimeMS)
	}
	if n := len(b.Window); n != len(tr.Conns[1].Cwnd)+1 || b.Window[n-1].X != 1400 || b.Window[n-1].Y != b.Window[n-2].Y {
		t.Errorf("c2 window ends %v; want the last window held to the close at 1400", b.Window[n-2:])
	}
	// c1's ssthresh is set by the loss at 450 ms and stays set; c2's never is.
	if len(a.SSThresh) != 1 || a.SSThresh[0][0].X != 450 || len(b.SSThresh) != 0 || !d.SSThresh {
		t.Errorf("ssthresh runs: c1 %v, c2 %v; want one for c1 from 450 ms, none for c2", a.SSThresh, b.SSThresh)
	}
	var xs []float64
	for _, e := range a.Ends {
		xs = append(xs, e.X)
		if want := cwndAt(c1.Cwnd, e.X) / 1e3; e.Y != want {
			t.Errorf("mark at %g ms at %g KB, want on the line at %g", e.X, e.Y, want)
		}
	}
	if want := []float64{320, 910, 1480, 3350}; !slices.Equal(xs, want) {
		t.Errorf("c1 marks at %v, want %v", xs, want)
	}
	// No request rows: one load, from the first opening to the last response.
	if !d.Span || d.Lo != 0 || d.Hi < 3350 || len(d.Gaps) != 0 || len(d.Visits) != 0 {
		t.Errorf("span %v %g..%g, gaps %v, visits %v; want 0 to past 3350, no gap, no visit marked", d.Span, d.Lo, d.Hi, d.Gaps, d.Visits)
	}

	d, err = cwndData(tr, CwndOptions{Conns: []int{2}, NoSSThresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Conns) != 1 || d.Conns[0].Color != 0 || d.SSThresh || d.Conns[0].Window[len(d.Conns[0].Window)-1].X != 1400 {
		t.Errorf("c2 alone: %+v; want colour 0, no ssthresh, to its close", d)
	}
	tr.Conns[1].Cwnd = nil
	if d, err = cwndData(tr, CwndOptions{Conns: []int{2}}); !errors.Is(err, ErrNoData) {
		t.Errorf("no samples: %+v, err %v; want ErrNoData", d, err)
	}
}

// TestCwndDataVisits: with the request rows of two visits 10 s apart the
// axis spans the loads, each visit's start is marked, and the idle time
// between them is cut out; FullRange keeps the plain axis.
func TestCwndDataVisits(t *testing.T) {
	tr, reqs := fixtureVisits(10_000)
	d, err := cwndData(tr, CwndOptions{Requests: reqs})
	if err != nil {
		t.Fatal(err)
	}
	end0 := reqs[4].EndMS
	if len(d.Visits) != 2 || d.Visits[0] != (CwndVisit{0, 0}) || d.Visits[1].Visit != 1 || math.Abs(d.Visits[1].StartMS-(end0+10_000)) > 1e-6 {
		t.Errorf("visits %+v, want 1 at 0 and 2 at %g", d.Visits, end0+10_000)
	}
	if !d.Span || d.Lo != 0 || len(d.Gaps) != 1 || d.Gaps[0][0] < end0 || d.Gaps[0][1] > d.Visits[1].StartMS {
		t.Errorf("span %v from %g, gaps %v; want from 0 with one gap inside %g..%g", d.Span, d.Lo, d.Gaps, end0, d.Visits[1].StartMS)
	}
	if d.XLabel != "time since the start of the first visit (ms)" {
		t.Errorf("x label %q", d.XLabel)
	}
	d, err = cwndData(tr, CwndOptions{Requests: reqs, FullRange: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Span || len(d.Gaps) != 0 || len(d.Visits) != 0 || d.XLabel != "time since the start of the page load (ms)" {
		t.Errorf("full range: span %v, gaps %v, visits %v, x label %q; want a plain axis", d.Span, d.Gaps, d.Visits, d.XLabel)
	}
}

// TestVisitOffset: a visit's offset lines up its requests' ends with the
// responses on their connections, is never before the previous visit's
// end, and is refused when too few requests line up.
func TestVisitOffset(t *testing.T) {
	ends := map[int][]float64{1: {100, 200, 1100, 1250}, 2: {1180}}
	req := func(n, conn int, end float64) *experiments.RequestRow {
		return &experiments.RequestRow{Request: n, Connection: conn, EndMS: end}
	}
	rs := []*experiments.RequestRow{req(1, 1, 250), req(0, 1, 100), req(2, 2, 180)}
	if off, ok := visitOffset(rs, ends, 300); !ok || off != 1000 {
		t.Errorf("offset %g, %v; want 1000 (all three line up)", off, ok)
	}
	if rs[0].Request != 0 {
		t.Errorf("requests not sorted by number: %d first", rs[0].Request)
	}
	// From 0, offset 0 lines up request 0 only, 1000 lines up all three.
	if off, ok := visitOffset(rs, ends, 0); !ok || off != 1000 {
		t.Errorf("from 0: offset %g, %v; want 1000, the most lined up", off, ok)
	}
	// After 1100 only 1 of 3 can line up: under 4/5.
	if off, ok := visitOffset(rs, ends, 1100); ok {
		t.Errorf("after 1100: offset %g, want none", off)
	}
	if n := linedUp(rs, ends, 1000.005); n != 3 {
		t.Errorf("within the tolerance: %d lined up, want 3", n)
	}
}

// TestWaterfallMarks: a request that waited through refused connection
// attempts has its queued span hatched (start to end when it has no
// queued phase, as one that failed waiting); a replayed one has its
// badge at its last send, the start of its send phase. The data say
// which marks are in use; a load without any has none.
func TestWaterfallMarks(t *testing.T) {
	reqs := fixtureWaterfall()
	d, err := waterfallData(reqs, WaterfallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Refused || d.Replayed {
		t.Fatalf("a load without refusals or replays: refused %v, replayed %v; want no marks", d.Refused, d.Replayed)
	}
	queued := slices.IndexFunc(reqs, func(r experiments.RequestRow) bool { return r.QueuedMS > 0 })
	reqs[queued].Refusals = 2
	reqs[5].Replayed = true
	reqs = append(reqs, experiments.RequestRow{Model: reqs[0].Model, Point: reqs[0].Point, Request: 41,
		StartMS: 300, EndMS: 900, Refusals: 6}) // failed waiting: no phases
	d, err = waterfallData(reqs, WaterfallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Refused || !d.Replayed {
		t.Fatalf("refused %v, replayed %v; want both marks in use", d.Refused, d.Replayed)
	}
	for i, row := range d.Rows {
		r := reqs[i]
		switch {
		case i == queued:
			q := r.StartMS
			if row.Refusals != 2 || row.Hatch.x0 != q || row.Hatch.x1 != q+r.QueuedMS || row.Hatch.y0 != row.Phases[0].y0 {
				t.Errorf("row %d: refusals %d, hatch %+v; want 2 over its queued span [%g, %g]", i, row.Refusals, row.Hatch, q, q+r.QueuedMS)
			}
		case i == 41:
			if row.Refusals != 6 || row.Hatch.x0 != 300 || row.Hatch.x1 != 900 {
				t.Errorf("failed request: refusals %d, hatch %+v; want 6 from its start to its end", row.Refusals, row.Hatch)
			}
		case i == 5:
			want := r.StartMS + r.QueuedMS + r.DNSMS + r.ConnectMS + r.TLSMS
			if !row.Replayed || row.ReplayAt != want {
				t.Errorf("replayed row: replayed %v at %g, want at its send %g", row.Replayed, row.ReplayAt, want)
			}
		default:
			if row.Refusals != 0 || row.Replayed {
				t.Errorf("row %d: refusals %d, replayed %v; want no marks", i, row.Refusals, row.Replayed)
			}
		}
	}
	if refused, replayed := WaterfallMarks(reqs, WaterfallOptions{}); !refused || !replayed {
		t.Errorf("WaterfallMarks = %v, %v; want true, true", refused, replayed)
	}
}
