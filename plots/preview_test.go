package plots

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
)

var previewDir = flag.String("preview", "", "write example figures and a report to this directory (e.g. /tmp/plots-preview)")

// TestPreview renders every kind of figure from the fixtures, plus a
// report, into -preview DIR so a person can look at them. It is skipped
// without the flag: figures are checked by eye, never against golden
// bytes.
//
//	go test ./plots -run TestPreview -preview /tmp/plots-preview
func TestPreview(t *testing.T) {
	if *previewDir == "" {
		t.Skip("no -preview directory")
	}
	dir := *previewDir
	if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
		t.Fatal(err)
	}
	rows := fixtureLineRows(5)
	tr := fixtureTrace()
	type fig struct {
		name, caption string
		make          func() (*plot.Plot, error)
	}
	figs := []fig{
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
	var report []Figure
	for _, f := range figs {
		p, err := f.make()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if err := Save(p, filepath.Join(dir, "plots"), f.name, 0, 0); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		report = append(report, Figure{Name: f.name, Title: p.Title.Text, Caption: f.caption})
	}
	h, s := fixtureSummary()
	out, err := os.Create(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	err = Report(out, ReportData{
		Title:         "Preview <of> plots",
		Description:   "Why one connection per request is slow.\n\nSecond paragraph & <b>escaped</b>.",
		Figures:       report,
		SummaryHeader: h, Summary: s,
		SpecYAML: "name: preview\nnetwork:\n  rtt: 100ms\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", dir)
}
