package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// serversSpec: a population over two server sites (the page's objects
// split between them), two models, two repetitions, swept over the
// second site's RTT.
const serversSpec = `name: sites
repeat: 2
clients: [{name: u, count: 6, arrival: {interval: 100ms}, access: {rtt: 20ms}}]
page: {html: 8KB, host: www.example, objects: [{size: 5KB, count: 4}, {size: 20KB, count: 3, host: cdn.example}]}
server: {max_connections: 4, backlog: 2}
servers:
  - {name: www, hosts: [www.example]}
  - {name: cdn, hosts: [cdn.example], link: {rtt: 10ms}}
models: [short-lived, parallel]
sweep:
  servers[1].link.rtt: [10ms, 80ms]
`

// readTable reads a CSV file (readCSV) into its header's column index
// and rows.
func readTable(t *testing.T, path string) (map[string]int, [][]string) {
	t.Helper()
	recs := readCSV(t, path)
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	return col, recs[1:]
}

// TestServersFile: a spec with servers: writes servers.csv, a row per
// site and run in the order of servers:, whose counts and integrals add
// up to results.csv's aggregates and whose peaks lie between the largest
// site's and their sum (httpmodel # Topology); the same bytes with 1 and
// 2 workers and from merged shards; merge refuses a row naming another
// site; a spec without servers: writes none.
func TestServersFile(t *testing.T) {
	base := t.TempDir()
	spec := filepath.Join(base, "sites.yaml")
	if err := os.WriteFile(spec, []byte(serversSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := func(name string) string { return filepath.Join(base, name) }
	for _, args := range [][]string{
		{"run", spec, "--out", dir("w1"), "--workers", "1", "--no-plots", "--quiet"},
		{"run", spec, "--out", dir("w2"), "--workers", "2", "--no-plots", "--quiet"},
		{"run", spec, "--out", dir("json"), "--format", "json", "--no-plots", "--quiet"},
		{"run", spec, "--out", dir("s1"), "--shard", "1/2", "--quiet"},
		{"run", spec, "--out", dir("s2"), "--shard", "2/2", "--quiet"},
		{"merge", filepath.Join(dir("s1"), "sites"), filepath.Join(dir("s2"), "sites"), "--out", dir("m"), "--no-plots"},
		{"run", "testdata/small.yaml", "--out", dir("none"), "--no-plots", "--quiet"},
	} {
		if code, _, e := runCLI(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, e)
		}
	}
	path := filepath.Join(dir("w1"), "sites", "servers.csv")
	one, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{filepath.Join(dir("w2"), "sites", "servers.csv"), filepath.Join(dir("m"), "sites", "servers.csv")} {
		if b, err := os.ReadFile(other); err != nil || !bytes.Equal(b, one) {
			t.Errorf("%s differs from the whole run's with 1 worker (%v)", other, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir("json"), "sites", "servers.json")); err != nil || !bytes.HasPrefix(b, []byte("[\n  {\"model\": ")) {
		t.Errorf("servers.json: %v %.40q", err, b)
	}
	if _, err := os.Stat(filepath.Join(dir("none"), "small", "servers.csv")); err == nil {
		t.Error("a spec without servers: wrote servers.csv")
	}
	checkSitesAddUp(t, filepath.Join(dir("w1"), "sites"))

	// A shard's site renamed, the manifest re-signed: merge refuses it,
	// naming the file and line.
	bad := filepath.Join(base, "bad")
	copyTree(t, filepath.Join(dir("s1"), "sites"), bad)
	editCSV(t, filepath.Join(bad, "servers.csv"), setCell("server", 1, "www"))
	resign(t, bad)
	code, _, e := runCLI(t, "merge", bad, filepath.Join(dir("s2"), "sites"), "--out", dir("m2"), "--no-plots")
	if code != 2 || !strings.Contains(e, "servers.csv:3") {
		t.Errorf("merge of a renamed site: exit %d, %q", code, e)
	}
}

// checkSitesAddUp checks servers.csv in folder d against results.csv:
// two sites per run, www then cdn; sums and peaks as httpmodel defines
// the aggregates.
func checkSitesAddUp(t *testing.T, d string) {
	t.Helper()
	rcol, results := readTable(t, filepath.Join(d, "results.csv"))
	scol, sites := readTable(t, filepath.Join(d, "servers.csv"))
	if len(sites) != 2*len(results) || len(results) != 8 {
		t.Fatalf("%d results rows, %d servers rows: want 8 and 16", len(results), len(sites))
	}
	num := func(rec []string, col map[string]int, name string) float64 {
		v, err := strconv.ParseFloat(rec[col[name]], 64)
		if err != nil {
			t.Fatalf("%s %q: %v", name, rec[col[name]], err)
		}
		return v
	}
	served := 0.0
	for i, r := range results {
		a, b := sites[2*i], sites[2*i+1]
		if a[scol["server"]] != "www" || b[scol["server"]] != "cdn" || a[scol["run"]] != r[rcol["run"]] || a[scol["model"]] != r[rcol["model"]] {
			t.Fatalf("run %d: sites %q, %q for %q", i, a[:scol["server"]+1], b[:scol["server"]+1], r[:rcol["run"]+1])
		}
		for _, sum := range []string{"syn_drops", "server_conn_s", "server_open_mean"} {
			if got, want := num(a, scol, sum)+num(b, scol, sum), num(r, rcol, sum); math.Abs(got-want) > 2e-6 {
				t.Errorf("run %d: %s of the sites add up to %v, results.csv has %v", i, sum, got, want)
			}
		}
		for _, peak := range []string{"server_open_max", "busy_workers_max", "backlog_max", "server_memory_max_bytes"} {
			x, y, agg := num(a, scol, peak), num(b, scol, peak), num(r, rcol, peak)
			if agg < max(x, y) || agg > x+y {
				t.Errorf("run %d: %s %v outside [%v, %v], the largest site's and the sum", i, peak, agg, max(x, y), x+y)
			}
		}
		served += num(a, scol, "requests_served") + num(b, scol, "requests_served")
	}
	if served == 0 {
		t.Error("no site served a request")
	}
}
