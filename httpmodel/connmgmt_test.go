package httpmodel

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/connsim/connsim/tcp"
)

// TestWarmColdIdle fetches the same document (20000-byte body: 20300
// bytes, 14 segments, 2 slow-start rounds from the initial window of 10)
// on a fresh connection, then again on the same persistent connection in
// a second visit, after a pause that is either short (warm) or longer than
// the RTO, and checks three figures:
//
//   - cold (first visit): 1 RTT handshake + 2 rounds = 3R.
//   - warm (ReadingTime 0): the server's last data went out R/2 before the
//     first visit ended and its next goes out R/2 after the second began:
//     idle R <= 100 ms, below the 200 ms minimum RTO, so the window keeps
//     what it grew to, at least 14 segments (the first two ACKs of round 1
//     come with the window full and add 2 segments each): 1 round = 1R.
//   - idle (ReadingTime 1 s > RTO, < the 5 s keep-alive timeout): with
//     tcp.Config.SlowStartAfterIdle the window restarts at min(cwnd, IW)
//     = 10 segments (RFC 5681 4.1; Linux's halving per RTO idle reaches the
//     same floor after 1 s): 2 rounds = 2R. Without it the window is warm:
//     1R.
//
// The revisit never pays a handshake: one connection in all cases.
func TestWarmColdIdle(t *testing.T) {
	cases := []struct {
		name    string
		reading time.Duration
		ssai    bool
		restart tcp.IdleRestart
		revisit float64 // RTTs
	}{
		{"warm", 0, true, tcp.RestartRFC5681, 1},
		{"idle/slow-start-after-idle/rfc5681", time.Second, true, tcp.RestartRFC5681, 2},
		{"idle/slow-start-after-idle/linux", time.Second, true, tcp.RestartLinux, 2},
		{"idle/no-slow-start-after-idle", time.Second, false, tcp.RestartRFC5681, 1},
	}
	for _, c := range cases {
		for _, rtt := range []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond} {
			t.Run(fmt.Sprintf("%s/rtt=%v", c.name, rtt), func(t *testing.T) {
				cfg := fastConfig(Persistent, rtt, Page{HTML: 20_000})
				cfg.Visits = 2
				cfg.ReadingTime = c.reading
				cfg.TCP.SlowStartAfterIdle = c.ssai
				cfg.TCP.IdleRestart = c.restart
				res := mustRun(t, cfg, 1)
				slack := serialization(res, fastRate)
				rounds(t, "cold PLT", res.Metrics.PLT, 3, rtt, slack)
				rounds(t, "revisit PLT", res.Metrics.RevisitPLT, c.revisit, rtt, slack)
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

// TestKeepAliveAndMaxRequests checks that the client reconnects when the
// server has closed a connection, replays what the server did not answer,
// and answers every request exactly once (mustRun checks the rows). Page:
// HTML and n objects of 1000 bytes on the fast path, R = 100 ms, server
// keep-alive timeout KA = 5 s.
//
//   - reading > keep-alive: persistent, 2 visits, ReadingTime 6 s > KA.
//     The server closed c1 at KA after its last response; the second visit
//     opens c2 and costs as much as the first: 1 + 1 + n = 4R (n = 2).
//     Nothing is replayed: the client saw the FIN long before.
//   - keep-alive race: ReadingTime = KA - R/4. The server's last response
//     left at T1 - R/2 (T1: end of visit 1), so it closes at
//     T1 - R/2 + KA, and its FIN reaches the client at T1 + KA. The second
//     visit's HTML request leaves at T1 + KA - R/4, before that FIN, on c1,
//     and reaches the server R/4 after it closed (a reset). When the FIN
//     arrives (R/4 into the visit) the client replays the HTML on c2:
//     revisit = R/4 + 1 + 1 + 2 = 4.25R, one replay, 2 connections.
//     Pipelined, the two objects share a round: R/4 + 3R.
//   - max_requests 2, persistent, n = 4: the server closes after 2
//     responses and says so (Connection: close), so the client never
//     sends a third: c1 carries HTML and #1 (1+1+1 = 3R), c2 #2 and #3
//     (3R), c3 #4 (1+1 = 2R): 8R, 3 connections, no replays.
//   - max_requests 3, pipelined, n = 10: c1 carries the HTML, then all ten
//     requests; the server answers HTML, #1, #2 and closes: 3R. #3..#10
//     are replayed on c2: handshake, #3 alone (no pipelining until a
//     response is back), then #4..#10 pipelined; #4, #5 answered: 3R. c3
//     does the same for #6..#10 (answers #6, #7, #8): 3R; c4 for #9, #10:
//     3R. PLT 12R, 4 connections, 8 + 5 + 2 = 15 replays.
//   - the same with ten 20000-byte objects (14 segments each) and
//     1500-byte requests: ten requests are 11 segments, more than the
//     client's initial window, so the last one reaches the server 1R
//     after it decided to close. The server must not reset the connection
//     then (it would discard responses not yet delivered): it stops
//     answering, the client closes after the response that said
//     Connection: close, and replays the rest. c1: HTML (2R), #1 and #2 =
//     28 segments, 2 rounds: 4R. c2: handshake, #3 alone (14 segments on
//     a fresh window, 2 rounds), then #4, #5 pipelined: 28 segments with
//     14 <= cwnd <= 24 (see TestSlowStartRoundTrips), 2 rounds: 5R. c3
//     (#6; #7, #8) likewise 5R; c4: handshake, #9 (2 rounds), #10 (14
//     segments, cwnd >= 14: 1 round): 4R. PLT 18R, 4 connections, 15
//     replays.
func TestKeepAliveAndMaxRequests(t *testing.T) {
	const rtt = 100 * time.Millisecond
	const ka = 5 * time.Second
	cases := []struct {
		name        string
		kind        Kind
		n           int
		size        int64 // object size; 0 = 1000
		reqBytes    int64
		visits      int
		reading     time.Duration
		maxRequests int
		plt         float64 // RTTs: the first visit
		revisit     float64 // RTTs: the second visit, if any
		conns       int
		replayed    int
	}{
		{"reading-beyond-keep-alive", Persistent, 2, 0, 0, 2, ka + time.Second, 0, 4, 4, 2, 0},
		{"keep-alive-race/persistent", Persistent, 2, 0, 0, 2, ka - rtt/4, 0, 4, 4.25, 2, 1},
		{"keep-alive-race/pipelined", Pipelined, 2, 0, 0, 2, ka - rtt/4, 0, 3, 3.25, 2, 1},
		{"max-requests/persistent", Persistent, 4, 0, 0, 1, 0, 2, 8, 0, 3, 0},
		{"max-requests/pipelined", Pipelined, 10, 0, 0, 1, 0, 3, 12, 0, 4, 15},
		{"max-requests/pipelined/requests-after-close", Pipelined, 10, 20_000, 1500, 1, 0, 3, 18, 0, 4, 15},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			size := c.size
			if size == 0 {
				size = 1000
			}
			cfg := fastConfig(c.kind, rtt, Page{HTML: 1000, Objects: objects(c.n, size)})
			cfg.RequestBytes = c.reqBytes
			cfg.Visits = c.visits
			cfg.ReadingTime = c.reading
			cfg.Server.KeepAliveTimeout = ka
			cfg.Server.MaxRequests = c.maxRequests
			res := mustRun(t, cfg, 1)
			m := res.Metrics
			slack := serialization(res, fastRate)
			rounds(t, "PLT", m.PLT, c.plt, rtt, slack)
			if c.visits > 1 {
				rounds(t, "revisit PLT", m.RevisitPLT, c.revisit, rtt, slack)
			}
			if m.Connections != c.conns {
				t.Errorf("Connections = %d, want %d", m.Connections, c.conns)
			}
			if m.Replayed != c.replayed {
				t.Errorf("Replayed = %d, want %d", m.Replayed, c.replayed)
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// TestMaxConnections checks that connections the server refuses
// (Server.MaxConnections reached: the SYN is answered with a reset) are
// retried or reported, never lost: Metrics.Refused counts them, and every
// request is either answered or marked Failed and counted in
// Metrics.Failed. R = 50 ms, small objects.
//
//   - parallel, limit 2, n = 10: at 2R the client dials c2..c6 for the
//     waiting objects; the server accepts c2 (c1 and c2 open) and refuses
//     the other four. The retry waits 0.5 s, by when c1 and c2 (taking
//     the requests in turns, one round each) have served everything: #1 on
//     c1 at 3R, then two per round, #10 at 8R. 4 refusals, 2 connections.
//   - sharded (2 shards), limit 1, keep-alive 60 s: c1 (example.com) holds
//     the only slot for the whole run, so every connection to shard1 is
//     refused. Refusals of one round of dials count once; the client waits
//     0.5, 1, 2, 4, 8 s between rounds and gives up after the sixth: the
//     two shard1 objects fail, after more than 15.5 s, and are counted.
//   - the same with the default keep-alive (5 s): the server closes c1 5 s
//     after its last response, freeing the slot, and a later retry
//     succeeds: nothing fails.
func TestMaxConnections(t *testing.T) {
	const rtt = 50 * time.Millisecond
	cases := []struct {
		name      string
		model     Model
		n         int
		limit     int
		keepAlive time.Duration
		failed    []int // request indexes that fail
		refused   int   // exact; -1: only > 0
		plt       float64
	}{
		{"parallel/limit-2", Model{Kind: Parallel}, 10, 2, 0, nil, 4, 8},
		{"sharded/limit-1/gives-up", Model{Kind: Sharded}, 4, 1, time.Minute, []int{2, 4}, -1, -1},
		{"sharded/limit-1/recovers", Model{Kind: Sharded}, 4, 1, 0, nil, -1, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := fastConfig(c.model.Kind, rtt, Page{HTML: 1000, Objects: objects(c.n, 1000)})
			cfg.Model = c.model
			cfg.Server.MaxConnections = c.limit
			cfg.Server.KeepAliveTimeout = c.keepAlive
			res := Run(cfg, 1)
			if res.Err != nil {
				t.Fatalf("Err = %v, want nil", res.Err)
			}
			if err := checkRequests(res, true); err != nil {
				t.Fatalf("%v\n%s", err, describe(res))
			}
			m := res.Metrics
			if c.refused >= 0 && m.Refused != c.refused || m.Refused <= 0 {
				t.Errorf("Refused = %d, want %d (> 0)", m.Refused, c.refused)
			}
			var failed []int
			for _, r := range res.Requests {
				if r.Failed {
					failed = append(failed, r.Index)
				}
			}
			if !slices.Equal(failed, c.failed) {
				t.Errorf("failed requests %v, want %v", failed, c.failed)
			}
			if m.Failed != len(c.failed) {
				t.Errorf("Metrics.Failed = %d, want %d", m.Failed, len(c.failed))
			}
			if len(c.failed) > 0 && m.PLT < 15500*time.Millisecond {
				t.Errorf("PLT = %v, want > 15.5 s (five backoffs of 0.5, 1, 2, 4, 8 s before giving up)", m.PLT)
			}
			if c.plt > 0 {
				rounds(t, "PLT", m.PLT, c.plt, rtt, serialization(res, fastRate))
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// TestPipelinedRequestsShareSegments checks that pipelined requests issued
// together are handed to TCP as one write: n requests of 400 bytes leave
// in ceil(400n/1460) segments, not n. With Config.Trace the client's data
// segments are counted directly: 1 (the HTML request) + ceil(400n/1460);
// had each request its own segment there would be 1 + n. The trace covers
// every packet of the run (all belong to client connections), so
// Metrics.Packets must equal the traced count.
func TestPipelinedRequestsShareSegments(t *testing.T) {
	for _, n := range []int{3, 10, 20} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			cfg := fastConfig(Pipelined, 50*time.Millisecond, Page{HTML: 1000, Objects: objects(n, 1000)})
			cfg.Trace = true
			res := mustRun(t, cfg, 1)
			var data, all int64
			for _, ct := range res.Conns {
				for _, s := range ct.Segments {
					all++
					if s.FromClient && s.Len > 0 {
						data++
					}
				}
			}
			want := int64(1 + (400*n+1459)/1460)
			if data != want {
				t.Errorf("client data segments = %d, want %d (1 + ceil(400*%d/1460); %d if each request had its own)", data, want, n, 1+n)
			}
			if res.Metrics.Packets != all {
				t.Errorf("Metrics.Packets = %d, want the %d traced packets", res.Metrics.Packets, all)
			}
		})
	}
}

// TestNoPipeliningAfterReplay checks RFC 9112 9.3.2: after its pipeline
// failed, the client sends one request on the new connection and
// pipelines the rest only once its response is back. Scenario: the
// max-requests/pipelined case of TestKeepAliveAndMaxRequests (limit 3,
// ten objects). On each replay connection (c2, c3, c4) the first request
// leaves alone (its write is one 400-byte segment), and every other
// request answered there was sent when that first response completed.
func TestNoPipeliningAfterReplay(t *testing.T) {
	cfg := fastConfig(Pipelined, 100*time.Millisecond, Page{HTML: 1000, Objects: objects(10, 1000)})
	cfg.Server.MaxRequests = 3
	cfg.Trace = true
	res := mustRun(t, cfg, 1)
	if len(res.Conns) != 4 {
		t.Fatalf("%d connections, want 4\n%s", len(res.Conns), describe(res))
	}
	for _, ct := range res.Conns[1:] {
		var writes []int32
		for _, s := range ct.Segments {
			if s.FromClient && s.Len > 0 {
				writes = append(writes, s.Len)
			}
		}
		if len(writes) < 2 || writes[0] != 400 {
			t.Errorf("connection %d: client data segments %v, want a first one of 400 bytes (one request) and more after", ct.Connection, writes)
		}
		var on []Timing
		for _, r := range res.Requests {
			if r.Connection == ct.Connection {
				on = append(on, r)
			}
		}
		slices.SortFunc(on, func(a, b Timing) int { return int(a.SentAt - b.SentAt) })
		for _, r := range on[1:] {
			if r.SentAt < on[0].End {
				t.Errorf("connection %d: request %d sent at %v, before the first response (request %d) completed at %v",
					ct.Connection, r.Index, r.SentAt, on[0].Index, on[0].End)
			}
		}
	}
	if t.Failed() {
		t.Log(describe(res))
	}
}

// TestPostNotPipelined checks that a POST is never pipelined: it waits for
// its connection to be idle, and nothing is pipelined behind it (RFC 9112
// 9.3.2). Pipelined model on the fast path; requests are sent at the end
// of a round and complete one round later. Pages and expected (sent, end)
// rounds per object:
//
//   - GET GET POST GET GET: the two GETs leave together at 2R and end at
//     3R; the POST waits for them and runs alone (3R -> 4R); the last two
//     GETs, queued behind it (first come, first served), leave together
//     at 4R and end at 5R.
//   - POST GET GET: the POST goes alone (2R -> 3R), then both GETs (3R ->
//     4R).
func TestPostNotPipelined(t *testing.T) {
	const rtt = 100 * time.Millisecond
	get, post := Object{Size: 1000}, Object{Size: 1000, Method: "POST"}
	cases := []struct {
		name    string
		objects []Object
		sent    []float64 // by object (request index - 1)
		end     []float64
	}{
		{"GET-GET-POST-GET-GET", []Object{get, get, post, get, get}, []float64{2, 2, 3, 4, 4}, []float64{3, 3, 4, 5, 5}},
		{"POST-GET-GET", []Object{post, get, get}, []float64{2, 3, 3}, []float64{3, 4, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mustRun(t, fastConfig(Pipelined, rtt, Page{HTML: 1000, Objects: c.objects}), 1)
			slack := serialization(res, fastRate)
			for _, r := range res.Requests[1:] {
				i := r.Index - 1
				rounds(t, fmt.Sprintf("object %d (%s) sent", r.Index, r.Method), r.SentAt, c.sent[i], rtt, slack)
				rounds(t, fmt.Sprintf("object %d (%s) end", r.Index, r.Method), r.End, c.end[i], rtt, slack)
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}
