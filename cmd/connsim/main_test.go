package main

import (
	"bytes"
	"context"
	"github.com/connsim/connsim/experiments"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// runCLI runs the command in-process and returns exit code, stdout, stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// readTree returns every file under dir, by relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameTrees(t *testing.T, a, b map[string][]byte, what string) {
	t.Helper()
	var names []string
	for k := range a {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(a) != len(b) {
		t.Errorf("%s: %d files vs %d", what, len(a), len(b))
	}
	for _, k := range names {
		if !bytes.Equal(a[k], b[k]) {
			t.Errorf("%s: %s differs", what, k)
		}
	}
}

// TestRunWritesEveryFile runs a small experiment and checks the files of
// the output contract exist and are non-empty, one plot pair per plot.
func TestRunWritesEveryFile(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "run", "testdata/small.yaml", "--out", out, "--quiet")
	if code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("--quiet printed on stderr: %q", stderr)
	}
	files := readTree(t, filepath.Join(out, "small"))
	for _, f := range []string{"results.csv", "summary.csv", "requests.csv", "experiment.yaml", "report.html"} {
		if len(files[f]) == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
	var png, svg int
	for k := range files {
		switch filepath.Ext(k) {
		case ".png":
			png++
		case ".svg":
			svg++
		}
	}
	if png != 5 || svg != 5 {
		t.Errorf("got %d PNG and %d SVG plots, want 5 each", png, svg)
	}
	rows := strings.Count(string(files["results.csv"]), "\n") - 1
	if rows != 6 {
		t.Errorf("results.csv has %d rows, want 6 (3 points x 2 models)", rows)
	}
	if !strings.HasPrefix(string(files["results.csv"]), "model,network.rtt,run,seed,plt_ms,") {
		t.Errorf("results.csv header = %q", strings.SplitN(string(files["results.csv"]), "\n", 2)[0])
	}
}

// TestWorkersDoNotChangeOutput runs the experiment with 1 and 4 workers
// and requires every output file, plots and report included, to be
// byte-identical.
func TestWorkersDoNotChangeOutput(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if code, _, e := runCLI(t, "run", "testdata/small.yaml", "--out", a, "--workers", "1", "--quiet"); code != 0 {
		t.Fatalf("workers 1: exit %d: %s", code, e)
	}
	if code, _, e := runCLI(t, "run", "testdata/small.yaml", "--out", b, "--workers", "4", "--quiet"); code != 0 {
		t.Fatalf("workers 4: exit %d: %s", code, e)
	}
	sameTrees(t, readTree(t, a), readTree(t, b), "workers 1 vs 4")
}

// TestMergeEqualsWholeRun runs the experiment whole and as two shards,
// merges the shards, and requires the same files byte for byte.
func TestMergeEqualsWholeRun(t *testing.T) {
	whole, s1, s2, merged := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	for _, args := range [][]string{
		{"run", "testdata/small.yaml", "--out", whole, "--quiet"},
		{"run", "testdata/small.yaml", "--out", s1, "--shard", "1/2", "--quiet"},
		{"run", "testdata/small.yaml", "--out", s2, "--shard", "2/2", "--quiet"},
		{"merge", filepath.Join(s1, "small"), filepath.Join(s2, "small"), "--out", merged},
	} {
		if code, _, e := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, e)
		}
	}
	shard1 := readTree(t, filepath.Join(s1, "small"))
	if n := strings.Count(string(shard1["results.csv"]), "\n") - 1; n != 4 {
		t.Errorf("shard 1/2 has %d rows, want 4 (points 1 and 3)", n)
	}
	sameTrees(t, readTree(t, whole), readTree(t, merged), "whole vs merged")

	// The same with JSON output from the CSV shards.
	wholeJSON, mergedJSON := t.TempDir(), t.TempDir()
	for _, args := range [][]string{
		{"run", "testdata/small.yaml", "--out", wholeJSON, "--quiet", "--format", "json"},
		{"merge", filepath.Join(s1, "small"), filepath.Join(s2, "small"), "--out", mergedJSON, "--format", "json"},
	} {
		if code, _, e := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, e)
		}
	}
	sameTrees(t, readTree(t, wholeJSON), readTree(t, mergedJSON), "whole vs merged, JSON")

	// A missing shard is an error, not a silently short result.
	code, _, stderr := runCLI(t, "merge", filepath.Join(s1, "small"), "--out", t.TempDir())
	if code != exitBadUse || !strings.Contains(stderr, "missing") {
		t.Errorf("merge of one shard: exit %d, stderr %q; want 2 and a missing-shard message", code, stderr)
	}
}

// TestBadInputExitsTwo checks the error classes of the command: a spec
// with a unit error and an unknown key, a missing file, an unknown
// command, a bad flag. Every problem is reported with file:line:column.
func TestBadInputExitsTwo(t *testing.T) {
	code, _, stderr := runCLI(t, "run", "testdata/bad.yaml", "--out", t.TempDir())
	if code != exitBadUse {
		t.Errorf("bad spec: exit %d, want 2", code)
	}
	for _, want := range []string{
		`testdata/bad.yaml:3:8: network.rtt: "100" needs a unit`,
		`testdata/bad.yaml:4:3: network.bandwith: unknown key`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Errorf("stderr shows a panic:\n%s", stderr)
	}
	cases := [][]string{
		{"run", "testdata/nope.yaml"},
		{"run", "no-such-experiment"},
		{"frobnicate"},
		{"run", "testdata/small.yaml", "--workers", "0"},
		{"run", "testdata/small.yaml", "--shard", "3/2"},
		{"run", "testdata/small.yaml", "--format", "xml"},
		{"validate", "testdata/bad.yaml"},
		{"page", "--rtt", "100"},
		{"show", "no-such-experiment"},
		{"page", "--connections", "0"},
		{"page", "--shards", "3"}, // the model is persistent
		{"list", "--bogus"},
		{"version", "extra"},
	}
	for _, args := range cases {
		if code, _, stderr := runCLI(t, args...); code != exitBadUse || stderr == "" {
			t.Errorf("%v: exit %d with stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}

// TestFailedRunExitsOneAndWritesTheRest gives the runs a tiny event budget:
// the command exits 1, says which runs failed, and still writes results.
func TestFailedRunExitsOneAndWritesTheRest(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "limit.yaml")
	os.WriteFile(spec, []byte("name: limit\nlimits: {max_events: 20}\nmodels: [persistent, pipelined]\n"), 0o644)
	code, _, stderr := runCLI(t, "run", spec, "--out", dir)
	if code != exitRunFail {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "failed: exceeded max_events") {
		t.Errorf("stderr does not report the failed runs:\n%s", stderr)
	}
	// --quiet: nothing on stderr, the exit code and the rows tell.
	code, _, stderr = runCLI(t, "run", spec, "--out", dir, "--quiet")
	if code != exitRunFail || stderr != "" {
		t.Errorf("--quiet: exit %d, stderr %q; want 1 and nothing", code, stderr)
	}
	res, err := os.ReadFile(filepath.Join(dir, "limit", "results.csv"))
	if err != nil || strings.Count(string(res), "max_events") != 2 {
		t.Errorf("results.csv should hold both failed rows with their error; got %q, %v", res, err)
	}
}

// TestLibraryCommands checks list, show and validate on the built-in
// experiments.
func TestLibraryCommands(t *testing.T) {
	code, out, _ := runCLI(t, "list")
	if code != 0 || !strings.Contains(out, "connection-models") {
		t.Fatalf("list: exit %d, output %q", code, out)
	}
	code, out, _ = runCLI(t, "show", "connection-models")
	if code != 0 || !strings.Contains(out, "name: connection-models") {
		t.Fatalf("show: exit %d, output starts %q", code, out[:min(len(out), 80)])
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(func() string { _, o, _ := runCLI(t, "list"); return o }()), "\n") {
		names = append(names, strings.Fields(line)[0])
	}
	code, out, errs := runCLI(t, append([]string{"validate"}, names...)...)
	if code != 0 || strings.Count(out, ": ok (") != len(names) {
		t.Errorf("validate library: exit %d\n%s%s", code, out, errs)
	}
}

// TestPageCommand runs a quick page load from flags and checks the text
// waterfall and the metrics are printed.
func TestPageCommand(t *testing.T) {
	code, out, stderr := runCLI(t, "page", "--model", "pipelined", "--rtt", "100ms", "--objects", "5x10KB")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"pipelined: RTT 100ms", "plt_ms", "connections    1", "|cccc"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := strings.Count(out, "example.com"); got != 6 {
		t.Errorf("waterfall has %d request rows, want 6", got)
	}
}

// TestRunTwiceIdentical runs the same experiment twice in one process:
// same files, byte for byte.
func TestRunTwiceIdentical(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	runCLI(t, "run", "testdata/small.yaml", "--out", a, "--quiet", "--no-plots")
	runCLI(t, "run", "testdata/small.yaml", "--out", b, "--quiet", "--no-plots")
	ta, tb := readTree(t, a), readTree(t, b)
	if len(ta) == 0 {
		t.Fatal("no files written")
	}
	sameTrees(t, ta, tb, "two runs")
}

// TestReportInBrowser opens the report.html of a real run in headless
// Chromium, whose script writes into the page whether every image decoded
// (naturalWidth > 0) and the summary table is there. It skips, saying so,
// where no chromium is installed, unless CONNSIM_REQUIRE_BROWSER is set
// (as .ci/run does), when it fails instead.
func TestReportInBrowser(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CONNSIM_REQUIRE_BROWSER") != "" {
			t.Fatal("CONNSIM_REQUIRE_BROWSER is set but chromium is not on PATH")
		}
		t.Skip("no chromium on PATH: install Debian's chromium to check the report in a browser")
	}
	out := t.TempDir()
	if code, _, e := runCLI(t, "run", "testdata/small.yaml", "--out", out, "--quiet"); code != 0 {
		t.Fatalf("run: exit %d: %s", code, e)
	}
	page := filepath.Join(out, "small", "report.html")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dom, err := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(out, "profile"), "--dump-dom", "file://"+page).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	m := regexp.MustCompile(`<div id="selfcheck">([^<]*)</div>`).FindSubmatch(dom)
	if m == nil || string(m[1]) != "ok images=5" {
		t.Errorf("report self-check = %q, want %q", m, "ok images=5")
	}
	if !bytes.Contains(dom, []byte(`<table id="summary">`)) || !bytes.Contains(dom, []byte("pipelined")) {
		t.Error("the summary table with the model rows is missing from the rendered page")
	}
}

// TestProgressPlainLines drives the progress reporter as a non-terminal
// stderr sees it: nothing in the first second, then lines that count
// points and runs done (a point is done when all its runs are).
func TestProgressPlainLines(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "x", 6, 2)
	p.finished(0)
	p.update(1, 6)
	if buf.Len() != 0 {
		t.Fatalf("printed within the first second: %q", buf.String())
	}
	p.start = p.start.Add(-10 * time.Second)
	for i := 1; i < 6; i++ {
		p.finished(i)
	}
	p.update(6, 6)
	if got := buf.String(); !strings.Contains(got, "x: 3/3 points, 6/6 runs") {
		t.Errorf("progress line = %q, want it to count 3/3 points and 6/6 runs", got)
	}
}

// TestETA checks the time-left estimate of the progress line.
func TestETA(t *testing.T) {
	for _, tc := range []struct {
		done, total int
		rate        float64
		want        string
	}{
		{10, 60, 5, "10s"},
		{334, 75000, 5913, "13s"},
		{0, 6000, 10, "10m0s"},
		{6, 6, 3, "0s"},
		{0, 10, 0, "?"},
	} {
		if got := etaText(tc.done, tc.total, tc.rate); got != tc.want {
			t.Errorf("etaText(%d, %d, %g) = %q, want %q", tc.done, tc.total, tc.rate, got, tc.want)
		}
	}
}

// TestSameNameTwice: two experiments with one name would write one folder.
func TestSameNameTwice(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.yaml")
	os.WriteFile(other, []byte("name: small\n"), 0o644)
	code, _, stderr := runCLI(t, "run", "testdata/small.yaml", other, "--out", dir)
	if code != exitBadUse || !strings.Contains(stderr, `are both named "small"`) {
		t.Errorf("exit %d, stderr %q; want 2 and a message naming both files", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "small")); err == nil {
		t.Errorf("wrote %s anyway", filepath.Join(dir, "small"))
	}
}

// TestHugeSweepGuardCountsTheShard: more than 100,000 runs ask for --yes,
// unless --shard brings this command's share below the limit.
func TestHugeSweepGuardCountsTheShard(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "huge.yaml")
	os.WriteFile(spec, []byte("name: huge\nrepeat: 10000\nnetwork: {rtt: 1ms, bandwidth: 100Mbps}\npage: {html: 1KB}\n"+
		"sweep: {network.dns: [0s, 1ms, 2ms, 3ms, 4ms, 5ms, 6ms, 7ms, 8ms, 9ms, 10ms]}\n"), 0o644)
	code, _, stderr := runCLI(t, "run", spec, "--out", dir, "--no-plots")
	if code != exitBadUse || !strings.Contains(stderr, "huge has 110000 runs (more than 100000)") {
		t.Errorf("whole sweep: exit %d, stderr %q; want 2 and the run count", code, stderr)
	}
	code, _, stderr = runCLI(t, "run", spec, "--out", dir, "--no-plots", "--quiet", "--shard", "11/11")
	if code != exitOK {
		t.Errorf("--shard 11/11 (10,000 runs): exit %d, stderr %q; want 0", code, stderr)
	}
}

// TestRerunRemovesStaleFiles: a folder never mixes two runs. Running again
// with JSON output and fewer plots removes the CSV files and the figures
// that the new run did not write.
func TestRerunRemovesStaleFiles(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "run", "testdata/small.yaml", "--out", dir, "--quiet"); code != exitOK {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	mine := filepath.Join(dir, "small", "plots", "keep-me.txt")
	os.WriteFile(mine, []byte("not connsim's"), 0o644)
	spec, _ := os.ReadFile("testdata/small.yaml")
	fewer := strings.Split(string(spec), "plots:\n")[0] + "plots:\n  - {kind: line, x: network.rtt, y: plt_ms}\n"
	other := filepath.Join(dir, "fewer.yaml")
	os.WriteFile(other, []byte(fewer), 0o644)
	if code, _, stderr := runCLI(t, "run", other, "--out", dir, "--quiet", "--format", "json"); code != exitOK {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	var got []string
	for name := range readTree(t, filepath.Join(dir, "small")) {
		got = append(got, name)
	}
	slices.Sort(got)
	want := []string{"experiment.yaml", "manifest.json", "plots/01-line.png", "plots/01-line.svg", "plots/keep-me.txt",
		"report.html", "requests.json", "results.json", "summary.json"}
	if !slices.Equal(got, want) {
		t.Errorf("files after the second run:\n got %q\nwant %q", got, want)
	}
}

// TestMergeMarksRefusals: a spec without clients: whose waterfall marks
// refused connection attempts. requests.csv has no refusals column, so
// merge takes the marks from the run repeated for its trace; the merged
// folder equals the whole run's, figure and caption included.
func TestMergeMarksRefusals(t *testing.T) {
	whole, s1, s2, merged := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	for _, args := range [][]string{
		{"run", "testdata/refused.yaml", "--out", whole, "--quiet"},
		{"run", "testdata/refused.yaml", "--out", s1, "--shard", "1/2", "--quiet"},
		{"run", "testdata/refused.yaml", "--out", s2, "--shard", "2/2", "--quiet"},
		{"merge", filepath.Join(s1, "refused"), filepath.Join(s2, "refused"), "--out", merged},
	} {
		if code, _, e := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, e)
		}
	}
	w := readTree(t, filepath.Join(whole, "refused"))
	if h, _, _ := strings.Cut(string(w["requests.csv"]), "\n"); strings.Contains(h, "refusals") {
		t.Errorf("requests.csv header %q: want no refusals column without clients:", h)
	}
	if !strings.Contains(string(w["report.html"]), "waited through refused connection attempts") {
		t.Errorf("report.html does not say the waterfall marks refused attempts")
	}
	sameTrees(t, w, readTree(t, filepath.Join(merged, "refused")), "whole vs merged")
}

// A sweep of failing runs names the first maxFailureLines and counts the
// rest, so the messages the command keeps do not grow with the sweep.
func TestManyFailuresAreCounted(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "limits.yaml")
	os.WriteFile(spec, []byte("name: limits\nlimits: {max_events: 20}\nrepeat: 30\nmodels: [persistent]\n"), 0o644)
	code, _, stderr := runCLI(t, "run", spec, "--out", dir, "--no-plots")
	if code != exitRunFail {
		t.Fatalf("exit %d, want 1", code)
	}
	if n := strings.Count(stderr, "failed: exceeded max_events"); n != maxFailureLines {
		t.Errorf("%d failures named, want %d", n, maxFailureLines)
	}
	if !strings.Contains(stderr, "and 10 more failed runs") {
		t.Errorf("stderr does not count the other failed runs:\n%s", stderr)
	}
}

// Runs record traces only for the figures: none under --no-plots or in a
// shard (which draws no figures), and with plots only the runs a
// per-run figure shows.
func TestTracesOnlyWithFigures(t *testing.T) {
	s, err := experiments.LoadFile("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if tracesFor(s, outputOpts{plots: false}) != nil {
		t.Error("--no-plots: runs would record traces")
	}
	trace := tracesFor(s, outputOpts{plots: true})
	if trace == nil {
		t.Fatal("with plots: no run records a trace, but the spec has per-run figures")
	}
	n := 0
	for _, rc := range runs {
		if trace(rc) {
			n++
		}
	}
	if n == 0 || n == len(runs) {
		t.Errorf("%d of %d runs record a trace; want only those the figures show", n, len(runs))
	}
}
