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
