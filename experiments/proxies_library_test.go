package experiments_test

import (
	"math"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// libRow returns the one run of model at the point given as key=value
// pairs.
func libRow(t *testing.T, res []experiments.Result, model string, at ...string) experiments.Metrics {
	t.Helper()
	var found []experiments.Metrics
	for _, r := range res {
		if libAt(r.Row, model, at...) {
			found = append(found, r.Row.Metrics)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d runs of %q at %v, want 1", len(found), model, at)
	}
	return found[0]
}

// The swept values of proxy-hops's proxies, as written in the file.
const (
	upShort      = "[{name: edge, hosts: [example.com], model: short-lived}]"
	upPersistent = "[{name: edge, hosts: [example.com], model: persistent}]"
)

// TestLibraryProxyHops: on a reduced run (RTTs 10 and 100 ms on each
// hop), each hop adds its own round trips, counted by its own model:
// from 10 to 100 ms on the browser's hop the PLT grows by 18 RTTs for a
// short-lived browser and 10 for a persistent one whatever the proxy
// does, and less than 5 for a pipelining one; from 10 to 100 ms on the
// proxy's hop it grows by 18 RTTs behind a short-lived upstream and 10
// behind a persistent one, whatever the browser does (pipelining
// included: its pipeline ends at the proxy; with both hops far it
// overlaps the proxy's round trips a little). The far hop's model
// dominates: the spread across the far hop's models is larger than the
// spread across the near hop's.
func TestLibraryProxyHops(t *testing.T) {
	s := libLoad(t, "proxy-hops")
	res := libRun(t, s, libKeep{"clients[0].access.rtt": {"10ms", "100ms"}, "servers[0].link.rtt": {"10ms", "100ms"}}, 0)
	plt := func(model, down, up, proxy string) float64 {
		return libRow(t, res, model, "clients[0].access.rtt="+down, "servers[0].link.rtt="+up, "proxies="+proxy).PLTMS
	}
	const dRTT = 90.0 // ms, from 10 to 100
	rtts := func(d float64) float64 { return d / dRTT }
	models := []string{"short-lived", "persistent", "pipelined"}
	kUp := map[string]float64{upShort: 18, upPersistent: 10}
	kDown := map[string]float64{"short-lived": 18, "persistent": 10}
	for _, proxy := range []string{upShort, upPersistent} {
		for _, m := range models {
			for _, down := range []string{"10ms", "100ms"} {
				if m == "pipelined" && down == "100ms" {
					// Both hops far: the browser's pipeline overlaps
					// the proxy's round trips a little (checked below).
					continue
				}
				if k := rtts(plt(m, down, "100ms", proxy) - plt(m, down, "10ms", proxy)); math.Abs(k-kUp[proxy]) > 0.2 {
					t.Errorf("%s browser at %s, %s: the proxy's hop costs %.2f RTTs, want %v", m, down, proxy, k, kUp[proxy])
				}
			}
			for _, up := range []string{"10ms", "100ms"} {
				k := rtts(plt(m, "100ms", up, proxy) - plt(m, "10ms", up, proxy))
				if want, ok := kDown[m]; ok && math.Abs(k-want) > 0.2 {
					t.Errorf("%s browser, origin at %s, %s: the browser's hop costs %.2f RTTs, want %v", m, up, proxy, k, want)
				}
				if m == "pipelined" && !(k > 2.5 && k < 5) {
					t.Errorf("pipelined browser, origin at %s, %s: the browser's hop costs %.2f RTTs, want 2.5 to 5", up, proxy, k)
				}
			}
		}
	}
	spread := func(vals ...float64) float64 {
		lo, hi := vals[0], vals[0]
		for _, v := range vals {
			lo, hi = min(lo, v), max(hi, v)
		}
		return hi - lo
	}
	// Far origin: the proxy's model matters more than the browser's.
	for _, proxy := range []string{upShort, upPersistent} {
		browsers := spread(plt("short-lived", "10ms", "100ms", proxy), plt("persistent", "10ms", "100ms", proxy), plt("pipelined", "10ms", "100ms", proxy))
		for _, m := range models {
			if proxies := spread(plt(m, "10ms", "100ms", upShort), plt(m, "10ms", "100ms", upPersistent)); !(proxies > 3*browsers) {
				t.Errorf("far origin: the proxy's models spread %s's PLT by %.0f ms, the browser's models by %.0f ms behind %s: want the proxy's three times more", m, proxies, browsers, proxy)
			}
		}
	}
	// Far browser: the browser's model matters more than the proxy's.
	for _, proxy := range []string{upShort, upPersistent} {
		browsers := spread(plt("short-lived", "100ms", "10ms", proxy), plt("persistent", "100ms", "10ms", proxy), plt("pipelined", "100ms", "10ms", proxy))
		for _, m := range models {
			if proxies := spread(plt(m, "100ms", "10ms", upShort), plt(m, "100ms", "10ms", upPersistent)); !(browsers > 10*proxies) {
				t.Errorf("far browser: the browser's models spread the PLT by %.0f ms behind %s, the proxy's models %s's by %.0f ms: want the browser's ten times more", browsers, proxy, m, proxies)
			}
		}
	}
	// The proxy opens one connection per request upstream, or one.
	for _, m := range models {
		if a, b := libRow(t, res, m, "clients[0].access.rtt=10ms", "servers[0].link.rtt=10ms", "proxies="+upShort), libRow(t, res, m, "clients[0].access.rtt=10ms", "servers[0].link.rtt=10ms", "proxies="+upPersistent); a.ProxyConnections != 9 || b.ProxyConnections != 1 || a.Failed+b.Failed != 0 {
			t.Errorf("%s: proxy connections %d and %d, failed %d: want 9 (short-lived), 1 (persistent), 0", m, a.ProxyConnections, b.ProxyConnections, a.Failed+b.Failed)
		}
	}
}

// TestLibraryEdgeReuse: through an edge that reuses its warm origin
// connections the median PLT is at most 60% of going direct, the users'
// handshakes cost at most a quarter, and the edge opens far fewer
// connections than there are requests (one with HTTP/2); an edge
// without reuse opens one per request and is slower than going direct.
func TestLibraryEdgeReuse(t *testing.T) {
	s := libLoad(t, "edge-reuse")
	res := libRun(t, s, nil, 0)
	const (
		direct  = "[]"
		warm    = "[{name: edge, hosts: [example.com], model: {persistent: {connections: 64}}}]"
		h2      = "[{name: edge, hosts: [example.com], model: http2}]"
		noReuse = "[{name: edge, hosts: [example.com], model: {short-lived: {connections: 64}}}]"
	)
	row := func(p string) experiments.Metrics { return libRow(t, res, "parallel", "proxies="+p) }
	d, w, h, n := row(direct), row(warm), row(h2), row(noReuse)
	const requests = 40 * 13
	for name, m := range map[string]experiments.Metrics{"direct": d, "warm": w, "http2": h, "no reuse": n} {
		if m.Failed != 0 || m.Connections != 240 {
			t.Errorf("%s: %d failed, %d user connections: want 0, 240", name, m.Failed, m.Connections)
		}
	}
	for name, m := range map[string]experiments.Metrics{"warm": w, "http2": h} {
		if !(m.PLTP50MS < 0.6*d.PLTP50MS) || !(m.HandshakesMS < d.HandshakesMS/4) {
			t.Errorf("%s edge: median PLT %.0f ms, handshakes %.0f ms; direct %.0f ms, %.0f ms: want at most 60%% and a quarter", name, m.PLTP50MS, m.HandshakesMS, d.PLTP50MS, d.HandshakesMS)
		}
		if !(m.PLTP95MS > m.PLTP50MS) {
			t.Errorf("%s edge: p95 %.0f ms, median %.0f ms: want the first users, who wait for the edge's cold connections, slower", name, m.PLTP95MS, m.PLTP50MS)
		}
	}
	if !(w.ProxyConnections <= 64 && w.ProxyReuse >= 10) || h.ProxyConnections != 1 || h.ProxyReuse != requests {
		t.Errorf("upstream connections: warm %d (%.1f requests each), http2 %d (%.1f): want at most 64 with 10 or more requests each, and 1 with %d", w.ProxyConnections, w.ProxyReuse, h.ProxyConnections, h.ProxyReuse, requests)
	}
	if n.ProxyConnections != requests || n.ProxyReuse != 1 || !(n.PLTP50MS > d.PLTP50MS) || !(n.ProxyUpstreamMS > 2.5*w.ProxyUpstreamMS) {
		t.Errorf("no reuse: %d connections (%.1f requests each), median %.0f ms (direct %.0f), upstream %.0f ms (warm %.0f): want %d, 1, slower than direct, upstream 3 round trips against 1",
			n.ProxyConnections, n.ProxyReuse, n.PLTP50MS, d.PLTP50MS, n.ProxyUpstreamMS, w.ProxyUpstreamMS, requests)
	}
}
