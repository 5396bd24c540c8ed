package tcp

import (
	"slices"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// Audit 12 of 9dda007 (the minimum RTT and congestion control's sample
// from the newest segment an ACK covers, Linux's ca_rtt_us): three parts
// of it that no test caught.

// ccSpy records the RTT sample of every ACK handed to the congestion
// control it wraps.
type ccSpy struct {
	CongestionControl
	rtts []time.Duration
}

func (s *ccSpy) OnAck(a Ack) {
	s.rtts = append(s.rtts, a.RTT)
	s.CongestionControl.OnAck(a)
}

// TestMinRTTZeroSampleCountsOneTick: Linux's tcp_update_rtt_min feeds
// the minimum `rtt_us ? : jiffies_to_usecs(1)`: a ca_rtt_us of 0 (an ACK
// on a path with no delay) counts as one tick, 4 ms at HZ = 250. So a
// zero sample sets the minimum to the tick, a later zero newest-segment
// sample with a longer oldest one leaves it there, and a real 3 ms sample
// lowers it; the tick is the configured one.
//
// Mutations caught: a zero ca sample counted as 1 us, or replaced by the
// oldest segment's sample.
func TestMinRTTZeroSampleCountsOneTick(t *testing.T) {
	for _, tick := range []time.Duration{4 * time.Millisecond, 10 * time.Millisecond} {
		cfg := DefaultConfig()
		cfg.TimerTick = tick
		c := &Conn{cfg: cfg.withDefaults(), rtoInit: time.Second, rto: time.Second}
		c.updateRTT(0, 0)
		if c.stats.MinRTT != tick {
			t.Errorf("tick %v: after a sample of 0: min RTT %v, want %v (one tick)", tick, c.stats.MinRTT, tick)
		}
		c.updateRTT(2*time.Millisecond, 0)
		if c.stats.MinRTT != tick {
			t.Errorf("tick %v: after an oldest segment's 2 ms and a newest's 0: min RTT %v, want %v", tick, c.stats.MinRTT, tick)
		}
		c.updateRTT(3*time.Millisecond, 3*time.Millisecond)
		if c.stats.MinRTT != 3*time.Millisecond {
			t.Errorf("tick %v: after a sample of 3 ms: min RTT %v, want 3ms", tick, c.stats.MinRTT)
		}
	}
}

// TestCCSampleFromNewestSegment: congestion control's RTT sample is the
// newest acknowledged segment's (Linux's ack_sample.rtt_us is
// rs->rtt_us = ca_rtt_us, which CUBIC's delay_min and HyStart read), not
// the oldest's, which SRTT takes. The cumulative case of
// TestMinRTTFromNewestSegment: RTT 100 ms, IW 10 at 150 ms, an ACK of
// segments 1-2 at 250 ms (sample 100 ms) releases 11-14, and an ACK of
// 3-12 at 330 ms samples segment 3 (180 ms) for SRTT and segment 12
// (80 ms) for the minimum and for congestion control.
//
// Mutation caught: congestion control given the oldest segment's sample
// (180 ms).
func TestCCSampleFromNewestSegment(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 30*1448)
	spy := &ccSpy{CongestionControl: r.c.cc}
	r.c.cc = spy
	_, e2 := r.seg(2)
	r.ack(ms(250), e2, r.t0)
	_, e12 := r.seg(12)
	r.ack(ms(330), e12, r.t0)
	if want := []time.Duration{100 * time.Millisecond, 80 * time.Millisecond}; !slices.Equal(spy.rtts, want) {
		t.Errorf("congestion control's samples %v, want %v (the newest segment's)", spy.rtts, want)
	}
	if r.c.est.srtt != 110*time.Millisecond {
		t.Errorf("SRTT %v, want 110ms (the oldest segment's 180 ms)", r.c.est.srtt)
	}
}

// TestCCNoSampleFromAckOfRepair: an ACK that covers a resent segment
// gives no sample from the segments it acknowledges (Linux
// tcp_clean_rtx_queue sets neither seq_rtt_us nor ca_rtt_us with
// FLAG_RETRANS_DATA_ACKED); the echoed timestamp, if any, gives both
// (tcp_ack_update_rtt: seq_rtt_us = ca_rtt_us = tcp_rtt_tsopt_us), and
// congestion control gets ca_rtt_us (rs->rtt_us; -1 without timestamps:
// no sample, CUBIC's cubictcp_acked returns). TestNoSampleFromAckOfRepair's
// path: RTT 50 ms, 10 segments at 75 ms, 1-5 acknowledged at 125 ms, the
// loss probe resends segment 10 at 229 ms, and one ACK covers 1-10 at
// 279 ms, growing the window in Open. Without timestamps it gives no
// sample at all; with them, the probe's timestamp gives 50 ms to SRTT,
// the minimum and congestion control.
//
// Mutations caught: the newest never-resent segment's RTT (segment 9's,
// 204 ms) kept for congestion control when the ACK covers a resend
// (without timestamps); the timestamp's sample not given to the minimum
// and to congestion control (with them: the minimum falls to one tick).
func TestCCNoSampleFromAckOfRepair(t *testing.T) {
	for _, ts := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.Timestamps = ts
		r := newSenderRig(t, cfg, 50*time.Millisecond, 10*cfg.SMSS())
		spy := &ccSpy{CongestionControl: r.c.cc}
		r.c.cc = spy
		echo := func(at sim.Time) sim.Time {
			if ts {
				return at
			}
			return -1
		}
		_, e5 := r.seg(5)
		r.ack(ms(125), e5, echo(r.t0))
		r.runUntil(ms(278))
		ev := r.dataSent(ms(125), ms(278))
		s10, e10 := r.seg(10)
		if len(ev) != 1 || !ev[0].p.Retransmit || ev[0].p.Seq != s10 || ev[0].at != ms(229) {
			t.Fatalf("timestamps %v: after 125 ms sent %d segments; want the loss probe (segment 10 again) at 229 ms", ts, len(ev))
		}
		r.ack(ms(279), e10, echo(ms(229)))
		if r.c.sndUna != e10 || r.c.rec.state != Open {
			t.Fatalf("timestamps %v: after the ACK of the repair: snd_una %d, state %v; want %d, Open", ts, r.c.sndUna, r.c.rec.state, e10)
		}
		want := []time.Duration{50 * time.Millisecond, 0}
		if ts {
			want[1] = 50 * time.Millisecond
		}
		if !slices.Equal(spy.rtts, want) {
			t.Errorf("timestamps %v: congestion control's samples %v, want %v", ts, spy.rtts, want)
		}
		if r.c.est.srtt != 50*time.Millisecond || r.c.stats.MinRTT != 50*time.Millisecond {
			t.Errorf("timestamps %v: SRTT %v, min RTT %v after the ACK of the repair; want 50ms, 50ms", ts, r.c.est.srtt, r.c.stats.MinRTT)
		}
	}
}
