package experiments_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// The tests of this file load every built-in experiment and run each in a
// reduced form (a few of its sweep values and repetitions) to check the
// claim its description makes, on the numbers the simulator measures.

// libNames are the built-in experiments that must ship with connsim.
var libNames = []string{
	"connection-models", "warm-vs-cold", "hol-blocking",
	"domain-sharding", "http10-vs-http11", "keep-alive-idle",
	"server-capacity", "idle-flood", "sharding-vs-dos-limit",
	"pipelining-breakers", "connections-per-host", "keep-alive-max-replay",
	"proxy-hops", "edge-reuse", "textbook-ladders", "upgrades-and-tls",
	"http2-coalescing", "mss-packing",
}

// libLoad loads the built-in experiment called name.
func libLoad(t *testing.T, name string) *experiments.Spec {
	t.Helper()
	data, err := experiments.LibraryYAML(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := experiments.Load("library/"+name+".yaml", data)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return s
}

// libKeep selects runs: each key maps to the sweep values (as written in
// the file) to keep; keys not listed keep all their values. A key that is
// not swept, or a value that is not swept, fails the test, so that a
// change of the file is noticed here rather than silently testing less.
type libKeep map[string][]string

// libRun runs the runs of s at the points keep selects, with repetitions
// below maxRep (0 = all), and returns their results.
func libRun(t *testing.T, s *experiments.Spec, keep libKeep, maxRep int) []experiments.Result {
	t.Helper()
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	for key, vals := range keep {
		a, ok := s.Sweep.Axis(key)
		if !ok {
			t.Fatalf("%s: %s is not swept", s.Name, key)
		}
		for _, v := range vals {
			if !slices.ContainsFunc(a.Values, func(sv experiments.SweepValue) bool { return sv.Text == v }) {
				t.Fatalf("%s: %s has no value %q", s.Name, key, v)
			}
		}
	}
	var sel []experiments.RunConfig
	for _, rc := range runs {
		if maxRep > 0 && rc.Rep >= maxRep {
			continue
		}
		ok := true
		for _, a := range rc.Point.Axes {
			if vals, fixed := keep[a.Key]; fixed && !slices.Contains(vals, a.Text) {
				ok = false
			}
		}
		if ok {
			sel = append(sel, rc)
		}
	}
	if len(sel) == 0 {
		t.Fatalf("%s: no run selected", s.Name)
	}
	res := experiments.RunAll(sel, experiments.RunOptions{})
	for _, r := range res {
		if r.Row.Err != "" {
			t.Errorf("%s: run %s %v failed: %s", s.Name, r.Row.Model, r.Row.Point, r.Row.Err)
		}
	}
	return res
}

// libAt reports whether a row is of model and at the point given as
// key=value pairs (values as written in the file).
func libAt(r experiments.Row, model string, at ...string) bool {
	if model != "" && r.Model != model {
		return false
	}
	for _, kv := range at {
		k, v, _ := strings.Cut(kv, "=")
		found := false
		for _, a := range r.Point {
			if a.Key == k {
				found = a.Text == v
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// libMetric returns the median of a metric over the runs of model at a
// point; the test fails when there is no such run.
func libMetric(t *testing.T, res []experiments.Result, metric, model string, at ...string) float64 {
	t.Helper()
	var vals []float64
	for _, r := range res {
		if !libAt(r.Row, model, at...) {
			continue
		}
		m := r.Row.Metrics
		var v float64
		switch metric {
		case "plt_ms":
			v = m.PLTMS
		case "revisit_plt_ms":
			v = m.RevisitPLTMS
		case "packets":
			v = float64(m.Packets)
		case "bytes":
			v = float64(m.Bytes)
		case "connections":
			v = float64(m.Connections)
		case "drops":
			v = float64(m.Drops)
		case "retransmits":
			v = float64(m.Retransmits)
		default:
			t.Fatalf("libMetric: unknown metric %q", metric)
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		t.Fatalf("no run of %q at %v", model, at)
	}
	slices.Sort(vals)
	return vals[(len(vals)-1)/2]
}

// libModelLabels returns the model labels of s.
func libModelLabels(s *experiments.Spec) []string {
	var labels []string
	for _, m := range s.Models {
		labels = append(labels, m.Label)
	}
	return labels
}

// TestLibraryLoads checks that every built-in experiment loads, expands
// into runs, follows the house style (a header comment with the question,
// the expected shape and the command that reproduces it; a title and a
// description; plots with titles) and that every per-run figure (waterfall,
// cwnd, sequence) names a run that exists.
func TestLibraryLoads(t *testing.T) {
	var have []string
	for _, e := range experiments.Library() {
		have = append(have, e.Name)
	}
	for _, name := range libNames {
		if !slices.Contains(have, name) {
			t.Errorf("built-in experiment %q missing (have %v)", name, have)
		}
	}
	for _, e := range experiments.Library() {
		t.Run(e.Name, func(t *testing.T) {
			s := libLoad(t, e.Name)
			if got, want := s.Name, e.Name; got != want {
				t.Errorf("name: got %q, want the file name %q", got, want)
			}
			text := string(e.YAML)
			for _, want := range []string{"# Question:", "# Expected shape:", "# Reproduce: go run ./cmd/connsim run " + e.Name} {
				if !strings.Contains(text, want) {
					t.Errorf("header comment: no %q", want)
				}
			}
			if s.Title == "" || len(s.Description) < 200 {
				t.Errorf("title %q, description of %d characters: want a title and a description that says what to look at", s.Title, len(s.Description))
			}
			if len(s.Plots) == 0 {
				t.Fatal("no plots")
			}
			runs, err := s.Runs()
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) == 0 || len(runs) > 2000 {
				t.Errorf("%d runs: want a sweep small enough for the whole library to run in seconds", len(runs))
			}
			for i, p := range s.Plots {
				if p.Title == "" {
					t.Errorf("plot %d (%s): no title", i+1, p.Kind)
				}
				if p.Model != "" && !slices.Contains(libModelLabels(s), p.Model) {
					t.Errorf("plot %d: model %q is not one of %v", i+1, p.Model, libModelLabels(s))
				}
				switch p.Kind {
				case experiments.PlotWaterfall, experiments.PlotCwnd, experiments.PlotSequence:
					if !slices.ContainsFunc(runs, func(rc experiments.RunConfig) bool { return experiments.PlotShows(p, rc) }) {
						t.Errorf("plot %d (%s %q): no run of model %q at %v", i+1, p.Kind, p.Title, p.Model, p.Point)
					}
				}
			}
		})
	}
}

// TestLibraryConnectionModels: a persistent connection loads the page
// faster than one connection per request at every RTT and bandwidth of the
// sweep, and the gap grows with the RTT (short-lived pays about one more
// round trip per object). On the 1 Mbit/s path sharded resends segments
// that were never lost (the queue outlasts its timers) but undoes the
// window reductions, so it ends less than half a second after parallel.
func TestLibraryConnectionModels(t *testing.T) {
	s := libLoad(t, "connection-models")
	res := libRun(t, s, nil, 0)
	const sharded, parallel = "sharded(shards=3,connections=6)", "parallel(connections=6)"
	for _, rtt := range []string{"20ms", "50ms", "100ms", "200ms"} {
		at := []string{"network.bandwidth=1Mbps", "network.rtt=" + rtt}
		sh := libMetric(t, res, "plt_ms", sharded, at...)
		par := libMetric(t, res, "plt_ms", parallel, at...)
		if !(sh > par && sh-par < 500) {
			t.Errorf("1 Mbit/s, %s: sharded %.0f ms, parallel %.0f ms: want sharded slower by less than 500 ms", rtt, sh, par)
		}
		retx := libMetric(t, res, "retransmits", sharded, at...)
		drops := libMetric(t, res, "drops", sharded, at...)
		if !(retx >= 30 && drops == 0) {
			t.Errorf("1 Mbit/s, %s: sharded resent %v segments, %v dropped: want dozens resent and none dropped", rtt, retx, drops)
		}
	}
	for _, bw := range []string{"10Mbps", "1Mbps"} {
		prevGap := math.Inf(-1)
		for _, rtt := range []string{"20ms", "50ms", "100ms", "200ms"} {
			at := []string{"network.bandwidth=" + bw, "network.rtt=" + rtt}
			short := libMetric(t, res, "plt_ms", "short-lived", at...)
			pers := libMetric(t, res, "plt_ms", "persistent", at...)
			if !(pers < short) {
				t.Errorf("%s, %s: persistent %.0f ms, short-lived %.0f ms: want persistent faster", bw, rtt, pers, short)
			}
			if gap := short - pers; gap <= prevGap {
				t.Errorf("%s, %s: short-lived minus persistent = %.0f ms, not more than %.0f ms at the RTT before", bw, rtt, gap, prevGap)
			} else {
				prevGap = gap
			}
		}
	}
}

// TestLibraryWarmVsCold: on the second visit a warm connection (no idle
// time) fetches an object faster than one restarted after an idle time
// past the RTO, which is faster than a cold one (past the keep-alive
// timeout); restarted and cold differ by the handshake, one RTT, and only
// the cold visit opens a second connection.
func TestLibraryWarmVsCold(t *testing.T) {
	s := libLoad(t, "warm-vs-cold")
	rtt := s.Network.RTT.Std().Seconds() * 1000
	sizes := []string{"5KB", "60KB", "250KB"}
	res := libRun(t, s, libKeep{"page.html": sizes}, 0)
	for _, size := range sizes {
		warm := libMetric(t, res, "revisit_plt_ms", "persistent", "page.html="+size, "client.reading_time=0s")
		restart := libMetric(t, res, "revisit_plt_ms", "persistent", "page.html="+size, "client.reading_time=2s")
		cold := libMetric(t, res, "revisit_plt_ms", "persistent", "page.html="+size, "client.reading_time=10s")
		// Warm and restarted are equal (to a few microseconds of ACK
		// timing) for objects that fit in the initial window.
		if !(warm <= restart+1 && restart < cold) {
			t.Errorf("%s: warm %.3f, restarted %.3f, cold %.3f ms: want warm <= restarted < cold", size, warm, restart, cold)
		}
		if size != "5KB" && !(warm < restart) {
			t.Errorf("%s: warm %.1f ms, restarted %.1f ms: want warm faster once the object needs more than the initial window", size, warm, restart)
		}
		if got := cold - restart; math.Abs(got-rtt) > 0.1*rtt {
			t.Errorf("%s: cold minus restarted = %.1f ms, want about one RTT (%.0f ms, the handshake)", size, got, rtt)
		}
		for _, c := range []struct {
			idle string
			want float64
		}{{"0s", 1}, {"2s", 1}, {"10s", 2}} {
			if got := libMetric(t, res, "connections", "persistent", "page.html="+size, "client.reading_time="+c.idle); got != c.want {
				t.Errorf("%s after %s idle: %v connections over both visits, want %v", size, c.idle, got, c.want)
			}
		}
	}
}

// TestLibraryHOLBlocking: without loss, the small objects behind the large
// one finish after it only when pipelined (HTTP/1.1 answers in order);
// with six connections or HTTP/2 every small object finishes before it.
// With 2 % random loss, the one-connection models (pipelined, http2) load
// the page more slowly than six connections and lose more relative to
// their loss-free time (TCP-level head-of-line blocking).
func TestLibraryHOLBlocking(t *testing.T) {
	s := libLoad(t, "hol-blocking")
	res := libRun(t, s, libKeep{"network.loss": {"0", "0.02"}}, 40)
	for _, model := range []string{"pipelined", "parallel", "http2"} {
		var reqs []experiments.RequestRow
		for _, r := range res {
			if libAt(r.Row, model, "network.loss=0") && r.Row.Run == 0 {
				reqs = r.Requests
			}
		}
		if len(reqs) < 3 {
			t.Fatalf("%s: %d requests recorded", model, len(reqs))
		}
		// Request 0 is the HTML; the large object is the largest of the rest.
		large := slices.MaxFunc(reqs[1:], func(a, b experiments.RequestRow) int { return int(a.Bytes - b.Bytes) })
		after, smalls := 0, 0
		for _, q := range reqs[1:] {
			if q.Request == large.Request {
				continue
			}
			smalls++
			if q.EndMS > large.EndMS {
				after++
			}
		}
		want := 0
		if model == "pipelined" {
			want = smalls
		}
		if after != want {
			t.Errorf("%s: %d of %d small objects end after the large one (at %.0f ms), want %d", model, after, smalls, large.EndMS, want)
		}
	}
	par0 := libMetric(t, res, "plt_ms", "parallel", "network.loss=0")
	par := libMetric(t, res, "plt_ms", "parallel", "network.loss=0.02")
	for _, model := range []string{"pipelined", "http2"} {
		one0 := libMetric(t, res, "plt_ms", model, "network.loss=0")
		one := libMetric(t, res, "plt_ms", model, "network.loss=0.02")
		if !(one > par) {
			t.Errorf("2%% loss: %s median %.0f ms, parallel %.0f ms: want the one-connection model slower", model, one, par)
		}
		if !(one/one0 > par/par0) {
			t.Errorf("loss 0 -> 2%%: %s x%.2f, parallel x%.2f: want the one-connection model to lose more", model, one/one0, par/par0)
		}
	}
}

// TestLibraryDomainSharding: on the fast long path sharding cuts the page
// load time by at least a third and drops nothing; on the constrained path
// with a small queue the drops grow with the shards, four shards beat one
// and eight give part of that back with Linux's SACK recovery, sharding
// pays less than on the fast path, and the textbook NewReno sender makes
// eight shards over 15 % slower than one and is slower than SACK at one,
// four and eight shards.
func TestLibraryDomainSharding(t *testing.T) {
	s := libLoad(t, "domain-sharding")
	a, ok := s.Sweep.Axis("network")
	if !ok || len(a.Values) != 2 {
		t.Fatalf("want the network section swept over two paths, got %+v", a)
	}
	fast, constrained := "network="+a.Values[0].Text, "network="+a.Values[1].Text
	res := libRun(t, s, libKeep{"model.shards": {"1", "4", "8"}}, 0)
	const m = "sharded"
	at := func(path, recovery, shards string) []string {
		return []string{path, "tcp.recovery=" + recovery, "model.shards=" + shards}
	}
	f1 := libMetric(t, res, "plt_ms", m, at(fast, "sack", "1")...)
	f4 := libMetric(t, res, "plt_ms", m, at(fast, "sack", "4")...)
	f8 := libMetric(t, res, "plt_ms", m, at(fast, "sack", "8")...)
	if best := min(f4, f8); !(best < f1*2/3) {
		t.Errorf("fast path: 1 shard %.0f ms, best of 4 and 8 shards %.0f ms: want at least a third less", f1, best)
	}
	if d := libMetric(t, res, "drops", m, at(fast, "sack", "8")...); d != 0 {
		t.Errorf("fast path, 8 shards: %v drops, want 0", d)
	}
	c1 := libMetric(t, res, "plt_ms", m, at(constrained, "sack", "1")...)
	c4 := libMetric(t, res, "plt_ms", m, at(constrained, "sack", "4")...)
	c8 := libMetric(t, res, "plt_ms", m, at(constrained, "sack", "8")...)
	if !(c4 < c1 && c8 > c4) {
		t.Errorf("constrained path, SACK: 1, 4, 8 shards %.0f, %.0f, %.0f ms: want 4 shards the fastest, 8 giving part back", c1, c4, c8)
	}
	if !(c8/c1 > f8/f1) {
		t.Errorf("8 shards against 1: constrained x%.2f, fast x%.2f: want sharding to pay less on the constrained path", c8/c1, f8/f1)
	}
	n1 := libMetric(t, res, "plt_ms", m, at(constrained, "newreno", "1")...)
	n4 := libMetric(t, res, "plt_ms", m, at(constrained, "newreno", "4")...)
	n8 := libMetric(t, res, "plt_ms", m, at(constrained, "newreno", "8")...)
	if !(n8 > 1.15*n1) {
		t.Errorf("constrained path, NewReno: 1 shard %.0f ms, 8 shards %.0f ms (x%.2f): want 8 shards over 15 %% slower", n1, n8, n8/n1)
	}
	if !(n1 > c1 && n4 > c4 && n8 > c8) {
		t.Errorf("constrained path, NewReno against SACK: %.0f/%.0f, %.0f/%.0f, %.0f/%.0f ms at 1, 4, 8 shards: want SACK faster at each", n1, c1, n4, c4, n8, c8)
	}
	d1 := libMetric(t, res, "drops", m, at(constrained, "sack", "1")...)
	d4 := libMetric(t, res, "drops", m, at(constrained, "sack", "4")...)
	d8 := libMetric(t, res, "drops", m, at(constrained, "sack", "8")...)
	if !(d1 < d4 && d4 < d8) {
		t.Errorf("constrained path drops with 1, 4, 8 shards: %v, %v, %v: want them to grow", d1, d4, d8)
	}
}

// TestLibraryHTTP10VsHTTP11: on every link HTTP/1.1 (persistent and
// pipelined) sends fewer packets than HTTP/1.0 with four short-lived
// connections, pipelining the fewest, and HTTP/1.0 opens one connection
// per request; on the WAN and on the modem pipelining is the fastest and
// persistent without pipelining the slowest, and on the modem HTTP/1.0's
// four connections retransmit the most.
func TestLibraryHTTP10VsHTTP11(t *testing.T) {
	s := libLoad(t, "http10-vs-http11")
	res := libRun(t, s, nil, 0)
	const (
		h10  = "HTTP 1.0, 4 short-lived connections"
		pers = "HTTP 1.1 persistent"
		pipe = "HTTP 1.1 pipelined"
	)
	a, ok := s.Sweep.Axis("network")
	if !ok || len(a.Values) != 3 {
		t.Fatalf("want the network section swept over three links, got %+v", a)
	}
	objects := 0
	for _, o := range s.Page.Objects {
		objects += o.Count
	}
	for i, link := range []string{"LAN", "WAN", "modem"} {
		at := "network=" + a.Values[i].Text
		p10 := libMetric(t, res, "packets", h10, at)
		pp := libMetric(t, res, "packets", pers, at)
		pl := libMetric(t, res, "packets", pipe, at)
		if !(pl <= pp && pp < p10) {
			t.Errorf("%s packets: HTTP/1.0 %v, persistent %v, pipelined %v: want pipelined <= persistent < HTTP/1.0", link, p10, pp, pl)
		}
		if got, want := libMetric(t, res, "connections", h10, at), float64(objects+1); got != want {
			t.Errorf("%s: HTTP/1.0 opened %v connections, want one per request (%v)", link, got, want)
		}
	}
	for i, link := range []string{"WAN", "modem"} {
		at := "network=" + a.Values[i+1].Text
		t10 := libMetric(t, res, "plt_ms", h10, at)
		tp := libMetric(t, res, "plt_ms", pers, at)
		tl := libMetric(t, res, "plt_ms", pipe, at)
		if !(tl < t10 && t10 < tp) {
			t.Errorf("%s load time: HTTP/1.0 %.0f, persistent %.0f, pipelined %.0f ms: want pipelined < HTTP/1.0 < persistent", link, t10, tp, tl)
		}
	}
	modem := "network=" + a.Values[2].Text
	r10 := libMetric(t, res, "retransmits", h10, modem)
	if rp, rl := libMetric(t, res, "retransmits", pers, modem), libMetric(t, res, "retransmits", pipe, modem); !(r10 > 1.5*max(rp, rl)) {
		t.Errorf("modem retransmissions: HTTP/1.0 %v, persistent %v, pipelined %v: want HTTP/1.0 to resend the most, half as many again at least", r10, rp, rl)
	}
}

// TestLibraryKeepAliveIdle: the second visit's load time is flat while the
// idle time stays below the RTO (Linux's, about 300 ms on the 100 ms path:
// 150 ms of reading is about 250 ms of idle), steps up once it passes the
// RTO (slow-start restart), stays flat until the keep-alive timeout and
// steps up again past it, where the client reconnects and the revisit costs
// what the first visit did. Linux-style restart (halving per RTO) costs
// less than RFC 5681's after one and two RTOs of idle, more after two than
// after one, and the same once the halvings reach the initial window.
func TestLibraryKeepAliveIdle(t *testing.T) {
	s := libLoad(t, "keep-alive-idle")
	idle := []string{"10ms", "150ms", "300ms", "700ms", "1s", "4s", "6s", "30s"}
	res := libRun(t, s, libKeep{"client.reading_time": idle}, 0)
	for _, model := range []string{"persistent", "parallel"} {
		rv := func(reading string) float64 {
			return libMetric(t, res, "revisit_plt_ms", model, "tcp.idle_restart=rfc5681", "client.reading_time="+reading)
		}
		first := libMetric(t, res, "plt_ms", model, "tcp.idle_restart=rfc5681", "client.reading_time=10ms")
		steps := []struct {
			from, to string
			up       bool // a step between from and to; else flat
		}{
			{"10ms", "150ms", false}, // warm: idle below the RTO
			{"150ms", "300ms", true}, // past the RTO: slow-start restart
			{"300ms", "4s", false},   // restarted, connection kept
			{"4s", "6s", true},       // past keep-alive: reconnect
			{"6s", "30s", false},     // cold
		}
		for _, st := range steps {
			a, b := rv(st.from), rv(st.to)
			up := b-a > 0.05*a
			flat := math.Abs(b-a) <= 0.01*a
			if st.up && !up {
				t.Errorf("%s: revisit %.0f ms after %s, %.0f ms after %s: want a step up", model, a, st.from, b, st.to)
			}
			if !st.up && !flat {
				t.Errorf("%s: revisit %.0f ms after %s, %.0f ms after %s: want the same", model, a, st.from, b, st.to)
			}
		}
		if got := rv("30s"); math.Abs(got-first) > 0.01*first {
			t.Errorf("%s: revisit after 30 s %.0f ms, first visit %.0f ms: want the same (cold again)", model, got, first)
		}
		if got := libMetric(t, res, "connections", model, "tcp.idle_restart=rfc5681", "client.reading_time=6s"); got != 2*libMetric(t, res, "connections", model, "tcp.idle_restart=rfc5681", "client.reading_time=4s") {
			t.Errorf("%s: %v connections after 6 s idle: want twice those after 4 s", model, got)
		}
	}
	linux := func(reading string) float64 {
		return libMetric(t, res, "revisit_plt_ms", "persistent", "tcp.idle_restart=linux", "client.reading_time="+reading)
	}
	rfc := func(reading string) float64 {
		return libMetric(t, res, "revisit_plt_ms", "persistent", "tcp.idle_restart=rfc5681", "client.reading_time="+reading)
	}
	warm, once, twice := linux("10ms"), linux("300ms"), linux("700ms")
	if !(warm < once && once < twice && twice < rfc("700ms") && rfc("300ms") == rfc("700ms")) {
		t.Errorf("Linux restart after 10, 300, 700 ms of reading: %.0f, %.0f, %.0f ms; RFC 5681 after 300 and 700 ms: %.0f, %.0f ms: want warm < halved once < halved twice < RFC 5681, the same at both", warm, once, twice, rfc("300ms"), rfc("700ms"))
	}
	if l, r := linux("1s"), rfc("1s"); l != r {
		t.Errorf("1 s of reading: Linux restart %.0f ms, RFC 5681 %.0f ms: want the same (three halvings reach the initial window)", l, r)
	}
}

// libRows runs the selected runs and indexes their rows by model and the
// texts of the swept values, "model|v1|v2".
func libRows(t *testing.T, s *experiments.Spec, keep libKeep) map[string]experiments.Row {
	t.Helper()
	rows := map[string]experiments.Row{}
	for _, r := range libRun(t, s, keep, 1) {
		k := r.Row.Model
		for _, a := range r.Row.Point {
			k += "|" + a.Text
		}
		rows[k] = r.Row
	}
	return rows
}

// server-capacity: keep-alive (15 s) is faster at 0.05 users/s, and
// short-lived connections serve the users far faster from 0.2/s on,
// where the workers held by idle keep-alive run out; a 1 s timeout
// keeps keep-alive ahead up to 1/s.
func TestLibraryServerCapacity(t *testing.T) {
	s := libLoad(t, "server-capacity")
	rows := libRows(t, s, libKeep{"clients[0].arrival.poisson.rate": {"0.05/s", "0.2/s", "1/s"}})
	p95 := func(model, rate, ka string) float64 {
		r, ok := rows[model+"|"+rate+"|"+ka]
		if !ok || r.Err != "" {
			t.Fatalf("no run %s %s %s (%s)", model, rate, ka, r.Err)
		}
		return r.PLTP95MS
	}
	const keep, short = "keep-alive", "short-lived(connections=6)"
	if k, sl := p95(keep, "0.05/s", "15s"), p95(short, "0.05/s", "15s"); !(k < sl) {
		t.Errorf("0.05/s: keep-alive p95 %v ms, short-lived %v: want keep-alive faster", k, sl)
	}
	for _, rate := range []string{"0.2/s", "1/s"} {
		if k, sl := p95(keep, rate, "15s"), p95(short, rate, "15s"); !(sl*10 < k) {
			t.Errorf("%s: short-lived p95 %v ms, keep-alive (15 s) %v: want short-lived 10x faster", rate, sl, k)
		}
	}
	if r := rows[keep+"|1/s|15s"]; r.SYNDrops == 0 || r.BusyWorkersMax != 24 {
		t.Errorf("keep-alive at 1/s: %d SYNs dropped, %d workers busy: want drops and all 24 busy", r.SYNDrops, r.BusyWorkersMax)
	}
	if k, sl := p95(keep, "1/s", "1s"), p95(short, "1/s", "1s"); !(k < sl) {
		t.Errorf("1/s with a 1 s timeout: keep-alive p95 %v ms, short-lived %v: want keep-alive faster", k, sl)
	}
}

// idle-flood: the flood starves the users (p95 10x); a 1 s keep-alive
// and an event-driven server restore it, and a per-client limit
// restores the median and cuts p95 by more than 3x.
func TestLibraryIdleFlood(t *testing.T) {
	s := libLoad(t, "idle-flood")
	a, _ := s.Sweep.Axis("server")
	servers := map[string]string{}
	for i, n := range []string{"threads", "ka1s", "perclient", "event"} {
		servers[n] = a.Values[i].Text
	}
	rows := libRows(t, s, nil)
	get := func(flood, srv string) experiments.Row {
		r, ok := rows["parallel|"+flood+"|"+servers[srv]]
		if !ok || r.Err != "" {
			t.Fatalf("no run %s %s (%s)", flood, srv, r.Err)
		}
		return r
	}
	calm, flooded := get("1", "threads"), get("60", "threads")
	t.Logf("p95 PLT: calm %v ms, flood %v ms", calm.PLTP95MS, flooded.PLTP95MS)
	if !(flooded.PLTP95MS > 10*calm.PLTP95MS) || flooded.SYNDrops == 0 {
		t.Fatalf("flood: p95 %v ms against %v, %d SYNs dropped: want starved (10x) with drops", flooded.PLTP95MS, calm.PLTP95MS, flooded.SYNDrops)
	}
	for _, d := range []string{"ka1s", "event"} {
		if r := get("60", d); !(r.PLTP95MS <= 1.2*calm.PLTP95MS) || r.SYNDrops != 0 {
			t.Errorf("%s under the flood: p95 %v ms, %d SYNs dropped; want within 20%% of %v ms, none", d, r.PLTP95MS, r.SYNDrops, calm.PLTP95MS)
		}
	}
	if r := get("60", "perclient"); r.PLTP50MS != calm.PLTP50MS || !(r.PLTP95MS*3 < flooded.PLTP95MS) || r.Refused == 0 {
		t.Errorf("6 per client under the flood: median %v ms (calm %v), p95 %v ms (flood %v), %d refused", r.PLTP50MS, calm.PLTP50MS, r.PLTP95MS, flooded.PLTP95MS, r.Refused)
	}
}

// sharding-vs-dos-limit: without a limit 4 shards beat 2; with 16
// connections per client 4 shards are far slower than 2, and refused.
func TestLibraryShardingVsDoSLimit(t *testing.T) {
	s := libLoad(t, "sharding-vs-dos-limit")
	rows := libRows(t, s, libKeep{"model.shards": {"1", "2", "4"}})
	p50 := func(shards, limit string) experiments.Row {
		r, ok := rows["sharded|"+shards+"|"+limit]
		if !ok || r.Err != "" {
			t.Fatalf("no run %s %s (%s)", shards, limit, r.Err)
		}
		return r
	}
	if a, b := p50("2", "0").PLTP50MS, p50("1", "0").PLTP50MS; !(a < b) {
		t.Errorf("no limit: 2 shards %v ms, 1 shard %v: want a gain", a, b)
	}
	if a, b := p50("4", "0").PLTP50MS, p50("2", "0").PLTP50MS; !(a < b) {
		t.Errorf("no limit: 4 shards %v ms, 2 shards %v: want a gain", a, b)
	}
	if a, b := p50("2", "16"), p50("2", "0"); a.PLTP50MS != b.PLTP50MS || a.Refused != 0 {
		t.Errorf("2 shards (12 connections) under a limit of 16: %v ms, %d refused; want as without (%v ms)", a.PLTP50MS, a.Refused, b.PLTP50MS)
	}
	if a, b := p50("4", "16"), p50("2", "16"); !(a.PLTP50MS > 2*b.PLTP50MS) || a.Refused == 0 {
		t.Errorf("limit 16: 4 shards %v ms (%d refused), 2 shards %v ms: want 4 shards much slower", a.PLTP50MS, a.Refused, b.PLTP50MS)
	}
}
