package httpmodel

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
)

// TestAccessLinkDirections (second audit of issue 11): a client's
// Access.Bandwidth is the rate towards it and Access.Uplink the rate
// towards the bottleneck. One client sends a 100 KB request
// (RequestBytes) and gets a 200 KB response over an access link of
// 1 Mbit/s one way and 1 Gbit/s the other: the request takes 0.8 s to
// go up only when Uplink is slow, the response 1.6 s to come down only
// when Bandwidth is. Ignoring Access.Uplink passed every other test.
func TestAccessLinkDirections(t *testing.T) {
	page := Page{HTML: 1000, Objects: []Object{{Size: 200_000}}}
	for _, tc := range []struct {
		name             string
		access           Access
		slowUp, slowDown bool
	}{
		{"slow-down", Access{RTT: 10 * time.Millisecond, Bandwidth: link.Mbps, Uplink: link.Gbps, QueueBytes: 1 << 20}, false, true},
		{"slow-up", Access{RTT: 10 * time.Millisecond, Bandwidth: link.Gbps, Uplink: link.Mbps, QueueBytes: 1 << 20}, true, false},
		{"fast", Access{RTT: 10 * time.Millisecond, Bandwidth: link.Gbps, QueueBytes: 1 << 20}, false, false},
	} {
		cfg := popConfig(Population{Name: "one", Count: 1, Page: page, Model: Model{Kind: Persistent}, Access: tc.access})
		cfg.Network.Bandwidth = link.Gbps
		cfg.RequestBytes = 100_000
		res := runPop(t, cfg, 1)
		if len(res.Requests) != 2 {
			t.Fatalf("%s: %d requests, want 2", tc.name, len(res.Requests))
		}
		r := res.Requests[1] // the object, on the warm connection
		up, down := r.FirstByte-r.SentAt, r.End-r.FirstByte
		if tc.slowUp != (up >= 700*time.Millisecond) || (!tc.slowUp && up > 300*time.Millisecond) {
			t.Errorf("%s: 100 KB request up and first byte back in %v; want at least 0.7 s only with a 1 Mbit/s Uplink, else under 0.3 s", tc.name, up)
		}
		if tc.slowDown != (down >= 1500*time.Millisecond) || (!tc.slowDown && down > 300*time.Millisecond) {
			t.Errorf("%s: 200 KB response received in %v; want at least 1.5 s only with a 1 Mbit/s Bandwidth, else under 0.3 s", tc.name, down)
		}
	}
}

// TestAccessLossBothWays (second audit of issue 11): Access.Loss drops
// packets in both directions. A client sends 30 requests of 20 KB each
// and gets 30 responses of 20 KB over an access link with 5% loss and
// a lossless bottleneck: both the server (responses lost on the way
// down) and the client (requests lost on the way up) retransmit.
// Dropping the up direction's loss passed every other test.
func TestAccessLossBothWays(t *testing.T) {
	cfg := popConfig(Population{Name: "one", Count: 1, Page: popPage(30, 20_000), Model: Model{Kind: Persistent},
		Access: Access{RTT: 10 * time.Millisecond, Bandwidth: 50 * link.Mbps, Loss: 0.05}})
	cfg.RequestBytes = 20_000
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	w := build(cfg, 4)
	w.scheduleArrivals()
	if err := w.run(); err != nil {
		t.Fatal(err)
	}
	server := w.sites[0].ep.Totals().Retransmits
	client := w.stack.Totals().Retransmits - server
	if server == 0 || client == 0 {
		t.Errorf("retransmits: server %d (loss towards the client), client %d (loss towards the server); want both > 0", server, client)
	}
	t.Logf("retransmits: server %d, client %d", server, client)
}
