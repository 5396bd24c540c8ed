package experiments

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadFileTooLarge checks that a file larger than MaxFileSize is
// refused without being read whole: /dev/zero, which never ends (it used
// to be read until the process ran out of memory), and a sparse regular
// file of 1 TiB, refused by its size. Each gives one problem that names
// the file and the limit.
func TestLoadFileTooLarge(t *testing.T) {
	sparse := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		f.Close()
		t.Skipf("no sparse files here: %v", err)
	}
	f.Close()
	for _, c := range []struct{ path, want string }{
		{"/dev/zero", "/dev/zero: the file is larger than the 10485760 bytes (10 MiB) an experiment file may hold"},
		{sparse, sparse + ": the file is 1099511627776 bytes, more than the 10485760 bytes (10 MiB) an experiment file may hold"},
	} {
		if _, err := os.Stat(c.path); err != nil {
			t.Logf("skip %s: %v", c.path, err)
			continue
		}
		_, err := LoadFile(c.path)
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 1 || err.Error() != c.want {
			t.Errorf("LoadFile(%s) = %v\nwant the ErrorList %q", c.path, err, c.want)
		}
	}
}

// TestLoadTooLarge checks the same bound on Load's bytes.
func TestLoadTooLarge(t *testing.T) {
	data := []byte("name: x\n#" + strings.Repeat("a", MaxFileSize) + "\n")
	got := loadErr(t, string(data))
	if want := "test.yaml: the file is larger than the 10485760 bytes (10 MiB) an experiment file may hold"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestLongTextCut checks that a message that repeats a text from the file
// cuts it: a 10 MB name used to be echoed whole.
func TestLongTextCut(t *testing.T) {
	name := strings.Repeat("A", 10_000_000)
	got := loadErr(t, "name: "+name+"\n")
	if len(got) > 2*maxMessage {
		t.Errorf("the problem is %d bytes long, want at most %d", len(got), 2*maxMessage)
	}
	for _, want := range []string{`test.yaml:1:7: name: "AAAA`, "(10000000 bytes in all)", "is not a name (1 to 64 lower-case letters"} {
		if !strings.Contains(got, want) {
			t.Errorf("got %.300s...\nwant it to contain %q", got, want)
		}
	}
	// A huge key is cut in the key path too.
	got = loadErr(t, "name: x\nsweep: {"+strings.Repeat("k", 1_000_000)+": [1]}\n")
	if len(got) > 3*maxMessage {
		t.Errorf("the problem is %d bytes long, want at most %d:\n%.300s", len(got), 3*maxMessage, got)
	}
}

// TestProblemsPerKeyBounded checks that one key lists at most
// maxErrorsPerKey problems, then one line that counts the others: a sweep
// of 50 values without a unit used to list 50 problems.
func TestProblemsPerKeyBounded(t *testing.T) {
	var vals []string
	for i := range 50 {
		vals = append(vals, fmt.Sprint(i+1))
	}
	got := loadErr(t, "name: x\nsweep:\n  network.rtt: ["+strings.Join(vals, ", ")+"]\n")
	lines := strings.Split(got, "\n")
	if len(lines) != maxErrorsPerKey+1 {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), maxErrorsPerKey+1, got)
	}
	if want := `test.yaml:3:17: network.rtt: "1" needs a unit (e.g. 1ms)`; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if want := "network.rtt: and 40 more problems here; fix the ones above first"; !strings.HasSuffix(lines[maxErrorsPerKey], want) {
		t.Errorf("last line %q, want it to end with %q", lines[maxErrorsPerKey], want)
	}
}

// TestProblemsTotalBounded checks that a file lists at most maxErrors
// problems, then one line that says there are more.
func TestProblemsTotalBounded(t *testing.T) {
	got := loadErr(t, "name: x\npage: {objects: ["+strings.Repeat("{size: -1}, ", 300)+"]}\n")
	lines := strings.Split(got, "\n")
	if len(lines) != maxErrors+1 {
		t.Fatalf("got %d lines, want %d", len(lines), maxErrors+1)
	}
	if want := "test.yaml: too many problems; fix these first"; lines[maxErrors] != want {
		t.Errorf("last line %q, want %q", lines[maxErrors], want)
	}
}

// TestTextLengths checks the bounds on the texts the report shows: a
// 50 MB title gave a 157 MB report.
func TestTextLengths(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"name: x\ntitle: " + strings.Repeat("t", 201) + "\n", "test.yaml:2:8: title: 201 characters is too long (at most 200)"},
		{"name: x\ndescription: " + strings.Repeat("d", 20001) + "\n", "test.yaml:2:14: description: 20001 characters is too long (at most 20000)"},
		{"name: x\nplots: [{kind: bar, title: " + strings.Repeat("é", 201) + "}]\n", "test.yaml:2:28: plots[0].title: 201 characters is too long (at most 200)"},
	} {
		if got := loadErr(t, c.spec); got != c.want {
			t.Errorf("got  %.200s\nwant %s", got, c.want)
		}
	}
	mustLoad(t, "name: x\ntitle: "+strings.Repeat("é", 200)+"\ndescription: "+strings.Repeat("d", 20000)+"\n")
}

// TestSweepDuplicatesOneProblem checks that a value listed many times is
// one problem, naming the value and its copies: 10,000 copies of one
// value (a 70 KB file) used to give one problem per earlier copy of each
// copy, about 5*10^7, and ran out of memory. Different texts of one
// number are one problem per number likewise.
func TestSweepDuplicatesOneProblem(t *testing.T) {
	for _, c := range []struct{ values, want string }{
		{strings.TrimSuffix(strings.Repeat("100ms, ", 10000), ", "), "test.yaml:3:24: sweep.network.rtt: 100ms is listed 10000 times (first as item 1); list each value once"},
		{"20ms, 100ms, 20ms", "test.yaml:3:30: sweep.network.rtt: 20ms is listed twice (also item 1); list each value once"},
		{"50ms, 0.05s, 50000us, 1ms, 50000000ns", "test.yaml:3:23: sweep.network.rtt: 0.05s is the same value as 50ms (item 1), and so are 2 more items; list each value once"},
	} {
		got := loadErr(t, "name: x\nsweep:\n  network.rtt: ["+c.values+"]\n")
		if got != c.want {
			t.Errorf("got  %.300s\nwant %s", got, c.want)
		}
	}
}

// TestSweepManyKeys checks that a sweep of many keys over a large page
// loads: 2000 keys page.objects[i].size over 2000 objects used to decode
// the whole file once per key and compare every pair of keys (33 s); a
// value is now decoded on its own and the overlap check uses maps.
func TestSweepManyKeys(t *testing.T) {
	const n = 2000
	var b strings.Builder
	b.WriteString("name: x\npage: {objects: [" + strings.TrimSuffix(strings.Repeat("{size: 1}, ", n), ", ") + "]}\nsweep:\n")
	for i := range n {
		fmt.Fprintf(&b, "  page.objects[%d].size: [%d]\n", i, i+1)
	}
	s := mustLoad(t, b.String())
	pts, err := s.Points()
	if err != nil || len(pts) != 1 {
		t.Fatalf("Points: %d points, %v; want 1", len(pts), err)
	}
	for i, o := range pts[0].Spec.Page.Objects {
		if o.Size != Size(i+1) {
			t.Fatalf("objects[%d].size = %d, want %d", i, o.Size, i+1)
		}
	}
	// Keys that overlap are still found.
	got := loadErr(t, "name: x\nsweep:\n  tcp.mss: [1460]\n  tcp.cc: [cubic]\n  tcp: [{mss: 536}]\n")
	if want := "test.yaml:5:3: sweep.tcp: overlaps the swept key tcp.mss"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestShardRuns checks that ShardRuns(k, n) builds exactly the runs of
// Runs whose point index is k-1 modulo n, with the same fields (Index in
// the whole experiment included), that the shards together are Runs, and
// that RunCount and ShardRunCount give their sizes without building them,
// also for shards past the last point.
func TestShardRuns(t *testing.T) {
	s := mustLoad(t, "name: x\nrepeat: 2\nmodels: [persistent, pipelined]\nsweep:\n  network.rtt: [1ms, 2ms, 3ms]\n  network.loss: [0, 0.01]\n")
	all, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.RunCount(); got != len(all) || got != 24 {
		t.Errorf("RunCount = %d, want %d (24)", got, len(all))
	}
	for _, n := range []int{1, 4, 6, 7} {
		seen := 0
		for k := 1; k <= n; k++ {
			runs, err := s.ShardRuns(k, n)
			if err != nil {
				t.Fatalf("ShardRuns(%d, %d): %v", k, n, err)
			}
			if c := s.ShardRunCount(k, n); c != len(runs) {
				t.Errorf("ShardRunCount(%d, %d) = %d, want %d", k, n, c, len(runs))
			}
			var want []RunConfig
			for _, r := range all {
				if r.Point.Index%n == k-1 {
					want = append(want, r)
				}
			}
			if len(runs) != len(want) {
				t.Fatalf("ShardRuns(%d, %d): %d runs, want %d", k, n, len(runs), len(want))
			}
			for i, r := range runs {
				w := want[i]
				if r.Index != w.Index || r.ID != w.ID || r.Seed != w.Seed || r.Model != w.Model || r.Rep != w.Rep ||
					r.Point.Index != w.Point.Index || !specsEqual(r.Point.Spec, w.Point.Spec) {
					t.Errorf("ShardRuns(%d, %d)[%d] = %s (index %d), want %s (index %d)", k, n, i, r.ID, r.Index, w.ID, w.Index)
				}
			}
			seen += len(runs)
		}
		if seen != len(all) {
			t.Errorf("shards of %d hold %d runs, want %d", n, seen, len(all))
		}
	}
	for _, c := range [][2]int{{0, 3}, {4, 3}, {1, 0}} {
		if _, err := s.ShardRuns(c[0], c[1]); err == nil {
			t.Errorf("ShardRuns(%d, %d): no error", c[0], c[1])
		}
		if got := s.ShardRunCount(c[0], c[1]); got != 0 {
			t.Errorf("ShardRunCount(%d, %d) = %d, want 0", c[0], c[1], got)
		}
	}
}

// TestRequestRowsBounded checks the bound on the total output: the
// requests of all runs together, counted before anything runs.
func TestRequestRowsBounded(t *testing.T) {
	got := loadErr(t, "name: x\nrepeat: 1000\nmodels: [persistent, pipelined]\npage: {objects: [{size: 1, count: 10000}]}\n")
	want := "test.yaml:2:9: repeat: 2000 runs x 10001 requests each is 20002000 requests in all, more than 10000000 (the rows of requests.csv); lower repeat, the sweep, the models, client.visits or the objects"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	mustLoad(t, "name: x\nrepeat: 1000\nmodels: [persistent]\npage: {objects: [{size: 1, count: 9999}]}\n")
}

// TestSweepValueCannotBeSet checks that a value decoded on its own still
// reports a key path the file cannot take: an index into a list the file
// does not have, or a key under a value that is not a mapping.
func TestSweepValueCannotBeSet(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"name: x\nsweep:\n  page.objects[0].size: [1KB]\n", "test.yaml:3:3: sweep.page.objects[0].size: cannot set page.objects[0].size: not a list in the file"},
		{"name: x\npage: {}\nsweep:\n  page.objects[0].size: [1KB]\n", "test.yaml:4:3: sweep.page.objects[0].size: cannot set page.objects[0].size: not a list in the file"},
		{"name: x\nnetwork: 5\nsweep: {network.rtt: [1ms]}\n", "test.yaml:3:9: sweep.network.rtt: cannot set network.rtt: network is not a mapping in the file, so it has no key rtt"},
	} {
		got := loadErr(t, c.spec)
		if !strings.Contains(got, c.want) {
			t.Errorf("got  %s\nwant it to contain %s", got, c.want)
		}
	}
}

// TestPointDecodesNothing checks that building a point decodes no YAML:
// a point of a sweep over a page of 5000 object entries is the loaded
// spec with the value set (the page used to be decoded again at every
// point: 490 points of a 20,000-object page took 44 s), and each point
// has a list of objects of its own.
func TestPointDecodesNothing(t *testing.T) {
	page := "page: {objects: [" + strings.TrimSuffix(strings.Repeat("{size: 1}, ", 5000), ", ") + "]}\n"
	for _, sweep := range []string{"network.rtt: [1ms, 2ms]", "page.html: [1KB, 2KB]", "page.objects[4999].size: [7, 8]"} {
		s := mustLoad(t, "name: x\n"+page+"sweep:\n  "+sweep+"\n")
		st := s.checker()
		st.check()
		if len(st.d.errs) > 0 {
			t.Fatalf("%s: %v", sweep, st.d.errs)
		}
		ps, d, _ := st.point([]int{1}, true)
		if len(d.errs) > 0 {
			t.Fatalf("%s: %v", sweep, d.errs)
		}
		if visited := nodeBudget - d.budget; visited != 0 {
			t.Errorf("%s: a point decoded %d nodes, want 0", sweep, visited)
		}
		if len(ps.Page.Objects) != 5000 || &ps.Page.Objects[0] == &s.Page.Objects[0] {
			t.Errorf("%s: got %d objects (shared: %v), want 5000 of its own", sweep, len(ps.Page.Objects), &ps.Page.Objects[0] == &s.Page.Objects[0])
		}
	}
}
