package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// TestH2Coalescing checks that HTTP/2 coalesces hostnames that resolve to
// the same server onto one connection (RFC 9113 9.1.1), while each
// hostname still costs its own DNS lookup. Fast path, R = 100 ms, a
// lookup D = 30 ms, HTML and four objects of 1000 bytes:
//
//   - the HTML pays D, the handshake and its request: D + 2R. Objects on
//     the page's host go at once on c1 and end at D + 3R. The other
//     hostnames are looked up together (one more D) and their requests
//     join c1: they end at 2D + 3R. One connection in all; the first
//     request of each hostname shows DNS = D.
//   - shard hostnames (shard1.example.com, the names the sharded model
//     gives) listed on the page are ordinary hostnames to http2:
//     coalesced, one lookup each (Model.Shards on http2, which names
//     them itself, and coalescing off: coalesce_test.go).
func TestH2Coalescing(t *testing.T) {
	const rtt = 100 * time.Millisecond
	const dns = 30 * time.Millisecond
	obj := func(host string) Object { return Object{Host: host, Size: 1000} }
	cases := []struct {
		name    string
		shards  int
		objects []Object
		plt     time.Duration
		dnsRows []int // requests whose timeline has DNS = D
	}{
		{"one-hostname", 0, []Object{obj(""), obj(""), obj(""), obj("")}, dns + 3*rtt, []int{0}},
		{"three-hostnames", 0, []Object{obj(""), obj("a.example"), obj("b.example"), obj("a.example")}, 2*dns + 3*rtt, []int{0, 2, 3}},
		{"shard-hostnames", 0, []Object{obj(""), obj("shard1.example.com"), obj("shard2.example.com"), obj("shard1.example.com")}, 2*dns + 3*rtt, []int{0, 2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := fastConfig(HTTP2, rtt, Page{HTML: 1000, Objects: c.objects})
			cfg.Model.Shards = c.shards
			cfg.Network.DNS = dns
			res := mustRun(t, cfg, 1)
			slack := serialization(res, fastRate)
			within(t, "PLT", res.Metrics.PLT, c.plt, slack)
			if got := res.Metrics.Connections; got != 1 {
				t.Errorf("Connections = %d, want 1 (coalesced)", got)
			}
			for _, r := range res.Requests {
				if r.Connection != 1 {
					t.Errorf("request %d (%s) on connection %d, want 1", r.Index, r.Host, r.Connection)
				}
				if r.Index > 0 {
					want := c.objects[r.Index-1].Host
					if want == "" {
						want = "example.com"
					}
					if r.Host != want {
						t.Errorf("request %d host %q, want %q", r.Index, r.Host, want)
					}
				}
				wantDNS := time.Duration(0)
				for _, i := range c.dnsRows {
					if i == r.Index {
						wantDNS = dns
					}
				}
				if r.DNS != wantDNS {
					t.Errorf("request %d (%s): DNS = %v, want %v", r.Index, r.Host, r.DNS, wantDNS)
				}
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// h2ManyStreamsPage has more objects than one HTTP/2 connection takes
// streams (128): 128·k large objects (20000 bytes: every stream's frames
// interleave round-robin, so none of them completes for several round
// trips and no stream frees up early), then small objects (1000 bytes),
// which must go on another connection.
func h2ManyStreamsPage(bigConns, small int) Page {
	p := Page{HTML: 1000, Objects: objects(h2MaxStreams*bigConns, 20_000)}
	p.Objects = append(p.Objects, objects(small, 1000)...)
	return p
}

// TestH2UpgradeNotMultiplexed checks that the first request on an h2c
// connection (the one carrying Upgrade: h2c, sent as HTTP/1.1) goes
// alone, even while other requests wait for that connection: nothing
// else is sent on it until the 101 and the first response have come
// back (RFC 9113 3.2: streams open after the 101; the response to the
// Upgrade comes as stream 1 right behind it). Page: h2ManyStreamsPage(1, 2), two connections allowed, fast
// path, R = 100 ms. c1 takes the HTML (ends 2R), then 128 objects (all
// its streams, busy for many round trips); the two small objects wait
// and the client dials c2 at 2R. c2 is ready at 3R:
//
//   - prior knowledge: both small requests leave at 3R (preface and two
//     HEADERS frames, one write) and end at 4R.
//   - upgrade: the first leaves alone at 3R with the Upgrade headers,
//     and its 101 and response arrive at 4R; only on the 101 does the
//     second leave, ending at 5R.
func TestH2UpgradeNotMultiplexed(t *testing.T) {
	const rtt = 100 * time.Millisecond
	first, second := h2MaxStreams+1, h2MaxStreams+2 // request indexes
	cases := []struct {
		upgrade    bool
		sent, ends [2]int // rounds of the two small objects
	}{
		{false, [2]int{3, 3}, [2]int{4, 4}},
		{true, [2]int{3, 4}, [2]int{4, 5}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("upgrade=%v", c.upgrade), func(t *testing.T) {
			cfg := fastConfig(HTTP2, rtt, h2ManyStreamsPage(1, 2))
			cfg.Model = Model{Kind: HTTP2, Connections: 2, H2Upgrade: c.upgrade}
			res := mustRun(t, cfg, 1)
			slack := serialization(res, fastRate)
			for i, idx := range []int{first, second} {
				r := res.Requests[idx]
				if r.Connection != 2 {
					t.Errorf("request %d on connection %d, want 2", idx, r.Connection)
				}
				rounds(t, fmt.Sprintf("request %d sent", idx), r.SentAt, float64(c.sent[i]), rtt, slack)
				rounds(t, fmt.Sprintf("request %d end", idx), r.End, float64(c.ends[i]), rtt, slack)
			}
			if c.upgrade {
				// The 101 comes back a round trip after the Upgrade
				// left, at the earliest.
				up := res.Requests[first]
				for _, r := range res.Requests {
					if r.Connection == 2 && r.Index != first && r.SentAt < up.SentAt+rtt {
						t.Errorf("request %d sent on c2 at %v, before the 101 to the Upgrade sent at %v could arrive", r.Index, r.SentAt, up.SentAt)
					}
				}
			}
			if got := res.Metrics.Connections; got != 2 {
				t.Errorf("Connections = %d, want 2", got)
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// TestH2ConnectionLimit checks that http2 honours Model.Connections, and
// opens at once as many connections as the waiting streams need (128 a
// connection). Page: h2ManyStreamsPage(2, 4): 256 large objects and 4
// small ones, fast path, R = 100 ms. At 2R c1 takes 128 streams; 132
// requests wait, which need two more connections:
//
//   - limit 1 (the default): everything on c1.
//   - limit 2: c2 (dialled at 2R) takes 128 at 3R; the 4 small ones wait
//     for a stream to free up: 2 connections.
//   - limit 3 and 6: c2 and c3 are dialled together at 2R; at 3R c2 takes
//     128 and c3 the 4 small ones, which end at 4R: 3 connections (the
//     limit 6 is not reached: nothing more waits).
func TestH2ConnectionLimit(t *testing.T) {
	const rtt = 100 * time.Millisecond
	cases := []struct {
		limit, conns int
		smallOnC3    bool
	}{
		{0, 1, false},
		{2, 2, false},
		{3, 3, true},
		{6, 3, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("connections=%d", c.limit), func(t *testing.T) {
			cfg := fastConfig(HTTP2, rtt, h2ManyStreamsPage(2, 4))
			cfg.Model.Connections = c.limit
			res := mustRun(t, cfg, 1)
			if got := res.Metrics.Connections; got != c.conns {
				t.Errorf("Connections = %d, want %d", got, c.conns)
			}
			slack := serialization(res, fastRate)
			for _, r := range res.Requests {
				if r.Connection > c.conns {
					t.Errorf("request %d on connection %d, want at most %d", r.Index, r.Connection, c.conns)
				}
				if c.smallOnC3 && r.Index > 2*h2MaxStreams {
					if r.Connection != 3 {
						t.Errorf("small request %d on connection %d, want 3", r.Index, r.Connection)
					}
					rounds(t, fmt.Sprintf("small request %d sent", r.Index), r.SentAt, 3, rtt, slack)
					rounds(t, fmt.Sprintf("small request %d end", r.Index), r.End, 4, rtt, slack)
				}
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}
