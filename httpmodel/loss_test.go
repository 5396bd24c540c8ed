package httpmodel

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// lossPage is a page with enough packets for random loss to matter: a
// 30000-byte HTML and twenty objects of 2000 to 40000 bytes.
func lossPage() Page {
	p := Page{HTML: 30_000}
	for i := range 20 {
		p.Objects = append(p.Objects, Object{Size: int64(2000 + 2000*i)})
	}
	return p
}

// TestRandomLossAnswersEveryRequestOnce runs every model over a 10 Mbit/s,
// 50 ms path with a 64 KB queue and 2% random loss in each direction, for
// many seeds, and checks that every request is answered exactly once (each
// index once, End >= 0, none failed: TCP recovers every loss, so nothing
// should fail), and that the runs did lose and resend packets.
func TestRandomLossAnswersEveryRequestOnce(t *testing.T) {
	seeds := 25
	if testing.Short() {
		seeds = 5
	}
	kinds := []Kind{ShortLived, Persistent, Pipelined, Parallel, Sharded, HTTP2}
	for _, k := range kinds {
		t.Run(k.String(), func(t *testing.T) {
			var drops, retransmits int64
			for seed := range uint64(seeds) {
				cfg := Config{
					ResponseHeaderBytes: 300, // 0 would be none
					Network:             Network{RTT: 50 * time.Millisecond, Bandwidth: 10 * link.Mbps, QueueBytes: 64_000, Loss: 0.02},
					TCP:                 tcp.DefaultConfig(),
					Page:                lossPage(),
					Model:               Model{Kind: k},
					Visits:              2,
				}
				res := Run(cfg, seed)
				if res.Err != nil {
					t.Fatalf("seed %d: Err = %v, want nil\n%s", seed, res.Err, describe(res))
				}
				if err := checkRequests(res, false); err != nil {
					t.Fatalf("seed %d: %v\n%s", seed, err, describe(res))
				}
				if want := 2 * (1 + len(cfg.Page.Objects)); len(res.Requests) != want {
					t.Fatalf("seed %d: %d requests, want %d", seed, len(res.Requests), want)
				}
				drops += res.Metrics.Drops
				retransmits += res.Metrics.Retransmits
			}
			if drops == 0 || retransmits == 0 {
				t.Errorf("over %d seeds: drops = %d, retransmits = %d, want both > 0", seeds, drops, retransmits)
			}
		})
	}
}

// dropOnce returns a loss model that drops the first packet pick accepts,
// and a pointer to when it did (-1 until then).
func dropOnce(pick func(now sim.Time, p *link.Packet) bool) (link.DropFunc, *sim.Time) {
	at := sim.Time(-1)
	return func(now sim.Time, p *link.Packet) bool {
		if at >= 0 || !pick(now, p) {
			return false
		}
		at = now
		return true
	}, &at
}

// TestTCPHeadOfLineHTTP2VsParallel contrasts TCP head-of-line blocking in
// HTTP/2 with parallel connections, by dropping one chosen response
// packet (a scripted loss model on the server->client pipe) and comparing
// each request's end time with the same run without the drop.
//
// Page: HTML and six objects of 30000 bytes (21 segments each, 2 rounds on
// a fresh window), fast path, R = 100 ms.
//
//   - parallel: #1 goes on c1 at 2R; #2..#6 on c2..c6 (ready at 3R, in dial
//     order). The first data segment of c3's response (#3) is dropped. The
//     nine segments behind it arrive out of order, the client answers each
//     with a duplicate ACK, the third triggers fast retransmit: #3 ends at
//     least one RTT late (we require >= R/2). The other connections never
//     see the loss: their objects end when they did without it (within
//     the serialization bound: the retransmission is one more packet on
//     the link).
//   - http2: all six streams share c1, their frames interleaved. The first
//     data segment the server sends after the objects' requests arrived
//     (2.5R) is dropped: it holds the first frames of the responses, so
//     every stream has bytes behind the hole, and TCP delivers nothing
//     past it until the retransmission arrives: every object ends at
//     least R/2 late.
func TestTCPHeadOfLineHTTP2VsParallel(t *testing.T) {
	const rtt = 100 * time.Millisecond
	page := Page{HTML: 1000, Objects: objects(6, 30_000)}
	cases := []struct {
		kind    Kind
		pick    func(now sim.Time, p *link.Packet) bool
		stalled func(r Timing) bool // which requests the drop must delay
	}{
		{
			kind:    Parallel,
			pick:    func(_ sim.Time, p *link.Packet) bool { return p.DstConn == 2 && p.Len > 0 },
			stalled: func(r Timing) bool { return r.Connection == 3 },
		},
		{
			kind:    HTTP2,
			pick:    func(now sim.Time, p *link.Packet) bool { return p.Len > 0 && now >= sim.Time(5*rtt/2) },
			stalled: func(r Timing) bool { return r.Index > 0 },
		},
	}
	for _, c := range cases {
		t.Run(c.kind.String(), func(t *testing.T) {
			base := mustRun(t, fastConfig(c.kind, rtt, page), 1)
			cfg := fastConfig(c.kind, rtt, page)
			drop, at := dropOnce(c.pick)
			cfg.lossDown = drop
			res := mustRun(t, cfg, 1)
			if *at < 0 || res.Metrics.Drops != 1 {
				t.Fatalf("dropped at %v, Metrics.Drops = %d: want exactly one drop", *at, res.Metrics.Drops)
			}
			slack := serialization(res, fastRate)
			nStalled := 0
			for i, r := range res.Requests {
				b := base.Requests[i]
				if r.Connection != b.Connection {
					t.Errorf("request %d on connection %d, without the drop %d", i, r.Connection, b.Connection)
				}
				late := r.End - b.End
				if c.stalled(r) {
					nStalled++
					if late < rtt/2 {
						t.Errorf("request %d (c%d) ends %v late (%v vs %v), want >= R/2: stalled behind the lost segment", i, r.Connection, late, r.End, b.End)
					}
				} else if late < -slack || late > slack {
					t.Errorf("request %d (c%d) ends %v late (%v vs %v), want unaffected (within %v)", i, r.Connection, late, r.End, b.End, slack)
				}
			}
			if want := map[Kind]int{Parallel: 1, HTTP2: 6}[c.kind]; nStalled != want {
				t.Errorf("%d requests expected to stall, want %d (bad scenario)", nStalled, want)
			}
			if t.Failed() {
				t.Logf("without the drop:\n%s\nwith it (at %v):\n%s", describe(base), *at, describe(res))
			}
		})
	}
}

// TestLossSeedsDiffer checks that with random loss the seed matters: the
// same configuration under two seeds gives different timings (the loss
// streams draw differently), while each seed alone is reproducible (see
// TestDeterministic).
func TestLossSeedsDiffer(t *testing.T) {
	for _, k := range []Kind{Persistent, Parallel, HTTP2} {
		t.Run(k.String(), func(t *testing.T) {
			cfg := Config{
				ResponseHeaderBytes: 300, // 0 would be none
				Network:             Network{RTT: 50 * time.Millisecond, Bandwidth: 10 * link.Mbps, Loss: 0.02},
				TCP:                 tcp.DefaultConfig(),
				Page:                lossPage(),
				Model:               Model{Kind: k},
			}
			a, b := Run(cfg, 1), Run(cfg, 2)
			if a.Metrics.PLT == b.Metrics.PLT && a.Metrics.Packets == b.Metrics.Packets && a.Metrics.Drops == b.Metrics.Drops {
				t.Errorf("seeds 1 and 2: PLT %v and %v, packets %d and %d, drops %d and %d: want the runs to differ",
					a.Metrics.PLT, b.Metrics.PLT, a.Metrics.Packets, b.Metrics.Packets, a.Metrics.Drops, b.Metrics.Drops)
			}
		})
	}
}
