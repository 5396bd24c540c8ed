package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHopsMergeMissingFile (audit of issue 12): a shard of a spec with
// proxies that has no hops.csv, its manifest re-signed without it, is
// refused by merge (exit 2, the file named), for either shard: merging
// it would write a hops.csv without that shard's runs.
func TestHopsMergeMissingFile(t *testing.T) {
	spec := writeHopsSpec(t)
	base := t.TempDir()
	dir := func(name string) string { return filepath.Join(base, name) }
	for _, args := range [][]string{
		{"run", spec, "--out", dir("s1"), "--shard", "1/2", "--no-plots", "--quiet"},
		{"run", spec, "--out", dir("s2"), "--shard", "2/2", "--no-plots", "--quiet"},
	} {
		if code, _, e := runCLI(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, e)
		}
	}
	for i, shard := range []string{"s1", "s2"} {
		bad := dir("bad" + shard)
		copyTree(t, filepath.Join(dir(shard), "hops"), bad)
		if err := os.Remove(filepath.Join(bad, "hops.csv")); err != nil {
			t.Fatal(err)
		}
		resign(t, bad)
		dirs := []string{bad, filepath.Join(dir("s2"), "hops")}
		if i == 1 {
			dirs = []string{filepath.Join(dir("s1"), "hops"), bad}
		}
		out := dir("m" + shard)
		args := append(append([]string{"merge"}, dirs...), "--out", out, "--no-plots")
		code, _, e := runCLI(t, args...)
		if code != 2 || !strings.Contains(e, "hops.csv") {
			t.Errorf("merge with %s's hops.csv missing: exit %d, %q; want 2 naming hops.csv", shard, code, e)
		}
		if _, err := os.Stat(filepath.Join(out, "hops", "hops.csv")); err == nil {
			t.Errorf("merge with %s's hops.csv missing wrote a hops.csv", shard)
		}
	}
}
