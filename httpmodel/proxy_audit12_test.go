package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// TestProxyLinkRTT: a proxy's own link is on both of its hops. One
// request through an edge, a new connection on each hop (a handshake
// and a request-response round trip on each): every millisecond of the
// edge's link RTT adds four to the page load time, streaming or store
// and forward, whatever the origin's distance.
func TestProxyLinkRTT(t *testing.T) {
	const extra = 50 * time.Millisecond
	for _, store := range []bool{false, true} {
		for _, origin := range []time.Duration{0, 30 * time.Millisecond} {
			t.Run(fmt.Sprintf("store=%v/origin=%v", store, origin), func(t *testing.T) {
				plt := func(l time.Duration) time.Duration {
					cfg := edgeConfig(1, 0, Model{Kind: Persistent}, Model{Kind: Persistent}, origin)
					cfg.Topology.Proxies[0].Link.RTT = l
					cfg.Topology.Proxies[0].StoreAndForward = store
					res := runPop(t, cfg, 1)
					requestsOnce(t, res, 1)
					return res.Metrics.PLT
				}
				got := plt(extra) - plt(0)
				if d := got - 4*extra; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("the edge's link at %v RTT adds %v to the PLT, want 4 x %v = %v", extra, got, extra, 4*extra)
				}
			})
		}
	}
}

// TestProxyLinkLossRecovered: random loss on the proxy's link alone
// (both of its hops cross it) drops packets, which TCP recovers: every
// request is answered once, none fails, and the page loads more slowly
// than without the loss.
func TestProxyLinkLossRecovered(t *testing.T) {
	const n, objs = 4, 6
	base := edgeConfig(n, objs, Model{Kind: Persistent}, Model{Kind: Persistent}, 20*time.Millisecond)
	clean := runPop(t, base, 1)
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			cfg := edgeConfig(n, objs, Model{Kind: Persistent}, Model{Kind: Persistent}, 20*time.Millisecond)
			cfg.Topology.Proxies[0].Link.Loss = 0.05
			res := runPop(t, cfg, seed)
			if failed := requestsOnce(t, res, n*(1+objs)); failed != 0 {
				t.Errorf("%d requests failed, want 0 (TCP recovers 5%% loss)", failed)
			}
			m := res.Metrics
			if m.Drops == 0 || m.Retransmits == 0 {
				t.Errorf("%d drops, %d retransmits with 5%% loss on the edge's link: want some of each", m.Drops, m.Retransmits)
			}
			var sum, cleanSum time.Duration
			for i := range m.ClientPLTs {
				sum += m.ClientPLTs[i]
				cleanSum += clean.Metrics.ClientPLTs[i]
			}
			if !(sum > cleanSum) {
				t.Errorf("summed PLT %v with loss, %v without: want the loss to cost time", sum, cleanSum)
			}
		})
	}
}

// TestProxyConnectionScopeStoreAndForward: the scope of Connection:
// close and of the keep-alive settings per hop (TestProxyConnectionScopePerHop)
// holds when the proxy relays whole responses: a response the origin
// closes after is not closed downstream, though the proxy reads the
// origin's Connection: close before it writes its own header.
func TestProxyConnectionScopeStoreAndForward(t *testing.T) {
	const objs = 5
	cases := []struct {
		name             string
		down, up         Kind
		origin, edge     Server
		wantDown, wantUp int
	}{
		{"client close, proxy keeps", ShortLived, Persistent, Server{}, Server{}, 1 + objs, 1},
		{"proxy close, client keeps", Persistent, ShortLived, Server{}, Server{}, 1, 1 + objs},
		{"origin max=1", Persistent, Persistent, Server{MaxRequests: 1}, Server{}, 1, 1 + objs},
		{"proxy max=1", Persistent, Persistent, Server{}, Server{MaxRequests: 1}, 1 + objs, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := edgeConfig(1, objs, Model{Kind: tc.down}, Model{Kind: tc.up}, 10*time.Millisecond)
			o, e := tc.origin, tc.edge
			cfg.Topology.Servers[0].Server = &o
			cfg.Topology.Proxies[0].Server = &e
			cfg.Topology.Proxies[0].StoreAndForward = true
			res := runPop(t, cfg, 1)
			requestsOnce(t, res, 1+objs)
			m := res.Metrics
			if m.Connections != tc.wantDown || m.ProxyConnections != tc.wantUp {
				t.Errorf("client connections %d, proxy connections %d: want %d, %d", m.Connections, m.ProxyConnections, tc.wantDown, tc.wantUp)
			}
		})
	}
}

// TestProxyConservationHeavyLoss: through the chain of
// TestProxyConservation with heavy loss on every hop and a TCP that
// gives up after two retransmission timeouts (connections lost under
// requests on every hop, resets lost too), every run ends without
// error: every request answered once, replayed (idempotent only) or
// reported failed; no POST replayed by a client or a proxy; the read
// timeout ends the waits on connections whose peer gave up silently.
func TestProxyConservationHeavyLoss(t *testing.T) {
	const n = 4
	failedAll := 0
	for _, loss := range [][4]float64{{0.2, 0, 0, 0}, {0, 0, 0.2, 0}, {0, 0, 0, 0.2}, {0.1, 0.1, 0.1, 0.1}} {
		for seed := uint64(1); seed <= 6; seed++ {
			t.Run(fmt.Sprintf("loss=%v/seed=%d", loss, seed), func(t *testing.T) {
				cfg := chainConfig(n, loss)
				cfg.TCP.MaxRetries = 2
				cfg.MaxSimTime = 10 * time.Hour
				res, w := runProxies(t, cfg, seed)
				failedAll += requestsOnce(t, res, 2*n*7)
				for _, r := range res.Requests {
					if r.Method == "POST" && (r.Replayed || r.Attempts > 1) {
						t.Errorf("client %d: a POST was replayed (%d attempts)", r.Client, r.Attempts)
					}
				}
				for _, px := range w.proxies {
					if px.unsafeReplays != 0 {
						t.Errorf("%s replayed %d POSTs", px.site.Name, px.unsafeReplays)
					}
				}
			})
		}
	}
	if failedAll == 0 {
		t.Errorf("no request failed at 20%% loss with two retries: is the loss applied?")
	}
}

// TestProxyThinkTime: a proxy takes its own think time before it
// forwards each request, on top of the origin's: through persistent
// connections on both hops, one request at a time, each of the page's
// requests waits for it once, so the page takes requests x think time
// longer; the origin's think time adds the same again.
func TestProxyThinkTime(t *testing.T) {
	const objs = 3
	const think = 40 * time.Millisecond
	plt := func(edge, origin time.Duration) time.Duration {
		cfg := edgeConfig(1, objs, Model{Kind: Persistent}, Model{Kind: Persistent}, 20*time.Millisecond)
		cfg.Topology.Proxies[0].Server = &Server{ThinkTime: edge}
		cfg.Topology.Servers[0].Server = &Server{ThinkTime: origin}
		res := runPop(t, cfg, 1)
		requestsOnce(t, res, 1+objs)
		return res.Metrics.PLT
	}
	base := plt(0, 0)
	for _, c := range []struct{ edge, origin time.Duration }{{think, 0}, {0, think}, {think, think}} {
		want := time.Duration(1+objs) * (c.edge + c.origin)
		if got := plt(c.edge, c.origin) - base; got < want-time.Millisecond || got > want+time.Millisecond {
			t.Errorf("edge think %v, origin think %v: the page takes %v longer, want %v", c.edge, c.origin, got, want)
		}
	}
}

// TestProxyChainByUpstream: a chain named by Upstream: a forward proxy
// whose upstream is a proxy that no DNS name and no population leads to
// sends every request through it; each proxy forwards each request
// once, and the middle proxy's link is on the path (two of its hops).
func TestProxyChainByUpstream(t *testing.T) {
	const objs = 3
	run := func(midRTT time.Duration) (*Result, *world) {
		cfg := edgeConfig(1, objs, Model{Kind: Persistent}, Model{Kind: Persistent}, 10*time.Millisecond)
		cfg.Topology.Proxies = []ProxySite{
			{Name: "fp", For: []string{"u"}, Upstream: "mid", Model: Model{Kind: Persistent}},
			{Name: "mid", Model: Model{Kind: Persistent}, Link: Access{RTT: midRTT}},
		}
		res, w := runProxies(t, cfg, 1)
		if failed := requestsOnce(t, res, 1+objs); failed != 0 {
			t.Fatalf("%d requests failed", failed)
		}
		return res, w
	}
	near, w := run(0)
	for _, px := range w.proxies {
		if m := px.metrics; m.Forwarded != 1+objs || m.Answered != 1+objs || m.Accepted != 1 {
			t.Errorf("%s: accepted %d, forwarded %d, answered %d: want 1, %d, %d", px.site.Name, m.Accepted, m.Forwarded, m.Answered, 1+objs, 1+objs)
		}
	}
	// mid's link is crossed by the fp-mid and the mid-origin hops:
	// two handshakes and a round trip per request on each, one request
	// at a time: 2 x (1 + requests) crossings of 30 ms.
	far, _ := run(30 * time.Millisecond)
	want := 2 * (1 + 1 + objs) * 30 * time.Millisecond
	if got := far.Metrics.PLT - near.Metrics.PLT; got < want-time.Millisecond || got > want+time.Millisecond {
		t.Errorf("mid's link at 30 ms adds %v, want %v", got, want)
	}
}
