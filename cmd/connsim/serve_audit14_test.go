package main

import (
	"encoding/base64"
	"github.com/connsim/connsim/experiments"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestServeDefaultsToLoopback (audit of issue 14): without flags the
// playground listens on a loopback address, which checkLoopback accepts
// without --allow-remote, and the help says so.
func TestServeDefaultsToLoopback(t *testing.T) {
	fs, addr, remote := serveFlags(io.Discard)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if *remote {
		t.Error("--allow-remote is on by default")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("default address %s is not a loopback IP", *addr)
	}
	if err := checkLoopback(*addr, false); err != nil {
		t.Errorf("the default address is refused: %v", err)
	}
	if !strings.Contains(serveHelp, "default "+*addr) {
		t.Errorf("the help does not give the default %s", *addr)
	}
}

// svgOfURI decodes a figure's data URI.
func svgOfURI(t *testing.T, uri string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(uri, "data:image/svg+xml;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPlaygroundWaterfallsShareAxis: the two models' waterfalls, side by
// side, are drawn on one time axis (a pipelined load a quarter as long
// as a short-lived one must not look as long).
func TestPlaygroundWaterfallsShareAxis(t *testing.T) {
	h := newPlayground()
	ticks := func(q string) [][]string {
		code, res, _ := playGet(t, h, "/api/sim?"+q)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %v", q, code, res.Errors)
		}
		var ts [][]string
		for _, m := range res.Models {
			ts = append(ts, xTicks(svgOfURI(t, m.Waterfall)))
		}
		return ts
	}
	both := ticks("objects=12x3KB&model1=short-lived&model2=pipelined")
	alone := ticks("objects=12x3KB&model1=pipelined&model2=")
	if len(both) != 2 || len(both[0]) < 2 || !slices.Equal(both[0], both[1]) {
		t.Errorf("ticks %v: want both waterfalls on one axis", both)
	}
	if len(alone) != 1 || slices.Equal(alone[0], both[0]) {
		t.Errorf("pipelined alone: ticks %v, as the short-lived load's %v: the loads are too alike for the test to tell", alone, both[0])
	}
}

// TestPlaygroundPageMenu: the page menu lists each page once, naming
// every experiment that loads it, with at most one entry selected.
func TestPlaygroundPageMenu(t *testing.T) {
	h := newPlayground()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/?html=20KB&objects=60x12KB", nil))
	body := rec.Body.String()
	menu := body[strings.Index(body, `id="pagefrom"`):]
	menu = menu[:strings.Index(menu, "</select>")]
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`<option value="([^"]*)"`).FindAllStringSubmatch(menu, -1) {
		if seen[m[1]] {
			t.Errorf("page %q listed twice", m[1])
		}
		seen[m[1]] = true
	}
	if n := strings.Count(menu, " selected>"); n != 1 {
		t.Errorf("%d entries selected, want 1", n)
	}
	// Every library experiment with this page, in name order.
	var want []string
	for _, e := range experiments.Library() {
		if s, err := experiments.Load(e.Name+".yaml", e.YAML); err == nil && s.Page.HTML == 20_000 &&
			len(s.Page.Objects) == 1 && s.Page.Objects[0].Count == 60 && s.Page.Objects[0].Size == 12_000 {
			want = append(want, e.Name)
		}
	}
	if len(want) < 2 || !strings.Contains(menu, "selected>"+strings.Join(want, ", ")+": HTML 20KB") {
		t.Errorf("the 20KB + 60x12KB page does not name its experiments %v, selected:\n%s", want, menu)
	}
}

// TestPlaygroundSaysWhatItLeavesOut: an experiment opened in the
// playground says what of it the playground cannot show (its sweep,
// its models' options, its server settings); the page without an
// experiment says nothing.
func TestPlaygroundSaysWhatItLeavesOut(t *testing.T) {
	h := newPlayground()
	page := func(target string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		return rec.Body.String()
	}
	for _, c := range []struct{ name, want string }{
		{"keep-alive-max-replay", "its sweep of server.max_requests (3, 5, 10, 100)"},
		{"http10-vs-http11", "the options of model &#34;HTTP 1.0, 4 short-lived connections&#34;"},
		{"connection-models", "its sweep of network.rtt"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/open?experiment="+c.name, nil))
		body := page(rec.Header().Get("Location"))
		if !strings.Contains(body, `id="leftout"`) || !strings.Contains(body, c.want) {
			t.Errorf("%s: the page lacks %q", c.name, c.want)
		}
	}
	// A model with a label and no other option loses nothing.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/open?experiment=http10-vs-http11", nil))
	if body := page(rec.Header().Get("Location")); strings.Contains(body, "HTTP 1.1 persistent&#34; (shown") {
		t.Error("http10-vs-http11: the note says its labelled persistent model loses options")
	}
	if strings.Contains(page("/"), `id="leftout"`) {
		t.Error("the page without an experiment has a left-out note")
	}
}

// TestPlaygroundMetricsInWords: each metric beside the figures says what
// it measures, as the figures' axes do (a student need not know what
// server_conn_s is).
func TestPlaygroundMetricsInWords(t *testing.T) {
	code, res, _ := playGet(t, newPlayground(), "/api/sim?objects=3x10KB&model2=")
	if code != http.StatusOK || len(res.Models) != 1 {
		t.Fatalf("%d, %d models, errors %v", code, len(res.Models), res.Errors)
	}
	words := map[string]string{}
	for _, m := range res.Models[0].Metrics {
		if m[2] == "" {
			t.Errorf("metric %s has no words", m[0])
		}
		words[m[0]] = m[2]
	}
	for name, want := range map[string]string{"plt_ms": "page load time", "server_conn_s": "server connection-seconds"} {
		if words[name] != want {
			t.Errorf("%s: %q, want %q", name, words[name], want)
		}
	}
}
