package tcp

import (
	"cmp"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

func ms(n float64) sim.Time { return at(time.Duration(n * float64(time.Millisecond))) }

// TestRACKReorderWindow: segments 1-20 of a transfer leave at t0 = 150
// ms (senderRig, RTT 100 ms, so min RTT = SRTT = 100 ms); segment 1 is
// missing and an ACK at 250 ms SACKs the n segments after it, sent at
// the same instant (so sent after it: RACK orders equal times by
// sequence).
//
// RFC 8985 6.2 and Linux tcp_rack_reo_wnd: until reordering has been
// seen, the reordering window is 0 once sacked_out reaches the dupthresh
// of 3 (or in recovery), else min RTT/4 = 25 ms, at most SRTT. A segment
// is lost when RACK.rtt + reo_wnd - its age <= 0; RACK.rtt is 100 ms and
// segment 1 is 100 ms old, so:
//   - n = 3, 4: segment 1 is lost at once; fast retransmit at 250 ms;
//   - n = 1, 2: it has 25 ms left; the reordering timer is armed for
//     25 ms plus TCP_TIMEOUT_MIN_US (2 ms) in whole 4 ms ticks (28 ms,
//     usecs_to_jiffies; tcp_rack_mark_lost, Linux 6.6 and later) and
//     fires at 278 ms, when segment 1 is marked lost and resent
//     (recovery entered from tcp_rack_reo_timeout); nothing is resent
//     before.
//
// The row at RTT 108 ms makes the floor count: the min RTT is 108 ms, so
// the window is 27 ms; the ACK comes at t0 + 108 = 270 ms and 27 + 2 ms
// round up to 32 ms: the timer fires at 302 ms (without the floor, 28 ms:
// 298 ms; with the two ticks kernels before 6.6 added after rounding,
// 306 ms).
//
// The last row makes SRTT differ from the min RTT: an ACK of segment 1
// at 290 ms (RTT 140 ms: SRTT 105 ms, min RTT still 100 ms), then at 291
// ms an ACK SACKing segment 3: segment 2 waits min_rtt/4 = 25 ms (not
// SRTT/4), so the timer fires at 291 + 28 = 319 ms; the window itself is
// checked too, since SRTT/4 = 26.25 ms rounds to the same ticks.
//
// Mutations caught: reo_wnd always 0 (n = 1, 2 resend at 250 ms);
// the sacked_out >= 3 shortcut dropped (n = 3, 4 wait until 278 ms); the
// TCP_TIMEOUT_MIN_US floor left out (298 ms in the 108 ms row) or added
// as two ticks after rounding (286 and 306 ms); SRTT/4 in place of
// min_rtt/4 (a 26.25 ms window in the last row).
func TestRACKReorderWindow(t *testing.T) {
	tests := []struct {
		name   string
		rtt    time.Duration // the path's; 0: 100 ms
		prior  bool          // ACK segment 1 at 290 ms first, SACK 3 at 291 ms
		sacked int           // SACKed segments after the hole
		want   sim.Time
	}{
		{"1 sacked", 0, false, 1, ms(278)},
		{"2 sacked", 0, false, 2, ms(278)},
		{"3 sacked", 0, false, 3, ms(250)},
		{"4 sacked", 0, false, 4, ms(250)},
		{"rtt 108ms", 108 * time.Millisecond, false, 1, ms(302)},
		{"srtt above min rtt", 0, true, 1, ms(319)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rtt := cmp.Or(tt.rtt, 100*time.Millisecond)
			r := newSenderRig(t, DefaultConfig(), rtt, 20*1448)
			hole, ackAt := 1, r.t0.Add(rtt)
			if tt.prior {
				_, e1 := r.seg(1)
				r.ack(ms(290), e1, r.t0)
				hole, ackAt = 2, ms(291)
			}
			holeStart, _ := r.seg(hole)
			r.ack(ackAt, holeStart, r.t0, r.block(hole+1, hole+tt.sacked))
			if tt.want > ackAt {
				if w := r.c.rackReoWnd(); w != rtt/4 {
					t.Errorf("reordering window %v, want min_rtt/4 = %v", w, rtt/4)
				}
				if r.c.sb.lostOut != 0 || r.c.timerMode != timerReorder || r.c.xmitTimer.When() != tt.want {
					t.Errorf("after the ACK: lost %d, timer %v at %v; want 0 lost, reordering timer at %v",
						r.c.sb.lostOut, r.c.timerMode, r.c.xmitTimer.When(), tt.want)
				}
			}
			r.runUntil(ms(400))
			var first sim.Time = -1
			for _, e := range r.dataSent(r.t0, ms(400)) {
				if e.p.Retransmit && e.p.Seq == holeStart {
					first = e.at
					break
				}
			}
			if first != tt.want {
				t.Errorf("segment %d resent at %v, want %v", hole, first, tt.want)
			}
			if st := r.c.Stats(); st.Recoveries != 1 || st.Timeouts != 0 {
				t.Errorf("Recoveries, Timeouts = %d, %d; want 1, 0", st.Recoveries, st.Timeouts)
			}
		})
	}
}

// TestRACKAmbiguousResend: segment 1 is lost and resent at 250 ms (three
// segments SACKed above it); at 260 ms an ACK covers segments 1-4. The
// resend was acknowledged 10 ms after it left, less than the min RTT
// (100 ms): it may be the original that arrived, so RACK must not take
// the resend's time as the most recent delivery (RFC 8985 6.2 step 2;
// Linux tcp_rack_advance: rtt_us < tcp_min_rtt && TCPCB_RETRANS). RACK
// keeps segment 4 (sent at t0) as the latest delivered, so segments 5-10,
// sent at t0 too but after it, are not lost: nothing is resent. Without
// timestamps, so no Eifel detection interferes.
//
// Mutation caught: the min-RTT test removed from rackAdvance (RACK moves
// to 250 ms and marks segments 5-10 lost, resending them).
func TestRACKAmbiguousResend(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Timestamps = false
	r := newSenderRig(t, cfg, 100*time.Millisecond, 20*1460)
	r.ack(ms(250), 1, -1, r.block(2, 4))
	if r.c.sb.retransOut != 1 {
		t.Fatalf("segment 1 not resent at 250 ms (retrans_out %d)", r.c.sb.retransOut)
	}
	_, e4 := r.seg(4)
	sent := r.ack(ms(260), e4, -1)
	for _, p := range sent {
		if p.Retransmit {
			t.Errorf("resent [%d,%d) at 260 ms; nothing is lost", p.Seq, p.Seq+int64(p.Len))
		}
	}
	if rc := &r.c.rec; r.c.sb.lostOut != 0 || rc.rackXmit != r.t0 || rc.rackEnd != e4 {
		t.Errorf("lost_out %d, RACK at (%v, %d); want 0, (%v, %d): the ambiguous resend ignored",
			r.c.sb.lostOut, rc.rackXmit, rc.rackEnd, r.t0, e4)
	}
}

// TestRACKSpuriousResend: as TestRACKAmbiguousResend, but with
// timestamps, and the ACK of segments 1-4 comes at 360 ms, 110 ms after
// the resend (more than the min RTT: not ambiguous by time), echoing the
// original's timestamp (150 ms). The echo shows the original was
// delivered and the resend was spurious, so RACK must not advance to the
// resend's time (Linux tcp_skb_spurious_retrans in tcp_clean_rtx_queue):
// segments 5-10 are not lost and nothing is resent.
//
// Mutation caught: spuriousRetrans always false (RACK moves to 250 ms,
// segments 5-10 are marked lost and resent).
func TestRACKSpuriousResend(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 20*1448)
	r.ack(ms(250), 1, r.t0, r.block(2, 4))
	_, e4 := r.seg(4)
	sent := r.ack(ms(360), e4, r.t0)
	for _, p := range sent {
		if p.Retransmit {
			t.Errorf("resent [%d,%d) at 360 ms; nothing is lost", p.Seq, p.Seq+int64(p.Len))
		}
	}
	if rc := &r.c.rec; r.c.sb.lostOut != 0 || rc.rackXmit != r.t0 || rc.rackEnd != e4 {
		t.Errorf("lost_out %d, RACK at (%v, %d); want 0, (%v, %d): the spurious resend ignored",
			r.c.sb.lostOut, rc.rackXmit, rc.rackEnd, r.t0, e4)
	}
}

// delaySegments returns a loss model for the data direction of p that
// holds back the first transmission of data segment k (from 1, of mss
// bytes) by extra[k] beyond its normal arrival (reordering, nothing
// lost): the packet is taken off the wire and handed to the client's
// endpoint later.
func delaySegments(p *path, mss Bytes, extra map[int]time.Duration) link.DropFunc {
	bySeq := make(map[int64]time.Duration, len(extra))
	for k, d := range extra {
		bySeq[1+int64(k-1)*mss] = d
	}
	return func(now sim.Time, pk *link.Packet) bool {
		d, ok := bySeq[pk.Seq]
		if !ok || pk.Len == 0 || pk.Retransmit {
			return false
		}
		cp := *pk
		p.s.At(now.Add(p.down.Config().Delay+d), func() { p.cep.Receive(&cp) })
		return true
	}
}

// TestRACKReorderingSeen: reordering, once seen, widens RACK's window
// (RFC 8985 6.2: "RACK.reo_wnd ... 0 if ... no reordering has been
// observed"; Linux tcp_rack_reo_wnd tests tp->reord_seen). A 300 KB
// transfer over a 10 Mbit/s, 100 ms path, no timestamps, nothing lost:
//
//   - segment 50 held back 20 ms: the three segments after it are SACKed
//     first, and with no reordering seen before, reo_wnd is 0 from three
//     SACKed: a spurious fast retransmit (undone by D-SACK). This is
//     Linux's behaviour too.
//   - segment 15 held back 2 ms first: one segment is SACKed above it (a
//     25 ms window), then the original fills the hole. Linux counts this
//     as reordering: tcp_clean_rtx_queue sees a never-retransmitted
//     segment acknowledged below the highest SACK (reord < prior_fack)
//     and calls tcp_check_sack_reordering, which increments reord_seen.
//     So when segment 50 is held back 20 ms, reo_wnd is min_rtt/4 = 25
//     ms despite three SACKed, the original arrives within it, and
//     nothing is resent.
//
// Mutation caught (first row): rackReoWnd never 0 (no spurious
// retransmission).
func TestRACKReorderingSeen(t *testing.T) {
	tests := []struct {
		name        string
		extra       map[int]time.Duration
		retransmits int64
	}{
		{"late segment, no reordering seen", map[int]time.Duration{50: 20 * time.Millisecond}, 1},
		{"late segment after reordering", map[int]time.Duration{15: 2 * time.Millisecond, 50: 20 * time.Millisecond}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 100 * time.Millisecond})
			cfg := DefaultConfig()
			cfg.Timestamps = false
			p.down.SetLoss(delaySegments(p, cfg.SMSS(), tt.extra))
			const size = 300_000
			cli, _, sconn := p.transfer(cfg, size)
			p.s.RunUntil(at(20 * time.Second))
			if len(cli.delivered) != 1 {
				t.Fatalf("transfer incomplete")
			}
			st := (*sconn).Stats()
			if st.Retransmits != tt.retransmits || st.Recoveries != tt.retransmits || st.Timeouts != 0 {
				t.Errorf("Retransmits, Recoveries, Timeouts = %d, %d, %d; want %d, %d, 0",
					st.Retransmits, st.Recoveries, st.Timeouts, tt.retransmits, tt.retransmits)
			}
		})
	}
}
