package plots

import (
	"fmt"
	"math"
	"strconv"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/connsim/connsim/experiments"
)

// Tests for issue 14's "figures that can mislead": what each figure
// shows must come from its data.

func TestParseJoin(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Join
		wantErr bool
	}{
		{"", Joined, false},
		{"line", Joined, false},
		{"step", Steps, false},
		{"points", Points, false},
		{"steps", Joined, true},
		{"Step", Joined, true},
	} {
		got, err := ParseJoin(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseJoin(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestLineJoins: a step-shaped metric is drawn as steps (held until the
// next x) or as unjoined points, never as a ramp; the band follows the
// steps, and unjoined points get error bars, not a band that would join
// them again. Every band is outlined, so one under another shows.
func TestLineJoins(t *testing.T) {
	s := Series{Label: "m", Points: []SeriesPoint{
		{X: 1, Median: 10, P25: 9, P75: 11, N: 5},
		{X: 2, Median: 20, P25: 19, P75: 21, N: 5},
		{X: 3, Median: 20, P25: 19, P75: 21, N: 5},
	}}
	for _, tc := range []struct {
		join      Join
		lines     int
		step      plotter.StepKind
		bandVerts int // 0: error bars instead of a band
	}{
		{Joined, 1, plotter.NoStep, 6},
		{Steps, 1, plotter.PostStep, 10},
		{Points, 0, 0, 0},
	} {
		band, line, _, err := lineSeries(0, s, Band, tc.join)
		if err != nil {
			t.Fatal(err)
		}
		var lines []*plotter.Line
		for _, p := range line {
			if l, ok := p.(*plotter.Line); ok {
				lines = append(lines, l)
			}
		}
		if len(lines) != tc.lines {
			t.Errorf("join %d: %d lines, want %d", tc.join, len(lines), tc.lines)
		}
		if len(lines) == 1 && lines[0].StepStyle != tc.step {
			t.Errorf("join %d: step style %v, want %v", tc.join, lines[0].StepStyle, tc.step)
		}
		switch b := band.(type) {
		case *plotter.Polygon:
			if n := len(b.XYs[0]); n != tc.bandVerts {
				t.Errorf("join %d: band of %d vertices, want %d", tc.join, n, tc.bandVerts)
			}
			if b.LineStyle.Width <= 0 || b.LineStyle.Color == nil {
				t.Errorf("join %d: band without an outline: %+v", tc.join, b.LineStyle)
			}
			if _, _, _, a := b.Color.RGBA(); a == 0xFFFF {
				t.Errorf("join %d: band is opaque", tc.join)
			}
		case *vsegs:
			if tc.bandVerts != 0 {
				t.Errorf("join %d: error bars, want a band", tc.join)
			}
		default:
			t.Errorf("join %d: spread %T", tc.join, band)
		}
	}
	if d, _ := lineData(fixtureLineRows(1), LineOptions{X: "network.rtt", Y: "plt_ms", Join: Steps}); d.Join != Steps {
		t.Errorf("lineData dropped the join: %v", d.Join)
	}
}

// TestWaterfallTitleNumbers: the numbers a waterfall's title states are
// those of the run it draws.
func TestWaterfallTitleNumbers(t *testing.T) {
	reqs := fixtureWaterfall() // 41 requests on 6 connections
	d, err := waterfallData(reqs, WaterfallOptions{Title: "{requests} requests on {connections} connections, loaded at {loaded_ms} ms; {other}"})
	if err != nil {
		t.Fatal(err)
	}
	end := 0.0
	for _, r := range reqs {
		end = max(end, r.EndMS)
	}
	want := fmt.Sprintf("41 requests on 6 connections, loaded at %s ms; {other}", strconv.Itoa(int(end+0.5)))
	if d.Title != want {
		t.Errorf("title %q, want %q", d.Title, want)
	}
	reqs[3].Connection = 99 // one connection more
	if d, _ := waterfallData(reqs, WaterfallOptions{Title: "{connections}"}); d.Title != "7" {
		t.Errorf("title %q, want 7", d.Title)
	}
}

// TestWaterfallSharedAxis: XMax widens the time axis to it (a scale
// shared with another waterfall), never narrows it.
func TestWaterfallSharedAxis(t *testing.T) {
	reqs := fixtureWaterfall()
	end := WaterfallEnd(reqs, WaterfallOptions{})
	for _, xmax := range []float64{0, end / 2, 3 * end} {
		p, err := Waterfall(reqs, WaterfallOptions{XMax: xmax})
		if err != nil {
			t.Fatal(err)
		}
		if p.X.Max < max(end, xmax) || p.X.Max > 1.3*max(end, xmax) {
			t.Errorf("XMax %g: axis ends at %g, want a round value from %g", xmax, p.X.Max, max(end, xmax))
		}
	}
}

// TestWaterfallLosses: a retransmitted segment is marked on the rows of
// its connection under way when it was resent, from its lost original
// to the retransmission, on the clock of the visit drawn.
func TestWaterfallLosses(t *testing.T) {
	tr, reqs := fixtureVisits(1000)
	c := &tr.Conns[0]
	off := c.ResponseEndsMS[5] - reqs[5].EndMS // where visit 2 starts in the trace
	r6 := reqs[6]                              // visit 2's second request
	c.Segments = []experiments.SegmentSample{
		{TimeMS: off + r6.StartMS + 50, Seq: 5000, Len: 1448},                   // lost
		{TimeMS: off + r6.StartMS + 60, Seq: 6448, Len: 1448},                   // arrived
		{TimeMS: off + r6.StartMS + 70, Seq: 1, Ack: 5000, FromClient: true},    // dup ACK
		{TimeMS: off + r6.StartMS + 90, Seq: 5000, Len: 1448, Retransmit: true}, // resent
		{TimeMS: off + r6.StartMS + 95, Seq: 9000, Len: 100, Retransmit: true},  // original unseen
	}
	for _, tc := range []struct {
		name  string
		opt   WaterfallOptions
		row   int // index among the visit's rows; -1: none
		spans []LossSpan
	}{
		{"visit 2", WaterfallOptions{Visit: 1, Trace: &tr}, 1, []LossSpan{
			{Sent: r6.StartMS + 50, Resent: r6.StartMS + 90}, {Sent: r6.StartMS + 95, Resent: r6.StartMS + 95}}},
		{"visit 1", WaterfallOptions{Trace: &tr}, -1, nil},
		{"no trace", WaterfallOptions{Visit: 1}, -1, nil},
	} {
		d, err := waterfallData(reqs, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if d.Lost != (tc.row >= 0) || WaterfallLost(reqs, tc.opt) != d.Lost {
			t.Errorf("%s: Lost = %v, want %v", tc.name, d.Lost, tc.row >= 0)
		}
		for i, r := range d.Rows {
			var want []LossSpan
			if i == tc.row {
				want = tc.spans
			}
			if !sameSpans(r.Losses, want) {
				t.Errorf("%s: row %d (%s) losses %v, want %v", tc.name, i, r.Label, r.Losses, want)
			}
		}
	}
}

// TestWaterfallByHostUpToEight: a page sharded over up to eight
// hostnames has its stripes coloured by host (domain-sharding's 8
// shards), each host its own colour; beyond, by connection.
func TestWaterfallByHostUpToEight(t *testing.T) {
	for _, hosts := range []int{2, 8, 9} {
		reqs := fixtureWaterfall()
		for i := range reqs {
			reqs[i].Host = fmt.Sprintf("shard%d.example.com", i%hosts)
		}
		d, err := waterfallData(reqs, WaterfallOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := hosts <= 8; d.ByHost != want {
			t.Errorf("%d hosts: ByHost %v, want %v", hosts, d.ByHost, want)
			continue
		}
		if !d.ByHost {
			continue
		}
		seen := map[string]string{}
		for i, r := range d.Rows {
			k := fmt.Sprint(r.Stripe)
			if h, ok := seen[k]; ok && h != reqs[i].Host {
				t.Errorf("%d hosts: %s and %s share a stripe colour", hosts, h, reqs[i].Host)
			}
			seen[k] = reqs[i].Host
		}
	}
}

// TestCwndSSThreshCaption: the caption may promise a dotted ssthresh
// only when the figure draws one.
func TestCwndSSThreshCaption(t *testing.T) {
	set := fixtureTrace() // a loss sets ssthresh
	unset, reqs := fixtureVisits(1000)
	for _, tc := range []struct {
		name string
		tr   experiments.Trace
		opt  CwndOptions
		want bool
	}{
		{"after a loss", set, CwndOptions{}, true},
		{"ssthresh left out", set, CwndOptions{NoSSThresh: true}, false},
		{"never set", unset, CwndOptions{Requests: reqs}, false},
		{"no data", experiments.Trace{}, CwndOptions{}, false},
	} {
		if got := CwndSSThresh(tc.tr, tc.opt); got != tc.want {
			t.Errorf("%s: CwndSSThresh = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func sameSpans(a, b []LossSpan) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i].Sent-b[i].Sent) > 1e-9 || math.Abs(a[i].Resent-b[i].Resent) > 1e-9 {
			return false
		}
	}
	return true
}
