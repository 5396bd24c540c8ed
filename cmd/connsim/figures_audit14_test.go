package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// Tests added by the stranger audit of issue 14: what a spec asks of a
// figure must reach the drawing, not only its caption.

// auditRun runs spec (YAML) and returns its figures' SVGs in order.
func auditRun(t *testing.T, spec string) []string {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "t.yaml")
	if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "run", file, "--out", out, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	svgs, _ := filepath.Glob(filepath.Join(out, "t", "plots", "*.svg"))
	slices.Sort(svgs)
	var texts []string
	for _, f := range svgs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	return texts
}

var (
	// The first series' line: colour 0 at the line width.
	firstLine = regexp.MustCompile(`<path d="(M[^"]*)" style="fill:none;stroke:#0072B2;stroke-width:2\.2"`)
	svgPoint  = regexp.MustCompile(`[ML](-?[\d.]+),(-?[\d.]+)`)
)

// TestLineStyleReachesFigure: style: step draws the metric as a
// staircase (every segment level or upright), the default joins the
// points with slanted segments, and style: points draws no line at all.
func TestLineStyleReachesFigure(t *testing.T) {
	svgs := auditRun(t, `name: t
network: {rtt: 50ms, bandwidth: 10Mbps}
page: {html: 10KB, objects: [{size: 5KB, count: 6}]}
models: [persistent]
sweep:
  network.rtt: [20ms, 60ms, 150ms]
plots:
  - {kind: line, x: network.rtt, y: plt_ms, style: step}
  - {kind: line, x: network.rtt, y: plt_ms}
  - {kind: line, x: network.rtt, y: plt_ms, style: points}
`)
	if len(svgs) != 3 {
		t.Fatalf("%d figures, want 3", len(svgs))
	}
	for i, want := range []string{"step", "line", "points"} {
		m := firstLine.FindStringSubmatch(svgs[i])
		if want == "points" {
			if m != nil {
				t.Errorf("style points: a line is drawn: %.80s", m[1])
			}
			continue
		}
		if m == nil {
			t.Errorf("style %s: no line drawn", want)
			continue
		}
		var slanted, upright int
		pts := svgPoint.FindAllStringSubmatch(m[1], -1)
		for j := 1; j < len(pts); j++ {
			x0, _ := strconv.ParseFloat(pts[j-1][1], 64)
			y0, _ := strconv.ParseFloat(pts[j-1][2], 64)
			x1, _ := strconv.ParseFloat(pts[j][1], 64)
			y1, _ := strconv.ParseFloat(pts[j][2], 64)
			switch {
			case x1 != x0 && y1 != y0:
				slanted++
			case x1 == x0 && y1 != y0:
				upright++
			}
		}
		if want == "step" && (slanted > 0 || upright == 0) {
			t.Errorf("style step: %d slanted and %d upright segments, want a staircase: %s", slanted, upright, m[1])
		}
		if want == "line" && slanted == 0 {
			t.Errorf("default style: no slanted segment, want the points joined: %s", m[1])
		}
	}
}

// xTicks returns a figure's numeric tick labels, in order.
func xTicks(svg string) []string {
	var ts []string
	for _, m := range regexp.MustCompile(`font-size:11px">(\d+)</text>`).FindAllStringSubmatch(svg, -1) {
		ts = append(ts, m[1])
	}
	return ts
}

// TestWaterfallsShareAxis: two waterfalls of one point, one of a load
// three times longer, are drawn on the same time axis (the same ticks),
// as their captions say; a waterfall alone keeps its own.
func TestWaterfallsShareAxis(t *testing.T) {
	svgs := auditRun(t, `name: t
network: {rtt: 100ms, bandwidth: 10Mbps}
page: {html: 10KB, objects: [{size: 3KB, count: 12}]}
models: [short-lived, pipelined]
plots:
  - {kind: waterfall, model: short-lived}
  - {kind: waterfall, model: pipelined}
`)
	alone := auditRun(t, `name: t
network: {rtt: 100ms, bandwidth: 10Mbps}
page: {html: 10KB, objects: [{size: 3KB, count: 12}]}
models: [short-lived, pipelined]
plots:
  - {kind: waterfall, model: pipelined}
`)
	if len(svgs) != 2 || len(alone) != 1 {
		t.Fatalf("%d and %d figures, want 2 and 1", len(svgs), len(alone))
	}
	a, b, c := xTicks(svgs[0]), xTicks(svgs[1]), xTicks(alone[0])
	if len(a) < 2 || !slices.Equal(a, b) {
		t.Errorf("short-lived ticks %v, pipelined ticks %v: want one shared axis", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("pipelined alone has the short-lived load's ticks %v: the loads are too alike for the test to tell", c)
	}
}
