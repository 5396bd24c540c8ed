package experiments

import (
	"bytes"
	"strings"
	"testing"
)

// pipeliningServersYAML is a pipelining page from a server that drops
// requests pipelined behind an unfinished one (issue 12), SERVER being
// the top-level server: block and SERVERS what follows.
const pipeliningServersYAML = `name: pipe
network: {rtt: 40ms, bandwidth: 50Mbps}
server: SERVER
page:
  html: 10KB
  objects: [{size: 5KB, count: 8}]
models: [pipelined]
clients:
  - name: user
    count: 3
    arrival: {interval: 200ms}
SERVERS`

// TestServersKeepPipelining (second audit of issues 11 and 12): a file
// with servers: keeps server.pipelining. A site's Server replaces the
// world's whole, and the servers: translation once left pipelining out,
// so every server of such a file answered pipelines correctly: the
// breaker of server: (inherited by the entries) or of an entry's own
// server: was silently ignored, and an entry's own one did not add the
// pipelining_fallbacks column. Now one entry without a link, whichever
// block sets the breaker, writes the very results.csv of the file
// without servers:, with fallbacks and replays.
func TestServersKeepPipelining(t *testing.T) {
	results := func(server, servers string) string {
		y := strings.NewReplacer("SERVERS", servers, "SERVER", server).Replace(pipeliningServersYAML)
		s, err := Load("pipe.yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		runs, err := s.Runs()
		if err != nil {
			t.Fatal(err)
		}
		var rows []Row
		for _, r := range RunAll(runs, RunOptions{}) {
			rows = append(rows, r.Row)
		}
		var b bytes.Buffer
		if err := WriteResultsCSV(&b, s, rows); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	want := results("{pipelining: drop-after-first}", "")
	rows := strings.Split(want, "\n")
	if !strings.Contains(rows[0], "pipelining_fallbacks") || !strings.HasSuffix(strings.TrimSuffix(rows[1], ","), ",3") {
		t.Fatalf("without servers: want the pipelining_fallbacks column and a fallback per client:\n%s", want)
	}
	for _, tc := range []struct{ name, server, servers string }{
		{"inherited", "{pipelining: drop-after-first}", "servers: [{name: origin, hosts: [example.com]}]\n"},
		{"own", "{}", "servers: [{name: origin, hosts: [example.com], server: {pipelining: drop-after-first}}]\n"},
	} {
		if got := results(tc.server, tc.servers); got != want {
			t.Errorf("%s: one servers: entry changes the output:\n%s\nwant\n%s", tc.name, got, want)
		}
	}
}

// TestServersSweptPipeliningColumn: sweeping an entry's
// servers[i].server.pipelining adds the pipelining_fallbacks column, as
// sweeping server.pipelining does, and the point that breaks
// pipelining counts its fallbacks there.
func TestServersSweptPipeliningColumn(t *testing.T) {
	y := strings.NewReplacer("SERVERS", "servers: [{name: origin, hosts: [example.com]}]\nsweep:\n  servers[0].server.pipelining: [ok, drop-after-first]\n",
		"SERVER", "{}").Replace(pipeliningServersYAML)
	s, err := Load("pipe.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for _, r := range RunAll(runs, RunOptions{}) {
		rows = append(rows, r.Row)
	}
	var b bytes.Buffer
	if err := WriteResultsCSV(&b, s, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "pipelining_fallbacks") {
		t.Fatalf("want a header with pipelining_fallbacks and two rows:\n%s", b.String())
	}
	ok, broken := strings.TrimSuffix(lines[1], ","), strings.TrimSuffix(lines[2], ",")
	if !strings.HasSuffix(ok, ",0") || !strings.HasSuffix(broken, ",3") {
		t.Errorf("fallbacks: want 0 with ok and 3 (one per client) with drop-after-first:\n%s", b.String())
	}
}
