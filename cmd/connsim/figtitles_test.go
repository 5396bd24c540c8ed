package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFigureTitleNumbers (issue 14): a waterfall title's placeholders
// are replaced by the numbers of the run it shows, in the figure's file
// name and in the report, and two waterfalls of one point share a time
// axis, as their captions say; a cwnd caption promises no ssthresh line
// when none is drawn.
func TestFigureTitleNumbers(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "t.yaml")
	if err := os.WriteFile(spec, []byte(`name: t
network: {rtt: 50ms, bandwidth: 10Mbps}
page: {html: 10KB, objects: [{size: 5KB, count: 6}]}
models: [persistent, {parallel: {connections: 3}}]
plots:
  - {kind: waterfall, model: persistent, title: "{requests} requests on {connections} connection"}
  - {kind: waterfall, model: "parallel(connections=3)", title: "{connections} connections, loaded at {loaded_ms} ms"}
  - {kind: cwnd, model: persistent}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "run", spec, "--out", out, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"01-7-requests-on-1-connection.png", "02-3-connections-loaded-at-"} {
		m, _ := filepath.Glob(filepath.Join(out, "t", "plots", name+"*"))
		if len(m) == 0 {
			ents, _ := os.ReadDir(filepath.Join(out, "t", "plots"))
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("no figure %s*; figures: %v", name, names)
		}
	}
	report, err := os.ReadFile(filepath.Join(out, "t", "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	r := string(report)
	for _, want := range []string{"7 requests on 1 connection", "3 connections, loaded at ", "share this time axis", "ssthresh was never set"} {
		if !strings.Contains(r, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(r, "<h3>{") { // the resolved spec shows them, as written
		t.Errorf("a figure heading shows a placeholder")
	}
}
