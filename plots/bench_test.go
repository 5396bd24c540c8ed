package plots

import (
	"testing"

	"gonum.org/v1/plot"
)

// sampleFigure is one figure of each kind drawn from the fixtures.
type sampleFigure struct {
	name, caption string
	make          func() (*plot.Plot, error)
}

// sampleFigures is a figure of every kind and option the command draws,
// from the fixtures: about what one library experiment (three line
// charts, two bar charts, two waterfalls, a cwnd and a sequence plot)
// asks for. TestPreview renders them; BenchmarkFigures times them.
func sampleFigures() []sampleFigure {
	rows := fixtureLineRows(5)
	tr := fixtureTrace()
	return []sampleFigure{
		{"plt-vs-rtt", "Median page load time of 5 runs per point; the band spans p25 to p75.", func() (*plot.Plot, error) {
			return Line(rows, LineOptions{X: "network.rtt", Y: "plt_ms", Title: "Page load time vs RTT"})
		}},
		{"plt-vs-rtt-log", "The same on log axes.", func() (*plot.Plot, error) {
			return Line(rows, LineOptions{X: "network.rtt", Y: "plt_ms", LogX: true, LogY: true, Spread: ErrorBars})
		}},
		{"plt-vs-rtt-1run", "One run per point: no band.", func() (*plot.Plot, error) {
			return Line(fixtureLineRows(1), LineOptions{X: "network.rtt", Y: "plt_ms"})
		}},
		{"connections-bar", "Connections per model.", func() (*plot.Plot, error) {
			return Bar(rows, BarOptions{Y: "connections", Where: map[string]float64{"network.rtt": 100}})
		}},
		{"plt-bar", "Page load time by RTT.", func() (*plot.Plot, error) {
			return Bar(rows, BarOptions{X: "network.rtt", Y: "plt_ms"})
		}},
		{"waterfall", "One load, 41 requests on 6 connections.", func() (*plot.Plot, error) {
			return Waterfall(fixtureWaterfall(), WaterfallOptions{})
		}},
		{"waterfall-sharded", "Hosts round-robin over 3 shards, rows grouped by connection.", func() (*plot.Plot, error) {
			reqs := fixtureWaterfall()
			for i := range reqs {
				if i > 0 {
					reqs[i].Host = []string{"www.example.com", "s1.example.com", "s2.example.com"}[i%3]
				}
			}
			return Waterfall(reqs, WaterfallOptions{ByConnection: true})
		}},
		{"cwnd", "Congestion window with slow start, loss and idle restart.", func() (*plot.Plot, error) {
			return Cwnd(tr, CwndOptions{})
		}},
		{"sequence", "Time-sequence plot of connection 1.", func() (*plot.Plot, error) {
			return Sequence(tr, 1, SequenceOptions{})
		}},
	}
}

// BenchmarkFigures builds every sample figure and encodes it as PNG and
// SVG, as Save does, without the files: one op is one experiment's
// figures drawn one after another.
func BenchmarkFigures(b *testing.B) {
	figs := sampleFigures()
	for b.Loop() {
		for _, f := range figs {
			p, err := f.make()
			if err != nil {
				b.Fatal(err)
			}
			w, h := DefaultSize(p)
			for _, format := range []string{"png", "svg"} {
				if _, err := Encode(p, w, h, format); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// BenchmarkEncodePNG times the PNG encoding of the sample figures alone
// (the plots are built once).
func BenchmarkEncodePNG(b *testing.B) {
	var ps []*plot.Plot
	for _, f := range sampleFigures() {
		p, err := f.make()
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, p)
	}
	for b.Loop() {
		for _, p := range ps {
			w, h := DefaultSize(p)
			if _, err := Encode(p, w, h, "png"); err != nil {
				b.Fatal(err)
			}
		}
	}
}
