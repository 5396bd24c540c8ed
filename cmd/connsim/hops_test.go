package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hopsSpec is a chain of two proxies (a forward proxy "fp" for the
// population, upstream the edge in front of the origin), with loss on
// the edge's link, two models and two repetitions: a few runs whose
// hops differ.
const hopsSpec = `name: hops
repeat: 2
clients: [{name: u, count: 2, access: {rtt: 20ms}}]
page: {html: 8KB, objects: [{size: 5KB, count: 4}]}
servers: [{name: origin, hosts: [example.com], link: {rtt: 20ms}}]
proxies:
  - {name: fp, for: [u], upstream: edge, model: persistent}
  - {name: edge, hosts: [example.com], model: short-lived, link: {rtt: 5ms, loss: 0.02}}
models: [short-lived, persistent]
sweep:
  clients[0].access.rtt: [20ms, 60ms]
`

func writeHopsSpec(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hops.yaml")
	if err := os.WriteFile(p, []byte(hopsSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHopsFile: a spec with proxies writes hops.csv (hops.json with
// --format json), the same bytes with 1 and 2 workers; shards write
// theirs and merge joins them into the whole run's bytes; a hops row
// changed with care (the manifest re-signed) is refused by merge; a
// spec without proxies writes no hops file.
func TestHopsFile(t *testing.T) {
	spec := writeHopsSpec(t)
	base := t.TempDir()
	dir := func(name string) string { return filepath.Join(base, name) }
	for _, args := range [][]string{
		{"run", spec, "--out", dir("w1"), "--workers", "1", "--no-plots", "--quiet"},
		{"run", spec, "--out", dir("w2"), "--workers", "2", "--no-plots", "--quiet"},
		{"run", spec, "--out", dir("json"), "--format", "json", "--no-plots", "--quiet"},
		{"run", spec, "--out", dir("s1"), "--shard", "1/2", "--quiet"},
		{"run", spec, "--out", dir("s2"), "--shard", "2/2", "--quiet"},
		{"merge", filepath.Join(dir("s1"), "hops"), filepath.Join(dir("s2"), "hops"), "--out", dir("m"), "--no-plots"},
		{"run", "testdata/small.yaml", "--out", dir("none"), "--no-plots", "--quiet"},
	} {
		if code, _, e := runCLI(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, e)
		}
	}
	one, err := os.ReadFile(filepath.Join(dir("w1"), "hops", "hops.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// 2 models x 2 RTTs x 2 runs, each with the hops clients>fp,
	// fp>edge, edge>origin.
	lines := strings.Split(strings.TrimSpace(string(one)), "\n")
	if len(lines) != 1+8*3 {
		t.Fatalf("hops.csv has %d lines, want %d:\n%s", len(lines), 1+8*3, one)
	}
	for i, l := range lines[1:] {
		want := []string{",1,clients,fp,", ",2,fp,edge,", ",3,edge,origin,"}[i%3]
		if !strings.Contains(l, want) {
			t.Errorf("line %d %q: want %q", i+2, l, want)
		}
	}
	for _, other := range []string{filepath.Join(dir("w2"), "hops", "hops.csv"), filepath.Join(dir("m"), "hops", "hops.csv")} {
		b, err := os.ReadFile(other)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, one) {
			t.Errorf("%s differs from the whole run's with 1 worker", other)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir("json"), "hops", "hops.json")); err != nil || !bytes.HasPrefix(b, []byte("[\n  {\"model\": ")) {
		t.Errorf("hops.json: %v %.40q", err, b)
	}
	if _, err := os.Stat(filepath.Join(dir("none"), "small", "hops.csv")); err == nil {
		t.Error("a spec without proxies wrote hops.csv")
	}

	// A shard's hops row renumbered, the manifest re-signed: merge
	// refuses it, naming the file.
	bad := filepath.Join(base, "bad")
	copyTree(t, filepath.Join(dir("s1"), "hops"), bad)
	editCSV(t, filepath.Join(bad, "hops.csv"), setCell("hop", 1, "3"))
	resign(t, bad)
	code, _, e := runCLI(t, "merge", bad, filepath.Join(dir("s2"), "hops"), "--out", dir("m2"), "--no-plots")
	if code != 2 || !strings.Contains(e, "hops.csv:3") {
		t.Errorf("merge of a renumbered hop: exit %d, %q", code, e)
	}
}
