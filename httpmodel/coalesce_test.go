package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// TestCoalesceRoundTrips checks HTTP/2 connection coalescing (RFC 9113
// 9.1.1) on and off against round-trip arithmetic, for a site sharded
// over n hostnames (Model.Shards on http2: the page host's objects
// round-robin over example.com, shard1.example.com, ...). Fast path,
// R = 100 ms, a lookup D = 30 ms, HTML of 1000 bytes and 16 objects of
// 100 bytes (all 16 responses fit one initial window):
//
//   - the HTML pays D, the handshake and its request: D + 2R on c1;
//     the objects of the page's host go on c1 at once and end at D + 3R.
//   - coalescing on: the shard hostnames are looked up together (one
//     more D) and their requests join c1: PLT 2D + 3R (D + 3R with one
//     hostname), one connection, one handshake (R).
//   - coalescing off: each shard hostname, once looked up, dials its own
//     connection (R) before its requests go (R): PLT 2D + 4R, n
//     connections, n handshakes (nR), every request on its hostname's
//     connection and every hostname on a connection of its own.
func TestCoalesceRoundTrips(t *testing.T) {
	const rtt = 100 * time.Millisecond
	const dns = 30 * time.Millisecond
	for _, c := range []struct {
		shards   int
		coalesce bool
		plt      time.Duration
		conns    int
	}{
		{1, true, dns + 3*rtt, 1},
		{1, false, dns + 3*rtt, 1},
		{2, true, 2*dns + 3*rtt, 1},
		{2, false, 2*dns + 4*rtt, 2},
		{4, true, 2*dns + 3*rtt, 1},
		{4, false, 2*dns + 4*rtt, 4},
		{8, true, 2*dns + 3*rtt, 1},
		{8, false, 2*dns + 4*rtt, 8},
	} {
		t.Run(fmt.Sprintf("shards=%d/coalesce=%v", c.shards, c.coalesce), func(t *testing.T) {
			cfg := fastConfig(HTTP2, rtt, Page{HTML: 1000, Objects: objects(16, 100)})
			cfg.Model.Shards = c.shards
			cfg.Model.NoCoalesce = !c.coalesce
			cfg.Network.DNS = dns
			res := mustRun(t, cfg, 1)
			within(t, "PLT", res.Metrics.PLT, c.plt, serialization(res, fastRate))
			if got := res.Metrics.Connections; got != c.conns {
				t.Errorf("Connections = %d, want %d", got, c.conns)
			}
			// One TCP handshake (one round trip) per connection.
			if got, want := res.Metrics.Handshakes, time.Duration(c.conns)*rtt; got < want || got > want+time.Duration(c.conns)*serialization(res, fastRate) {
				t.Errorf("Handshakes = %v, want %d×R = %v", got, c.conns, want)
			}
			hostConn := map[string]int{}
			connHost := map[int]string{}
			for _, r := range res.Requests {
				if r.Index > 0 {
					want := "example.com"
					if s := (r.Index - 1) % c.shards; s > 0 {
						want = fmt.Sprintf("shard%d.example.com", s)
					}
					if r.Host != want {
						t.Errorf("request %d: host %q, want %q", r.Index, r.Host, want)
					}
				}
				if c.coalesce && r.Connection != 1 {
					t.Errorf("request %d (%s) on connection %d, want 1 (coalesced)", r.Index, r.Host, r.Connection)
				}
				if k, ok := hostConn[r.Host]; ok && k != r.Connection {
					t.Errorf("request %d (%s) on connection %d, its host's other requests on %d", r.Index, r.Host, r.Connection, k)
				}
				hostConn[r.Host] = r.Connection
				if h, ok := connHost[r.Connection]; ok && h != r.Host && !c.coalesce {
					t.Errorf("connection %d carries %s and %s: without coalescing a connection serves one hostname", r.Connection, h, r.Host)
				}
				connHost[r.Connection] = r.Host
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// TestNoCoalesceSlowStart checks that without coalescing each shard
// hostname's connection starts from the initial window: one object of
// 15000 bytes per hostname (with its 300 header bytes, 11 segments: one
// more than the initial window of 10) takes two round trips after its
// request is sent. Fast path, R = 100 ms, D = 30 ms, n hostnames: the
// shard connections are dialled at 2D + 2R (after the HTML and their
// lookups), ready at 2D + 3R, and their responses end at 2D + 5R.
// Coalesced, the same page is one connection whose window the HTML has
// already opened: no handshake after the first, and fewer round trips.
func TestNoCoalesceSlowStart(t *testing.T) {
	const rtt = 100 * time.Millisecond
	const dns = 30 * time.Millisecond
	for _, n := range []int{2, 4} {
		t.Run(fmt.Sprintf("shards=%d", n), func(t *testing.T) {
			cfg := fastConfig(HTTP2, rtt, Page{HTML: 1000, Objects: objects(n, 15000)})
			cfg.Model.Shards = n
			cfg.Model.NoCoalesce = true
			cfg.Network.DNS = dns
			res := mustRun(t, cfg, 1)
			within(t, "PLT", res.Metrics.PLT, 2*dns+5*rtt, serialization(res, fastRate))
			for _, r := range res.Requests {
				if r.Index < 2 {
					continue // the HTML and the page host's object, on c1
				}
				within(t, fmt.Sprintf("request %d (%s) end", r.Index, r.Host), r.End, 2*dns+5*rtt, serialization(res, fastRate))
			}
			cfg.Model.NoCoalesce = false
			co := mustRun(t, cfg, 1)
			if co.Metrics.PLT >= res.Metrics.PLT {
				t.Errorf("coalesced PLT %v, want below %v (one connection, its window open)", co.Metrics.PLT, res.Metrics.PLT)
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}
