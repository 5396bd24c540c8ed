package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// slot says where and when a request is expected to complete: on which
// client connection (1-based, dial order) and at the end of which round
// trip (End in [round·R, round·R + serialization]).
type slot struct{ conn, round int }

// TestConnectionLimitSchedule checks the round-by-round schedule that the
// per-host connection limit implies for parallel (6 connections) and
// sharded (6 per shard hostname) loads of a page of small objects (1000
// bytes each) on the fast path.
//
// The rules the expected schedules follow:
//
//   - The HTML goes on c1: handshake, then request: it ends at 2R.
//   - At 2R the objects are issued in page order. The first that finds an
//     idle connection of its host takes it and is written at once; every
//     other one waits and, while its host is under its limit, makes the
//     client dial one more connection for it (Chrome-style: one connect
//     job per waiting request). Connections are numbered in dial order,
//     so with sharding the numbers alternate between hosts.
//   - Ties. The request written at once on c1 leaves before the SYNs of
//     the new connections, on the same FIFO pipes, and the server
//     answers at once, so its response arrives before their SYN-ACKs: c1
//     frees up first and, by late binding, takes the oldest request
//     waiting for its host. Then the new connections complete their
//     handshakes in dial order and each takes its host's oldest waiting
//     request. In every later round, responses come back in the order
//     their requests were sent, so connections free up in that same order.
//   - A connection dialled for a request that an earlier connection took
//     stays idle (late binding's cost: Connections counts it).
func TestConnectionLimitSchedule(t *testing.T) {
	cases := []struct {
		name  string
		model Model
		n     int
		want  []slot // by request index; 0 = the HTML
		conns int
	}{
		{
			// #2..#4 wait: dial c2..c4. c1 frees first and takes #2;
			// c2, c3 take #3, #4; c4 is left idle.
			name: "parallel/n=4", model: Model{Kind: Parallel}, n: 4, conns: 4,
			want: []slot{{1, 2}, {1, 3}, {1, 4}, {2, 4}, {3, 4}},
		},
		{
			// #2..#13 wait, the limit lets 5 more connections open:
			// round 4: c1 takes #2, c2..c6 take #3..#7; round 5: c1..c6
			// take #8..#13 in the order they free up.
			name: "parallel/n=13", model: Model{Kind: Parallel}, n: 13, conns: 6,
			want: []slot{
				{1, 2},
				{1, 3},
				{1, 4}, {2, 4}, {3, 4}, {4, 4}, {5, 4}, {6, 4},
				{1, 5}, {2, 5}, {3, 5}, {4, 5}, {5, 5}, {6, 5},
			},
		},
		{
			// Hosts alternate: odd objects on example.com (A), even on
			// shard1 (B). Dials: #2->c2 (B), #3->c3 (A), ..., #11->c11
			// (A's sixth), #12->c12 (B's sixth); #13..#24 wait.
			// Round 4: c1 takes A's oldest #3, then c2..c12 take their
			// host's oldest in dial order: c2 #2, c3 #5, c4 #4, c5 #7,
			// c6 #6, c7 #9, c8 #8, c9 #11, c10 #10, c11 #13, c12 #12.
			// Round 5, same order: c1 #15, c2 #14, c3 #17, c4 #16,
			// c5 #19, c6 #18, c7 #21, c8 #20, c9 #23, c10 #22, c12 #24
			// (A has only five left: c11 stays idle).
			name: "sharded-2/n=24", model: Model{Kind: Sharded, Shards: 2}, n: 24, conns: 12,
			want: []slot{
				{1, 2},
				{1, 3},
				{2, 4}, {1, 4}, {4, 4}, {3, 4}, {6, 4}, {5, 4}, {8, 4}, {7, 4}, {10, 4}, {9, 4}, {12, 4}, {11, 4},
				{2, 5}, {1, 5}, {4, 5}, {3, 5}, {6, 5}, {5, 5}, {8, 5}, {7, 5}, {10, 5}, {9, 5}, {12, 5},
			},
		},
		{
			// Objects i = 1, 4, 7, 10, 13 on A (example.com), 2, 5, 8, 11
			// on B (shard1), 3, 6, 9, 12 on C (shard2). Dials in page
			// order: #2->c2 (B), #3->c3 (C), #4->c4 (A), #5->c5 (B), ...,
			// #13->c13 (A). Round 4: c1 takes A's oldest #4; then c2 #2,
			// c3 #3, c4 #7, c5 #5, c6 #6, c7 #10, c8 #8, c9 #9, c10 #13,
			// c11 #11, c12 #12; c13 stays idle.
			name: "sharded-3/n=13", model: Model{Kind: Sharded, Shards: 3}, n: 13, conns: 13,
			want: []slot{
				{1, 2},
				{1, 3},
				{2, 4}, {3, 4}, {1, 4}, {5, 4}, {6, 4}, {4, 4}, {8, 4}, {9, 4}, {7, 4}, {11, 4}, {12, 4}, {10, 4},
			},
		},
	}
	for _, c := range cases {
		for _, rtt := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
			t.Run(fmt.Sprintf("%s/rtt=%v", c.name, rtt), func(t *testing.T) {
				cfg := fastConfig(c.model.Kind, rtt, Page{HTML: 1000, Objects: objects(c.n, 1000)})
				cfg.Model = c.model
				res := mustRun(t, cfg, 1)
				if len(c.want) != c.n+1 {
					t.Fatalf("bad test: %d slots for %d requests", len(c.want), c.n+1)
				}
				slack := serialization(res, fastRate)
				for _, r := range res.Requests {
					w := c.want[r.Index]
					if r.Connection != w.conn {
						t.Errorf("request %d on connection %d, want %d", r.Index, r.Connection, w.conn)
					}
					rounds(t, fmt.Sprintf("request %d end", r.Index), r.End, float64(w.round), rtt, slack)
				}
				if got := res.Metrics.Connections; got != c.conns {
					t.Errorf("Connections = %d, want %d", got, c.conns)
				}
				last := 0
				for _, w := range c.want {
					last = max(last, w.round)
				}
				rounds(t, "PLT", res.Metrics.PLT, float64(last), rtt, slack)
				if t.Failed() {
					t.Log(describe(res))
				}
			})
		}
	}
}

// TestHeadOfLineBlocking loads a page whose first object is large (200000
// bytes: 200300 on the wire, 138 segments, 4 slow-start rounds of 10, 20,
// 40, 80) and whose other four objects are small (1000 bytes), on the fast
// path, and checks per-request end times.
//
//   - pipelined: all five requests leave together at 2R on c1, and the
//     responses come back in request order: the large one ends at
//     2R + 4R = 6R, and every small one after it (head-of-line blocking),
//     in the same round.
//   - parallel: the large object takes c1 at 2R and ends at 6R; the small
//     ones go on c2..c5 (handshake to 3R, response at 4R): they end at 4R,
//     before the large one.
//   - http2: all five streams share c1; frames go out round-robin, 16 KiB
//     at most each: the first window (10 segments) carries the HEADERS
//     frames and the large object's first DATA frame, the second the
//     small objects' DATA frames: they end at 4R, the large one at 6R.
func TestHeadOfLineBlocking(t *testing.T) {
	page := Page{HTML: 1000, Objects: append([]Object{{Size: 200_000}}, objects(4, 1000)...)}
	cases := []struct {
		kind       Kind
		bigRound   int
		smallRound int
		smallFirst bool // small objects end before the large one
	}{
		{Pipelined, 6, 6, false},
		{Parallel, 6, 4, true},
		{HTTP2, 6, 4, true},
	}
	for _, c := range cases {
		for _, rtt := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
			t.Run(fmt.Sprintf("%v/rtt=%v", c.kind, rtt), func(t *testing.T) {
				res := mustRun(t, fastConfig(c.kind, rtt, page), 1)
				slack := serialization(res, fastRate)
				big := res.Requests[1]
				rounds(t, "large object end", big.End, float64(c.bigRound), rtt, slack)
				for _, r := range res.Requests[2:] {
					rounds(t, fmt.Sprintf("small object %d end", r.Index), r.End, float64(c.smallRound), rtt, slack)
					if before := r.End < big.End; before != c.smallFirst {
						t.Errorf("small object %d ends at %v, large one at %v: small first = %v, want %v",
							r.Index, r.End, big.End, before, c.smallFirst)
					}
				}
				if t.Failed() {
					t.Log(describe(res))
				}
			})
		}
	}
}

// TestShardedDialOrderWithDNS checks the dial order the package
// documentation gives for sharding with a DNS cost: the page host
// (resolved for the HTML) dials as its objects are issued; shard1 and
// shard2 dial only when their lookups end, together, in the order they
// started, so connections are numbered host by host. Sharded, 3 shards,
// 13 objects of 1000 bytes (A = example.com gets #1, #4, #7, #10, #13;
// B = shard1 #2, #5, #8, #11; C = shard2 #3, #6, #9, #12), DNS 10 ms.
// A's four waiting objects dial c2..c5 at once (c1 frees and takes #1,
// late binding); B's lookup ends first and dials c6..c9, then C c10..c13.
func TestShardedDialOrderWithDNS(t *testing.T) {
	cfg := fastConfig(Sharded, 20*time.Millisecond, Page{HTML: 1000, Objects: objects(13, 1000)})
	cfg.Model = Model{Kind: Sharded, Shards: 3}
	cfg.Network.DNS = 10 * time.Millisecond
	cfg.Trace = true
	res := mustRun(t, cfg, 1)
	want := []string{"example.com", "example.com", "example.com", "example.com", "example.com",
		"shard1.example.com", "shard1.example.com", "shard1.example.com", "shard1.example.com",
		"shard2.example.com", "shard2.example.com", "shard2.example.com", "shard2.example.com"}
	var got []string
	for _, c := range res.Conns {
		got = append(got, c.Host)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("connection hosts in dial order:\n got %v\nwant %v\n%s", got, want, describe(res))
	}
}
