package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPageDrawsEveryVisit: connsim page --visits N draws a waterfall for
// each visit, every request once under its visit's heading; one visit
// draws one waterfall without a heading, as before.
func TestPageDrawsEveryVisit(t *testing.T) {
	row := regexp.MustCompile(`(?m)^\s+(\d+)\s+\d+ .*\|[ .dctswr]{64}\|$`)
	for _, tc := range []struct {
		visits   string
		headings int
		rows     int // 1 HTML + 3 objects per visit
	}{
		{"1", 0, 4},
		{"2", 2, 8},
		{"3", 3, 12},
	} {
		code, stdout, stderr := runCLI(t, "page", "--objects", "3x10KB", "--visits", tc.visits, "--reading-time", "1s")
		if code != 0 {
			t.Fatalf("visits %s: exit %d: %s", tc.visits, code, stderr)
		}
		if got := strings.Count(stdout, "visit "); got != tc.headings {
			t.Errorf("visits %s: %d visit headings, want %d:\n%s", tc.visits, got, tc.headings, stdout)
		}
		ms := row.FindAllStringSubmatch(stdout, -1)
		if len(ms) != tc.rows {
			t.Errorf("visits %s: %d waterfall rows, want %d:\n%s", tc.visits, len(ms), tc.rows, stdout)
			continue
		}
		for i, m := range ms {
			if m[1] != strconv.Itoa(i) {
				t.Errorf("visits %s: row %d is request %s, want request %d (each once, in order)", tc.visits, i, m[1], i)
			}
		}
	}
}
