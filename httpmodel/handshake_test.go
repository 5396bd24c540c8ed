package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// TestTLSRoundTrips checks that TLS adds its handshake round trips to
// every new connection: TLS 1.3 one (ClientHello -> server flight; the
// client's Finished leaves with the first request), TLS 1.2 two (then
// ClientKeyExchange..Finished -> Finished). The server flight (4000 bytes,
// 3 segments) fits the initial window. Page: HTML and two objects of 1000
// bytes on the fast path; t = 0, 1, 2 extra RTTs per connection:
//
//   - short-lived: three connections of (1 + t + 1) R each: (2 + t)·3 R.
//   - persistent: one connection: (1 + t) + 1 + 2 = (4 + t) R.
//   - http2 (ALPN, no extra round trip): (1 + t) + 1 + 1 = (3 + t) R.
//
// The first request on each connection carries the handshakes in its
// timeline: Connect = R, TLS = t·R. Metrics.Handshakes sums (1 + t) R over
// the connections.
func TestTLSRoundTrips(t *testing.T) {
	const rtt = 100 * time.Millisecond
	for _, tl := range []struct {
		tls   TLS
		extra int
	}{{NoTLS, 0}, {TLS13, 1}, {TLS12, 2}} {
		for _, m := range []struct {
			kind  Kind
			conns int
			plt   func(x int) int
		}{
			{ShortLived, 3, func(x int) int { return 3 * (2 + x) }},
			{Persistent, 1, func(x int) int { return 4 + x }},
			{HTTP2, 1, func(x int) int { return 3 + x }},
		} {
			t.Run(fmt.Sprintf("tls=%d/%v", tl.tls, m.kind), func(t *testing.T) {
				cfg := fastConfig(m.kind, rtt, Page{HTML: 1000, Objects: objects(2, 1000)})
				cfg.TLS = tl.tls
				res := mustRun(t, cfg, 1)
				slack := serialization(res, fastRate)
				rounds(t, "PLT", res.Metrics.PLT, float64(m.plt(tl.extra)), rtt, slack)
				if got := res.Metrics.Connections; got != m.conns {
					t.Errorf("Connections = %d, want %d", got, m.conns)
				}
				rounds(t, "Handshakes", res.Metrics.Handshakes, float64(m.conns*(1+tl.extra)), rtt, slack)
				firsts := 0
				for _, r := range res.Requests {
					if r.Connect == 0 {
						continue // not the first on its connection
					}
					firsts++
					rounds(t, fmt.Sprintf("request %d Connect", r.Index), r.Connect, 1, rtt, slack)
					rounds(t, fmt.Sprintf("request %d TLS", r.Index), r.TLS, float64(tl.extra), rtt, slack)
				}
				if firsts != m.conns {
					t.Errorf("%d requests with a Connect phase, want one per connection (%d)", firsts, m.conns)
				}
				if t.Failed() {
					t.Log(describe(res))
				}
			})
		}
	}
}

// TestDNSOncePerHostname checks that a lookup (Network.DNS = D = 30 ms, no
// packets) is paid once per hostname: R = 100 ms, objects of 1000 bytes.
//
//   - persistent, 2 visits with no pause: the first visit pays D before
//     its connection: D + 1 + 1 + 2 = D + 4R; the second reuses the
//     answer and the connection: 3R. The HTML's timeline shows DNS = D in
//     the first visit, 0 in the second.
//   - short-lived: three connections, one lookup: D + 6R.
//   - sharded (3 shards), one object per hostname: the HTML (D + 2R), then
//     the object on the page's host on c1 (1R: D + 3R); the other two
//     hostnames are looked up at the same time, in parallel (D), then
//     connect (1R) and fetch (1R): PLT = 2D + 4R, not 3D + 4R. Their first
//     requests show DNS = D and were sent at the same instant.
func TestDNSOncePerHostname(t *testing.T) {
	const rtt = 100 * time.Millisecond
	const dns = 30 * time.Millisecond
	cases := []struct {
		name    string
		model   Model
		visits  int
		n       int
		plt     time.Duration
		revisit time.Duration
		dnsRows []int // requests whose timeline has DNS = D
	}{
		{"persistent/two-visits", Model{Kind: Persistent}, 2, 2, dns + 4*rtt, 3 * rtt, []int{0}},
		{"short-lived", Model{Kind: ShortLived}, 1, 2, dns + 6*rtt, -1, []int{0}},
		{"sharded-3", Model{Kind: Sharded, Shards: 3}, 1, 3, 2*dns + 4*rtt, -1, []int{0, 2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := fastConfig(c.model.Kind, rtt, Page{HTML: 1000, Objects: objects(c.n, 1000)})
			cfg.Model = c.model
			cfg.Network.DNS = dns
			cfg.Visits = c.visits
			res := mustRun(t, cfg, 1)
			slack := serialization(res, fastRate)
			rounds(t, "PLT", res.Metrics.PLT, float64(c.plt)/float64(rtt), rtt, slack)
			if c.revisit >= 0 {
				rounds(t, "revisit PLT", res.Metrics.RevisitPLT, float64(c.revisit)/float64(rtt), rtt, slack)
			}
			for _, r := range res.Requests {
				want := time.Duration(0)
				for _, i := range c.dnsRows {
					if i == r.Index {
						want = dns
					}
				}
				if r.DNS != want {
					t.Errorf("request %d (%s, visit %d): DNS = %v, want %v", r.Index, r.Host, r.Visit, r.DNS, want)
				}
			}
			if c.model.Kind == Sharded {
				if a, b := res.Requests[2].SentAt, res.Requests[3].SentAt; a-b > slack || b-a > slack {
					t.Errorf("shard requests sent at %v and %v, want the same instant (parallel lookups)", a, b)
				}
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// TestH2Upgrade checks HTTP/2 started by an HTTP/1.1 Upgrade (h2c, no
// TLS): the first request goes alone as HTTP/1.1 with the Upgrade headers
// and cannot be multiplexed; the server answers 101 Switching Protocols
// and then the response on stream 1; streams for the other requests open
// only after the 101. Page: HTML and three objects of 1000 bytes on the
// fast path, R = 100 ms.
//
// The HTML request (HTTP/1.1 with Upgrade headers, or with prior knowledge
// a HEADERS frame after the preface) leaves at 1R (after the handshake) on c1; the 101
// arrives with its response at 2R; the three objects are sent together at
// that instant on c1 (multiplexed, one write) and end at 3R: the upgrade
// costs bytes, not round trips, against prior knowledge (also 3R).
func TestH2Upgrade(t *testing.T) {
	const rtt = 100 * time.Millisecond
	page := Page{HTML: 1000, Objects: objects(3, 1000)}
	for _, upgrade := range []bool{false, true} {
		t.Run(fmt.Sprintf("upgrade=%v", upgrade), func(t *testing.T) {
			cfg := fastConfig(HTTP2, rtt, page)
			cfg.Model.H2Upgrade = upgrade
			res := mustRun(t, cfg, 1)
			slack := serialization(res, fastRate)
			rounds(t, "PLT", res.Metrics.PLT, 3, rtt, slack)
			html := res.Requests[0]
			rounds(t, "HTML sent", html.SentAt, 1, rtt, slack)
			// The Send phase is the request's serialization time (one
			// segment, 40 bytes of TCP/IP header): an HTTP/1.1 request
			// with Upgrade headers, or a first HEADERS frame (9-byte
			// frame header, uncompressed header block).
			reqBytes := int64(9 + 400)
			if upgrade {
				reqBytes = 400 + upgradeExtraReq
			}
			if want := fastRate.TxTime(reqBytes + 40); html.Send != want {
				t.Errorf("HTML Send = %v, want %v (%d request bytes)", html.Send, want, reqBytes)
			}
			for _, r := range res.Requests[1:] {
				if r.Connection != 1 {
					t.Errorf("object %d on connection %d, want 1", r.Index, r.Connection)
				}
				if r.SentAt < html.FirstByte {
					t.Errorf("object %d sent at %v, before the HTML's response (and the 101) began to arrive at %v", r.Index, r.SentAt, html.FirstByte)
				}
				if r.SentAt != res.Requests[1].SentAt {
					t.Errorf("object %d sent at %v, want with object 1 at %v (one write)", r.Index, r.SentAt, res.Requests[1].SentAt)
				}
				rounds(t, fmt.Sprintf("object %d end", r.Index), r.End, 3, rtt, slack)
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// TestHandshakeIsNotIdle checks that a TLS handshake longer than the
// server's keep-alive timeout does not make the server close the new
// connection: the timeout bounds idleness, and each handshake message
// restarts it. R = 400 ms, keep-alive 500 ms, TLS 1.2 (the request reaches
// the server 1R after the client's last handshake message, 2R after the
// handshake began): persistent, HTML and two objects: (1 + 2) + 1 + 2 =
// 6R on one connection, nothing refused or replayed.
func TestHandshakeIsNotIdle(t *testing.T) {
	const rtt = 400 * time.Millisecond
	for _, tls := range []TLS{TLS13, TLS12} {
		t.Run(fmt.Sprintf("tls=%d", tls), func(t *testing.T) {
			cfg := fastConfig(Persistent, rtt, Page{HTML: 1000, Objects: objects(2, 1000)})
			cfg.TLS = tls
			cfg.Server.KeepAliveTimeout = 500 * time.Millisecond
			res := mustRun(t, cfg, 1)
			extra := map[TLS]float64{TLS13: 1, TLS12: 2}[tls]
			rounds(t, "PLT", res.Metrics.PLT, 4+extra, rtt, serialization(res, fastRate))
			if m := res.Metrics; m.Connections != 1 || m.Refused != 0 || m.Replayed != 0 {
				t.Errorf("Connections = %d, Refused = %d, Replayed = %d; want 1, 0, 0", m.Connections, m.Refused, m.Replayed)
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}
