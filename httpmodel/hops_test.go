package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// hopChain is one client of population "u" loading a page of objs
// objects (5000 bytes each, after 8000 bytes of HTML) through a chain
// of two proxies: the forward proxy "a" (for u, upstream b) and the
// reverse proxy "b" fronting example.com in front of the origin. The
// models are the client's, a's and b's; access, originRTT and loss set
// the first hop's own RTT, the last hop's own RTT and the loss of every
// link.
func hopChain(objs int, models [3]Model, access, originRTT time.Duration, loss float64) Config {
	cfg := edgeConfig(1, objs, models[0], models[2], originRTT)
	cfg.Clients[0].Access.RTT = access
	cfg.Clients[0].Access.Loss = loss
	cfg.Topology.Servers[0].Link.Loss = loss
	cfg.Topology.Proxies = []ProxySite{
		{Name: "a", For: []string{"u"}, Upstream: "b", Model: models[1], Link: Access{RTT: 5 * time.Millisecond, Loss: loss}},
		{Name: "b", Hosts: []string{"example.com"}, Model: models[2], Link: Access{RTT: 5 * time.Millisecond, Loss: loss}},
	}
	return cfg
}

// TestHopsAddUp: the hops of a chain split each request's time: summed
// over the hops, the time on each is exactly the clients' request
// time, with and without loss, and the hops are named and ordered from
// the clients to the origin.
func TestHopsAddUp(t *testing.T) {
	persistent := Model{Kind: Persistent}
	short := Model{Kind: ShortLived}
	pipe := Model{Kind: Pipelined}
	for _, tc := range []struct {
		models [3]Model
		loss   float64
	}{
		{[3]Model{persistent, persistent, persistent}, 0},
		{[3]Model{short, persistent, short}, 0},
		{[3]Model{pipe, short, persistent}, 0},
		{[3]Model{persistent, persistent, persistent}, 0.03},
		{[3]Model{short, persistent, short}, 0.03},
		{[3]Model{pipe, short, persistent}, 0.03},
	} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%v-%v-%v/loss=%v/seed=%d", tc.models[0].Kind, tc.models[1].Kind, tc.models[2].Kind, tc.loss, seed), func(t *testing.T) {
				res, w := runProxies(t, hopChain(6, tc.models, 20*time.Millisecond, 20*time.Millisecond, tc.loss), seed)
				m := res.Metrics
				if m.Failed != 0 || m.ProxyFailed != 0 {
					t.Skipf("%d failed requests: the identity is for answered ones", m.Failed)
				}
				var want int64
				for _, r := range res.Requests {
					want += int64(r.End - r.Start)
				}
				var got int64
				for _, h := range w.hops {
					got += h.ns
				}
				if got != want {
					t.Errorf("hops hold %v in all, the client's requests %v", time.Duration(got), time.Duration(want))
				}
				hops := m.Hops
				names := []string{"clients>a", "a>b", "b>origin"}
				if len(hops) != len(names) {
					t.Fatalf("hops %+v, want %v", hops, names)
				}
				var sum time.Duration
				for i, h := range hops {
					if h.From+">"+h.To != names[i] {
						t.Errorf("hop %d is %s>%s, want %s", i+1, h.From, h.To, names[i])
					}
					if h.Requests != len(res.Requests) {
						t.Errorf("hop %s>%s: %d requests, want %d", h.From, h.To, h.Requests, len(res.Requests))
					}
					if h.Time <= 0 {
						t.Errorf("hop %s>%s: time %v", h.From, h.To, h.Time)
					}
					sum += h.Time
				}
				mean := time.Duration(want / int64(len(res.Requests)))
				if d := sum - mean; d < -3 || d > 3 { // each mean truncated to the ns
					t.Errorf("hop times add up to %v, the mean request time is %v", sum, mean)
				}
				if hops[0].Connections != m.Connections {
					t.Errorf("first hop: %d connections, the clients opened %d", hops[0].Connections, m.Connections)
				}
				for i, pm := range m.Proxies {
					if hops[i+1].Connections != pm.Connections {
						t.Errorf("hop %s>%s: %d connections, proxy %s opened %d", hops[i+1].From, hops[i+1].To, hops[i+1].Connections, pm.Name, pm.Connections)
					}
				}
			})
		}
	}
}

// TestHopsSlowHop: one request through the chain of short-lived hops
// takes two round trips on each hop (a connect and the request); an
// extra 50 ms of RTT on the clients' access link (only the first hop
// crosses it) or on the origin's link (only the last) adds 100 ms to
// that hop's time and nothing to the others'.
func TestHopsSlowHop(t *testing.T) {
	const extra = 50 * time.Millisecond
	short := Model{Kind: ShortLived}
	models := [3]Model{short, short, short}
	base, _ := runProxies(t, hopChain(0, models, 20*time.Millisecond, 20*time.Millisecond, 0), 1)
	for _, tc := range []struct {
		name           string
		access, origin time.Duration
		slow           int
	}{
		{"access", 20*time.Millisecond + extra, 20 * time.Millisecond, 0},
		{"origin", 20 * time.Millisecond, 20*time.Millisecond + extra, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := runProxies(t, hopChain(0, models, tc.access, tc.origin, 0), 1)
			for i, h := range res.Metrics.Hops {
				want := base.Metrics.Hops[i].Time
				if i == tc.slow {
					want += 2 * extra
				}
				if d := h.Time - want; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("hop %s>%s: %v, want %v (base %v)", h.From, h.To, h.Time, want, base.Metrics.Hops[i].Time)
				}
			}
		})
	}
}

// TestHopsConnections: connections per hop follow each hop's model: a
// short-lived hop opens one per request, a persistent one (one
// connection) one in all, its reuse the page's requests.
func TestHopsConnections(t *testing.T) {
	short := Model{Kind: ShortLived}
	persistent := Model{Kind: Persistent}
	const objs = 6
	for _, tc := range []struct {
		models [3]Model
		want   [3]int
	}{
		{[3]Model{short, persistent, short}, [3]int{objs + 1, 1, objs + 1}},
		{[3]Model{persistent, short, persistent}, [3]int{1, objs + 1, 1}},
	} {
		t.Run(fmt.Sprintf("%v-%v-%v", tc.models[0].Kind, tc.models[1].Kind, tc.models[2].Kind), func(t *testing.T) {
			res, _ := runProxies(t, hopChain(objs, tc.models, 20*time.Millisecond, 20*time.Millisecond, 0), 1)
			for i, h := range res.Metrics.Hops {
				if h.Connections != tc.want[i] || h.Requests != objs+1 {
					t.Errorf("hop %s>%s: %d connections, %d requests; want %d, %d", h.From, h.To, h.Connections, h.Requests, tc.want[i], objs+1)
				}
				if r := h.Reuse(); r != float64(objs+1)/float64(tc.want[i]) {
					t.Errorf("hop %s>%s: reuse %v", h.From, h.To, r)
				}
			}
		})
	}
}

// TestHopsWithoutProxies: a world without proxies keeps no hops.
func TestHopsWithoutProxies(t *testing.T) {
	cfg := edgeConfig(1, 2, Model{Kind: Persistent}, Model{Kind: Persistent}, 20*time.Millisecond)
	cfg.Topology.Proxies = nil
	res, w := runProxies(t, cfg, 1)
	if res.Metrics.Hops != nil || w.hops != nil {
		t.Errorf("hops %+v without proxies", res.Metrics.Hops)
	}
}
