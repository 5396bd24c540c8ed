package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// twoPaths is the audit's world of issue 12: population "office" (n
// clients) through the forward proxy "fp" chained to the reverse proxy
// "edge", population "home" (n clients) straight to DNS, which answers
// with the same edge; the edge fronts example.com for the origin. Every
// model is persistent (one connection per hostname), so the edge's
// upstream pool is one connection shared by all clients of both
// populations.
func twoPaths(n int) Config {
	cfg := edgeConfig(n, 4, Model{Kind: Persistent}, Model{Kind: Persistent}, 30*time.Millisecond)
	office := cfg.Clients[0]
	office.Name = "office"
	home := cfg.Clients[0]
	home.Name = "home"
	home.Access.RTT = 40 * time.Millisecond
	cfg.Clients = []Population{office, home}
	cfg.Topology.Proxies = []ProxySite{
		{Name: "fp", For: []string{"office"}, Upstream: "edge", Model: Model{Kind: Persistent}, Link: Access{RTT: 5 * time.Millisecond}},
		{Name: "edge", Hosts: []string{"example.com"}, Model: Model{Kind: Persistent}, Link: Access{RTT: 3 * time.Millisecond}},
	}
	return cfg
}

// TestHopsTwoPaths (audit): with two populations on different paths,
// the hops are clients>fp, clients>edge (depth 0, in the order of
// proxies:), fp>edge, edge>origin; each population's requests are on
// its own first hop, the office's on fp>edge, all on edge>origin; the
// first hops' connections are the clients', each proxy's upstream hop
// its own connections; the edge's upstream pool is shared by every
// client: one connection for all requests (reuse = the requests); and
// the hop times, summed over requests, are the clients' request times.
func TestHopsTwoPaths(t *testing.T) {
	const n = 3
	for seed := uint64(1); seed <= 2; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			res, w := runProxies(t, twoPaths(n), seed)
			m := res.Metrics
			if m.Failed != 0 {
				t.Fatalf("%d failed", m.Failed)
			}
			perPop := len(res.Requests) / 2
			all := len(res.Requests)
			want := []struct {
				name        string
				requests    int
				connections int
			}{
				{"clients>fp", perPop, -1},
				{"clients>edge", perPop, -1},
				{"fp>edge", perPop, m.Proxies[0].Connections},
				{"edge>origin", all, 1},
			}
			hops := m.Hops
			if len(hops) != len(want) {
				t.Fatalf("hops %+v", hops)
			}
			conns := 0
			for i, h := range hops {
				wt := want[i]
				if h.From+">"+h.To != wt.name {
					t.Errorf("hop %d is %s>%s, want %s", i+1, h.From, h.To, wt.name)
				}
				if h.Requests != wt.requests {
					t.Errorf("hop %s: %d requests, want %d", wt.name, h.Requests, wt.requests)
				}
				if wt.connections >= 0 && h.Connections != wt.connections {
					t.Errorf("hop %s: %d connections, want %d", wt.name, h.Connections, wt.connections)
				}
				if i < 2 {
					conns += h.Connections
					if h.Connections != n {
						t.Errorf("hop %s: %d connections, want one per client, %d", wt.name, h.Connections, n)
					}
				}
			}
			if conns != m.Connections {
				t.Errorf("first hops: %d connections, the clients opened %d", conns, m.Connections)
			}
			if e := m.Proxies[1].Connections; hops[3].Connections != e {
				t.Errorf("edge>origin: %d connections, the edge opened %d", hops[3].Connections, e)
			}
			if r := hops[3].Reuse(); r != float64(all) {
				t.Errorf("edge>origin reuse %v, want %d (one shared connection)", r, all)
			}
			var reqNS, hopNS int64
			for _, r := range res.Requests {
				reqNS += int64(r.End - r.Start)
			}
			for _, h := range w.hops {
				hopNS += h.ns
			}
			if reqNS != hopNS {
				t.Errorf("hops hold %v, the requests took %v", time.Duration(hopNS), time.Duration(reqNS))
			}
		})
	}
}

// TestHops502 (audit): a request a proxy answered 502 counts whole on
// the hops up to that proxy and on none after (HopMetrics): the origin
// refuses every connection (an idle flood holds its one slot), so the
// last proxy's upstream requests fail and it answers 502, which the
// proxies before it relay. The hops before the failing one hold every
// such request, their times adding up to the clients' request times;
// the failing hop holds none. For one proxy and for a chain, over
// HTTP/1.1 and HTTP/2 from the clients.
func TestHops502(t *testing.T) {
	for _, chain := range []bool{false, true} {
		for _, down := range []Model{{Kind: Persistent}, {Kind: HTTP2}} {
			t.Run(fmt.Sprintf("chain=%v/%v", chain, down.Kind), func(t *testing.T) {
				cfg := edgeConfig(2, 3, down, Model{Kind: Persistent}, 10*time.Millisecond)
				cfg.Topology.Servers[0].Server = &Server{MaxConnections: 1, KeepAliveTimeout: 60 * time.Second}
				flood := Population{Name: "flood", Count: 1, Idle: true, Page: Page{HTML: 1}, Model: Model{Kind: Persistent}, Access: Access{RTT: time.Millisecond}}
				cfg.Clients = append([]Population{flood}, cfg.Clients...)
				names := []string{"clients>edge", "clients>origin", "edge>origin"}
				cfg.Topology.Proxies[0].Hosts = nil
				cfg.Topology.Proxies[0].For = []string{"u"}
				if chain {
					cfg.Topology.Proxies[0].Upstream = "last"
					cfg.Topology.Proxies = append(cfg.Topology.Proxies, ProxySite{Name: "last", Model: Model{Kind: Persistent}, Link: Access{RTT: 5 * time.Millisecond}})
					names = []string{"clients>edge", "clients>origin", "edge>last", "last>origin"}
				}
				res, w := runProxies(t, cfg, 1)
				failed := requestsOnce(t, res, 2)
				if failed == 0 {
					t.Fatal("no request failed")
				}
				var reqNS int64
				for _, r := range res.Requests {
					if r.Failed {
						reqNS += int64(r.End - r.Start)
					}
				}
				hops := res.Metrics.Hops
				if len(hops) != len(names) {
					t.Fatalf("hops %+v, want %v", hops, names)
				}
				var hopNS int64
				for i, h := range hops {
					if h.From+">"+h.To != names[i] {
						t.Errorf("hop %d is %s>%s, want %s", i+1, h.From, h.To, names[i])
					}
					want := failed // the 502s, relayed back
					switch {
					case h.From == "clients" && h.To == "origin":
						want = 0 // the idle flood asks nothing
					case h.To == "origin":
						want = 0 // the failing hop
					}
					if h.Requests != want {
						t.Errorf("hop %s>%s: %d requests, want %d", h.From, h.To, h.Requests, want)
					}
					if h.To != "origin" {
						hopNS += int64(h.Time) * int64(h.Requests)
					}
				}
				var accNS int64
				for _, h := range w.hops {
					accNS += h.ns
				}
				if accNS != reqNS {
					t.Errorf("hops hold %v, the 502'd requests took %v", time.Duration(accNS), time.Duration(reqNS))
				}
				if d := hopNS - reqNS; d < -10 || d > 10 {
					t.Errorf("hop means x requests %v, the 502'd requests took %v", time.Duration(hopNS), time.Duration(reqNS))
				}
			})
		}
	}
}

// TestHopsReplays (audit): requests replayed on a hop (pipelined ones
// behind an origin that closes after two responses, and the clients'
// behind a proxy that does, both idempotent GETs) count once on each
// hop, and the hop times still add up to the clients' request times:
// a replay's time falls on the hop it was replayed on.
func TestHopsReplays(t *testing.T) {
	pipe := Model{Kind: Pipelined}
	for _, at := range []string{"proxy", "origin"} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/%d", at, seed), func(t *testing.T) {
				cfg := hopChain(8, [3]Model{pipe, pipe, pipe}, 20*time.Millisecond, 20*time.Millisecond, 0)
				closing := &Server{MaxRequests: 2, KeepAliveTimeout: 60 * time.Second}
				if at == "origin" {
					cfg.Topology.Servers[0].Server = closing
				} else {
					cfg.Topology.Proxies[1].Server = closing
				}
				res, w := runProxies(t, cfg, seed)
				m := res.Metrics
				if m.Failed != 0 {
					t.Fatalf("%d failed", m.Failed)
				}
				if m.Replayed == 0 {
					t.Fatal("no replay: the test does not test")
				}
				var want, got int64
				for _, r := range res.Requests {
					want += int64(r.End - r.Start)
				}
				for _, h := range w.hops {
					got += h.ns
				}
				if got != want {
					t.Errorf("hops hold %v, the requests took %v (%d replays)", time.Duration(got), time.Duration(want), m.Replayed)
				}
				for _, h := range m.Hops {
					if h.Requests != len(res.Requests) {
						t.Errorf("hop %s>%s: %d requests, want %d (a replay once)", h.From, h.To, h.Requests, len(res.Requests))
					}
				}
			})
		}
	}
}

// TestHopsLoss (audit): with heavy loss on every link of a chain, some
// requests replayed or failed, no hop counts a request twice or one
// that did not cross the hops before it (requests fall, or stay, from
// the clients outward), and the hops hold at least the answered
// requests' times and at most every request's (502s count, other
// failures do not).
func TestHopsLoss(t *testing.T) {
	short, persistent, pipe := Model{Kind: ShortLived}, Model{Kind: Persistent}, Model{Kind: Pipelined}
	for _, models := range [][3]Model{{persistent, persistent, persistent}, {pipe, short, pipe}, {short, pipe, persistent}} {
		for seed := uint64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("%v-%v-%v/%d", models[0].Kind, models[1].Kind, models[2].Kind, seed), func(t *testing.T) {
				res, w := runProxies(t, hopChain(8, models, 20*time.Millisecond, 20*time.Millisecond, 0.08), seed)
				var all, answered int64
				for _, r := range res.Requests {
					all += int64(r.End - r.Start)
					if !r.Failed {
						answered += int64(r.End - r.Start)
					}
				}
				var got int64
				for _, h := range w.hops {
					got += h.ns
				}
				if got < answered || got > all {
					t.Errorf("hops hold %v; answered requests took %v, all %v", time.Duration(got), time.Duration(answered), time.Duration(all))
				}
				prev := len(res.Requests)
				for _, h := range res.Metrics.Hops {
					if h.Requests > prev {
						t.Errorf("hop %s>%s: %d requests, more than the %d of the hop before", h.From, h.To, h.Requests, prev)
					}
					prev = h.Requests
				}
			})
		}
	}
}
