package tcp

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// cwndAt returns the last cwnd sample taken at or before t.
func cwndAt(samples []CwndSample, t sim.Time) CwndSample {
	var s CwndSample
	for _, c := range samples {
		if c.At > t {
			break
		}
		s = c
	}
	return s
}

// spuriousRTO is the outcome of a transfer whose path stalls for a second
// (blockedPath): the timeout that fires during the stall, and what the
// sender saw and did after it.
type spuriousRTO struct {
	st       Stats
	rtoAt    sim.Time   // the timeout (its retransmission)
	prior    CwndSample // the window before it
	acks     []sim.Time // ACK arrivals at the sender after the timeout
	sentAt   map[sim.Time][]link.Packet
	dataLost int64
	done     bool
}

// blockedPath runs a 2 MB transfer over a 10 Mbit/s, 100 ms path with an
// unlimited queue. At 600 ms, in slow start, a 1.25 MB packet of cross
// traffic enters the data direction's queue: it holds the link for one
// second (and is then discarded), so every segment queued behind it
// arrives a second late. The RTT jumps far above the RTO (about 300 ms),
// the tail loss probe and then the RTO fire, and nothing was lost: the
// timeout is spurious.
func blockedPath(t *testing.T, cfg Config) spuriousRTO {
	t.Helper()
	p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 100 * time.Millisecond})
	cfg.TraceCwnd = true
	p.down.SetLoss(link.DropFunc(func(_ sim.Time, pk *link.Packet) bool { return pk.Size > 1_000_000 }))
	log := &pktLog{}
	p.net.SetTracer(log)
	const size = 2_000_000
	cli, _, sconn := p.transfer(cfg, size)
	p.s.At(ms(600), func() {
		p.server.Send(link.Packet{Dst: p.client.ID, Size: 1_250_000, SrcConn: -1, DstConn: -1, TSecr: -1})
	})
	p.s.RunUntil(at(30 * time.Second))
	r := spuriousRTO{st: (*sconn).Stats(), rtoAt: -1, sentAt: map[sim.Time][]link.Packet{},
		dataLost: p.down.Stats().LossDrops - 1, done: len(cli.delivered) == 1}
	for _, e := range log.sent(p.down, func(p *link.Packet) bool { return p.Retransmit && p.Len > 0 }) {
		r.rtoAt = e.at
		break
	}
	if r.rtoAt < 0 {
		t.Fatalf("no retransmission: the stall caused no timeout (Timeouts %d)", r.st.Timeouts)
	}
	r.prior = cwndAt(r.st.Cwnd, r.rtoAt-1)
	for _, e := range log.events {
		switch {
		case e.at <= r.rtoAt:
		case e.ev == link.Delivered && e.pipe == p.up:
			r.acks = append(r.acks, e.at)
		case e.ev == link.Sent && e.pipe == p.down && e.p.Len > 0:
			r.sentAt[e.at] = append(r.sentAt[e.at], e.p)
		}
	}
	if len(r.acks) < 2 {
		t.Fatalf("%d ACKs after the timeout, want at least 2", len(r.acks))
	}
	return r
}

func (r *spuriousRTO) common(t *testing.T) {
	t.Helper()
	if !r.done || r.dataLost != 0 {
		t.Fatalf("transfer done %v, data packets lost %d; want done, none lost", r.done, r.dataLost)
	}
	if r.st.Timeouts != 1 || r.st.LossProbes != 1 {
		t.Errorf("Timeouts, LossProbes = %d, %d; want 1, 1 (the probe, then the spurious timeout)", r.st.Timeouts, r.st.LossProbes)
	}
	if at := cwndAt(r.st.Cwnd, r.rtoAt); at.At != r.rtoAt || at.Cwnd >= r.prior.Cwnd || at.SSThresh >= r.prior.SSThresh {
		t.Errorf("at the timeout (%v) cwnd sample %+v; want cwnd and ssthresh cut from %+v", r.rtoAt, at, r.prior)
	}
}

// TestUndoSpuriousRTO: a path whose RTT jumps above the RTO while nothing
// is lost (blockedPath). The sender probes (new data), then times out,
// cuts ssthresh, sets cwnd to the flight RACK has not given up on plus
// one, and resends the first segment. Then the originals arrive, a
// second late.
//
//   - Timestamps (Eifel, RFC 3522 / RFC 4015; Linux tcp_try_undo_loss via
//     tcp_packet_delayed): the first ACK after the timeout echoes a
//     timestamp older than the retransmission, so the timeout is undone
//     on that ACK: ssthresh back to its value before (slow start's
//     infinity), cwnd back to at least its value before; the lost marks
//     are cleared, so the only segment resent in the whole transfer is the
//     timeout's (Retransmits = 1), and Undos = 1.
//   - No timestamps (F-RTO, RFC 5682, SACK-enhanced as Linux's
//     tcp_process_loss): the first ACK advances snd_una (the original of
//     the resent segment) and the sender sends new data, not
//     retransmissions (step 2b); the second ACK acknowledges data never
//     resent (FLAG_ORIG_SACK_ACKED), so the timeout was spurious: undone
//     on that ACK. Still one retransmission, one undo.
//   - Undo off: the reduction stays (ssthresh after the episode is the
//     cut value, no undo), and the segments marked lost are resent.
//
// Mutations caught: packetDelayed always false (the timestamp row undoes
// only on the second ACK, by F-RTO); the F-RTO branch of processLoss
// disabled (the no-timestamp row never undoes and resends the flight);
// tryUndoLoss not unmarking the lost segments (undoCwndReduction(false):
// segments resent); Reno.Undo a no-op (nothing restored); mayUndo
// ignoring Config.Undo (the undo-off row undoes).
func TestUndoSpuriousRTO(t *testing.T) {
	t.Run("timestamps", func(t *testing.T) {
		r := blockedPath(t, DefaultConfig())
		r.common(t)
		first := cwndAt(r.st.Cwnd, r.acks[0])
		if first.At != r.acks[0] || first.SSThresh != r.prior.SSThresh || first.Cwnd < r.prior.Cwnd {
			t.Errorf("at the first ACK after the timeout (%v) cwnd sample %+v; want ssthresh %d and cwnd >= %d restored there",
				r.acks[0], first, r.prior.SSThresh, r.prior.Cwnd)
		}
		if r.st.Undos != 1 || r.st.Retransmits != 1 {
			t.Errorf("Undos, Retransmits = %d, %d; want 1, 1", r.st.Undos, r.st.Retransmits)
		}
	})
	t.Run("frto", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Timestamps = false
		r := blockedPath(t, cfg)
		r.common(t)
		first := cwndAt(r.st.Cwnd, r.acks[0])
		if first.SSThresh == r.prior.SSThresh {
			t.Errorf("at the first ACK after the timeout (%v) cwnd sample %+v; want still reduced (F-RTO decides on the second)", r.acks[0], first)
		}
		sent := r.sentAt[r.acks[0]]
		if len(sent) == 0 {
			t.Errorf("nothing sent at the first ACK; F-RTO step 2b sends new data")
		}
		for _, p := range sent {
			if p.Retransmit {
				t.Errorf("at the first ACK resent seq %d; F-RTO sends new data, not retransmissions", p.Seq)
			}
		}
		second := cwndAt(r.st.Cwnd, r.acks[1])
		if second.At != r.acks[1] || second.SSThresh != r.prior.SSThresh || second.Cwnd < r.prior.Cwnd {
			t.Errorf("at the second ACK after the timeout (%v) cwnd sample %+v; want ssthresh %d and cwnd >= %d restored there",
				r.acks[1], second, r.prior.SSThresh, r.prior.Cwnd)
		}
		if r.st.Undos != 1 || r.st.Retransmits != 1 {
			t.Errorf("Undos, Retransmits = %d, %d; want 1, 1", r.st.Undos, r.st.Retransmits)
		}
	})
	t.Run("undo off", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Undo = false
		r := blockedPath(t, cfg)
		r.common(t)
		cut := cwndAt(r.st.Cwnd, r.rtoAt)
		last := r.st.Cwnd[len(r.st.Cwnd)-1]
		if r.st.Undos != 0 || last.SSThresh != cut.SSThresh {
			t.Errorf("Undos %d, ssthresh at the end %d; want 0, the cut value %d", r.st.Undos, last.SSThresh, cut.SSThresh)
		}
		if r.st.Retransmits <= 1 {
			t.Errorf("Retransmits = %d, want more than 1 (what was marked lost is resent)", r.st.Retransmits)
		}
	})
}

// TestUndoDSACK: a spurious fast retransmit, undone by D-SACK (RFC 3708,
// RFC 2883; Linux tcp_try_undo_dsack). A 300 KB transfer over a 10
// Mbit/s, 100 ms path, without timestamps (so Eifel cannot undo first);
// segment 25 is held back 20 ms on the way (reordering, nothing lost).
// The three segments after it arrive first and their SACKs make RACK mark
// it lost (reo_wnd 0 from three SACKed): fast retransmit, ssthresh cut.
// The original arrives, then the retransmission, which the receiver
// reports in a D-SACK block: every retransmission of the episode was
// unnecessary (undo_retrans reaches 0), so on that ACK cwnd and ssthresh
// return to their values before recovery. DSACKsReceived 1, Undos 1,
// Retransmits 1, no timeout.
//
// Mutations caught: processSACK not counting the D-SACK against
// undo_retrans (no undo); tryUndoDSACK disabled (no undo); the receiver
// not reporting duplicates (noteDuplicate a no-op: no D-SACK, no undo).
func TestUndoDSACK(t *testing.T) {
	p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 100 * time.Millisecond})
	cfg := DefaultConfig()
	cfg.TraceCwnd = true
	cfg.Timestamps = false
	target := 1 + 24*cfg.SMSS()
	p.down.SetLoss(link.DropFunc(func(now sim.Time, pk *link.Packet) bool {
		if pk.Len > 0 && !pk.Retransmit && pk.Seq == target {
			cp := *pk // held back: delivered 20 ms after it would have arrived
			p.s.At(now.Add(p.down.Config().Delay+20*time.Millisecond), func() { p.cep.Receive(&cp) })
			return true
		}
		return false
	}))
	log := &pktLog{}
	p.net.SetTracer(log)
	const size = 300_000
	cli, _, sconn := p.transfer(cfg, size)
	p.s.RunUntil(at(20 * time.Second))
	if len(cli.delivered) != 1 || p.cep.Conns()[0].Stats().BytesDelivered != size {
		t.Fatalf("transfer incomplete")
	}
	st := (*sconn).Stats()
	var rtx, dsack sim.Time = -1, -1
	for _, e := range log.events {
		if rtx < 0 && e.ev == link.Sent && e.pipe == p.down && e.p.Retransmit {
			rtx = e.at
		}
		if dsack < 0 && e.ev == link.Delivered && e.pipe == p.up && e.p.NSack > 0 &&
			e.p.SackBlock(0).Start == target && e.p.SackBlock(0).End <= e.p.Ack {
			dsack = e.at
		}
	}
	if rtx < 0 || dsack < 0 {
		t.Fatalf("retransmission at %v, D-SACK at %v; want both", rtx, dsack)
	}
	prior := cwndAt(st.Cwnd, rtx-1)
	cut := cwndAt(st.Cwnd, rtx)
	undone := cwndAt(st.Cwnd, dsack)
	if cut.SSThresh >= prior.SSThresh {
		t.Errorf("at the fast retransmit (%v) cwnd sample %+v; want ssthresh cut from %+v", rtx, cut, prior)
	}
	if before := cwndAt(st.Cwnd, dsack-1); before.SSThresh != cut.SSThresh {
		t.Errorf("just before the D-SACK cwnd sample %+v; want still reduced (ssthresh %d)", before, cut.SSThresh)
	}
	if undone.At != dsack || undone.SSThresh != prior.SSThresh || undone.Cwnd < prior.Cwnd {
		t.Errorf("at the D-SACK (%v) cwnd sample %+v; want ssthresh %d and cwnd >= %d restored there",
			dsack, undone, prior.SSThresh, prior.Cwnd)
	}
	if st.Undos != 1 || st.DSACKsReceived != 1 || st.Retransmits != 1 || st.Timeouts != 0 || st.Recoveries != 1 {
		t.Errorf("Undos, DSACKsReceived, Retransmits, Timeouts, Recoveries = %d, %d, %d, %d, %d; want 1, 1, 1, 0, 1",
			st.Undos, st.DSACKsReceived, st.Retransmits, st.Timeouts, st.Recoveries)
	}
}

// TestDSACKCountsOnlyResends: a D-SACK shows a retransmission was
// unnecessary only if it reports a segment that was resent (RFC 3708;
// Linux tcp_sacktag_one counts dup_sack blocks of TCPCB_RETRANS data). A
// fast recovery starts at 250 ms (segment 1 lost, 2-4 SACKed: segment 1
// resent, undoRetrans 1); then a D-SACK reports segment 3, which was
// never resent (a network duplicate): the episode must stay unundone,
// since segment 1's resend is still unexplained.
//
// Mutation caught: every D-SACK block above the undo marker counted
// against undoRetrans (the reduction undone at 260 ms).
func TestDSACKCountsOnlyResends(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 20*1448)
	s1, _ := r.seg(1)
	r.ack(ms(250), s1, r.t0, r.block(2, 4))
	if r.c.CongState() != Recovery || r.c.rec.undoRetrans != 1 {
		t.Fatalf("after the SACK: state %v, undoRetrans %d; want recovery, 1", r.c.CongState(), r.c.rec.undoRetrans)
	}
	ssthresh := r.c.CC().SSThresh()
	r.ack(ms(260), s1, r.t0, r.block(3, 3), r.block(2, 4))
	if st := r.c.Stats(); st.DSACKsReceived != 1 || st.Undos != 0 || r.c.rec.undoRetrans != 1 {
		t.Errorf("after a D-SACK of a segment never resent: D-SACKs %d, undos %d, undoRetrans %d; want 1, 0, 1",
			st.DSACKsReceived, st.Undos, r.c.rec.undoRetrans)
	}
	if got := r.c.CC().SSThresh(); got != ssthresh {
		t.Errorf("ssthresh %d after the D-SACK, want %d kept", got, ssthresh)
	}
}
