package tcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
)

// linuxRTT is Linux's tcp_rtt_estimator and __tcp_set_rto (tcp_input.c,
// tcp.h) transcribed with its own scaling: srtt_us holds 8 times the
// smoothed RTT, mdev_us and rttvar_us 4 times the mean deviation, all in
// microseconds; the RTO is (srtt_us >> 3) + rttvar_us. A reference for
// the model's nanosecond version.
type linuxRTT struct {
	srtt, mdev, mdevMax, rttvar int64 // us, scaled as in struct tcp_sock
	rttSeq                      int64
	rtoMin                      int64
}

func (l *linuxRTT) sample(mrtt int64, sndUna, sndNxt int64) {
	m := mrtt
	srtt := l.srtt
	if srtt != 0 {
		m -= srtt >> 3
		srtt += m
		if m < 0 {
			m = -m
			m -= l.mdev >> 2
			if m > 0 {
				m >>= 3
			}
		} else {
			m -= l.mdev >> 2
		}
		l.mdev += m
		if l.mdev > l.mdevMax {
			l.mdevMax = l.mdev
			if l.mdevMax > l.rttvar {
				l.rttvar = l.mdevMax
			}
		}
		if sndUna > l.rttSeq {
			if l.mdevMax < l.rttvar {
				l.rttvar -= (l.rttvar - l.mdevMax) >> 2
			}
			l.rttSeq = sndNxt
			l.mdevMax = l.rtoMin
		}
	} else {
		srtt = m << 3
		l.mdev = m << 1
		l.rttvar = max(l.mdev, l.rtoMin)
		l.mdevMax = l.rttvar
		l.rttSeq = sndNxt
	}
	l.srtt = max(1, srtt)
}

// rto is __tcp_set_rto: usecs_to_jiffies(srtt + rttvar), whole jiffies
// of 4 ms (HZ = 250) rounded up.
func (l *linuxRTT) rto() time.Duration {
	us := (l.srtt >> 3) + l.rttvar
	const jiffy = 4000
	return time.Duration((us+jiffy-1)/jiffy*jiffy) * time.Microsecond
}

// TestRTOLinuxEstimator feeds the same RTT samples to the model's
// estimator (a bare Conn, RTOLinux) and to linuxRTT, a transcription of
// Linux's tcp_rtt_estimator: a first sample, steady samples, delayed-ACK
// spikes, a falling RTT (which moves mdev only an eighth as much), and
// snd_una moving past rtt_seq every few samples (the window at whose end
// rttvar decays towards mdev_max, and mdev_max restarts from the 200 ms
// floor). After every sample the RTOs must agree within 10 us (the model
// computes in nanoseconds, Linux in scaled microseconds that it
// truncates, a few microseconds apart over 40 samples).
//
// Mutations caught: the floor applied to the whole RTO instead of the
// variance term (RTO = max(SRTT + mdev, 200 ms)); a falling RTT moving
// mdev fully (no m >>= 3); mdev_max restarting from 0 instead of the
// floor; rttvar not decaying at the end of a window; the first rttvar
// without the floor.
func TestRTOLinuxEstimator(t *testing.T) {
	cfg := DefaultConfig()
	c := &Conn{cfg: cfg.withDefaults(), rtoInit: time.Second, rto: time.Second}
	ref := linuxRTT{rtoMin: 200_000}
	samples := []int64{20, 20, 21, 60, 20, 20, 64, 20, 19, 18, 300, 20, 20, 20, 20, 20, 20, 20, 20, 20,
		5, 5, 5, 5, 500, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40}
	for i, ms := range samples {
		// snd_nxt runs 50 ahead of snd_una: rtt_seq is passed every
		// five samples.
		c.sndUna += 10
		c.sndMax = c.sndUna + 50
		c.updateRTT(time.Duration(ms)*time.Millisecond, time.Duration(ms)*time.Millisecond)
		ref.sample(ms*1000, c.sndUna, c.sndMax)
		if d := c.rto - ref.rto(); d < -10*time.Microsecond || d > 10*time.Microsecond {
			t.Fatalf("sample %d (%d ms): RTO %v, Linux %v", i+1, ms, c.rto, ref.rto())
		}
	}
	t.Logf("RTO after %d samples: %v (Linux %v)", len(samples), c.rto, ref.rto())
}

// TestRTOFirstSample: the RTO set by the handshake's RTT sample on a 20 ms
// path. Linux's estimator starts rttvar at max(2 * RTT, 200 ms): RTO =
// 20.02 + 200 ms in whole 4 ms ticks = 224 ms, the figure a real Linux
// 20 ms path reports. RFC 6298 (RTORFC6298): SRTT + 4 * RTT/2 = 60 ms,
// clamped to the 200 ms minimum. On a 300 ms path 300.02 + 600 ms: 904
// ms in ticks for Linux, 900 ms for the RFC. After a 200 KB transfer on the 20 ms path (50 Mbit/s)
// the Linux RTO stays within 224 ms +-5% (the reference's figure): the
// 200 ms floor applies to the variance term, so the RTO sits above SRTT +
// 200 ms; the RFC one stays at its 200 ms clamp.
//
// Mutations caught: the Linux estimator's first rttvar without the floor
// (60 ms RTO on the 20 ms path); the floor applied to the whole RTO
// (max(SRTT + mdev, 200 ms): 200 ms); mdev_max restarting from 0 (the
// RTO after the transfer falls below 213 ms).
func TestRTOFirstSample(t *testing.T) {
	tests := []struct {
		est       RTOEstimator
		rtt       time.Duration
		want      time.Duration
		afterLo   time.Duration // after the transfer: RTO within [afterLo, afterHi]
		afterHi   time.Duration
		transfers bool
	}{
		{RTOLinux, 20 * time.Millisecond, 224 * time.Millisecond, 213 * time.Millisecond, 235 * time.Millisecond, true},
		{RTORFC6298, 20 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, true},
		{RTOLinux, 300 * time.Millisecond, 904 * time.Millisecond, 0, 0, false},
		{RTORFC6298, 300 * time.Millisecond, 900 * time.Millisecond, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%v", tt.est, tt.rtt), func(t *testing.T) {
			p := newPath(pathConfig{rate: 50 * link.Mbps, rtt: tt.rtt})
			cfg := DefaultConfig()
			cfg.RTOEstimator = tt.est
			size := Bytes(200_000)
			cli, _, sconn := p.transfer(cfg, size)
			for *sconn == nil || (*sconn).State() != Established {
				if !p.s.Step() {
					t.Fatalf("no connection")
				}
			}
			// The server's handshake sample: SYN-ACK to ACK, one RTT
			// plus two 52-byte serializations.
			srv := *sconn
			if d := srv.Stats().RTO - tt.want; d < 0 || d > 100*time.Microsecond {
				t.Errorf("RTO after the handshake %v (SRTT %v), want %v", srv.Stats().RTO, srv.Stats().SRTT, tt.want)
			}
			if !tt.transfers {
				return
			}
			p.s.RunUntil(at(10 * time.Second))
			if len(cli.delivered) != 1 {
				t.Fatalf("transfer incomplete")
			}
			if got := srv.Stats().RTO; got < tt.afterLo || got > tt.afterHi {
				t.Errorf("RTO after the transfer %v (SRTT %v), want within [%v, %v]", got, srv.Stats().SRTT, tt.afterLo, tt.afterHi)
			}
		})
	}
}

// TestTicksMatchesDivision checks ticks' 32-bit fast path against the
// 64-bit rounding it stands for, around the 32-bit boundary, for negative
// durations and for ticks too long for 32 bits.
func TestTicksMatchesDivision(t *testing.T) {
	const lim = 1<<32 - 1
	for _, tick := range []time.Duration{time.Nanosecond, 3, time.Millisecond, 4 * time.Millisecond, 10 * time.Millisecond, lim, lim + 1, 5 * time.Second} {
		c := &Conn{cfg: Config{TimerTick: tick}}
		for _, d := range []time.Duration{-5 * time.Second, -lim, -tick - 1, -tick, -1, 0, 1, tick - 1, tick, tick + 1,
			40 * time.Millisecond, 48*time.Millisecond + 7, lim - tick, lim - tick + 1, lim - tick + 2, lim, lim + 1, 10 * time.Second} {
			if got, want := c.ticks(d), (d+tick-1)/tick*tick; got != want {
				t.Errorf("tick %v: ticks(%v) = %v, want %v", tick, d, got, want)
			}
		}
	}
}

// TestSACKRearmsRTOInRecovery: in fast recovery, an ACK that only SACKs
// data re-arms the retransmission timer from now when that data was sent
// before the first outstanding segment was last sent (Linux
// tcp_clean_rtx_queue: FLAG_SET_XMIT_TIMER when the SACK RTT exceeds the
// head's age), so the SACKs of the original flight put the timeout off
// while they arrive. RTT 100 ms, 20 segments, IW 10 sent at t0 = 150 ms:
// at 250 ms an ACK SACKs segments 2-4, RACK marks segment 1 lost, and it
// is sent again with the RTO at 250 + 300 = 550 ms; at 260 ms an ACK
// SACKs segments 5 and 6 too, sent at 150 ms (SACK RTT 110 ms, the head
// is 10 ms old): the timer runs from 260 ms. The rule itself: a SACK RTT
// no longer than the head's age does not re-arm (data sent with or after
// the head's last transmission), a cumulative advance always does.
//
// Mutation caught: the SACK branch removed (the timer stays at 550 ms).
func TestSACKRearmsRTOInRecovery(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 20*1448)
	s1, _ := r.seg(1)
	out := r.ack(ms(250), s1, r.t0, r.block(2, 4))
	if len(out) == 0 || out[0].Seq != s1 || !out[0].Retransmit {
		t.Fatalf("at 250 ms sent %v, want segment 1 again first", out)
	}
	if r.c.rec.state != Recovery || r.c.timerMode != timerRTO || r.c.xmitTimer.When() != ms(550) {
		t.Fatalf("after the fast retransmit: state %v, timer %v at %v; want recovery, the RTO at 550 ms",
			r.c.rec.state, r.c.timerMode, r.c.xmitTimer.When())
	}
	r.ack(ms(260), s1, r.t0, r.block(2, 6))
	if want := ms(260).Add(r.c.rto); r.c.timerMode != timerRTO || r.c.xmitTimer.When() != want {
		t.Errorf("after SACKs of the original flight at 260 ms: timer %v at %v; want the RTO from now, at %v",
			r.c.timerMode, r.c.xmitTimer.When(), want)
	}
	// The rule, at 260 ms with the head last sent at 250 ms.
	for _, tt := range []struct {
		a    ackInfo
		want bool
	}{
		{ackInfo{sackRTT: 11 * time.Millisecond}, true},
		{ackInfo{sackRTT: 10 * time.Millisecond}, false},
		{ackInfo{sackRTT: -1}, false},
		{ackInfo{sackRTT: -1, unaAdvanced: true}, true},
	} {
		if got := r.c.setsXmitTimer(&tt.a); got != tt.want {
			t.Errorf("SACK RTT %v, una advanced %v: re-arms %v, want %v", tt.a.sackRTT, tt.a.unaAdvanced, got, tt.want)
		}
	}
}

// TestKarnKeepsBackoff: without timestamps, an ACK of a retransmitted
// segment gives no RTT sample (Karn's algorithm, RFC 6298 5), and the
// backed-off RTO stays until a sample comes (RFC 6298 5.5-5.7; Linux
// resets icsk_backoff only in tcp_ack_update_rtt, "only reset backoff on
// valid RTT measurement"). TextbookConfig, RTT 100 ms, 20 segments, IW 10
// at t0 = 150 ms and no ACK: the RTO (100 + 4*50 = 300 ms) fires at 450
// ms and doubles to 600 ms; at 460 ms an ACK covers the resent segment 1:
// the RTO stays 600 ms and the timer for the segments sent in answer
// runs to 1,060 ms.
//
// Mutation caught: the RTO recomputed from the estimate on any advance
// (300 ms; the timer at 760 ms).
func TestKarnKeepsBackoff(t *testing.T) {
	r := newSenderRig(t, TextbookConfig(), 100*time.Millisecond, 20*1448)
	r.runUntil(ms(460))
	if st := r.c.Stats(); st.Timeouts != 1 || r.c.rto != 600*time.Millisecond {
		t.Fatalf("at 460 ms: %d timeouts, RTO %v; want 1 and 600ms", st.Timeouts, r.c.rto)
	}
	_, e1 := r.seg(1)
	if out := r.ack(ms(460), e1, -1); len(out) == 0 {
		t.Fatal("nothing sent after the ACK of the resent segment")
	}
	if r.c.rto != 600*time.Millisecond || r.c.timerMode != timerRTO || r.c.xmitTimer.When() != ms(1060) {
		t.Errorf("after the ACK of the resent segment: RTO %v, timer %v at %v; want 600ms kept, the RTO at 1.06s",
			r.c.rto, r.c.timerMode, r.c.xmitTimer.When())
	}
}
