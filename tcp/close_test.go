package tcp

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// TestCloseSemantics checks how connections end, on an idle 50 ms path
// with an infinitely fast link (every time below is exact). In each row
// the client dials at 0 (the handshake completes at R = 50 ms for the
// client, 1.5R for the server); "act" is the moment, after an exchange of
// one small message each way, when the row's action happens.
//
//   - client closes: its FIN reaches the server R/2 later; the server's
//     application hears ClosedByPeer then, and (closing on end-of-file)
//     the server sends its own FIN, which reaches the client at act + R:
//     the client, its FIN acknowledged and the peer's FIN in, is closed
//     (ClosedLocally). The server is closed when the ACK of its FIN
//     arrives, at act + 1.5R.
//   - server closes: the mirror image.
//   - abort: the client resets at once (Aborted); the RST reaches
//     the server at act + R/2 (Reset).
//   - data to a closed socket: the server closes while the client's
//     data is on its way; the data arrives after Close, so the server
//     answers with a reset (RFC 9293 3.10.7.4, as Linux does for a socket
//     closed with data arriving) and is done at act + R/2. The client has
//     heard ClosedByPeer from the FIN that arrived first (act + R/2); the
//     RST ends its connection at act + R without a second callback. The
//     client's own FIN, sent at act + R/2 and carrying the ACK of the
//     server's (Linux's tcp_fin delays that ACK for it), also meets the
//     closed socket and gets a reset (RFC 9293 3.10.7.1): two RSTs in all.
//   - refused: the server's accept returns nil; the SYN is answered by a
//     reset, and the client hears Refused at R. The server's application
//     hears nothing.
//   - no listener: a SYN to a port nobody listens on gets a reset: Refused
//     at R.
//   - SYN timeout: every SYN is lost; after the first and six retries
//     (Linux tcp_syn_retries = 6) at 1, 3, 7, 15, 31 and 63 s, the seventh
//     expiry, at 127 s, gives up: TimedOut.
func TestCloseSemantics(t *testing.T) {
	const rtt = 50 * time.Millisecond
	const act = time.Second
	type result struct {
		cliReasons, srvReasons []CloseReason
		cliClosedAt            sim.Time // Stats.ClosedAt
		srvClosedAt            sim.Time // -1: no server connection
		srvHeardAt             sim.Time // when the server's Closed callback ran; -1: never
		rsts                   [2]int   // RSTs sent by client, server
		cliSendAfter           bool     // Send's result after the end
	}
	tests := []struct {
		name string
		run  func(p *path) (*Conn, **Conn, *recorder, *recorder)
		want result
	}{
		{
			name: "client closes",
			run: func(p *path) (*Conn, **Conn, *recorder, *recorder) {
				c, sc, cli, srv := echoPair(p)
				p.s.At(at(act), func() { c.Close() })
				return c, sc, cli, srv
			},
			want: result{
				cliReasons: []CloseReason{ClosedLocally}, srvReasons: []CloseReason{ClosedByPeer},
				cliClosedAt: at(act + rtt), srvClosedAt: at(act + rtt + rtt/2), srvHeardAt: at(act + rtt/2),
			},
		},
		{
			name: "server closes",
			run: func(p *path) (*Conn, **Conn, *recorder, *recorder) {
				c, sc, cli, srv := echoPair(p)
				p.s.At(at(act), func() { (*sc).Close() })
				return c, sc, cli, srv
			},
			want: result{
				cliReasons: []CloseReason{ClosedByPeer}, srvReasons: []CloseReason{ClosedLocally},
				cliClosedAt: at(act + rtt/2 + rtt), srvClosedAt: at(act + rtt), srvHeardAt: at(act + rtt),
			},
		},
		{
			name: "abort",
			run: func(p *path) (*Conn, **Conn, *recorder, *recorder) {
				c, sc, cli, srv := echoPair(p)
				p.s.At(at(act), func() { c.Abort() })
				return c, sc, cli, srv
			},
			want: result{
				cliReasons: []CloseReason{Aborted}, srvReasons: []CloseReason{Reset},
				cliClosedAt: at(act), srvClosedAt: at(act + rtt/2), srvHeardAt: at(act + rtt/2),
				rsts: [2]int{1, 0},
			},
		},
		{
			name: "data to a closed socket",
			run: func(p *path) (*Conn, **Conn, *recorder, *recorder) {
				c, sc, cli, srv := echoPair(p)
				p.s.At(at(act), func() {
					(*sc).Close()
					c.Send(500, "late")
				})
				return c, sc, cli, srv
			},
			want: result{
				cliReasons: []CloseReason{ClosedByPeer}, srvReasons: []CloseReason{ClosedLocally},
				cliClosedAt: at(act + rtt), srvClosedAt: at(act + rtt/2), srvHeardAt: at(act + rtt/2),
				rsts: [2]int{0, 2},
			},
		},
		{
			name: "refused",
			run: func(p *path) (*Conn, **Conn, *recorder, *recorder) {
				var sc *Conn
				p.sep.Listen(80, DefaultConfig(), func(c *Conn) Handler { sc = c; return nil })
				cli := newRecorder(p.s)
				return p.cep.Dial(p.server.ID, 80, DefaultConfig(), cli), &sc, cli, nil
			},
			want: result{
				cliReasons: []CloseReason{Refused}, cliClosedAt: at(rtt), srvClosedAt: at(rtt / 2), srvHeardAt: -1,
				rsts: [2]int{0, 1},
			},
		},
		{
			name: "no listener",
			run: func(p *path) (*Conn, **Conn, *recorder, *recorder) {
				cli := newRecorder(p.s)
				var sc *Conn
				return p.cep.Dial(p.server.ID, 81, DefaultConfig(), cli), &sc, cli, nil
			},
			want: result{
				cliReasons: []CloseReason{Refused}, cliClosedAt: at(rtt), srvClosedAt: -1, srvHeardAt: -1,
				rsts: [2]int{0, 1},
			},
		},
		{
			name: "SYN timeout",
			run: func(p *path) (*Conn, **Conn, *recorder, *recorder) {
				p.up.SetLoss(link.DropFunc(func(sim.Time, *link.Packet) bool { return true }))
				p.sep.Listen(80, DefaultConfig(), func(c *Conn) Handler { return newRecorder(p.s) })
				cli := newRecorder(p.s)
				var sc *Conn
				return p.cep.Dial(p.server.ID, 80, DefaultConfig(), cli), &sc, cli, nil
			},
			want: result{
				cliReasons: []CloseReason{TimedOut}, cliClosedAt: at(127 * time.Second), srvClosedAt: -1, srvHeardAt: -1,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPath(pathConfig{rtt: rtt})
			log := &pktLog{}
			p.net.SetTracer(log)
			c, sc, cli, srv := tt.run(p)
			p.s.RunUntil(at(10 * time.Minute))

			got := result{cliReasons: cli.closed, cliClosedAt: c.Stats().ClosedAt, srvClosedAt: -1, srvHeardAt: -1}
			if *sc != nil {
				got.srvClosedAt = (*sc).Stats().ClosedAt
			}
			if srv != nil {
				got.srvReasons, got.srvHeardAt = srv.closed, srv.closedAt
			}
			for i, pipe := range []*link.Pipe{p.up, p.down} {
				got.rsts[i] = len(log.sent(pipe, func(p *link.Packet) bool { return p.Flags&link.RST != 0 }))
			}
			if !equalReasons(got.cliReasons, tt.want.cliReasons) {
				t.Errorf("client heard Closed %v, want %v", got.cliReasons, tt.want.cliReasons)
			}
			if !equalReasons(got.srvReasons, tt.want.srvReasons) {
				t.Errorf("server heard Closed %v, want %v", got.srvReasons, tt.want.srvReasons)
			}
			if got.cliClosedAt != tt.want.cliClosedAt {
				t.Errorf("client ClosedAt = %v, want %v", got.cliClosedAt, tt.want.cliClosedAt)
			}
			if got.srvClosedAt != tt.want.srvClosedAt {
				t.Errorf("server ClosedAt = %v, want %v", got.srvClosedAt, tt.want.srvClosedAt)
			}
			if got.srvHeardAt != tt.want.srvHeardAt {
				t.Errorf("server heard Closed at %v, want %v", got.srvHeardAt, tt.want.srvHeardAt)
			}
			if got.rsts != tt.want.rsts {
				t.Errorf("RSTs sent (client, server) = %v, want %v", got.rsts, tt.want.rsts)
			}
			if c.State() != Closed {
				t.Errorf("client state %v, want CLOSED", c.State())
			}
			if c.Send(1, "after") {
				t.Errorf("Send on a closed connection returned true")
			}
			if p.s.Pending() != 0 {
				t.Errorf("%d events pending after the end", p.s.Pending())
			}
		})
	}
}

func equalReasons(a, b []CloseReason) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// echoPair dials a connection on which the client sends 100 bytes once
// connected and the server answers each message with 100 bytes; it
// returns the client conn, a pointer to the server conn (set on accept),
// and both recorders.
func echoPair(p *path) (*Conn, **Conn, *recorder, *recorder) {
	var sc *Conn
	srv := newRecorder(p.s)
	srv.onDelivered = func(c *Conn, tag any) { c.Send(100, tag) }
	p.sep.Listen(80, DefaultConfig(), func(c *Conn) Handler { sc = c; return srv })
	cli := newRecorder(p.s)
	cli.onConnected = func(c *Conn) { c.Send(100, "hello") }
	return p.cep.Dial(p.server.ID, 80, DefaultConfig(), cli), &sc, cli, srv
}

// TestFINAckedAfterGoBackN: the server writes two segments and closes,
// its FIN a segment of its own (the data left at once); the first is
// lost. The second and the FIN arrive out of order and each draws a
// duplicate ACK at once (an out-of-order FIN is held and acknowledged as
// data is, as Linux's tcp_data_queue_ofo does). Two duplicate ACKs are
// not enough for fast retransmit, so the retransmission timer (200 ms: the
// minimum, SRTT being 50 ms) resends the first segment, and go-back-N
// treats the FIN as unsent again, though it is already at the client. The
// client's ACK then covers the FIN: the server must take it as the ACK of
// its FIN. Timeline (R = 50 ms, infinitely fast link): server established
// and sending at 75 ms; timeout at 275 ms; the hole filled at the client
// at 300 ms, which then has the FIN (ClosedByPeer) and closes back; its
// ACK and FIN reach the server at 325 ms (closed, ClosedLocally), whose
// ACK reaches the client at 350 ms.
func TestFINAckedAfterGoBackN(t *testing.T) {
	const ms = time.Millisecond
	p := newPath(pathConfig{rtt: 50 * ms})
	p.down.SetLoss(dropSegments(1460, 1))
	srv := newRecorder(p.s)
	srv.onConnected = func(c *Conn) {
		c.Send(2*1460, "body")
		c.Close()
	}
	var sc *Conn
	p.sep.Listen(80, TextbookConfig(), func(c *Conn) Handler { sc = c; return srv })
	cli := newRecorder(p.s)
	c := p.cep.Dial(p.server.ID, 80, TextbookConfig(), cli)
	p.s.RunUntil(at(time.Minute))
	if !equalReasons(srv.closed, []CloseReason{ClosedLocally}) || srv.closedAt != at(325*ms) {
		t.Errorf("server heard Closed %v at %v, want [closed] at 325ms", srv.closed, srv.closedAt)
	}
	if !equalReasons(cli.closed, []CloseReason{ClosedByPeer}) || cli.closedAt != at(300*ms) {
		t.Errorf("client heard Closed %v at %v, want [closed-by-peer] at 300ms", cli.closed, cli.closedAt)
	}
	if got := c.Stats().ClosedAt; got != at(350*ms) {
		t.Errorf("client ClosedAt = %v, want 350ms", got)
	}
	if st := sc.Stats(); st.Timeouts != 1 || st.FastRetransmits != 0 {
		t.Errorf("server Timeouts, FastRetransmits = %d, %d; want 1, 0", st.Timeouts, st.FastRetransmits)
	}
}

// TestFINAckRidesOnFIN: the side that receives a FIN while established
// does not acknowledge it with a segment of its own: Linux's tcp_fin
// enters ping-pong mode and only schedules the ACK, and the FIN this side
// sends when its application closes (here at once, on end of file)
// carries it: the passive close is one FIN|ACK. The textbook receiver
// (TextbookConfig, no quick ACKs) sends a pure ACK first, and a FIN that
// answers this side's own FIN is acknowledged at once either way.
//
// Mutation caught: the FIN acknowledged at once whatever the mode (a
// pure ACK before the FIN|ACK).
func TestFINAckRidesOnFIN(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want int // segments the server sends from the client's FIN on
	}{
		{"linux", DefaultConfig(), 1},
		{"textbook", TextbookConfig(), 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPath(pathConfig{rtt: 20 * time.Millisecond})
			log := &pktLog{}
			p.net.SetTracer(log)
			srv := newRecorder(p.s)
			srv.onConnected = func(c *Conn) { c.Send(1000, "r") }
			p.sep.Listen(80, tt.cfg, func(*Conn) Handler { return srv })
			cli := newRecorder(p.s)
			cli.onDelivered = func(c *Conn, _ any) { c.Close() }
			c := p.cep.Dial(p.server.ID, 80, tt.cfg, cli)
			p.s.RunUntil(sim.Time(time.Minute))
			var finAt sim.Time = -1
			for _, e := range log.sent(p.up, func(q *link.Packet) bool { return q.Flags&link.FIN != 0 }) {
				finAt = e.at
				break
			}
			if finAt < 0 || c.State() != Closed {
				t.Fatalf("the client's FIN was never sent or the connection did not close (state %v)", c.State())
			}
			after := log.sent(p.down, func(q *link.Packet) bool { return true })
			var got []string
			for _, e := range after {
				if e.at > finAt {
					got = append(got, e.p.Flags.String())
				}
			}
			if len(got) != tt.want || got[len(got)-1] != (link.FIN|link.ACK).String() {
				t.Errorf("the server answered the client's FIN with %v, want %d segment(s) ending in FIN|ACK", got, tt.want)
			}
		})
	}
}

// TestFINAckFallsBackToDelayedAck: when the side that receives a FIN
// cannot send its own at once (here its data is held by Cork, so the FIN
// that would follow it cannot leave), the ACK that Linux's tcp_fin only
// schedules is sent by the delayed-ACK timer, 40 ms after the FIN, as a
// pure ACK; the peer's FIN is then never retransmitted. The FIN arrives
// alone, with no data owed an ACK, so only the FIN arms the timer.
// Timeline (R = 100 ms, infinitely fast link): the client sends 100
// bytes at 100 ms (acknowledged at once, quick-ACK mode) and closes at
// 300 ms; its FIN reaches the server at 350 ms; the server's ACK leaves
// at 390 ms.
//
// Mutations caught: the timer not armed for a FIN alone, or its handler
// sending nothing when only the FIN is owed an ACK (the ACK never leaves
// and the client retransmits its FIN).
func TestFINAckFallsBackToDelayedAck(t *testing.T) {
	const ms = time.Millisecond
	p := newPath(pathConfig{rtt: 100 * ms})
	log := &pktLog{}
	p.net.SetTracer(log)
	cfg := DefaultConfig()
	_, psc := corkedPair(p)
	p.s.RunUntil(at(time.Minute))
	sc := *psc

	fins := log.sent(p.up, func(q *link.Packet) bool { return q.Flags&link.FIN != 0 })
	if len(fins) != 1 || fins[0].at != at(300*ms) {
		for _, e := range fins {
			t.Logf("client FIN at %v (retransmit %v)", e.at, e.p.Retransmit)
		}
		t.Fatalf("the client sent %d FINs, want exactly one at 300ms", len(fins))
	}
	finSeq := fins[0].p.Seq + int64(fins[0].p.Len)
	acks := log.sent(p.down, func(q *link.Packet) bool { return q.Ack > finSeq })
	if len(acks) == 0 {
		t.Fatalf("the server never acknowledged the client's FIN")
	}
	a := acks[0]
	if want := at(350*ms + cfg.DelayedAckTimeout); a.at != want || a.p.Len != 0 || a.p.Flags != link.ACK {
		t.Errorf("the client's FIN was first acknowledged by %v (%d bytes) at %v, want a pure ACK at %v",
			a.p.Flags, a.p.Len, a.at, want)
	}
	if len(acks) != 1 {
		t.Errorf("the server sent %d segments acknowledging the FIN, want 1 (its data is corked)", len(acks))
	}
	if sc == nil || sc.Unsent() != 10_000 || sc.State() == Closed {
		t.Errorf("the server should still hold its corked 10000 bytes, open")
	}
}

// TestRepeatedFINIsAcked: a FIN that repeats one already received (its
// ACK was lost) is acknowledged at once, as Linux's tcp_data_queue does
// any segment at or before rcv_nxt. The server's data is corked, so the
// delayed-ACK timer's pure ACK (390 ms, as in
// TestFINAckFallsBackToDelayedAck) is the only ACK of the client's FIN;
// it is lost. The client's RTO resends the FIN, and the server must
// answer it: the client sends its FIN twice, not until it gives up.
//
// Mutation caught: a repeated FIN alone left unanswered (the client
// resends it 15 times over 16 minutes and times out).
func TestRepeatedFINIsAcked(t *testing.T) {
	const ms = time.Millisecond
	p := newPath(pathConfig{rtt: 100 * ms})
	log := &pktLog{}
	p.net.SetTracer(log)
	dropped := false
	p.down.SetLoss(link.DropFunc(func(now sim.Time, q *link.Packet) bool {
		if !dropped && q.Len == 0 && q.Flags == link.ACK && now >= at(380*ms) {
			dropped = true
			return true
		}
		return false
	}))
	c, _ := corkedPair(p)
	p.s.RunUntil(at(time.Hour))
	if !dropped {
		t.Fatal("the server's ACK of the FIN was not dropped: the scenario did not run")
	}
	fins := log.sent(p.up, func(q *link.Packet) bool { return q.Flags&link.FIN != 0 })
	if len(fins) != 2 {
		t.Errorf("the client sent its FIN %d times, want twice (once, and once after its ACK was lost)", len(fins))
	}
	if st := c.Stats(); st.Timeouts > 1 {
		t.Errorf("client timeouts %d, want 1", st.Timeouts)
	}
}

// TestSimultaneousCloseAcksAtOnce: a FIN that arrives after this side's
// application has closed is acknowledged at once, even while this side's
// own FIN still waits behind data (Linux's close() enters FIN_WAIT1 with
// the FIN queued, and tcp_fin acknowledges in FIN_WAIT1 at once): the
// peer's FIN is not held for a FIN of this side that cannot leave. The
// server closes with corked data still queued; the client's FIN reaches
// it at 350 ms and is acknowledged then, not 40 ms later.
//
// Mutation caught: testing whether this side's FIN has left instead of
// whether its application closed (the ACK at 390 ms).
func TestSimultaneousCloseAcksAtOnce(t *testing.T) {
	const ms = time.Millisecond
	p := newPath(pathConfig{rtt: 100 * ms})
	log := &pktLog{}
	p.net.SetTracer(log)
	_, sc := corkedPair(p)
	p.s.At(at(250*ms), func() { (*sc).Close() })
	p.s.RunUntil(at(time.Minute))
	fins := log.sent(p.up, func(q *link.Packet) bool { return q.Flags&link.FIN != 0 })
	if len(fins) == 0 {
		t.Fatal("the client never sent its FIN")
	}
	finSeq := fins[0].p.Seq + int64(fins[0].p.Len)
	acks := log.sent(p.down, func(q *link.Packet) bool { return q.Ack > finSeq })
	if len(acks) == 0 || acks[0].at != at(350*ms) {
		var got []sim.Time
		for _, a := range acks {
			got = append(got, a.at)
		}
		t.Errorf("the client's FIN acknowledged at %v, want at once, at 350ms", got)
	}
}

// corkedPair dials over p with DefaultConfig at both ends: the client
// writes 100 bytes once connected and closes at 300 ms; the server corks
// 10,000 bytes once connected, so that its own FIN cannot leave. It
// returns the client's connection and, once accepted, the server's.
func corkedPair(p *path) (*Conn, **Conn) {
	var sc *Conn
	srv := newRecorder(p.s)
	srv.onConnected = func(c *Conn) {
		c.Cork()
		c.Send(10_000, "held")
	}
	p.sep.Listen(80, DefaultConfig(), func(c *Conn) Handler { sc = c; return srv })
	cli := newRecorder(p.s)
	cli.onConnected = func(c *Conn) { c.Send(100, "q") }
	c := p.cep.Dial(p.server.ID, 80, DefaultConfig(), cli)
	p.s.At(at(300*time.Millisecond), c.Close)
	return c, &sc
}
