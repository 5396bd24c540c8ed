package httpmodel

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
)

// TestTopologySiteServerApplies (second audit of issue 11): a site's own
// Server is the one that decides on its connections, not Config.Server.
// Eight clients arrive at once and each opens six parallel connections
// to each of two servers; the top-level Server has no limit, server "b"
// allows two connections in all (no backlog: refuse with a reset). So b
// holds at most two and refuses, a holds more than two and refuses
// none. Making buildServers ignore ServerSite.Server (every site with
// Config.Server) passed every other test.
func TestTopologySiteServerApplies(t *testing.T) {
	page := Page{HTML: 4000}
	for i := range 12 {
		page.Objects = append(page.Objects, Object{Host: []string{"", "b.example.com"}[i%2], Size: 4000})
	}
	cfg := popConfig(Population{Name: "web", Count: 8, Page: page, Model: Model{Kind: Parallel}})
	cfg.Topology = twoServers(5*time.Millisecond, "b.example.com")
	cfg.Topology.Servers[1].Server = &Server{MaxConnections: 2, Workers: 2}
	res := runPop(t, cfg, 3)
	checkConservation(t, cfg, res)
	ms := res.Metrics.Servers
	if len(ms) != 2 {
		t.Fatalf("%d server metrics, want 2", len(ms))
	}
	a, b := ms[0], ms[1]
	if b.ServerOpenMax > 2 || b.Refused == 0 || b.BusyWorkersMax != 2 {
		t.Errorf("server b (max_connections 2, workers 2): open max %d, refused %d, busy workers max %d; want at most 2 open, some refused, 2 workers busy",
			b.ServerOpenMax, b.Refused, b.BusyWorkersMax)
	}
	if a.ServerOpenMax <= 2 || a.Refused != 0 || a.BusyWorkersMax != 0 {
		t.Errorf("server a (no limits, event-driven): open max %d, refused %d, busy workers max %d; want more than 2 open, none refused, no workers",
			a.ServerOpenMax, a.Refused, a.BusyWorkersMax)
	}
}

// TestTopologySiteLinkDirections (second audit of issue 11): a site's
// Link.Bandwidth is the rate towards the clients and Link.Uplink the
// rate towards the server. One client sends a request of 100 KB
// (RequestBytes) to server b and gets a 200 KB response, over a link of
// 1 Mbit/s one way and 1 Gbit/s the other: the request takes 0.8 s to
// go up only when the slow direction is Uplink, the response 1.6 s to
// come down only when it is Bandwidth. Swapping the two directions in
// buildServers, or ignoring Uplink, passed every other test.
func TestTopologySiteLinkDirections(t *testing.T) {
	page := Page{HTML: 1000, Objects: []Object{{Host: "b.example.com", Size: 200_000}}}
	run := func(l Access) Timing {
		cfg := popConfig(Population{Name: "one", Count: 1, Page: page, Model: Model{Kind: Persistent},
			Access: Access{RTT: 10 * time.Millisecond, Bandwidth: link.Gbps}})
		cfg.Network.Bandwidth = link.Gbps
		cfg.RequestBytes = 100_000
		cfg.Topology = twoServers(0, "b.example.com")
		cfg.Topology.Servers[1].Link = l
		res := runPop(t, cfg, 1)
		for _, r := range res.Requests {
			if r.Host == "b.example.com" {
				return r
			}
		}
		t.Fatal("no request to b.example.com")
		return Timing{}
	}
	for _, tc := range []struct {
		name             string
		link             Access
		slowUp, slowDown bool
	}{
		{"slow-down", Access{RTT: 10 * time.Millisecond, Bandwidth: link.Mbps, Uplink: link.Gbps, QueueBytes: 1 << 20}, false, true},
		{"slow-up", Access{RTT: 10 * time.Millisecond, Bandwidth: link.Gbps, Uplink: link.Mbps, QueueBytes: 1 << 20}, true, false},
		{"fast", Access{RTT: 10 * time.Millisecond, Bandwidth: link.Gbps, QueueBytes: 1 << 20}, false, false},
	} {
		r := run(tc.link)
		up, down := r.FirstByte-r.Start, r.End-r.FirstByte
		if tc.slowUp != (up >= 700*time.Millisecond) || (!tc.slowUp && up > 300*time.Millisecond) {
			t.Errorf("%s: 100 KB request up and first byte back in %v; want at least 0.7 s only with a 1 Mbit/s Uplink, else under 0.3 s", tc.name, up)
		}
		if tc.slowDown != (down >= 1500*time.Millisecond) || (!tc.slowDown && down > 300*time.Millisecond) {
			t.Errorf("%s: 200 KB response received in %v; want at least 1.5 s only with a 1 Mbit/s Bandwidth, else under 0.3 s", tc.name, down)
		}
	}
}
