package tcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// TestScoreboardScripted walks a sender through a scripted loss episode
// (senderRig: RTT 100 ms, IW 20, NewReno, SACK, no timestamps; segments
// 1-20 leave at t0 = 150 ms; ssthresh after the cut is 10) and checks the
// scoreboard's counters after every ACK against the values Linux's
// sacked_out, lost_out, retrans_out and tcp_packets_in_flight would
// hold, and the segments sent in answer. The flight stays above ssthresh,
// so PRR's proportional part decides the sends: ceil(ssthresh *
// prr_delivered / prior_cwnd) - prr_out (RFC 6937).
//
//   - 250 ms, ACK 1 SACK 2-4: three SACKed above segment 1, so RACK marks
//     it lost at once (reo_wnd 0); recovery; PRR allows ceil(10*3/20) = 2:
//     segment 1 resent and new segment 21. packets_out 21, sacked 3, lost
//     1, retrans 1, in flight 18.
//   - 251 ms, ACK 1 SACK 6-8, 2-4: segment 5 lost; PRR allows 3 - 2 = 1:
//     segment 5 resent. sacked 6, lost 2, retrans 2, in flight 15.
//   - 260 ms, ACK into the middle of segment 5 (700 bytes of it), SACK
//     6-8: segments 1-4 leave the scoreboard, the rest of segment 5 stays
//     with its marks (partial-ACK trimming, Linux tcp_trim_head).
//     Segment 1's resend was acknowledged 10 ms after it left, less than
//     the min RTT: ambiguous, so RACK does not advance and nothing more is
//     lost. PRR allows 4 - 3 = 1: new segment 22. packets_out 18 (5',
//     6-22), sacked 3, lost 1, retrans 1, in flight 15.
//   - 261 ms, ACK 8: the rest of segment 5 and the SACKed 6-8 leave;
//     packets_out 14, nothing SACKed, lost or resent, in flight 14; PRR
//     allows 4 - 4 = 0.
//
// After every step checkScoreboard recomputes the counters from the marks
// (segments and bytes) and the in-flight figures.
//
// Mutations caught: tcp_packets_in_flight without "+ retrans_out"
// (in-flight values and PRR's sends differ); the partial-ACK branch of
// cleanRtx not re-adding the lost mark to the counters (lost_out and
// lostBytes disagree with the marks at 260 ms).
func TestScoreboardScripted(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Timestamps = false
	cfg.InitialWindow = 20
	r := newSenderRig(t, cfg, 100*time.Millisecond, 40*1460)
	c := r.c
	s1, _ := r.seg(1)
	s5, e5 := r.seg(5)
	_, e8 := r.seg(8)
	s21, _ := r.seg(21)
	s22, _ := r.seg(22)
	steps := []struct {
		name                                   string
		when                                   sim.Time
		ack                                    int64
		blocks                                 []link.SackBlock
		una                                    int64
		packetsOut, sacked, lost, retr, flight int
		sent                                   []int64 // sequence numbers sent in answer
	}{
		{"ACK 1 SACK 2-4", ms(250), 1, []link.SackBlock{r.block(2, 4)},
			1, 21, 3, 1, 1, 18, []int64{s1, s21}},
		{"ACK 1 SACK 6-8,2-4", ms(251), 1, []link.SackBlock{r.block(6, 8), r.block(2, 4)},
			1, 21, 6, 2, 2, 15, []int64{s5}},
		{"partial ACK into 5", ms(260), s5 + 700, []link.SackBlock{r.block(6, 8)},
			s5 + 700, 18, 3, 1, 1, 15, []int64{s22}},
		{"ACK 8", ms(261), e8, nil,
			e8, 14, 0, 0, 0, 14, nil},
	}
	for _, st := range steps {
		sent := r.ack(st.when, st.ack, -1, st.blocks...)
		var seqs []int64
		for _, p := range sent {
			seqs = append(seqs, p.Seq)
		}
		b := &c.sb
		got := fmt.Sprint(c.sndUna, b.packetsOut(), b.sackedOut, b.lostOut, b.retransOut, b.inFlight(), seqs)
		want := fmt.Sprint(st.una, st.packetsOut, st.sacked, st.lost, st.retr, st.flight, st.sent)
		if got != want {
			t.Errorf("%s at %v: una, packets_out, sacked, lost, retrans, in flight, sent = %s; want %s",
				st.name, st.when, got, want)
		}
		checkScoreboard(t, c)
		if st.ack == s5+700 {
			f := c.sb.segs.Front()
			if f.start != s5+700 || f.end != e5 || !f.has(segLost) || !f.has(segRetrans) || !f.has(segEverRetrans) {
				t.Errorf("after the partial ACK the first segment is [%d,%d) flags %b; want [%d,%d) lost, resent, ever resent",
					f.start, f.end, f.flags, s5+700, e5)
			}
			if c.sb.lostBytes != e5-s5-700 {
				t.Errorf("lost bytes = %d, want %d (the rest of segment 5)", c.sb.lostBytes, e5-s5-700)
			}
		}
	}
	if c.CongState() != Recovery {
		t.Errorf("state %v, want recovery", c.CongState())
	}
}

// receiveHook is a node's receiver that hands each packet to an endpoint
// and then runs a check.
type receiveHook struct {
	r     link.Receiver
	after func()
}

func (h receiveHook) Receive(p *link.Packet) {
	h.r.Receive(p)
	h.after()
}

// TestScoreboardRandomLoss moves 2 MB over a 20 Mbit/s, 40 ms path with a
// 45,000-byte (30-packet) queue and 5% random loss on the data direction
// and 1% on the ACKs, for several seeds, with Linux's recovery (SACK,
// RACK, TLP, PRR, undo). After every packet the sender handles, checkScoreboard checks
// the counters against the marks; the arrivalAudit on the receiver
// checks that no byte was delivered twice or skipped, and every message
// once and in order.
//
// Mutations caught: markLost dropping a lost retransmission's mark by
// writing s.flags directly instead of through clear (retrans_out off by
// one); mergeOOO merging a span that starts up to one MSS beyond
// rcv_nxt (the audit sees a skipped hole).
func TestScoreboardRandomLoss(t *testing.T) {
	const size = 2_000_000
	for _, seed := range []uint64{1, 2, 3, 4} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			pa := newPath(pathConfig{rate: 20 * link.Mbps, rtt: 40 * time.Millisecond, queue: 30 * 1500, seed: seed})
			pa.down.SetLoss(&link.Bernoulli{P: 0.05, Rand: pa.s.Stream("loss")})
			pa.up.SetLoss(&link.Bernoulli{P: 0.01, Rand: pa.s.Stream("ackloss")})
			sizes := messageSizes(size)
			audit := newArrivalAudit(t, pa.client, pa.cep, 0, sizes)
			srv := newRecorder(pa.s)
			var sconn *Conn
			srv.onConnected = func(c *Conn) {
				c.Cork()
				for i, n := range sizes {
					c.Send(n, i)
				}
				c.Uncork()
			}
			checks := 0
			pa.server.SetReceiver(receiveHook{r: pa.sep, after: func() {
				if sconn != nil && sconn.State() == Established {
					checks++
					checkScoreboard(t, sconn)
				}
			}})
			pa.sep.Listen(80, DefaultConfig(), func(c *Conn) Handler { sconn = c; return srv })
			cli := newRecorder(pa.s)
			cli.onDelivered = func(_ *Conn, tag any) { audit.onDelivered(tag) }
			pa.cep.Dial(pa.server.ID, 80, DefaultConfig(), cli)
			pa.s.RunUntil(at(5 * time.Minute))
			if len(cli.delivered) != len(sizes) {
				t.Fatalf("delivered %d messages, want %d", len(cli.delivered), len(sizes))
			}
			audit.finish(size)
			st := sconn.Stats()
			if st.Retransmits == 0 || checks == 0 {
				t.Errorf("Retransmits = %d, checks = %d; want both > 0", st.Retransmits, checks)
			}
			t.Logf("%d checks; %d retransmits, %d fast, %d timeouts, %d probes, %d undos", checks,
				st.Retransmits, st.FastRetransmits, st.Timeouts, st.LossProbes, st.Undos)
		})
	}
}

// TestRTOResendsOnlyLost: after a timeout the sender resends what the
// scoreboard says is lost, not what the receiver SACKed (RFC 6675 5.1,
// Linux tcp_timeout_mark_lost: SACKed segments keep their mark). A
// transfer of exactly 10 segments over a 100 Mbit/s, 100 ms path loses
// segment 1 and its fast retransmit: segments 2-10 are SACKed, RACK marks
// 1 lost and fast recovery resends it; that copy is lost too, nothing is
// left to send, and the RTO fires. Only segment 1 is resent then, and the
// transfer completes: every retransmission (fast and timeout) is of
// segment 1, Timeouts 1. Just after the timeout the scoreboard holds 9
// SACKed, 1 lost and resent, and cwnd is the flight RACK has not given up
// on (none) plus one: 1 segment (Linux tcp_enter_loss).
//
// Mutation caught: tcp_timeout_mark_lost clearing the SACK marks
// (enterLoss marks segments 2-10 lost: sacked 0, lost 10 after the
// timeout; the next ACK's SACK blocks repair the marks, so only the
// counters show it); cwnd = in flight + 2 at the timeout.
func TestRTOResendsOnlyLost(t *testing.T) {
	p := newPath(pathConfig{rate: 100 * link.Mbps, rtt: 100 * time.Millisecond})
	cfg := DefaultConfig()
	drops := 0
	p.down.SetLoss(link.DropFunc(func(_ sim.Time, pk *link.Packet) bool {
		if pk.Len > 0 && pk.Seq == 1 && drops < 2 {
			drops++
			return true
		}
		return false
	}))
	log := &pktLog{}
	p.net.SetTracer(log)
	size := 10 * cfg.SMSS()
	cli, _, sconn := p.transfer(cfg, size)
	for (*sconn == nil || (*sconn).Stats().Timeouts == 0) && p.s.Step() {
	}
	if c := *sconn; c == nil || c.sb.sackedOut != 9 || c.sb.lostOut != 1 || c.sb.retransOut != 1 || c.cc.Window() != c.smss {
		t.Errorf("just after the timeout: sacked, lost, retrans = %d, %d, %d, cwnd %d; want 9, 1, 1 and cwnd 1 segment (in flight 0 + 1)",
			c.sb.sackedOut, c.sb.lostOut, c.sb.retransOut, c.cc.Window())
	}
	p.s.RunUntil(at(10 * time.Second))
	if len(cli.delivered) != 1 {
		t.Fatalf("transfer incomplete")
	}
	st := (*sconn).Stats()
	var seqs []int64
	for _, e := range log.sent(p.down, func(p *link.Packet) bool { return p.Retransmit && p.Len > 0 }) {
		seqs = append(seqs, e.p.Seq)
	}
	if fmt.Sprint(seqs) != "[1 1]" || st.Timeouts != 1 || st.Recoveries != 1 {
		t.Errorf("retransmitted %v, Timeouts %d, Recoveries %d; want [1 1] (the fast retransmit and the timeout's), 1, 1",
			seqs, st.Timeouts, st.Recoveries)
	}
}

// TestIndexNearEnd checks the galloping search against the binary one
// for every sequence number around a scoreboard of uneven segments,
// wrapped in its ring, and an empty one.
func TestIndexNearEnd(t *testing.T) {
	var b scoreboard
	if got := b.indexNearEnd(5); got != 0 {
		t.Fatalf("empty scoreboard: indexNearEnd = %d, want 0", got)
	}
	seq := int64(1)
	for i := range 40 {
		n := int64(1 + (i*7)%13)
		b.segs.Push(txSeg{start: seq, end: seq + n})
		seq += n
		if i%3 == 0 {
			b.popFront() // move the ring's head so the segments wrap
		}
	}
	for q := int64(0); q <= seq+2; q++ {
		if got, want := b.indexNearEnd(q), b.index(q); got != want {
			t.Fatalf("seq %d: indexNearEnd = %d, index = %d", q, got, want)
		}
	}
}
