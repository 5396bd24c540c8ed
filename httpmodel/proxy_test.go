package httpmodel

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
)

// edgeConfig returns n clients (interval arrivals) loading a page of
// objs objects through a reverse proxy "edge" fronting example.com in
// front of the origin site "origin"; client model down, the proxy's
// model up. The client-edge path has an RTT of 20 ms (access) + the
// bottleneck's 0 + the edge's link 0; the edge-origin path the origin
// link's originRTT.
func edgeConfig(n, objs int, down, up Model, originRTT time.Duration) Config {
	cfg := DefaultConfig()
	cfg.Network = Network{Bandwidth: 100 * link.Mbps, QueueBytes: 256 << 10}
	cfg.Clients = []Population{{Name: "u", Count: n, Arrival: Arrival{Kind: Interval, Interval: 200 * time.Millisecond},
		Page: Page{HTML: 8000, Objects: objects(objs, 5000)}, Model: down,
		Access: Access{RTT: 20 * time.Millisecond, Bandwidth: 20 * link.Mbps, QueueBytes: 64 << 10}}}
	cfg.Topology = Topology{
		Servers: []ServerSite{{Name: "origin", Hosts: []string{"example.com"}, Link: Access{RTT: originRTT, Bandwidth: 100 * link.Mbps, QueueBytes: 256 << 10}}},
		Proxies: []ProxySite{{Name: "edge", Hosts: []string{"example.com"}, Model: up}},
	}
	return cfg
}

// requestsOnce checks the conservation of a population run: each
// client's requests once each, every one ended, the failed ones
// counted, and returns how many failed.
func requestsOnce(t *testing.T, res *Result, want int) int {
	t.Helper()
	type key struct{ client, index int }
	seen := map[key]bool{}
	failed := 0
	for _, r := range res.Requests {
		k := key{r.Client, r.Index}
		if seen[k] || r.End < 0 {
			t.Fatalf("client %d request %d: seen before %v, end %v", r.Client, r.Index, seen[k], r.End)
		}
		seen[k] = true
		if r.Failed {
			failed++
		}
	}
	if failed != res.Metrics.Failed {
		t.Errorf("%d request rows failed, Metrics.Failed %d", failed, res.Metrics.Failed)
	}
	if len(res.Requests) != want {
		t.Errorf("%d requests, want %d", len(res.Requests), want)
	}
	return failed
}

// runProxies runs cfg like Run and returns the world too, for its
// proxies' internal counts.
func runProxies(t *testing.T, cfg Config, seed uint64) (*Result, *world) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	w := build(cfg, seed)
	w.scheduleArrivals()
	err := w.explainStall(w.run())
	res := w.result()
	res.Err = err
	res.Metrics.PipeliningFallbacks = w.fallbacks
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res, w
}

// TestProxyForwardable: RFC 9110 7.6.1, header by header: the fields
// a proxy removes from what it forwards, and those it keeps.
func TestProxyForwardable(t *testing.T) {
	e2e := []header{{"Host", "example.com"}, {"Accept", "*/*"}, {"Cache-Control", "no-cache"}, {"Via", "1.1 a"}}
	cases := []struct {
		name string
		in   []header
		drop []string // names removed (with e2e always kept)
	}{
		{"none", nil, nil},
		{"Connection", []header{{"Connection", "close"}}, []string{"Connection"}},
		{"connection lower case", []header{{"connection", "keep-alive"}}, []string{"connection"}},
		{"Keep-Alive", []header{{"Keep-Alive", "timeout=5, max=100"}}, []string{"Keep-Alive"}},
		{"Proxy-Connection", []header{{"Proxy-Connection", "keep-alive"}}, []string{"Proxy-Connection"}},
		{"TE", []header{{"TE", "trailers"}}, []string{"TE"}},
		{"Trailer", []header{{"Trailer", "Expires"}}, []string{"Trailer"}},
		{"Transfer-Encoding", []header{{"Transfer-Encoding", "chunked"}}, []string{"Transfer-Encoding"}},
		{"Upgrade", []header{{"Upgrade", "h2c"}}, []string{"Upgrade"}},
		{"named by Connection", []header{{"Connection", "X-Hop, x-other"}, {"X-Hop", "1"}, {"X-Other", "2"}}, []string{"Connection", "X-Hop", "X-Other"}},
		{"named with spaces and case", []header{{"X-Trace", "7"}, {"Connection", " x-TRACE ,close"}}, []string{"Connection", "X-Trace"}},
		{"named end-to-end field", []header{{"Connection", "Cache-Control"}}, []string{"Connection", "Cache-Control"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := append(slices.Clone(e2e), tc.in...)
			out := forwardable(in)
			for _, h := range in {
				dropped := slices.ContainsFunc(tc.drop, func(n string) bool { return n == h.name })
				kept := slices.Contains(out, h)
				if dropped == kept {
					t.Errorf("%s: %s: kept %v, want %v (out %v)", tc.name, h.name, kept, !dropped, out)
				}
			}
		})
	}
}

// TestProxyHeaderBytesPerHop: the header bytes on each hop of one
// request through a reverse proxy, line by line: the proxy forwards
// the client's block without its hop-by-hop lines, adds its Via and
// its own connection-management lines; the response likewise.
func TestProxyHeaderBytesPerHop(t *testing.T) {
	via := header{"Via", "1.1 edge"}.bytes() // 15
	ka := keepAliveHeader(Server{KeepAliveTimeout: 5 * time.Second, MaxRequests: 100}).bytes()
	closeLn := hdrConnClose.bytes()
	const req, resp, body = 400, 300, 8000
	cases := []struct {
		name                 string
		down, up             Kind
		wantUpReq, wantUpRsp int64 // upstream request header, response bytes
		wantDownRsp          int64 // the client's response bytes
	}{
		// Both persistent: + Via upstream; the origin's Keep-Alive
		// replaced by the proxy's, + Via downstream.
		{"persistent/persistent", Persistent, Persistent, req + via, resp + body, resp - ka + via + ka + body},
		// The client's Connection: close is removed; the proxy's
		// upstream hop is persistent. Downstream the proxy closes:
		// Connection: close instead of Keep-Alive.
		{"short-lived/persistent", ShortLived, Persistent, req - closeLn + via, resp + body, resp - ka + via + closeLn + body},
		// The proxy asks the origin to close; the origin's
		// Connection: close is not forwarded, the proxy's own
		// Keep-Alive goes to the client.
		{"persistent/short-lived", Persistent, ShortLived, req + via + closeLn, resp + body, resp - closeLn + via + ka + body},
		// HTTP/2 upstream: no hop-by-hop lines, HPACK-sized blocks.
		{"persistent/http2", Persistent, HTTP2, h2HeaderBytes(req+via, true), h2HeaderBytes(resp, true) + body + h2FrameHeader, resp + via + ka + body},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := edgeConfig(1, 0, Model{Kind: tc.down}, Model{Kind: tc.up}, 10*time.Millisecond)
			res := runPop(t, cfg, 1)
			pm := res.Metrics.Proxies[0]
			if pm.Answered != 1 || pm.RequestBytes != tc.wantUpReq || pm.ResponseBytes != tc.wantUpRsp {
				t.Errorf("upstream: %d answered, request %d bytes, response %d: want 1, %d, %d", pm.Answered, pm.RequestBytes, pm.ResponseBytes, tc.wantUpReq, tc.wantUpRsp)
			}
			if got := res.Requests[0].Bytes; got != tc.wantDownRsp {
				t.Errorf("downstream response %d bytes, want %d", got, tc.wantDownRsp)
			}
		})
	}
}

// TestProxyBlocksMatchByteCounts: where no proxy is on the hop, the
// header blocks listed for a message add up to the bytes the package
// has always sent.
func TestProxyBlocksMatchByteCounts(t *testing.T) {
	for _, v := range []string{"1.0", "1.1"} {
		for _, k := range []Kind{ShortLived, Persistent} {
			cfg := DefaultConfig()
			cfg.HTTPVersion = v
			cfg.Model.Kind = k
			c := cfg.withDefaults()
			m := &msg{kind: mRequest}
			want := c.RequestBytes
			if c.http10() {
				m.keepAlive = k != ShortLived
				if m.keepAlive {
					want += connKeepAliveLen
				}
			} else {
				m.close = k == ShortLived
			}
			if got := c.requestBlock(m).Bytes(); got != want {
				t.Errorf("%s %v request block %d bytes, want %d", v, k, got, want)
			}
			for _, closing := range []bool{false, true} {
				close, keepAlive := !c.http10() && closing, c.http10() && !closing
				want := c.ResponseHeaderBytes
				if keepAlive {
					want += connKeepAliveLen
				}
				if got := c.responseBlock(c.Server, close, keepAlive).Bytes(); got != want {
					t.Errorf("%s closing=%v response block %d bytes, want %d", v, closing, got, want)
				}
			}
		}
	}
}

// TestProxyConnectionScopePerHop: Connection: close and the server's
// keep-alive settings govern one hop each. A client's Connection: close
// ends only its connection to the proxy; an origin's MaxRequests (the
// max of its Keep-Alive) and its keep-alive timeout only the proxy's
// connections to it.
func TestProxyConnectionScopePerHop(t *testing.T) {
	const objs = 5
	cases := []struct {
		name             string
		down, up         Kind
		visits           int
		origin, edge     Server
		wantDown, wantUp int
	}{
		{"client close, proxy keeps", ShortLived, Persistent, 1, Server{}, Server{}, 1 + objs, 1},
		{"proxy close, client keeps", Persistent, ShortLived, 1, Server{}, Server{}, 1, 1 + objs},
		{"origin max=1", Persistent, Persistent, 1, Server{MaxRequests: 1}, Server{}, 1, 1 + objs},
		{"proxy max=1", Persistent, Persistent, 1, Server{}, Server{MaxRequests: 1}, 1 + objs, 1},
		{"origin keep-alive short", Persistent, Persistent, 2, Server{KeepAliveTimeout: 100 * time.Millisecond}, Server{KeepAliveTimeout: 10 * time.Second}, 1, 2},
		{"proxy keep-alive short", Persistent, Persistent, 2, Server{KeepAliveTimeout: 10 * time.Second}, Server{KeepAliveTimeout: 100 * time.Millisecond}, 2, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := edgeConfig(1, objs, Model{Kind: tc.down}, Model{Kind: tc.up}, 10*time.Millisecond)
			cfg.Clients[0].Visits = tc.visits
			cfg.Clients[0].ReadingTime = time.Second
			o, e := tc.origin, tc.edge
			cfg.Topology.Servers[0].Server = &o
			cfg.Topology.Proxies[0].Server = &e
			res := runPop(t, cfg, 1)
			requestsOnce(t, res, tc.visits*(1+objs))
			m := res.Metrics
			if m.Connections != tc.wantDown || m.ProxyConnections != tc.wantUp {
				t.Errorf("client connections %d, proxy connections %d: want %d, %d", m.Connections, m.ProxyConnections, tc.wantDown, tc.wantUp)
			}
		})
	}
}

// chainConfig returns two populations: "fwd" through a forward proxy
// "fp" (which dials DNS's answer, the edge), "direct" straight to DNS's
// answer; and a reverse proxy "edge" fronting example.com before the
// origin. Some objects are POSTs.
func chainConfig(n int, loss [4]float64) Config {
	cfg := edgeConfig(n, 6, Model{Kind: Persistent}, Model{Kind: Persistent}, 20*time.Millisecond)
	page := cfg.Clients[0].Page
	page.Objects[2].Method = "POST"
	page.Objects[4].Method = "POST"
	cfg.Clients[0].Page = page
	cfg.Clients[0].Name = "fwd"
	cfg.Clients[0].Access.Loss = loss[0]
	direct := cfg.Clients[0]
	direct.Name = "direct"
	direct.Model = Model{Kind: Pipelined}
	cfg.Clients = append(cfg.Clients, direct)
	cfg.Network.Loss = loss[1]
	cfg.Topology.Proxies = []ProxySite{
		{Name: "fp", For: []string{"fwd"}, Model: Model{Kind: Parallel, Connections: 2}, Link: Access{RTT: 5 * time.Millisecond, Loss: loss[2]}},
		{Name: "edge", Hosts: []string{"example.com"}, Model: Model{Kind: Persistent, Connections: 4}, Link: Access{RTT: 5 * time.Millisecond, Loss: loss[2]}},
	}
	cfg.Topology.Servers[0].Link.Loss = loss[3]
	// Connections that close under requests: the edge closes after 3
	// requests (the pipelining clients replay what they sent behind),
	// the origin as soon as idle (the proxies' reuse races its close).
	cfg.Topology.Proxies[1].Server = &Server{MaxRequests: 3}
	cfg.Topology.Servers[0].Server = &Server{KeepAliveTimeout: CloseWhenIdle}
	return cfg
}

// TestProxyConservation: through a chain (forward proxy, reverse
// proxy, origin) and a single reverse proxy, with loss on any hop,
// every request is answered once, or replayed (idempotent only), or
// reported failed; no POST is ever replayed, by a client or a proxy.
func TestProxyConservation(t *testing.T) {
	const n = 6
	for _, loss := range [][4]float64{{}, {0.05, 0, 0, 0}, {0, 0.05, 0, 0}, {0, 0, 0.05, 0}, {0, 0, 0, 0.05}, {0.03, 0.03, 0.03, 0.03}} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("loss=%v/seed=%d", loss, seed), func(t *testing.T) {
				cfg := chainConfig(n, loss)
				res, w := runProxies(t, cfg, seed)
				failed := requestsOnce(t, res, 2*n*7)
				for _, r := range res.Requests {
					if r.Method == "POST" && (r.Replayed || r.Attempts > 1) {
						t.Errorf("client %d: a POST was replayed (%d attempts)", r.Client, r.Attempts)
					}
				}
				fp, edge := w.proxies[0], w.proxies[1]
				t.Logf("failed %d, replayed %d (fp %d, edge %d), proxy failed %d", failed, res.Metrics.Replayed, fp.metrics.Replayed, edge.metrics.Replayed, res.Metrics.ProxyFailed)
				for _, px := range w.proxies {
					if px.unsafeReplays != 0 {
						t.Errorf("%s replayed %d POSTs", px.site.Name, px.unsafeReplays)
					}
					m := px.metrics
					if m.Answered+m.Failed > m.Forwarded {
						t.Errorf("%s: %d answered + %d failed of %d forwarded", px.site.Name, m.Answered, m.Failed, m.Forwarded)
					}
				}
				// Every request goes through the edge; only "fwd"'s
				// through fp, and the edge's requests come from both.
				if fp.metrics.Accepted == 0 || edge.metrics.Forwarded < fp.metrics.Answered+n*7-failed {
					t.Errorf("fp accepted %d, edge forwarded %d (fp answered %d)", fp.metrics.Accepted, edge.metrics.Forwarded, fp.metrics.Answered)
				}
				if failed > 0 && res.Metrics.ProxyFailed == 0 {
					t.Errorf("%d requests failed, none at a proxy", failed)
				}
			})
		}
	}
}

// TestProxyBadGateway: an origin that refuses every connection makes
// the edge's requests fail; the edge answers 502, and the clients
// report their requests failed, each once, none hanging.
func TestProxyBadGateway(t *testing.T) {
	cfg := edgeConfig(2, 3, Model{Kind: Persistent}, Model{Kind: Persistent}, 10*time.Millisecond)
	cfg.Topology.Servers[0].Server = &Server{MaxConnections: 1, KeepAliveTimeout: 60 * time.Second}
	// An idle flood holds the origin's one slot: the edge is refused.
	flood := Population{Name: "flood", Count: 1, Idle: true, Page: Page{HTML: 1}, Model: Model{Kind: Persistent}, Access: Access{RTT: time.Millisecond}}
	cfg.Clients = append([]Population{flood}, cfg.Clients...)
	cfg.Topology.Proxies[0].Hosts = nil
	cfg.Topology.Proxies[0].For = []string{"u"}
	res, w := runProxies(t, cfg, 1)
	failed := requestsOnce(t, res, 2)
	if failed != 2 || w.proxies[0].metrics.Failed != 2 {
		t.Errorf("%d client requests failed, the proxy's %d: want 2 (the HTMLs), 2", failed, w.proxies[0].metrics.Failed)
	}
}

// TestProxyBreakers: each broken middlebox as a proxy's setting
// (Server.Pipelining of the proxy's downstream side) is detected by the
// pipelining clients, which fall back, each once, and get every answer.
// The same breaker at the origin is detected by the proxy's own
// pipelining upstream side: one fallback, the proxy's. With fallback
// off the run ends (no hang of the simulator): a stall is reported as
// an error, or the requests the breaker lost are reported failed
// (out-of-order's always). A proxy's out-of-order writes each response
// as its upstream response completes: with parallel upstream
// connections and objects of falling sizes, later ones come back first.
func TestProxyBreakers(t *testing.T) {
	const n, objs = 4, breakerObjects
	for _, bc := range breakerCases {
		for _, at := range []string{"proxy", "origin"} {
			for _, off := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/at=%s/off=%v", bc.p, at, off), func(t *testing.T) {
					base := bc.config(bc.p)
					down, up := Model{Kind: Pipelined}, Model{Kind: Persistent}
					if at == "origin" {
						down, up = Model{Kind: Persistent}, Model{Kind: Pipelined}
					} else if bc.p == PipeliningOutOfOrder {
						up = Model{Kind: Parallel}
						for i := range base.Page.Objects {
							base.Page.Objects[i].Size = int64(60_000 - 2_500*i)
						}
					}
					cfg := edgeConfig(n, objs, down, up, 20*time.Millisecond)
					cfg.Clients[0].Page = base.Page
					cfg.Clients[0].Arrival = Arrival{Kind: AllAtOnce}
					cfg.PipeliningTimeout = base.PipeliningTimeout
					cfg.NoPipeliningFallback = off
					srv := base.Server
					healthy := Server{ThinkTime: srv.ThinkTime}
					if at == "proxy" {
						cfg.Topology.Proxies[0].Server = &srv
						cfg.Topology.Servers[0].Server = &healthy
					} else {
						cfg.Topology.Servers[0].Server = &srv
						cfg.Topology.Proxies[0].Server = &healthy
					}
					res := Run(cfg, 1)
					m := res.Metrics
					if off {
						if res.Err == nil {
							failed := requestsOnce(t, res, len(res.Requests))
							if bc.p == PipeliningOutOfOrder && failed == 0 {
								t.Errorf("out-of-order without fallback: no request failed")
							}
						} else if bc.p == PipeliningOutOfOrder {
							t.Errorf("out-of-order without fallback: %v, want failed requests", res.Err)
						}
						if m.PipeliningFallbacks != 0 {
							t.Errorf("%d fallbacks with fallback off", m.PipeliningFallbacks)
						}
						return
					}
					if res.Err != nil {
						t.Fatal(res.Err)
					}
					failed := requestsOnce(t, res, n*(1+objs))
					lo, hi := n, n
					switch {
					case at == "origin":
						lo, hi = 1, 1
					case bc.p == PipeliningOutOfOrder:
						lo = 1 // only the clients whose responses came back out of order see it
					}
					if m.PipeliningFallbacks < lo || m.PipeliningFallbacks > hi || failed != 0 {
						t.Errorf("%d fallbacks, %d failed: want %d..%d, 0", m.PipeliningFallbacks, failed, lo, hi)
					}
				})
			}
		}
	}
}

// TestProxyMixedProtocols: HTTP/1.1 from the clients and HTTP/2 to the
// origin, and the reverse: every request answered, the protocol of
// each hop its own (one upstream connection for every client with
// http2 upstream; the clients' HTTP/2 fanned out over the proxy's
// parallel HTTP/1.1 connections).
func TestProxyMixedProtocols(t *testing.T) {
	const n, objs = 5, 8
	cases := []struct {
		name             string
		down, up         Model
		wantDown, wantUp int // connections; -1: any
	}{
		{"h1 down, h2 up", Model{Kind: Persistent}, Model{Kind: HTTP2}, n, 1},
		{"h2 down, h1 up", Model{Kind: HTTP2}, Model{Kind: Parallel}, n, -1},
		{"h2 both", Model{Kind: HTTP2}, Model{Kind: HTTP2}, n, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := edgeConfig(n, objs, tc.down, tc.up, 30*time.Millisecond)
			cfg.Clients[0].Arrival = Arrival{Kind: AllAtOnce}
			res := runPop(t, cfg, 1)
			requestsOnce(t, res, n*(1+objs))
			m := res.Metrics
			if m.Failed != 0 || m.Connections != tc.wantDown || (tc.wantUp >= 0 && m.ProxyConnections != tc.wantUp) {
				t.Errorf("failed %d, client connections %d, proxy connections %d: want 0, %d, %d", m.Failed, m.Connections, m.ProxyConnections, tc.wantDown, tc.wantUp)
			}
			if tc.up.Kind == Parallel && (m.ProxyConnections < 2 || m.ProxyConnections > 6) {
				t.Errorf("h1 upstream: %d proxy connections, want 2..6", m.ProxyConnections)
			}
		})
	}
}

// TestProxyHTTP10: under HTTP/1.0 each hop asks for persistence itself:
// the client's Connection: keep-alive is not forwarded, the proxy sends
// its own upstream and echoes one downstream with its Keep-Alive line;
// the origin's echo and Keep-Alive stay on the upstream hop.
func TestProxyHTTP10(t *testing.T) {
	cfg := edgeConfig(1, 3, Model{Kind: Persistent}, Model{Kind: Persistent}, 10*time.Millisecond)
	cfg.HTTPVersion = "1.0"
	res := runPop(t, cfg, 1)
	requestsOnce(t, res, 4)
	via := header{"Via", "1.1 edge"}.bytes()
	ka := keepAliveHeader(Server{KeepAliveTimeout: 5 * time.Second, MaxRequests: 100}).bytes()
	m := res.Metrics
	pm := m.Proxies[0]
	const req, resp = 400, 300
	body := int64(8000 + 3*5000)
	if want := 4 * (req + via + connKeepAliveLen); pm.RequestBytes != want {
		t.Errorf("upstream request bytes %d, want %d", pm.RequestBytes, want)
	}
	if want := 4*(resp+connKeepAliveLen) + body; pm.ResponseBytes != want {
		t.Errorf("upstream response bytes %d, want %d", pm.ResponseBytes, want)
	}
	var down int64
	for _, r := range res.Requests {
		down += r.Bytes
	}
	if want := 4*(resp-ka+via+connKeepAliveLen+ka) + body; down != want {
		t.Errorf("downstream response bytes %d, want %d", down, want)
	}
	if m.Connections != 1 || m.ProxyConnections != 1 {
		t.Errorf("connections %d and %d, want 1 on each hop", m.Connections, m.ProxyConnections)
	}
}

// TestProxyDeterministic: a world of proxies, with loss on every hop,
// gives the same result, to the last field, for the same seed, and
// another one for another seed.
func TestProxyDeterministic(t *testing.T) {
	loss := [4]float64{0.02, 0.02, 0.02, 0.02}
	a, b := runPop(t, chainConfig(4, loss), 7), runPop(t, chainConfig(4, loss), 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different results:\n%+v\n%+v", a.Metrics, b.Metrics)
	}
	if c := runPop(t, chainConfig(4, loss), 8); reflect.DeepEqual(a.Metrics, c.Metrics) {
		t.Errorf("seeds 7 and 8 gave the same metrics: is loss drawn at all?")
	}
}

// TestProxyValidate: configurations a proxy cannot run are refused with
// the proxy named.
func TestProxyValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no name", func(c *Config) { c.Topology.Proxies[0].Name = "" }, "proxies[0]: a proxy needs a name"},
		{"server's name", func(c *Config) { c.Topology.Proxies[0].Name = "origin" }, `name "origin" is already a server's`},
		{"fronted twice", func(c *Config) {
			c.Topology.Proxies = append(c.Topology.Proxies, ProxySite{Name: "b", Hosts: []string{"example.com"}})
		}, `host "example.com" is already fronted by proxies[0]`},
		{"unknown population", func(c *Config) { c.Topology.Proxies[0].For = []string{"x"} }, `for: no population named "x"`},
		{"unknown upstream", func(c *Config) { c.Topology.Proxies[0].Upstream = "x" }, `upstream: no proxy named "x"`},
		{"loop", func(c *Config) {
			c.Topology.Proxies[0].Upstream = "b"
			c.Topology.Proxies = append(c.Topology.Proxies, ProxySite{Name: "b", For: []string{"u"}, Upstream: "edge"})
		}, "loops through proxy"},
		{"loop through DNS", func(c *Config) {
			c.Topology.Proxies[0].Upstream = "b"
			c.Topology.Proxies = append(c.Topology.Proxies, ProxySite{Name: "b", For: []string{"u"}})
		}, `the route of host "example.com" loops`},
		{"loss", func(c *Config) { c.Topology.Proxies[0].Link.Loss = 1 }, "link loss 1, want [0, 1)"},
		{"negative", func(c *Config) { c.Topology.Proxies[0].Server = &Server{ThinkTime: -1} }, "negative think time"},
		{"pipelined 1.0", func(c *Config) { c.HTTPVersion = "1.0"; c.Topology.Proxies[0].Model.Kind = Pipelined }, "pipelined needs http version 1.1"},
		{"no clients", func(c *Config) { c.Clients = nil }, "proxies need client populations"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := edgeConfig(1, 1, Model{Kind: Persistent}, Model{Kind: Persistent}, 0)
			c.edit(&cfg)
			res := Run(cfg, 1)
			if res.Err == nil || !strings.Contains(res.Err.Error(), c.want) {
				t.Errorf("Err = %v, want one containing %q", res.Err, c.want)
			}
		})
	}
}

// TestProxyStreaming: a streaming proxy writes a large response
// downstream as it arrives, so the two hops' transfers overlap: the
// page loads sooner than through a store-and-forward proxy, by about
// the time the body takes on the slower hop, and the first byte reaches
// the client before the last has reached the proxy. Bytes on each hop
// are the same either way.
func TestProxyStreaming(t *testing.T) {
	const size = 500_000
	run := func(store bool, up Kind) *Result {
		cfg := edgeConfig(1, 0, Model{Kind: Persistent}, Model{Kind: up}, 20*time.Millisecond)
		cfg.Clients[0].Page.HTML = size
		cfg.Clients[0].Access.Bandwidth = 10 * link.Mbps
		cfg.Topology.Servers[0].Link.Bandwidth = 10 * link.Mbps
		cfg.Topology.Proxies[0].StoreAndForward = store
		return runPop(t, cfg, 1)
	}
	transfer := time.Duration(float64(size) * 8 / 10e6 * float64(time.Second)) // 400 ms at 10 Mbit/s
	for _, up := range []Kind{Persistent, HTTP2} {
		s, f := run(false, up), run(true, up)
		gain := f.Metrics.PLT - s.Metrics.PLT
		if gain < transfer*8/10 || gain > transfer*12/10 {
			t.Errorf("%v upstream: streaming %v, store and forward %v: gain %v, want about the body's transfer time %v", up, s.Metrics.PLT, f.Metrics.PLT, gain, transfer)
		}
		if sr, fr := s.Requests[0], f.Requests[0]; !(sr.FirstByte < fr.FirstByte-transfer/2) {
			t.Errorf("%v upstream: first byte at %v streaming, %v stored: want the streamed one a transfer time sooner", up, sr.FirstByte, fr.FirstByte)
		}
		if s.Metrics.Proxies[0].ResponseBytes != f.Metrics.Proxies[0].ResponseBytes || s.Requests[0].Bytes != f.Requests[0].Bytes {
			t.Errorf("%v upstream: bytes differ between streaming and store and forward", up)
		}
	}
}

// TestProxyStreamingCut: a streaming proxy that has begun relaying a
// response whose upstream request then fails (here a POST whose
// upstream connection is reset in the middle of the body: a POST is
// never replayed) resets the downstream connection, as it cannot
// announce the failure after the header: the client reports the POST
// failed, once, and every other request answered once.
func TestProxyStreamingCut(t *testing.T) {
	for _, up := range []Kind{Persistent, HTTP2} {
		for _, down := range []Kind{Persistent, HTTP2} {
			t.Run(fmt.Sprintf("%v/%v", down, up), func(t *testing.T) {
				cfg := edgeConfig(1, 3, Model{Kind: down}, Model{Kind: up}, 20*time.Millisecond)
				cfg.Clients[0].Page.Objects[1] = Object{Size: 500_000, Method: "POST"}
				cfg.Clients[0].Access.Bandwidth = 10 * link.Mbps
				if err := cfg.Validate(); err != nil {
					t.Fatal(err)
				}
				w := build(cfg, 1)
				px := w.proxies[0]
				cut := false
				px.onArrived = func(ur *request) {
					if sr := ur.relay.sr; ur.method == "POST" && (sr.hdrOut || sr.headerSent) && !cut {
						cut = true
						tc := ur.conn.tc
						w.s.After(0, func() { tc.Abort() })
					}
				}
				w.scheduleArrivals()
				if err := w.run(); err != nil {
					t.Fatal(err)
				}
				res := w.result()
				if !cut || px.aborts != 1 {
					t.Fatalf("cut %v, %d downstream resets: want the POST cut once it had begun, one reset", cut, px.aborts)
				}
				if failed := requestsOnce(t, res, 4); failed != 1 {
					t.Errorf("%d requests failed, want 1 (the POST)", failed)
				}
				for _, r := range res.Requests {
					if r.Method == "POST" && (!r.Failed || r.Attempts != 1) {
						t.Errorf("POST: failed %v after %d attempts, want failed after 1", r.Failed, r.Attempts)
					}
				}
			})
		}
	}
}

// TestProxyIgnoresRequestsBehindItsClose: a pipelining client sends
// every object's request on its one connection to a proxy that closes
// after MaxRequests. The proxy answers the first MaxRequests, closes,
// and neither processes nor forwards what was pipelined behind them
// (RFC 9112 9.6): the client sends those again on a new connection, so
// each request is forwarded upstream exactly once and the origin
// serves each once.
func TestProxyIgnoresRequestsBehindItsClose(t *testing.T) {
	const objs, max = 9, 3
	for _, origin := range []Kind{Persistent, Pipelined} {
		t.Run(origin.String(), func(t *testing.T) {
			cfg := edgeConfig(1, objs, Model{Kind: Pipelined}, Model{Kind: origin}, 10*time.Millisecond)
			cfg.Topology.Proxies[0].Server = &Server{MaxRequests: max}
			res, w := runProxies(t, cfg, 1)
			requestsOnce(t, res, 1+objs)
			px := w.proxies[0]
			if px.metrics.Forwarded != 1+objs || px.metrics.Answered != 1+objs {
				t.Errorf("proxy forwarded %d, answered %d: want each of the %d requests once", px.metrics.Forwarded, px.metrics.Answered, 1+objs)
			}
			if got := w.sites[0].sv.served; got != 1+objs {
				t.Errorf("origin served %d responses, want %d", got, 1+objs)
			}
			// The client pipelines 1+objs requests in all; the proxy
			// answers max per connection.
			if want := (1 + objs + max - 1) / max; res.Metrics.Connections < want {
				t.Errorf("client connections %d, want at least %d", res.Metrics.Connections, want)
			}
		})
	}
}
