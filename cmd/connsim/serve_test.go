package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/experiments"
)

// playGet asks the playground's handler for target and decodes the
// JSON answer of /api/sim.
func playGet(t *testing.T, h http.Handler, target string) (int, playResult, time.Duration) {
	t.Helper()
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	took := time.Since(start)
	var res playResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatalf("%s: %d, not JSON: %v: %.200s", target, rec.Code, err, rec.Body.String())
	}
	return rec.Code, res, took
}

func metricOf(t *testing.T, m playModel, name string) float64 {
	t.Helper()
	for _, kv := range m.Metrics {
		if kv[0] == name {
			v, err := strconv.ParseFloat(kv[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("%s: no metric %s in %v", m.Label, name, m.Metrics)
	return 0
}

// A good request returns both models with their three figures as SVG
// and their metrics, and the numbers follow round-trip arithmetic: with
// one connection, short-lived pays a handshake and a request round trip
// for each of the 1+4 requests (at least 10 RTT), pipelined one
// handshake, the HTML's round trip and the objects' (at least 3 RTT, and
// well under short-lived's).
func TestPlaygroundSim(t *testing.T) {
	h := newPlayground()
	code, res, _ := playGet(t, h, "/api/sim?model1=short-lived&model2=pipelined&objects=4x5KB&html=5KB&rtt=100ms")
	if code != 200 || len(res.Errors) > 0 || len(res.Models) != 2 {
		t.Fatalf("code %d, errors %v, %d models", code, res.Errors, len(res.Models))
	}
	for _, m := range res.Models {
		if m.Err != "" {
			t.Errorf("%s: %s", m.Label, m.Err)
		}
		for name, uri := range map[string]string{"waterfall": m.Waterfall, "cwnd": m.Cwnd, "ladder": m.Ladder} {
			b64, ok := strings.CutPrefix(uri, "data:image/svg+xml;base64,")
			svg, err := base64.StdEncoding.DecodeString(b64)
			if !ok || err != nil || !bytes.Contains(svg, []byte("<svg")) {
				t.Errorf("%s %s: not an SVG data URI (%.60s)", m.Label, name, uri)
			}
		}
	}
	sl, pl := metricOf(t, res.Models[0], "plt_ms"), metricOf(t, res.Models[1], "plt_ms")
	if sl < 1000 || pl < 300 || pl > sl/2 {
		t.Errorf("plt short-lived %.1f ms (want >= 10 RTT), pipelined %.1f ms (want >= 3 RTT and < half)", sl, pl)
	}
	if c := metricOf(t, res.Models[0], "connections"); c != 5 {
		t.Errorf("short-lived opened %v connections, want 5", c)
	}
	// The same query gives the same figures (the simulation is
	// deterministic; only took_ms differs).
	_, again, _ := playGet(t, h, "/api/sim?model1=short-lived&model2=pipelined&objects=4x5KB&html=5KB&rtt=100ms")
	if again.Models[1].Waterfall != res.Models[1].Waterfall || again.Models[1].Ladder != res.Models[1].Ladder {
		t.Error("the same query drew different figures")
	}
	// Changing the RTT changes the figure and the metric.
	_, slow, _ := playGet(t, h, "/api/sim?model1=short-lived&model2=pipelined&objects=4x5KB&html=5KB&rtt=200ms")
	if slow.Models[1].Waterfall == res.Models[1].Waterfall || metricOf(t, slow.Models[1], "plt_ms") < 2*pl*0.9 {
		t.Errorf("rtt 200ms: pipelined plt %v against %v at 100ms", metricOf(t, slow.Models[1], "plt_ms"), pl)
	}
	// One model only.
	if _, one, _ := playGet(t, h, "/api/sim?model2="); len(one.Models) != 1 {
		t.Errorf("model2 empty: %d models", len(one.Models))
	}
}

// A bad value is refused with 400 and an error naming its parameter and
// spec key, whatever else is wrong beside it.
func TestPlaygroundBadValues(t *testing.T) {
	h := newPlayground()
	for _, c := range []struct {
		query      string
		param, key string
		msg        string
	}{
		{"rtt=fast", "rtt", "network.rtt", "not a duration"},
		{"loss=2", "loss", "network.loss", "probability"},
		{"bandwidth=lots", "bandwidth", "network.bandwidth", ""},
		{"queue=-1", "queue", "network.queue", "holds no full packet"},
		{"tls=ssl3", "tls", "tls", ""},
		{"http=2", "http", "http.version", ""},
		{"cc=bbr", "cc", "tcp.cc", ""},
		{"html=big", "html", "page.html", ""},
		{"objects=abc", "objects", "page.objects", "COUNTxSIZE"},
		{"objects=0x10KB", "objects", "page.objects[0].count", ""},
		{"model1=quic", "model1", "models[0]", "unknown model"},
		{"model2=quic", "model2", "models[1]", "unknown model"},
		{"http=1.0&model1=pipelined", "model1", "models[0]", "1.1"},
		{"seed=-3", "seed", "seed", ""},
		{"rtt=fast&queue=-1", "queue", "network.queue", "holds no full packet"},
	} {
		code, res, _ := playGet(t, h, "/api/sim?"+c.query)
		if code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", c.query, code)
		}
		found := false
		for _, e := range res.Errors {
			if e.Param == c.param && e.Key == c.key && strings.Contains(e.Msg, c.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: errors %+v, want one for %s (%s) saying %q", c.query, res.Errors, c.param, c.key, c.msg)
		}
		if len(res.Models) > 0 {
			t.Errorf("%s: ran anyway", c.query)
		}
	}
}

// A request for more work than the playground's bounds is refused with
// 413 at once, naming the value, without running.
func TestPlaygroundRefusesOversized(t *testing.T) {
	h := newPlayground()
	for _, c := range []struct{ query, param string }{
		{"objects=10000x10MB", "objects"},
		{"objects=501x1KB", "objects"},
		{"objects=300x70KB", "objects"},
		{"html=30MB", "objects"},
		{"rtt=30s", "rtt"},
		{"loss=0.5", "loss"},
		{"bandwidth=1Kbps", "bandwidth"},
		{"objects=" + strings.Repeat("1x1KB,", 400), "query"},
	} {
		code, res, took := playGet(t, h, "/api/sim?"+c.query)
		if code != http.StatusRequestEntityTooLarge {
			t.Errorf("%.40s: status %d, want 413", c.query, code)
		}
		if len(res.Errors) == 0 || res.Errors[0].Param != c.param || !strings.Contains(res.Errors[0].Msg, "at ") {
			t.Errorf("%.40s: errors %+v, want one for %s", c.query, res.Errors, c.param)
		}
		if took > 200*time.Millisecond {
			t.Errorf("%.40s: refused after %v", c.query, took)
		}
	}
	// Just inside the bounds, the worst case still answers promptly:
	// the simulated-time and event limits stop it.
	_, res, took := playGet(t, h, "/api/sim?objects=499x40KB&loss=0.2&rtt=5s&bandwidth=56Kbps&model1=short-lived&model2=parallel")
	if took > 10*time.Second || len(res.Models) != 2 {
		t.Errorf("worst case in bounds: %v, %d models, errors %v", took, len(res.Models), res.Errors)
	}
	if res.Models[0].Err == "" {
		t.Errorf("a minute of simulated time cannot load 20MB at 56Kbps, yet no error: %v", res.Models[0].Metrics)
	}
}

// The page shows the query's values in its controls and lists the
// built-in experiments; /open sets the controls to an experiment's base.
func TestPlaygroundPageAndOpen(t *testing.T) {
	h := newPlayground()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/?rtt=250ms&model1=http2&tls=tls13", nil))
	body := rec.Body.String()
	for _, want := range []string{`value="250ms"`, `<option selected>http2</option>`, `<option selected>tls13</option>`,
		`<option value="connection-models"`, `src="/static/play.js"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// The page menu lists the built-in experiments' pages, the one the
	// controls hold selected.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/?html=20KB&objects=40x10KB", nil))
	if !strings.Contains(rec.Body.String(), `<option value="20KB|40x10KB" selected>connection-models, connections-per-host: HTML 20KB &#43; 40x10KB</option>`) {
		t.Error("the page menu lacks connection-models' page, selected")
	}
	// A value is escaped, not markup.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/?rtt=%22%3E%3Cscript%3E", nil))
	if strings.Contains(rec.Body.String(), `"><script>`) {
		t.Error("a query value reached the page unescaped")
	}
	for _, e := range experiments.Library() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/open?experiment="+e.Name, nil))
		if rec.Code != http.StatusSeeOther {
			t.Errorf("open %s: %d %s", e.Name, rec.Code, rec.Body.String())
			continue
		}
		loc, err := url.Parse(rec.Header().Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		// The settings it opens with run.
		code, res, _ := playGet(t, h, "/api/sim?"+loc.RawQuery)
		if code != 200 && code != http.StatusRequestEntityTooLarge {
			t.Errorf("open %s: /api/sim?%s: %d %v", e.Name, loc.RawQuery, code, res.Errors)
		}
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/open?experiment=connection-models", nil))
	if loc := rec.Header().Get("Location"); !strings.Contains(loc, "model1=short-lived") || !strings.Contains(loc, "model2=persistent") {
		t.Errorf("open connection-models: %s", loc)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/open?experiment=nope", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("open nope: %d", rec.Code)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, c := range []struct {
		addr  string
		allow bool
		ok    bool
	}{
		{"127.0.0.1:8080", false, true},
		{"localhost:0", false, true},
		{"[::1]:8080", false, true},
		{"127.0.0.2:80", false, true},
		{"0.0.0.0:8080", false, false},
		{":8080", false, false},
		{"192.168.1.5:8080", false, false},
		{"0.0.0.0:8080", true, true},
		{"nonsense", true, false},
	} {
		if err := checkLoopback(c.addr, c.allow); (err == nil) != c.ok {
			t.Errorf("%s allow=%v: %v", c.addr, c.allow, err)
		}
	}
	// The command refuses before listening (were it to listen, it would
	// serve until stopped: give it 5 s).
	done := make(chan [2]string, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run([]string{"serve", "--addr", "0.0.0.0:0"}, &out, &errb)
		done <- [2]string{strconv.Itoa(code), errb.String()}
	}()
	select {
	case r := <-done:
		if r[0] != strconv.Itoa(exitBadUse) || !strings.Contains(r[1], "--allow-remote") {
			t.Errorf("serve on 0.0.0.0: exit %s: %s", r[0], r[1])
		}
	case <-time.After(5 * time.Second):
		t.Error("serve --addr 0.0.0.0:0 started serving without --allow-remote")
	}
}

// FuzzPlaySpec: any query is refused with errors or builds a spec that
// runs, never a panic.
func FuzzPlaySpec(f *testing.F) {
	f.Add("rtt=100ms&objects=40x10KB")
	f.Add("objects=3x1KB,2x%20MB&loss=1e-3")
	f.Add("model1=&model2=sharded&queue=10%20packets")
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		s, errs, _ := playSpec(playValues(vals))
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Msg == "" {
					t.Errorf("an error without a message: %+v", e)
				}
			}
			return
		}
		if _, err := s.Runs(); err != nil && len(specErrors(err)) == 0 {
			t.Errorf("Runs: %v, but no errors", err)
		}
	})
}

// TestPlaygroundInBrowser serves the playground and opens it in headless
// Chromium with #selftest: the page's script changes the RTT control,
// then sets a bad RTT, then asks for too many objects, and writes what it
// saw into <div id="selftest">. It skips without chromium unless
// CONNSIM_REQUIRE_BROWSER is set, as the report's browser test does.
func TestPlaygroundInBrowser(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CONNSIM_REQUIRE_BROWSER") != "" {
			t.Fatal("CONNSIM_REQUIRE_BROWSER is set but chromium is not on PATH")
		}
		t.Skip("no chromium on PATH: install Debian's chromium to check the playground in a browser")
	}
	srv := httptest.NewServer(newPlayground())
	defer srv.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	page := srv.URL + "/?model1=short-lived&model2=pipelined&objects=6x10KB&html=10KB#selftest"
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--virtual-time-budget=20000"}
	dom, err := exec.CommandContext(ctx, bin, append(args, "--dump-dom", page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	m := regexp.MustCompile(`(?s)<div id="selftest">([^<]*)</div>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("no self-test result in the page: %.2000s", dom)
	}
	got := string(m[1])
	t.Logf("self-test:\n%s", got)
	for _, want := range []string{
		"initial=200 models=2", "ladder=svg",
		"rtt300=200 waterfall=changed", "url=yes",
		"bad=400 error=[rtt (network.rtt): \"fast\" is not a duration", "marked=true",
		"big=413", "error=[objects (page.objects): 10000 objects: at most 500",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("self-test lacks %q", want)
		}
	}
	// The PLT shown changed with the RTT (short-lived: about 3 times).
	pl := regexp.MustCompile(`plt=([0-9.]+)`).FindAllStringSubmatch(got, -1)
	if len(pl) != 2 {
		t.Fatalf("plt values: %v", pl)
	}
	p0, _ := strconv.ParseFloat(pl[0][1], 64)
	p1, _ := strconv.ParseFloat(pl[1][1], 64)
	if !(p1 > 2.5*p0) {
		t.Errorf("short-lived plt %v at 100ms, %v at 300ms: want about 3 times", p0, p1)
	}
	if shot := os.Getenv("CONNSIM_PLAYGROUND_SCREENSHOT"); shot != "" {
		out, err := exec.CommandContext(ctx, bin, append(args, "--hide-scrollbars", "--window-size=1400,1290",
			"--screenshot="+shot, srv.URL+"/?model1=short-lived&model2=pipelined&objects=6x10KB&html=10KB")...).CombinedOutput()
		if err != nil {
			t.Fatalf("screenshot: %v: %s", err, out)
		}
	}
}
