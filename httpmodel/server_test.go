package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// TestThinkTime checks that every response waits the server's think time
// T (Server.ThinkTime) after its request arrived, and that requests that
// arrive together are worked on concurrently. Fast path, R = 100 ms, HTML
// and two objects of 1000 bytes, T = 0 and 30 ms. The page load is a
// chain of round trips and think times:
//
//   - short-lived: three connections in turn, each a handshake and a
//     request: 3·(2R + T) = 6R + 3T.
//   - persistent: a handshake, then three requests in turn: 4R + 3T;
//     request i (0 = HTML) ends at (2 + i) R + (1 + i) T.
//   - pipelined and http2: the HTML (2R + T), then both objects in one
//     round, thought about together: 3R + 2T (3R + 3T if the server
//     worked on them one after the other).
//   - parallel: the HTML on c1 (2R + T); #1 goes at once on c1, #2 waits
//     and c2 is dialled: its handshake completes at 3R + T, before c1's
//     response, and it carries #2: 4R + 2T (without think time c1 frees
//     first and takes #2: 4R as well).
func TestThinkTime(t *testing.T) {
	const rtt = 100 * time.Millisecond
	cases := []struct {
		kind   Kind
		rounds time.Duration // PLT = rounds·R + thinks·T
		thinks time.Duration
	}{
		{ShortLived, 6, 3},
		{Persistent, 4, 3},
		{Pipelined, 3, 2},
		{HTTP2, 3, 2},
		{Parallel, 4, 2},
	}
	for _, c := range cases {
		for _, think := range []time.Duration{0, 30 * time.Millisecond} {
			t.Run(fmt.Sprintf("%v/think=%v", c.kind, think), func(t *testing.T) {
				cfg := fastConfig(c.kind, rtt, Page{HTML: 1000, Objects: objects(2, 1000)})
				cfg.Server.ThinkTime = think
				res := mustRun(t, cfg, 1)
				slack := serialization(res, fastRate)
				within(t, "PLT", res.Metrics.PLT, c.rounds*rtt+c.thinks*think, slack)
				if c.kind == Persistent {
					for _, r := range res.Requests {
						i := time.Duration(r.Index)
						within(t, fmt.Sprintf("request %d end", r.Index), r.End, (2+i)*rtt+(1+i)*think, slack)
					}
				}
				if t.Failed() {
					t.Log(describe(res))
				}
			})
		}
	}
}

// TestServerConnSeconds checks Metrics.ServerConnS, the integral of the
// server's open connections over the run, which runs on after the page
// loads until the server has closed its idle connections. A server
// connection counts from its SYN's arrival (R/2 after the dial) to the end
// of the closing handshake. Fast path, R = 100 ms, keep-alive KA = 1 s,
// HTML and two objects of 1000 bytes:
//
//   - keep-alive, one connection: the last response leaves the server R/2
//     before the page load ends at P; the server closes KA later, and the
//     closing handshake (its FIN to the client, the client's FIN back)
//     takes R: P - R/2 + KA + R - R/2 = P + KA. Persistent P = 4R,
//     pipelined and http2 3R.
//   - short-lived: three connections in turn, each open from its SYN's
//     arrival (R/2) through its request (1.5R: the response leaves with
//     the FIN) to the client's FIN (2.5R): 3 · 2R.
//   - parallel: c1 as persistent (4R + KA); c2, dialled at 2R for #2 but
//     left unused (c1 took #2), is open from 2.5R and waits for a first
//     request from the end of its handshake at the server (3.5R): a wait
//     servers time apart from keep-alive, here the default 5 s (clientWait,
//     which a 1 s keep-alive does not shorten), then R of closing:
//     2R + 5 s. In all 6R + KA + 5 s.
//   - persistent, two visits back to back: one connection for both
//     (4R + 3R) + KA.
//   - HTTP/1.0: the same figures, short-lived closing after each response
//     without being asked to, persistent kept by Connection: keep-alive.
//   - persistent with the run cut at MaxSimTime = 2 s, before the
//     keep-alive timeout (5 s) closes the connection: it counts until the
//     cut, 2 s - R/2.
func TestServerConnSeconds(t *testing.T) {
	const rtt = 100 * time.Millisecond
	const ka = time.Second
	cases := []struct {
		name    string
		kind    Kind
		version string
		visits  int
		ka      time.Duration // 0 = 1 s
		maxSim  time.Duration
		conns   int
		want    time.Duration
	}{
		{"persistent", Persistent, "", 1, 0, 0, 1, 4*rtt + ka},
		{"pipelined", Pipelined, "", 1, 0, 0, 1, 3*rtt + ka},
		{"http2", HTTP2, "", 1, 0, 0, 1, 3*rtt + ka},
		{"short-lived", ShortLived, "", 1, 0, 0, 3, 3 * 2 * rtt},
		{"parallel", Parallel, "", 1, 0, 0, 2, 6*rtt + ka + defaultKeepAlive},
		{"persistent/two-visits", Persistent, "", 2, 0, 0, 1, 7*rtt + ka},
		{"persistent/http1.0", Persistent, "1.0", 1, 0, 0, 1, 4*rtt + ka},
		{"short-lived/http1.0", ShortLived, "1.0", 1, 0, 0, 3, 3 * 2 * rtt},
		{"persistent/cut-by-max-sim-time", Persistent, "", 1, 5 * time.Second, 2 * time.Second, 1, 2*time.Second - rtt/2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := fastConfig(c.kind, rtt, Page{HTML: 1000, Objects: objects(2, 1000)})
			cfg.HTTPVersion = c.version
			cfg.Visits = c.visits
			cfg.Server.KeepAliveTimeout = ka
			if c.ka > 0 {
				cfg.Server.KeepAliveTimeout = c.ka
			}
			cfg.MaxSimTime = c.maxSim
			res := mustRun(t, cfg, 1)
			m := res.Metrics
			if m.Connections != c.conns {
				t.Errorf("Connections = %d, want %d", m.Connections, c.conns)
			}
			// Each connection's two ends may each lag by up to the
			// serialization bound.
			slack := time.Duration(2*c.conns) * serialization(res, fastRate)
			want := c.want.Seconds()
			if d := m.ServerConnS - want; d < -slack.Seconds() || d > slack.Seconds() {
				t.Errorf("ServerConnS = %.6f s, want %.6f s (± %v)", m.ServerConnS, want, slack)
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// TestNonIdempotentNotReplayed checks RFC 9112 9.3.1: a request lost with
// its connection is replayed only if it is idempotent. Persistent, fast
// path, R = 100 ms, keep-alive KA = 75 ms (shorter than the round trip
// between two requests), HTML and one object. The HTML's response leaves
// the server at 1.5R; the server closes the idle connection at
// 1.5R + KA = 2.25R. The client, which got the HTML at 2R, sends the
// object on the same connection at 2R; it reaches the server at 2.5R,
// after it closed. The server's FIN reaches the client at 2.75R:
//
//   - GET: replayed on a new connection (handshake, request): ends at
//     4.75R; 2 connections, 1 replay, 2 attempts.
//   - POST: reported failed at 2.75R, never sent again: the page load
//     ends then; 1 connection, no replay, 1 attempt, Metrics.Failed 1.
func TestNonIdempotentNotReplayed(t *testing.T) {
	const rtt = 100 * time.Millisecond
	cases := []struct {
		method   string
		failed   bool
		end      float64 // RTTs
		conns    int
		replayed int
		attempts int
	}{
		{"GET", false, 4.75, 2, 1, 2},
		{"PUT", false, 4.75, 2, 1, 2},
		{"POST", true, 2.75, 1, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.method, func(t *testing.T) {
			cfg := fastConfig(Persistent, rtt, Page{HTML: 1000, Objects: []Object{{Size: 1000, Method: c.method}}})
			cfg.Server.KeepAliveTimeout = 75 * time.Millisecond
			res := Run(cfg, 1)
			if res.Err != nil {
				t.Fatalf("Err = %v, want nil", res.Err)
			}
			if err := checkRequests(res, true); err != nil {
				t.Fatalf("%v\n%s", err, describe(res))
			}
			m := res.Metrics
			slack := serialization(res, fastRate)
			obj := res.Requests[1]
			if obj.Failed != c.failed {
				t.Errorf("object Failed = %v, want %v", obj.Failed, c.failed)
			}
			rounds(t, "object end", obj.End, c.end, rtt, slack)
			rounds(t, "PLT", m.PLT, c.end, rtt, slack)
			if obj.Attempts != c.attempts {
				t.Errorf("object Attempts = %d, want %d", obj.Attempts, c.attempts)
			}
			wantFailed := 0
			if c.failed {
				wantFailed = 1
			}
			if m.Connections != c.conns || m.Replayed != c.replayed || m.Failed != wantFailed {
				t.Errorf("Connections, Replayed, Failed = %d, %d, %d; want %d, %d, %d",
					m.Connections, m.Replayed, m.Failed, c.conns, c.replayed, wantFailed)
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// TestShortLivedConnections checks that short-lived honours
// Model.Connections: with a limit of k, k one-request connections are
// open at a time. Fast path, HTML and eight objects of 1000 bytes. The
// HTML's connection c1 ends with its response at 2R; the eight objects
// wait, and the client opens k connections at once (c1 still counts
// until its close arrives with the response, then one more). Each round
// of k objects costs 2R (handshake, request):
//
//   - k = 1 (the default): 2R + 8·2R = 18R.
//   - k = 4: #1..#4 end at 4R, #5..#8 at 6R.
//   - k = 8: all end at 4R.
//
// One connection per request: 9 in every case.
func TestShortLivedConnections(t *testing.T) {
	const n = 8
	for _, k := range []int{1, 4, 8} {
		for _, rtt := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
			t.Run(fmt.Sprintf("connections=%d/rtt=%v", k, rtt), func(t *testing.T) {
				cfg := fastConfig(ShortLived, rtt, Page{HTML: 1000, Objects: objects(n, 1000)})
				cfg.Model.Connections = k
				res := mustRun(t, cfg, 1)
				slack := serialization(res, fastRate)
				last := 0
				for _, r := range res.Requests[1:] {
					round := 2 + 2*(1+(r.Index-1)/k)
					last = max(last, round)
					rounds(t, fmt.Sprintf("object %d end", r.Index), r.End, float64(round), rtt, slack)
				}
				rounds(t, "PLT", res.Metrics.PLT, float64(last), rtt, slack)
				if got := res.Metrics.Connections; got != 1+n {
					t.Errorf("Connections = %d, want %d", got, 1+n)
				}
				if t.Failed() {
					t.Log(describe(res))
				}
			})
		}
	}
}
