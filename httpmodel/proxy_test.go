package httpmodel

import (
	"fmt"
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

func TestProxySmoke(t *testing.T) {
	cfg := edgeConfig(3, 4, Model{Kind: Persistent}, Model{Kind: Persistent}, 50*time.Millisecond)
	res := runPop(t, cfg, 1)
	requestsOnce(t, res, 15)
	m := res.Metrics
	fmt.Printf("%+v\n", m.Proxies)
	fmt.Println(m.PLT, m.Connections, m.RequestsServed, m.ClientPLTs)
}
