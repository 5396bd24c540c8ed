package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// TestPipelineDepth checks the pipelining depth limit: with depth d a
// connection has at most d requests outstanding. One connection, fast
// path, HTML and six objects of 1000 bytes (all responses of a round fit
// the first window). At 2R the connection takes the first d objects; each
// response that completes frees a slot for the next waiting request,
// sent at once, so the requests go in rounds of d: object i (1-based) is
// sent at (2 + floor((i-1)/d)) R and ends a round later. Depth 1 is
// persistent (one round per object, 8R), depth 0 (unlimited) sends all
// six together (3R).
func TestPipelineDepth(t *testing.T) {
	const n = 6
	for _, depth := range []int{1, 2, 4, 0} {
		for _, rtt := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
			t.Run(fmt.Sprintf("depth=%d/rtt=%v", depth, rtt), func(t *testing.T) {
				cfg := fastConfig(Pipelined, rtt, Page{HTML: 1000, Objects: objects(n, 1000)})
				cfg.Model.Depth = depth
				res := mustRun(t, cfg, 1)
				slack := serialization(res, fastRate)
				d := depth
				if d == 0 {
					d = n
				}
				last := 0
				for _, r := range res.Requests[1:] {
					round := 2 + (r.Index-1)/d
					last = max(last, round+1)
					rounds(t, fmt.Sprintf("object %d sent", r.Index), r.SentAt, float64(round), rtt, slack)
					rounds(t, fmt.Sprintf("object %d end", r.Index), r.End, float64(round+1), rtt, slack)
					// Outstanding when r left: the requests sent on
					// its connection by then and not yet answered.
					out := 0
					for _, q := range res.Requests {
						if q.Connection == r.Connection && q.SentAt <= r.SentAt && q.End > r.SentAt {
							out++
						}
					}
					if out > d {
						t.Errorf("object %d left with %d requests outstanding on connection %d, want at most %d", r.Index, out, r.Connection, d)
					}
				}
				rounds(t, "PLT", res.Metrics.PLT, float64(last), rtt, slack)
				if got := res.Metrics.Connections; got != 1 {
					t.Errorf("Connections = %d, want 1", got)
				}
				if t.Failed() {
					t.Log(describe(res))
				}
			})
		}
	}
}

// TestPipelinedConnectionsAtOnce checks that a pipelining client with
// several connections allowed opens, at once, as many as its waiting
// requests need: ceil(waiting / depth) beyond those on their way, up to
// the limit, and a single connection for unlimited depth. Fast path, HTML
// and n objects of 1000 bytes. Rules of the schedules (see
// TestConnectionLimitSchedule):
//
//   - At 2R the objects are issued in page order: c1 takes the first d,
//     and the client dials for the rest as they wait. What c1 takes
//     leaves as one write when the whole batch is issued, after the SYNs
//     of the new connections: at 3R their handshakes complete before c1's
//     responses arrive, and each takes the next d waiting requests, in
//     dial order. Then c1's responses free its slots one by one, each
//     taking the oldest waiting request. Requests sent in a round end one
//     round later, in the order sent.
//
// Cases:
//
//   - depth 2, limit 6, n = 12: c1 #1,#2; ten wait: c2..c6 (five more,
//     ceil(10/2)) take #3..#12 at 3R: PLT 4R, 6 connections. (Dialling
//     one connection at a time would open c3 at 3R, c4 at 4R.)
//   - depth 2, limit 6, n = 20: c2..c6 take #3..#12 at 3R, c1 #13,#14
//     as its responses arrive; at 4R c2, c3, c4 free up first and take
//     #15..#20: PLT 5R.
//   - depth 4, limit 2, n = 12: eight wait, which would need two more
//     connections, the limit allows one: c2 takes #5..#8 at 3R, c1
//     #9..#12 as its responses arrive: PLT 4R.
//   - depth 1, limit 6, n = 4: as parallel: c2..c4 take #2..#4 at 3R.
//   - unlimited depth, limit 6, n = 10: c1 takes everything (the ten
//     responses, 13000 bytes, fit the first window); no other
//     connection is opened: 3R.
func TestPipelinedConnectionsAtOnce(t *testing.T) {
	cases := []struct {
		name  string
		model Model
		n     int
		want  []slot // by request index; 0 = the HTML
		conns int
	}{
		{
			name: "depth=2/connections=6/n=12", model: Model{Kind: Pipelined, Depth: 2, Connections: 6}, n: 12, conns: 6,
			want: []slot{
				{1, 2},
				{1, 3}, {1, 3},
				{2, 4}, {2, 4}, {3, 4}, {3, 4}, {4, 4}, {4, 4}, {5, 4}, {5, 4}, {6, 4}, {6, 4},
			},
		},
		{
			name: "depth=2/connections=6/n=20", model: Model{Kind: Pipelined, Depth: 2, Connections: 6}, n: 20, conns: 6,
			want: []slot{
				{1, 2},
				{1, 3}, {1, 3},
				{2, 4}, {2, 4}, {3, 4}, {3, 4}, {4, 4}, {4, 4}, {5, 4}, {5, 4}, {6, 4}, {6, 4}, {1, 4}, {1, 4},
				{2, 5}, {2, 5}, {3, 5}, {3, 5}, {4, 5}, {4, 5},
			},
		},
		{
			name: "depth=4/connections=2/n=12", model: Model{Kind: Pipelined, Depth: 4, Connections: 2}, n: 12, conns: 2,
			want: []slot{
				{1, 2},
				{1, 3}, {1, 3}, {1, 3}, {1, 3},
				{2, 4}, {2, 4}, {2, 4}, {2, 4},
				{1, 4}, {1, 4}, {1, 4}, {1, 4},
			},
		},
		{
			name: "depth=1/connections=6/n=4", model: Model{Kind: Pipelined, Depth: 1, Connections: 6}, n: 4, conns: 4,
			want: []slot{{1, 2}, {1, 3}, {2, 4}, {3, 4}, {4, 4}},
		},
		{
			name: "unlimited/connections=6/n=10", model: Model{Kind: Pipelined, Connections: 6}, n: 10, conns: 1,
			want: []slot{{1, 2}, {1, 3}, {1, 3}, {1, 3}, {1, 3}, {1, 3}, {1, 3}, {1, 3}, {1, 3}, {1, 3}, {1, 3}},
		},
	}
	for _, c := range cases {
		for _, rtt := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
			t.Run(fmt.Sprintf("%s/rtt=%v", c.name, rtt), func(t *testing.T) {
				cfg := fastConfig(Pipelined, rtt, Page{HTML: 1000, Objects: objects(c.n, 1000)})
				cfg.Model = c.model
				res := mustRun(t, cfg, 1)
				if len(c.want) != c.n+1 {
					t.Fatalf("bad test: %d slots for %d requests", len(c.want), c.n+1)
				}
				slack := serialization(res, fastRate)
				last := 0
				for _, r := range res.Requests {
					w := c.want[r.Index]
					last = max(last, w.round)
					if r.Connection != w.conn {
						t.Errorf("request %d on connection %d, want %d", r.Index, r.Connection, w.conn)
					}
					rounds(t, fmt.Sprintf("request %d end", r.Index), r.End, float64(w.round), rtt, slack)
				}
				if got := res.Metrics.Connections; got != c.conns {
					t.Errorf("Connections = %d, want %d", got, c.conns)
				}
				rounds(t, "PLT", res.Metrics.PLT, float64(last), rtt, slack)
				if t.Failed() {
					t.Log(describe(res))
				}
			})
		}
	}
}
