package plots

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var previewDir = flag.String("preview", "", "also write the sample figures and a report to this directory (e.g. /tmp/plots-preview), to look at them")

// TestPreview renders every kind of figure from the fixtures
// (sampleFigures) and checks each as the command writes it: a PNG that
// decodes at the figure's pixel size, an SVG that parses and holds the
// title, and a report that embeds every figure. Figures are checked by
// eye, never against golden bytes: with -preview DIR the figures and the
// report are also written to DIR.
//
//	go test ./plots -run TestPreview -preview /tmp/plots-preview
func TestPreview(t *testing.T) {
	dir := *previewDir
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
		t.Fatal(err)
	}
	var report []Figure
	for _, f := range sampleFigures() {
		p, err := f.make()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		// The title may be wrapped over lines: look for its words.
		all := strings.Join(render(t, p, 0, 0), " ")
		for _, w := range strings.Fields(p.Title.Text) {
			if !strings.Contains(all, w) {
				t.Errorf("%s: the SVG has no %q of the title %q", f.name, w, p.Title.Text)
			}
		}
		if err := Save(p, filepath.Join(dir, "plots"), f.name, 0, 0); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		png, err := os.ReadFile(filepath.Join(dir, "plots", f.name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		report = append(report, Figure{Name: f.name, Title: p.Title.Text, Caption: f.caption, PNG: png})
	}
	h, s := fixtureSummary()
	var buf bytes.Buffer
	err := Report(&buf, ReportData{
		Title:         "Preview <of> plots",
		Description:   "Why one connection per request is slow.\n\nSecond paragraph & <b>escaped</b>.",
		Figures:       report,
		SummaryHeader: h, Summary: s,
		SpecYAML: "name: preview\nnetwork:\n  rtt: 100ms\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if n := strings.Count(html, "data:image/png;base64,"); n != len(report) {
		t.Errorf("report embeds %d PNGs, want %d", n, len(report))
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if *previewDir != "" {
		t.Logf("wrote %s", dir)
	}
}
