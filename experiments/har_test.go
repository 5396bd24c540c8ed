package experiments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/har"
)

// loadHARSpec loads an experiment whose page is the HAR file at harPath,
// with extra page keys (", exclude_hosts: [...]").
func loadHARSpec(t *testing.T, harPath, extra string) (*Spec, error) {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(harPath)
	if err != nil {
		t.Fatal(err)
	}
	yml := fmt.Sprintf("name: har\npage: {har: %q%s}\nmodels: [parallel]\n", abs, extra)
	return Load(filepath.Join(dir, "exp.yaml"), []byte(yml))
}

// TestHARTestdataPages loads the two HAR files of testdata through
// page.har: which entry is the HTML, every object's host, size (body,
// content.size when bodySize is -1, plus known headers), method and
// request order, and the filters.
func TestHARTestdataPages(t *testing.T) {
	obj := func(size int64, host, method string) ObjectSpec {
		return ObjectSpec{Size: Size(size), Count: 1, Host: host, Method: method}
	}
	tests := []struct {
		name, file, extra string
		host              string
		html              int64
		objects           []ObjectSpec
	}{
		{
			// Entries out of order in the file (style.css starts
			// before app.js); two at the same instant keep file order.
			name: "single-origin", file: "single-origin.har",
			host: "www.example.org", html: 15000 + 250,
			objects: []ObjectSpec{
				obj(12000+228, "", "GET"), // style.css, 130 ms
				obj(48000+230, "", "GET"), // app.js, 140 ms
				obj(90000+240, "", "GET"), // hero.jpg: bodySize -1, content.size 90000
				obj(3000, "", "GET"),      // logo.png: headersSize -1
				obj(6000+200, "", "GET"),  // a.png
				obj(7000+200, "", "GET"),  // b.png
				obj(0+150, "", "POST"),    // the beacon, 204
			},
		},
		{
			// The 301 before the HTML is an object; page_2's entry is
			// left out; OPTIONS is simulated as GET.
			name: "third-parties", file: "third-parties.har",
			host: "www.shop.example", html: 32000 + 410,
			objects: []ObjectSpec{
				obj(178+320, "shop.example", "GET"),
				obj(20000+300, "static.shop.example", "GET"),
				obj(64000+300, "static.shop.example", "GET"),
				obj(25000+280, "img1.shop.example", "GET"),
				obj(26000+280, "img2.shop.example", "GET"),
				obj(90000, "cdn.cdnprovider.example", "GET"),
				obj(1500+350, "fonts.fontservice.example", "GET"),
				obj(18000+300, "fonts.fontservice.example", "GET"),
				obj(0+200, "collect.tracker.example", "GET"),
				obj(0+210, "collect.tracker.example", "POST"),
				obj(43+190, "ads.adnetwork.example", "GET"),
			},
		},
		{
			name: "exclude-hosts", file: "third-parties.har", extra: `, exclude_hosts: [collect.tracker.example, "*.adnetwork.example", "*.shop.example"]`,
			// *.shop.example removes the HTML's host: the HTML is then
			// the first entry, the redirect.
			host: "shop.example", html: 178 + 320,
			objects: []ObjectSpec{
				obj(90000, "cdn.cdnprovider.example", "GET"),
				obj(1500+350, "fonts.fontservice.example", "GET"),
				obj(18000+300, "fonts.fontservice.example", "GET"),
			},
		},
		{
			name: "first", file: "third-parties.har", extra: ", first: 4",
			host: "www.shop.example", html: 32000 + 410,
			objects: []ObjectSpec{
				obj(178+320, "shop.example", "GET"),
				obj(20000+300, "static.shop.example", "GET"),
				obj(64000+300, "static.shop.example", "GET"),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := loadHARSpec(t, filepath.Join("testdata", "har", tc.file), tc.extra)
			if err != nil {
				t.Fatal(err)
			}
			p := s.Page
			if p.Host != tc.host || int64(p.HTML) != tc.html {
				t.Errorf("got host %s, html %d; want %s, %d", p.Host, p.HTML, tc.host, tc.html)
			}
			if !reflect.DeepEqual(p.Objects, tc.objects) {
				t.Errorf("got objects\n%+v\nwant\n%+v", p.Objects, tc.objects)
			}
			if p.HAR != "" || p.ExcludeHosts != nil || p.First != 0 {
				t.Errorf("har keys not cleared: %+v", p)
			}
			// The resolved spec stands without the HAR file.
			b, err := s.MarshalResolved()
			if err != nil {
				t.Fatal(err)
			}
			again, err := Load("experiment.yaml", b)
			if err != nil {
				t.Fatalf("the resolved spec does not load: %v\n%s", err, b)
			}
			if !reflect.DeepEqual(again.Page, s.Page) {
				t.Errorf("resolved page differs:\n%+v\n%+v", again.Page, s.Page)
			}
		})
	}
}

// TestHARThirdPartiesKeepHosts runs the third-party page: every host of
// the file gets its own connections (parallel: one per host here, as
// each host has at most two requests... the static host two), so
// requests.csv names the file's hosts in request order.
func TestHARThirdPartiesKeepHosts(t *testing.T) {
	s, err := loadHARSpec(t, "testdata/har/third-parties.har", "")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := Run(runs[0], false)
	if res.Row.Err != "" {
		t.Fatal(res.Row.Err)
	}
	var hosts []string
	for _, q := range res.Requests {
		hosts = append(hosts, q.Host)
	}
	want := []string{"www.shop.example", "shop.example", "static.shop.example", "static.shop.example",
		"img1.shop.example", "img2.shop.example", "cdn.cdnprovider.example", "fonts.fontservice.example",
		"fonts.fontservice.example", "collect.tracker.example", "collect.tracker.example", "ads.adnetwork.example"}
	if !slices.Equal(hosts, want) {
		t.Errorf("got hosts %v, want %v", hosts, want)
	}
	// One connection per request: each host has at most two requests
	// and parallel opens up to six per host.
	if res.Row.Connections != 12 {
		t.Errorf("got %d connections, want 12", res.Row.Connections)
	}
}

// writeHAR writes a HAR document (text) to a file of a temporary folder.
func writeHARFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// harDoc is a small valid HAR document with entries given as JSON.
func harDoc(entries ...string) string {
	return `{"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [` + strings.Join(entries, ",") + `]}}`
}

func harEntry(url string, status int, mime string, body, headers int64) string {
	return fmt.Sprintf(`{"startedDateTime": "2024-01-01T00:00:00.000Z", "time": 1,
 "request": {"method": "GET", "url": %q, "httpVersion": "HTTP/1.1", "cookies": [], "headers": [], "queryString": [], "headersSize": -1, "bodySize": 0},
 "response": {"status": %d, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [], "headers": [], "content": {"size": %d, "mimeType": %q}, "redirectURL": "", "headersSize": %d, "bodySize": %d},
 "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}}`, url, status, body, mime, headers, body)
}

// TestHARErrors loads broken HAR files through page.har: each problem
// names the YAML file, line and column of har, the HAR file, the entry
// index and the field, and nothing panics.
func TestHARErrors(t *testing.T) {
	good := harEntry("https://a.example/", 200, "text/html", 100, 10)
	tests := []struct {
		name, doc, want string
	}{
		{"syntax", `{"log": {"version": "1.2",` + "\n" + `  "entries": [}}`, "bad.har: 2:15: JSON syntax error: invalid character '}' looking for beginning of value"},
		{"truncated", harDoc(good)[:60], "bad.har: 1:60: JSON syntax error: unexpected end of JSON input"},
		{"no log", `{"lg": {}}`, `bad.har: log: required`},
		{"version", `{"log": {"version": "2.0", "creator": {"name": "t", "version": "1"}, "entries": []}}`, `bad.har: log.version: "2.0": connsim reads HAR 1.1 and 1.2`},
		{"no creator", `{"log": {"version": "1.2", "entries": []}}`, `bad.har: log.creator: required`},
		{"no entries", harDoc(), `bad.har: log.entries: no entries: the file holds no request`},
		{"entries not a list", `{"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": {}}}`, `bad.har: log.entries: want a list, got a JSON object`},
		{"body size type", harDoc(good, strings.Replace(good, `"bodySize": 100`, `"bodySize": "100"`, 1)), `bad.har: log.entries[1].response.bodySize: want a whole number, got a JSON string`},
		{"body size negative", harDoc(good, good, good, strings.Replace(good, `"bodySize": 100`, `"bodySize": -7`, 1)), `bad.har: log.entries[3].response.bodySize: -7: want -1 (unknown) or a size of 0 or more bytes`},
		{"size unknown", harDoc(good, harEntry("https://a.example/x", 200, "image/png", -1, 10)), `bad.har: log.entries[1].response.bodySize: unknown (-1 or absent) and so is content.size`},
		{"no response", harDoc(good, `{"startedDateTime": "2024-01-01T00:00:00Z", "request": {"method": "GET", "url": "https://a.example/"}}`), `bad.har: log.entries[1].response: required`},
		{"no url", harDoc(strings.Replace(good, `"url": "https://a.example/",`, ``, 1)), `bad.har: log.entries[0].request.url: required`},
		{"relative url", harDoc(good, harEntry("/x.png", 200, "image/png", 1, 1)), `bad.har: log.entries[1].request.url: "/x.png" is not an absolute URL`},
		{"no http entry", harDoc(harEntry("data:image/png;base64,AA", 200, "image/png", 1, 1), harEntry("wss://a.example/x", 101, "", 0, 1)), `bad.har: log.entries: no http or https request of the page is left`},
		{"host", harDoc(good, harEntry("https://a_b.example/x", 200, "image/png", 1, 1)), `bad.har: log.entries[1].request.url: the host "a_b.example" is not one connsim takes`},
		{"date", harDoc(strings.Replace(good, `2024-01-01T00:00:00.000Z`, `yesterday`, 1)), `bad.har: log.entries[0].startedDateTime: "yesterday" is not an ISO 8601 date and time with a time zone`},
		{"entry not an object", harDoc(good, `42`), `bad.har: log.entries[1]: want an object, got a JSON number`},
		{"too large", harDoc(good, harEntry("https://a.example/x", 200, "image/png", 20_000_000_000, 1)), `bad.har: log.entries[1].response: 20000000001 bytes is larger than an object may be (10GB)`},
		{"status", harDoc(strings.Replace(good, `"status": 200`, `"status": 1000`, 1)), `bad.har: log.entries[0].response.status: 1000 is not an HTTP status`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "bad.har"), []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(filepath.Join(dir, "exp.yaml"), []byte("name: x\npage:\n  har: bad.har\n"))
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			want := filepath.Join(dir, "exp.yaml") + ":3:8: page.har: " + tc.want
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got  %s\nwant %s...", err, want)
			}
		})
	}
}

// TestHARKeyErrors checks the page keys around har: har excludes html
// and objects, the filters need har, a missing file is named, and
// page.har cannot be swept on its own.
func TestHARKeyErrors(t *testing.T) {
	abs, _ := filepath.Abs("testdata/har/single-origin.har")
	tests := []struct{ name, yml, want string }{
		{"with html", "page: {har: " + abs + ", html: 1KB}", `page.har: the HAR file gives the page's host, html and objects; remove html`},
		{"filter alone", "page: {first: 3}", `page.first: only with har`},
		{"missing", "page: {har: nothere.har}", `page.har: nothere.har: cannot read it: no such file or directory`},
		{"exclude pattern", "page: {har: " + abs + ", exclude_hosts: [A.example]}", `page.exclude_hosts[0]: "A.example" is not a hostname`},
		{"first range", "page: {har: " + abs + ", first: -1}", `page.first: -1 is out of range`},
		{"swept", "page: {har: " + abs + "}\nsweep: {page.har: [a.har, b.har]}", `sweep.page.har: page.har cannot be swept`},
		{"output", "outputs: [har, pcap]", `outputs[1]: "pcap" is not an output (use har)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(filepath.Join(t.TempDir(), "e.yaml"), []byte("name: x\n"+tc.yml+"\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestHARPageNotSwept checks that a page read from a HAR file cannot be
// swept, whole or in a population: experiment.yaml writes sweep values
// as given, and its folder does not hold the HAR file.
func TestHARPageNotSwept(t *testing.T) {
	for _, sweep := range []string{
		"page: [{har: testdata/har/single-origin.har}, {html: 1KB}]",
		"clients: [[{name: a, page: {har: testdata/har/single-origin.har}}]]",
		"page.first: [1, 2]",
	} {
		_, err := Load("exp.yaml", []byte("name: x\nsweep: {"+sweep+"}\n"))
		if err == nil || !strings.Contains(err.Error(), "cannot be swept") {
			t.Errorf("sweep {%s}: got %v, want cannot be swept", sweep, err)
		}
	}
	// A word that is not a key does not count.
	if _, err := Load("exp.yaml", []byte("name: x\nsweep: {page: [{host: har.example}]}\n")); err != nil {
		t.Errorf("a page on host har.example: %v", err)
	}
}

// harPageYAML is a page on three hosts with a POST, loaded twice.
const harPageYAML = `client: {visits: 2, reading_time: 1s}
page:
  host: www.site.example
  html: 25KB
  objects:
    - {size: 12KB, count: 5}
    - {size: 30KB, count: 3, host: cdn.example}
    - {size: 700, count: 1, host: api.example, method: POST}
    - {size: 4KB, count: 4}
`

// TestHARRoundTrip simulates a page over TLS with DNS costs, writes the
// load as HAR and reads the HAR back as a page. With
// response_header_bytes 0 the page read back is the page simulated;
// with 300 each response carries its 300 header bytes as headersSize,
// which the reader adds to its size, so the page read back, simulated
// with 0 header bytes, puts the same bytes on the wire: the same
// requests.csv rows, time for time. (HTTP/1.x only: under HTTP/2
// headersSize holds the frames' overhead too, see HAROf.)
func TestHARRoundTrip(t *testing.T) {
	const netYAML = "network: {rtt: 40ms, dns: 15ms}\ntls: tls13\n"
	for _, model := range []string{"parallel", "persistent", "short-lived", "pipelined"} {
		for _, hdr := range []int{0, 300} {
			t.Run(fmt.Sprintf("%s/headers=%d", model, hdr), func(t *testing.T) {
				models := fmt.Sprintf("models: [%s]\n", model)
				yml := "name: rt\n" + netYAML + models + harPageYAML + fmt.Sprintf("http: {response_header_bytes: %d}\n", hdr)
				s, err := Load("rt.yaml", []byte(yml))
				if err != nil {
					t.Fatal(err)
				}
				runs, err := s.Runs()
				if err != nil {
					t.Fatal(err)
				}
				res := Run(runs[0], false)
				if res.Row.Err != "" {
					t.Fatal(res.Row.Err)
				}
				h, err := HAROf(runs[0], res, "test")
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := har.Write(&buf, h); err != nil {
					t.Fatal(err)
				}
				back, err := harPage(buf.Bytes(), HARFilter{})
				if err != nil {
					t.Fatal(err)
				}
				want := runs[0].Point.Spec.Page
				for i := range want.Objects {
					if want.Objects[i].Host == want.Host {
						want.Objects[i].Host = ""
					}
				}
				want = expandPage(want)
				if hdr > 0 {
					// Every response's headers are in its size now.
					want.HTML += Size(hdr)
					for i := range want.Objects {
						want.Objects[i].Size += Size(hdr)
					}
				}
				if !reflect.DeepEqual(back, want) {
					t.Fatalf("page read back\n%+v\nwant\n%+v", back, want)
				}
				if hdr == 0 {
					return
				}
				// Simulate the HAR file with no header bytes: the same
				// load, the second visit included.
				harFile := writeHARFile(t, "sim.har", buf.String())
				yml2 := "name: rt\n" + netYAML + models + "client: {visits: 2, reading_time: 1s}\n" +
					fmt.Sprintf("page: {har: %q}\nhttp: {response_header_bytes: 0}\n", harFile)
				s2, err := Load("rt2.yaml", []byte(yml2))
				if err != nil {
					t.Fatal(err)
				}
				runs2, err := s2.Runs()
				if err != nil {
					t.Fatal(err)
				}
				res2 := Run(runs2[0], false)
				if len(res2.Requests) != len(res.Requests) {
					t.Fatalf("%d requests, want %d", len(res2.Requests), len(res.Requests))
				}
				for i, q := range res2.Requests {
					// connsim's first byte is the end of the response's
					// header message; without header bytes it is the
					// end of the body, so only wait+receive compare.
					w := res.Requests[i]
					if math.Abs((q.WaitMS+q.ReceiveMS)-(w.WaitMS+w.ReceiveMS)) > 1e-6 {
						t.Errorf("request %d: wait+receive %v, want %v", i, q.WaitMS+q.ReceiveMS, w.WaitMS+w.ReceiveMS)
					}
					q.WaitMS, q.ReceiveMS, w.WaitMS, w.ReceiveMS = 0, 0, 0, 0
					if !reflect.DeepEqual(q, w) {
						t.Errorf("request %d:\n%+v\nwant\n%+v", i, q, w)
					}
				}
				if res2.Row.PLTMS != res.Row.PLTMS || res2.Row.Bytes != res.Row.Bytes || res2.Row.RevisitPLTMS != res.Row.RevisitPLTMS {
					t.Errorf("plt %v bytes %d revisit %v, want %v %d %v", res2.Row.PLTMS, res2.Row.Bytes, res2.Row.RevisitPLTMS,
						res.Row.PLTMS, res.Row.Bytes, res.Row.RevisitPLTMS)
				}
			})
		}
	}
}

// expandPage writes each object entry of p as count entries of 1.
func expandPage(p PageSpec) PageSpec {
	var objs []ObjectSpec
	for _, o := range p.Objects {
		for range o.Count {
			c := o
			c.Count = 1
			objs = append(objs, c)
		}
	}
	p.Objects = objs
	return p
}

// TestHAROutputValid checks the HAR output against the HAR 1.2
// structure, read as plain JSON: every required field present with its
// JSON type, timings that add up to time (ssl inside connect), -1 only
// where a phase does not apply, each entry's timings equal to its
// requests.csv row, times from the fixed epoch, one page per visit.
func TestHAROutputValid(t *testing.T) {
	for _, extra := range []string{
		"models: [parallel]\nnetwork: {rtt: 40ms, dns: 15ms}\ntls: tls13\n",
		"models: [http2]\nnetwork: {dns: 5ms}\n",
		"models: [{short-lived: {connections: 2}}]\n",
		"models: [pipelined]\nnetwork: {rtt: 40ms, loss: 0.02}\nseed: 3\n",
		"models: [sharded]\ntls: tls12\nhttp: {version: \"1.0\"}\n",
	} {
		t.Run(strings.Fields(extra)[1], func(t *testing.T) {
			s, err := Load("v.yaml", []byte("name: v\n"+harPageYAML+extra))
			if err != nil {
				t.Fatal(err)
			}
			runs, err := s.Runs()
			if err != nil {
				t.Fatal(err)
			}
			res := Run(runs[0], false)
			if res.Row.Err != "" {
				t.Fatal(res.Row.Err)
			}
			h, err := HAROf(runs[0], res, "test")
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := har.Write(&buf, h); err != nil {
				t.Fatal(err)
			}
			checkHARStructure(t, buf.Bytes(), res.Requests, s.Client.Visits)
			if _, err := har.Decode(buf.Bytes()); err != nil {
				t.Errorf("the output does not decode: %v", err)
			}
		})
	}
}

// checkHARStructure checks a HAR document as plain JSON.
func checkHARStructure(t *testing.T, data []byte, reqs []RequestRow, visits int) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	obj := func(v any, path string) map[string]any {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: got %T, want an object", path, v)
		}
		return m
	}
	// need checks that m has the keys, each of the JSON kind given:
	// s string, n number, a list, o object.
	need := func(m map[string]any, path string, keys string) {
		for _, kv := range strings.Fields(keys) {
			k, kind, _ := strings.Cut(kv, ":")
			v, ok := m[k]
			if !ok {
				t.Errorf("%s.%s: required, missing", path, k)
				continue
			}
			var good bool
			switch kind {
			case "s":
				_, good = v.(string)
			case "n":
				_, good = v.(float64)
			case "a":
				_, good = v.([]any)
			case "o":
				_, good = v.(map[string]any)
			}
			if !good {
				t.Errorf("%s.%s: got %T, want kind %s", path, k, v, kind)
			}
		}
	}
	log := obj(doc["log"], "log")
	need(log, "log", "version:s creator:o pages:a entries:a")
	if log["version"] != "1.2" {
		t.Errorf("log.version %v, want 1.2", log["version"])
	}
	need(obj(log["creator"], "log.creator"), "log.creator", "name:s version:s")
	pages := log["pages"].([]any)
	if len(pages) != visits {
		t.Errorf("%d pages, want one per visit, %d", len(pages), visits)
	}
	onLoad := map[string]float64{}
	for i, p := range pages {
		path := fmt.Sprintf("log.pages[%d]", i)
		pm := obj(p, path)
		need(pm, path, "startedDateTime:s id:s title:s pageTimings:o")
		need(obj(pm["pageTimings"], path+".pageTimings"), path+".pageTimings", "onContentLoad:n onLoad:n")
		onLoad[pm["id"].(string)] = pm["pageTimings"].(map[string]any)["onLoad"].(float64)
	}
	entries := log["entries"].([]any)
	if len(entries) != len(reqs) {
		t.Fatalf("%d entries, want one per request, %d", len(entries), len(reqs))
	}
	maxEnd := map[string]float64{}
	epoch := HAREpoch()
	var visitStart time.Time
	for i, e := range entries {
		path := fmt.Sprintf("log.entries[%d]", i)
		em := obj(e, path)
		need(em, path, "pageref:s startedDateTime:s time:n request:o response:o cache:o timings:o serverIPAddress:s connection:s")
		rq, rs := obj(em["request"], path+".request"), obj(em["response"], path+".response")
		need(rq, path+".request", "method:s url:s httpVersion:s cookies:a headers:a queryString:a headersSize:n bodySize:n")
		need(rs, path+".response", "status:n statusText:s httpVersion:s cookies:a headers:a content:o redirectURL:s headersSize:n bodySize:n")
		need(obj(rs["content"], path+".response.content"), path+".response.content", "size:n mimeType:s")
		tm := obj(em["timings"], path+".timings")
		need(tm, path+".timings", "blocked:n dns:n connect:n ssl:n send:n wait:n receive:n")
		num := func(k string) float64 { return tm[k].(float64) }
		q := reqs[i]
		// HAR 1.2: time is the sum of the timings that apply, ssl
		// counted in connect.
		sum := 0.0
		for _, k := range []string{"blocked", "dns", "connect", "send", "wait", "receive"} {
			if num(k) >= 0 {
				sum += num(k)
			}
		}
		if got := em["time"].(float64); math.Abs(got-sum) > 1e-6 || math.Abs(got-(q.EndMS-q.StartMS)) > 1e-5 {
			t.Errorf("%s.time %v: timings add up to %v, requests.csv end-start %v", path, got, sum, q.EndMS-q.StartMS)
		}
		// Each timing is its requests.csv column, -1 where the phase
		// does not apply.
		orNeg := func(v float64) float64 {
			if v == 0 {
				return -1
			}
			return v
		}
		connect := num("connect")
		if num("ssl") > 0 {
			connect -= num("ssl")
		}
		for _, c := range []struct {
			k         string
			got, want float64
		}{
			{"blocked", num("blocked"), q.QueuedMS},
			{"dns", num("dns"), orNeg(q.DNSMS)},
			{"connect-ssl", connect, orNeg(q.ConnectMS)},
			{"ssl", num("ssl"), orNeg(q.TLSMS)},
			{"send", num("send"), q.SendMS},
			{"wait", num("wait"), q.WaitMS},
			{"receive", num("receive"), q.ReceiveMS},
		} {
			if math.Abs(c.got-c.want) > 1e-6 {
				t.Errorf("%s.timings.%s = %v, requests.csv has %v", path, c.k, c.got, c.want)
			}
		}
		for _, k := range []string{"send", "wait", "receive", "blocked"} {
			if num(k) < 0 {
				t.Errorf("%s.timings.%s = %v < 0", path, k, num(k))
			}
		}
		if em["connection"] != fmt.Sprint(q.Connection) {
			t.Errorf("%s.connection %v, want %d", path, em["connection"], q.Connection)
		}
		if got := rs["headersSize"].(float64) + rs["bodySize"].(float64); int64(got) != q.Bytes {
			t.Errorf("%s: response headersSize+bodySize %v, requests.csv bytes %d", path, got, q.Bytes)
		}
		if !strings.Contains(rq["url"].(string), "://"+q.Host+"/") {
			t.Errorf("%s.request.url %v, want host %s", path, rq["url"], q.Host)
		}
		started, err := time.Parse(time.RFC3339Nano, em["startedDateTime"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 || reqs[i-1].Visit != q.Visit {
			visitStart = started.Add(-time.Duration(q.StartMS * 1e6))
		}
		// The request started at its visit's start in the run (the
		// model's, not the one HAROf works out for the single client)
		// plus start_ms.
		if want := (msDuration(q.VisitStartMS) + msDuration(q.StartMS)).Truncate(time.Millisecond); started.Sub(epoch) != want {
			t.Errorf("%s.startedDateTime %v, want the epoch + %v (visit start %v ms + start %v ms)", path, started, want, q.VisitStartMS, q.StartMS)
		}
		if q.Visit > 0 && visitStart.Before(epoch.Add(time.Second)) {
			t.Errorf("%s: visit %d starts at %v, before the 1s reading time", path, q.Visit, visitStart)
		}
		ref := em["pageref"].(string)
		maxEnd[ref] = math.Max(maxEnd[ref], q.EndMS)
	}
	for id, end := range maxEnd {
		if onLoad[id] != end {
			t.Errorf("page %s onLoad %v, want the last request's end %v", id, onLoad[id], end)
		}
	}
}

// FuzzLoadHAR feeds arbitrary bytes to the HAR loader (Decode, Site and
// the page it gives). It must never panic; an error must name a field or
// a position; a page it gives must hold only what an experiment file
// could: hostnames, sizes in range, methods connsim simulates, no more
// objects than entries, and load again through MarshalResolved.
func FuzzLoadHAR(f *testing.F) {
	for _, name := range []string{"single-origin.har", "third-parties.har"} {
		data, err := os.ReadFile(filepath.Join("testdata", "har", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, 0)
		f.Add(data, 3)
	}
	good := harEntry("https://a.example/", 200, "text/html", 100, 10)
	for _, s := range []string{
		harDoc(good), harDoc(good, harEntry("http://B.example:8080/x?y#z", 304, "", 0, -1)),
		`{"log": {"version": "1.2", "creator": {}, "pages": [{"id": "p"}], "entries": [null]}}`,
		`{"log": null}`, `[]`, `{"log": {"version": "1.1", "creator": {}, "entries": [{"request": {}}]}}`,
	} {
		f.Add([]byte(s), 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, first int) {
		first = ((first % 20) + 20) % 20
		p, err := harPage(data, HARFilter{First: first, ExcludeHosts: []string{"*.tracker.example"}})
		if err != nil {
			var he *har.Error
			if !errors.As(err, &he) && !strings.HasPrefix(err.Error(), "log.entries[") {
				t.Fatalf("error %T %q names no field", err, err)
			}
			return
		}
		if first > 0 && len(p.Objects)+1 > first {
			t.Fatalf("%d objects with first %d", len(p.Objects), first)
		}
		for _, o := range append([]ObjectSpec{{Host: p.Host, Size: p.HTML, Method: "GET", Count: 1}}, p.Objects...) {
			if o.Size < 0 || o.Size > maxObjectSize || o.Count != 1 || (o.Host != "" && !isHostname(o.Host)) ||
				!slices.Contains([]string{"GET", "POST", "PUT", "DELETE", "HEAD"}, o.Method) {
				t.Fatalf("bad object %+v", o)
			}
		}
		s := NewSpec("fuzz")
		s.Page = p
		b, err := s.MarshalResolved()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Load("fuzz.yaml", b); err != nil && !strings.Contains(err.Error(), "response_header_bytes") {
			t.Fatalf("a HAR page does not load: %v\n%s", err, b)
		}
	})
}

// TestHARHTTPVersionPerModel: each entry's httpVersion is the version its
// model ran under: a model's http_version over http.version, HTTP/2.0
// for http2.
func TestHARHTTPVersionPerModel(t *testing.T) {
	s := mustLoad(t, "name: v\nhttp: {version: \"1.1\"}\npage: {html: 5KB, objects: [{count: 2, size: 5KB}]}\n"+
		"models:\n  - short-lived: {http_version: \"1.0\"}\n  - persistent\n  - http2\n")
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"HTTP/1.0", "HTTP/1.1", "HTTP/2.0"} {
		res := Run(runs[i], false)
		h, err := HAROf(runs[i], res, "test")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range h.Log.Entries {
			if e.Request.HTTPVersion != want || e.Response.HTTPVersion != want {
				t.Fatalf("%s: entry versions %s/%s, want %s", runs[i].Model.Label, e.Request.HTTPVersion, e.Response.HTTPVersion, want)
			}
		}
	}
}

// TestPopulationHAR: with clients: each client's visit is a page of the
// HAR file, started when that visit started in the run, whose entries are
// the requests of that client and visit on its population's page (object
// sizes from that page), with the timings of requests.csv; idle clients
// add none.
func TestPopulationHAR(t *testing.T) {
	s := mustLoad(t, `name: ph
models: [parallel]
page: {html: 8KB, objects: [{count: 3, size: 10KB}]}
clients:
  - {name: web, count: 3, arrival: {interval: 200ms}, visits: 2, reading_time: 1s}
  - {name: app, count: 2, arrival: {poisson: {rate: 5/s}}, model: http2, page: {html: 4KB, objects: [{count: 2, size: 30KB}]}}
  - {name: idle, count: 1, idle: true}
`)
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := Run(runs[0], false)
	if res.Row.Err != "" {
		t.Fatal(res.Row.Err)
	}
	h, err := HAROf(runs[0], res, "test")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := har.Write(&buf, h); err != nil {
		t.Fatal(err)
	}
	checkHARStructure(t, buf.Bytes(), res.Requests, 3*2+2) // a page per client visit
	if want := 3*2 + 2; len(h.Log.Pages) != want {
		t.Fatalf("%d pages, want one per client visit (%d)", len(h.Log.Pages), want)
	}
	pageOf := map[string]har.Page{}
	for _, p := range h.Log.Pages {
		pageOf[p.ID] = p
	}
	sizes := map[string][]int64{"web": {8000, 10000, 10000, 10000}, "app": {4000, 30000, 30000}}
	seen := map[string]int{}
	for i, e := range h.Log.Entries {
		q := res.Requests[i]
		pop, _, _ := strings.Cut(q.Client, "#")
		if pop == "idle" {
			t.Fatalf("entry %d is an idle client's", i)
		}
		p, ok := pageOf[e.Pageref]
		if !ok || !strings.Contains(p.Title, q.Client+", visit "+fmt.Sprint(q.Visit+1)) {
			t.Errorf("entry %d (%s, visit %d) is on page %q %q", i, q.Client, q.Visit+1, e.Pageref, p.Title)
		}
		if want := harTime(msDuration(q.VisitStartMS)); p.StartedDateTime != want {
			t.Errorf("page %s starts %s, the client's visit started %s", p.ID, p.StartedDateTime, want)
		}
		k := seen[e.Pageref]
		seen[e.Pageref]++
		if k >= len(sizes[pop]) || e.Response.BodySize != sizes[pop][k] {
			t.Errorf("entry %d: request %d of %s's visit has body %d, its page's size list %v", i, k, q.Client, e.Response.BodySize, sizes[pop])
		}
		wantVersion := map[string]string{"web": "HTTP/1.1", "app": "HTTP/2.0"}[pop]
		if e.Request.HTTPVersion != wantVersion {
			t.Errorf("entry %d (%s): %s, want %s", i, q.Client, e.Request.HTTPVersion, wantVersion)
		}
	}
	for id, n := range seen {
		if want := len(sizes[strings.Split(strings.TrimPrefix(id, "page_"), "#")[0]]); n != want {
			t.Errorf("page %s has %d entries, want %d", id, n, want)
		}
	}
}
