package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connsim/connsim/har"
)

// harTestdata is a HAR file of the experiments' test data: a page on
// eight hosts, its own shards and third parties.
const harTestdata = "../../experiments/testdata/har/third-parties.har"

// writeHARSpec writes an experiment with outputs: [har] whose page is
// the test data's HAR file: two points, two models, two visits.
func writeHARSpec(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(harTestdata)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "h.yaml")
	yml := fmt.Sprintf(`name: hars
page: {har: %q, exclude_hosts: ["*.adnetwork.example"]}
client: {visits: 2, reading_time: 2s}
network: {loss: 0.01}
models: [parallel, http2]
outputs: [har]
sweep: {network.rtt: [20ms, 80ms]}
`, abs)
	if err := os.WriteFile(p, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunHAROutput runs an experiment with the har output on 1 and 3
// workers: one HAR file per run, listed in the manifest, each with one
// page per visit and one entry per requests.csv row, and every file the
// same bytes for any number of workers.
func TestRunHAROutput(t *testing.T) {
	spec := writeHARSpec(t)
	a, b := t.TempDir(), t.TempDir()
	if code, _, e := runCLI(t, "run", spec, "--out", a, "--workers", "1", "--quiet", "--no-plots"); code != 0 {
		t.Fatalf("workers 1: exit %d: %s", code, e)
	}
	if code, _, e := runCLI(t, "run", spec, "--out", b, "--workers", "3", "--quiet", "--no-plots"); code != 0 {
		t.Fatalf("workers 3: exit %d: %s", code, e)
	}
	ta, tb := readTree(t, a), readTree(t, b)
	sameTrees(t, ta, tb, "workers 1 vs 3")
	requests := strings.Count(string(ta["hars/requests.csv"]), "\n") - 1
	entries := 0
	for i := range 4 {
		name := fmt.Sprintf("hars/har/%d.har", i)
		data, ok := ta[name]
		if !ok {
			t.Fatalf("%s missing; files: %v", name, keys(ta))
		}
		if !strings.Contains(string(ta["hars/manifest.json"]), `"har/`+fmt.Sprint(i)+`.har"`) {
			t.Errorf("manifest does not list har/%d.har", i)
		}
		l, err := har.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(l.Pages) != 2 {
			t.Errorf("%s: %d pages, want 2 (visits)", name, len(l.Pages))
		}
		entries += len(l.Entries)
	}
	if entries != requests {
		t.Errorf("%d HAR entries in all, requests.csv has %d rows", entries, requests)
	}
	if entries != 4*2*11 {
		t.Errorf("%d entries, want 4 runs x 2 visits x 11 requests", entries)
	}
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestPageHAR loads the test data's HAR page with connsim page: the
// waterfall names its hosts in request order, --first and
// --exclude-hosts select entries, and --har-out writes the same HAR
// bytes twice.
func TestPageHAR(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sim.har")
	code, stdout, stderr := runCLI(t, "page", "--har", harTestdata, "--model", "parallel", "--rtt", "50ms", "--har-out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"   0     1 www.shop.example", "   6     7 cdn.cdnprovider.exampl", "  11    12 ads.adnetwork.example", "connections    12"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	l, err := har.Decode(first)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Entries) != 12 || l.Entries[6].Request.URL != "http://cdn.cdnprovider.example/object/6" {
		t.Errorf("got %d entries (entry 6 %q), want 12 with cdn.cdnprovider.example 6th", len(l.Entries), l.Entries[6].Request.URL)
	}
	if code, _, stderr := runCLI(t, "page", "--har", harTestdata, "--model", "parallel", "--rtt", "50ms", "--har-out", out); code != 0 {
		t.Fatal(stderr)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, first) {
		t.Error("--har-out wrote different bytes for the same load")
	}
	code, stdout, stderr = runCLI(t, "page", "--har", harTestdata, "--first", "3", "--exclude-hosts", "shop.example")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(stdout, "static.shop.example") != 2 || strings.Contains(stdout, " shop.example") {
		t.Errorf("--first 3 --exclude-hosts shop.example: want the HTML and the two static requests:\n%s", stdout)
	}
}

// TestHARBadInputExitsTwo gives connsim a broken HAR file, through YAML
// and through connsim page: exit 2 and a message naming the file, the
// entry and the field.
func TestHARBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	bad := `{"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [
 {"startedDateTime": "2024-01-01T00:00:00Z", "request": {"method": "GET", "url": "http://a.example/"}, "response": {"status": 200, "bodySize": 5}},
 {"startedDateTime": "2024-01-01T00:00:00Z", "request": {"method": "GET", "url": "http://a.example/x"}, "response": {"status": 200, "bodySize": "five"}}]}}`
	if err := os.WriteFile(filepath.Join(dir, "site.har"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "e.yaml")
	if err := os.WriteFile(spec, []byte("name: e\npage: {har: site.har}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "site.har: log.entries[1].response.bodySize: want a whole number, got a JSON string"
	for _, args := range [][]string{
		{"validate", spec},
		{"run", spec, "--out", t.TempDir()},
		{"page", "--har", filepath.Join(dir, "site.har")},
		{"page", "--har", filepath.Join(dir, "none.har")},
		{"page", "--har", filepath.Join(dir, "site.har"), "--html", "3KB"},
		{"page", "--first", "2"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitBadUse {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if args[0] != "page" || args[2] == filepath.Join(dir, "site.har") && len(args) == 3 {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, stderr)
			}
		}
		if stderr == "" || strings.Contains(stderr, "panic") {
			t.Errorf("%v: stderr %q", args, stderr)
		}
	}
}
