package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// TestSmallPageRoundTrips loads a page of one HTML document (1000-byte
// body) and n objects of 1000 bytes on the fast path with round-trip time
// R, and checks the textbook costs in round trips (RTT units):
//
//   - short-lived: each request opens its own connection: 1 RTT of
//     handshake and 1 RTT of request/response, one after another (one
//     connection at a time): (2 + 2n) R. Object i ends at (2 + 2i) R.
//   - persistent: one handshake, then one RTT per request: (2 + n) R;
//     object i ends at (2 + i) R.
//   - pipelined: handshake, HTML, then all n requests in one write and all
//     responses (n·1300 <= 13000 bytes) in the first window of 10
//     segments: 3 R; every object ends at 3 R.
//   - http2: the same three round trips as pipelining: 3 R.
//
// Tolerance: the serialization bound of helpers_test.go, for the PLT and
// for every request's end time.
func TestSmallPageRoundTrips(t *testing.T) {
	models := []struct {
		kind Kind
		end  func(i, n int) float64 // end of request i (0 = HTML) in RTTs
	}{
		{ShortLived, func(i, _ int) float64 { return float64(2 + 2*i) }},
		{Persistent, func(i, _ int) float64 { return float64(2 + i) }},
		{Pipelined, func(i, _ int) float64 { return float64(min(2+i, 3)) }},
		{HTTP2, func(i, _ int) float64 { return float64(min(2+i, 3)) }},
	}
	for _, m := range models {
		for _, n := range []int{1, 2, 5, 10} {
			for _, rtt := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond} {
				t.Run(fmt.Sprintf("%v/n=%d/rtt=%v", m.kind, n, rtt), func(t *testing.T) {
					res := mustRun(t, fastConfig(m.kind, rtt, Page{HTML: 1000, Objects: objects(n, 1000)}), 1)
					slack := serialization(res, fastRate)
					rounds(t, "PLT", res.Metrics.PLT, m.end(n, n), rtt, slack)
					for _, r := range res.Requests {
						rounds(t, fmt.Sprintf("request %d end", r.Index), r.End, m.end(r.Index, n), rtt, slack)
					}
					if t.Failed() {
						t.Log(describe(res))
					}
				})
			}
		}
	}
}

// TestSlowStartRoundTrips checks page load times when responses need more
// than one window, derived from slow-start rounds.
//
// A response of b body bytes is 300+b bytes on the wire, s = ceil((300+b)
// / 1460) segments. From the initial window of 10 segments, with delayed
// ACKs (one ACK per two segments) and byte counting (cwnd += 2 MSS per
// such ACK), the window doubles each round trip while the sender fills it:
// rounds carry 10, 20, 40, ... segments, so a fresh connection needs 1
// round for s <= 10, 2 for s <= 30, 3 for s <= 70. Sizes used:
//
//	body   wire   segments  rounds (fresh window)
//	20000  20300  14        2
//	30000  30300  21        2
//	50000  50300  35        3
//	80000  80300  55        3
//
// On a persistent connection the window carries over to the next response
// (the idle gap, about R, is below the 200 ms minimum RTO, so no restart).
// How much an ACK grows the window depends on tcp's rule for "the sender
// used its window", so the cases rely only on bounds that hold under any
// such rule:
//
//   - after 14 segments, cwnd >= 14: the first two ACKs of round 1 arrive
//     with the window full (10 in flight of 10, then 10 of 12) and add 2
//     segments each. A second 14-segment response takes 1 round.
//   - after 35 segments, 30 <= cwnd <= 45: round 1 takes the window to 20
//     (every ACK arrives with the window full); in round 2 the first ACKs
//     arrive with 20, 22, 20.5, 18.5, 16.5 segments in flight, more than
//     half of a window of 20..28, so cwnd reaches at least 30; and byte
//     counting adds at most the bytes acknowledged, so cwnd <= 10 + 35. A
//     55-segment response then takes 2 rounds (more than 45, at most
//     30 + 60).
//
// Page load time = 1 RTT of handshake per connection + the rounds of each
// response in sequence (persistent, short-lived) or of the concatenated
// responses (pipelined: 3 × 20300 = 60900 bytes = 42 segments, 3 rounds;
// http2 adds frame headers, still 42 segments, 3 rounds).
func TestSlowStartRoundTrips(t *testing.T) {
	big := func(n int, size int64) []Object { return objects(n, size) }
	cases := []struct {
		name  string
		kind  Kind
		page  Page
		rtts  float64
		notes string
	}{
		{"persistent/html-2-rounds", Persistent, Page{HTML: 30000, Objects: objects(2, 1000)}, 5, "1 + 2 + 1 + 1"},
		{"persistent/html-3-rounds", Persistent, Page{HTML: 50000, Objects: objects(2, 1000)}, 6, "1 + 3 + 1 + 1"},
		{"pipelined/html-3-rounds", Pipelined, Page{HTML: 50000, Objects: objects(5, 1000)}, 5, "1 + 3 + 1"},
		{"short-lived/html-2-rounds", ShortLived, Page{HTML: 30000, Objects: objects(2, 1000)}, 7, "(1+2) + (1+1) + (1+1)"},
		{"persistent/one-2-round-object", Persistent, Page{HTML: 1000, Objects: big(1, 20000)}, 4, "1 + 1 + 2"},
		{"persistent/two-2-round-objects", Persistent, Page{HTML: 1000, Objects: big(2, 20000)}, 5, "1 + 1 + 2 + 1 (cwnd >= 14)"},
		{"persistent/one-3-round-object", Persistent, Page{HTML: 1000, Objects: big(1, 50000)}, 5, "1 + 1 + 3"},
		{"persistent/3-round-object-then-55-segments", Persistent, Page{HTML: 1000, Objects: []Object{{Size: 50000}, {Size: 80000}}}, 7, "1 + 1 + 3 + 2 (30 <= cwnd <= 45)"},
		{"short-lived/3-round-object-then-55-segments", ShortLived, Page{HTML: 1000, Objects: []Object{{Size: 50000}, {Size: 80000}}}, 10, "(1+1) + (1+3) + (1+3)"},
		{"short-lived/two-3-round-objects", ShortLived, Page{HTML: 1000, Objects: big(2, 50000)}, 10, "(1+1) + (1+3) + (1+3)"},
		{"pipelined/three-2-round-objects", Pipelined, Page{HTML: 1000, Objects: big(3, 20000)}, 5, "1 + 1 + 3 (42 segments)"},
		{"http2/three-2-round-objects", HTTP2, Page{HTML: 1000, Objects: big(3, 20000)}, 5, "1 + 1 + 3 (42 segments)"},
	}
	for _, c := range cases {
		for _, rtt := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
			t.Run(fmt.Sprintf("%s/rtt=%v", c.name, rtt), func(t *testing.T) {
				res := mustRun(t, fastConfig(c.kind, rtt, c.page), 1)
				rounds(t, "PLT ("+c.notes+")", res.Metrics.PLT, c.rtts, rtt, serialization(res, fastRate))
				if t.Failed() {
					t.Log(describe(res))
				}
			})
		}
	}
}
