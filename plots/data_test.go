package plots

import (
	"errors"
	"slices"
	"testing"

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
