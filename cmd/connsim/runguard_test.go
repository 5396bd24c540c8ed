package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// millionSweep writes a 10^6-run sweep (1000 x 1000 values, one model).
func millionSweep(t *testing.T, dir string) string {
	t.Helper()
	var a, b []string
	for i := 1; i <= 1000; i++ {
		a = append(a, strconv.Itoa(i)+"ms")
		b = append(b, strconv.Itoa(i))
	}
	spec := filepath.Join(dir, "million.yaml")
	text := "name: million\nsweep:\n  network.rtt: [" + strings.Join(a, ", ") + "]\n  tcp.initial_window: [" + strings.Join(b, ", ") + "]\n"
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return spec
}

// allocated returns the bytes allocated while fn ran.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHugeSweepRefusedBeforeBuilding checks that the --yes guard counts
// the runs before building them: a 10^6-run sweep, whole or as a shard
// above the limit, is refused (exit 2, the count and the limit named)
// having allocated far less than its runs would take. It used to build
// every run first: 61 s and 5.6 GB before the guard spoke. (Loading the
// file checks its first 10,000 points, some tens of MB.)
func TestHugeSweepRefusedBeforeBuilding(t *testing.T) {
	dir := t.TempDir()
	spec := millionSweep(t, dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "million has 1000000 runs (more than 100000); run again with --yes, or split it with --shard K/N"},
		{[]string{"--shard", "3/8"}, "shard 3/8 of million has 125000 runs (of 1000000) (more than 100000)"},
		{[]string{"--shard", "1/3"}, "shard 1/3 of million has 333334 runs (of 1000000)"},
	} {
		var code int
		var stderr string
		args := append([]string{"run", spec, "--out", dir, "--no-plots"}, c.args...)
		bytes := allocated(func() { code, _, stderr = runCLI(t, args...) })
		if code != exitBadUse || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
		t.Logf("%v: %d MB allocated", c.args, bytes>>20)
		// Building the runs allocates gigabytes.
		if bytes > 500<<20 {
			t.Errorf("%v: %d MB allocated before refusing; want the runs not built", c.args, bytes>>20)
		}
		if _, err := os.Stat(filepath.Join(dir, "million")); !os.IsNotExist(err) {
			t.Errorf("%v: the output folder exists (%v); want nothing written", c.args, err)
		}
	}
}
