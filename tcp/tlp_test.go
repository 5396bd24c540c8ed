package tcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// firstSentAfter returns the first data segment the rig's sender put on
// the wire after t, or ok = false.
func (r *senderRig) firstSentAfter(t, until sim.Time) (pktEvent, bool) {
	ev := r.dataSent(t, until)
	if len(ev) == 0 {
		return pktEvent{}, false
	}
	return ev[0], true
}

// TestTLPProbeTime: the first flight leaves at t0 = 1.5 RTT and nothing
// comes back (senderRig); the handshake set SRTT = RTT and the Linux RTO
// = SRTT + max(2 SRTT, 200 ms). The loss probe (RFC 8985 7.2; Linux
// tcp_schedule_loss_probe) is armed for 2*SRTT plus TCP_TIMEOUT_MIN_US
// (2 ms) with several segments outstanding, 2*SRTT + MinRTO with one (its
// ACK may be delayed), rounded up to whole 4 ms ticks (Linux 6.6 and
// later), and never later than the RTO:
//
//   - RTT 100 ms, 10 segments: 202 ms, 204 ms after t0 (RTO 300 ms);
//   - RTT 300 ms, 1 segment: 2*300 + 200 = 800 ms (RTO 900 ms);
//   - RTT 100 ms, 1 segment: 400 ms capped to the RTO, 300 ms.
//
// The probe sends a segment of new data if there is any (15 segments
// written, IW 10: segment 11, not a retransmission), else resends the
// last segment sent (RFC 8985 7.3); Stats.LossProbes counts it, and no
// timeout has happened.
//
// Mutations caught: the 2 ms floor dropped (200 ms) or added as two ticks
// after rounding, as kernels before 6.6 did (208 ms), or MinRTO added
// whatever the count (the several/one rows move); the cap by the RTO removed (the last row
// probes at 400 ms); the probe always resending the last segment (the
// new-data row).
func TestTLPProbeTime(t *testing.T) {
	tests := []struct {
		rtt     time.Duration
		size    Bytes
		after   time.Duration // probe time after t0
		newData bool          // the probe carries new data (segment 11)
		lastSeg int           // else: it resends this segment
	}{
		{100 * time.Millisecond, 10 * 1448, 204 * time.Millisecond, false, 10},
		{100 * time.Millisecond, 15 * 1448, 204 * time.Millisecond, true, 0},
		{300 * time.Millisecond, 1000, 800 * time.Millisecond, false, 1},
		{100 * time.Millisecond, 1000, 300 * time.Millisecond, false, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rtt=%v/size=%d", tt.rtt, tt.size), func(t *testing.T) {
			r := newSenderRig(t, DefaultConfig(), tt.rtt, tt.size)
			want := r.t0.Add(tt.after)
			if r.c.timerMode != timerProbe || r.c.xmitTimer.When() != want {
				t.Errorf("timer %v at %v, want the loss probe at %v", r.c.timerMode, r.c.xmitTimer.When(), want)
			}
			r.runUntil(r.t0.Add(5 * time.Second))
			e, ok := r.firstSentAfter(r.t0, r.t0.Add(5*time.Second))
			if !ok {
				t.Fatalf("nothing sent after the first flight")
			}
			wantSeq, _ := r.seg(11)
			if !tt.newData {
				wantSeq, _ = r.seg(tt.lastSeg)
			}
			if e.at != want || e.p.Seq != wantSeq || e.p.Retransmit == tt.newData {
				t.Errorf("probe: seq %d (retransmit %v) at %v; want seq %d (retransmit %v) at %v",
					e.p.Seq, e.p.Retransmit, e.at, wantSeq, !tt.newData, want)
			}
			if st := r.c.Stats(); st.LossProbes != 1 {
				t.Errorf("LossProbes = %d, want 1", st.LossProbes)
			}
			if ev := r.dataSent(r.t0, want); len(ev) != 1 {
				t.Errorf("%d segments sent up to the probe, want 1 (the probe; no timeout before it)", len(ev))
			}
		})
	}
}

// TestTLPRearmsRTO: after the probe (204 ms after t0, RTT 100 ms, RTO 300
// ms) the RTO runs from the probe's time, as Linux's
// tcp_send_loss_probe clears icsk_pending before tcp_rearm_rto: the
// timeout fires 300 ms after the probe, not 300 ms after the first
// flight (RFC 8985 7.3: "the sender MUST arm the RTO timer, not the
// PTO timer"). Between the probe and the timeout nothing else is sent:
// one probe per tail. This holds whether the probe carried new data or
// resent the last segment. The timeout resends segment 1.
//
// Mutations caught: onProbeTimer arming the RTO from the first
// outstanding segment (tcp_rto_delta_us: timeout at 450 ms); arming
// the probe timer again instead of the RTO (the timeout comes at 558 ms).
func TestTLPRearmsRTO(t *testing.T) {
	for _, size := range []Bytes{10 * 1448, 15 * 1448} {
		t.Run(fmt.Sprint("size=", size), func(t *testing.T) {
			r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, size)
			probe := ms(354)
			rto := probe.Add(300 * time.Millisecond)
			r.runUntil(ms(1000))
			ev := r.dataSent(r.t0, ms(1000))
			if len(ev) < 2 || ev[0].at != probe || ev[1].at != rto {
				var got []sim.Time
				for _, e := range ev {
					got = append(got, e.at)
				}
				t.Fatalf("sends after the first flight at %v; want the probe at %v, then the timeout at %v", got, probe, rto)
			}
			if s1, _ := r.seg(1); ev[1].p.Seq != s1 || !ev[1].p.Retransmit {
				t.Errorf("at the timeout sent seq %d, want segment 1 (%d) again", ev[1].p.Seq, s1)
			}
			if st := r.c.Stats(); st.LossProbes != 1 || st.Timeouts < 1 {
				t.Errorf("LossProbes, Timeouts = %d, %d; want 1, at least 1", st.LossProbes, st.Timeouts)
			}
		})
	}
}

// TestTLPOneProbePerTail: the probe (354 ms, resending segment 10) is
// followed at 360 ms by an ACK of segments 1-5, which re-arms the probe
// timer (Linux tcp_set_xmit_timer; the sender is in Open) for 2*SRTT + 2
// ms in ticks (SRTT is now 113.75 ms: the ACK's sample is 210 ms; 229.5
// ms rounds up to 232), at 592 ms. When it fires the earlier probe is still unanswered
// (tlp_high_seq set), so no second probe goes out (RFC 8985 7.3, Linux
// tcp_send_loss_probe "At most one outstanding TLP"): the RTO is armed
// from segment 6's transmission (150 + 300 ms), already past, so the
// timeout fires at once and resends segment 6.
//
// Mutation caught: the tlp_high_seq check removed from onProbeTimer (a
// second probe at 592 ms).
func TestTLPOneProbePerTail(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 10*1448)
	r.runUntil(ms(354))
	if r.c.Stats().LossProbes != 1 {
		t.Fatalf("no probe at 354 ms")
	}
	_, e5 := r.seg(5)
	r.ack(ms(360), e5, r.t0)
	if r.c.timerMode != timerProbe || r.c.xmitTimer.When() != ms(592) {
		t.Errorf("after the ACK: timer %v at %v; want the probe timer at 592 ms", r.c.timerMode, r.c.xmitTimer.When())
	}
	r.runUntil(ms(600))
	st := r.c.Stats()
	if st.LossProbes != 1 || st.Timeouts != 1 {
		t.Errorf("LossProbes, Timeouts = %d, %d; want 1, 1", st.LossProbes, st.Timeouts)
	}
	ev := r.dataSent(ms(354), ms(600))
	s6, _ := r.seg(6)
	if len(ev) != 1 || ev[0].p.Seq != s6 || ev[0].at < ms(592) {
		var got []string
		for _, e := range ev {
			got = append(got, fmt.Sprintf("seq %d at %v", e.p.Seq, e.at))
		}
		t.Errorf("sent after the probe: %v; want segment 6 (seq %d) at 592 ms", got, s6)
	}
}

// TestTLPRepairsTailLoss moves 20 segments over a 100 Mbit/s, 100 ms
// path and drops the first transmission of the last one, or of the last
// two. No duplicate ACK can reveal a lost tail; the loss probe does,
// without a timeout (RFC 8985 7):
//   - last segment lost: the probe resends it (one segment outstanding,
//     so 2*SRTT + MinRTO capped by the RTO) and its ACK completes the
//     transfer: LossProbes 1, Retransmits 1, Timeouts 0;
//   - last two lost: the probe resends segment 20; its SACK lets RACK
//     mark segment 19 lost after the reordering window, and fast
//     recovery resends it: LossProbes 1, Retransmits 2, Recoveries 1,
//     Timeouts 0.
//
// Mutation caught: scheduleLossProbe never arming (TLP off): the tail is
// repaired by a timeout.
func TestTLPRepairsTailLoss(t *testing.T) {
	tests := []struct {
		drop                   []int
		retransmits, recovered int64
	}{
		{[]int{20}, 1, 0},
		{[]int{19, 20}, 2, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("drop=", tt.drop), func(t *testing.T) {
			p := newPath(pathConfig{rate: 100 * link.Mbps, rtt: 100 * time.Millisecond})
			cfg := DefaultConfig()
			p.down.SetLoss(dropSegments(cfg.SMSS(), tt.drop...))
			const size = 20 * 1448
			cli, _, sconn := p.transfer(cfg, size)
			p.s.RunUntil(at(10 * time.Second))
			if len(cli.delivered) != 1 || p.cep.Conns()[0].Stats().BytesDelivered != size {
				t.Fatalf("transfer incomplete")
			}
			st := (*sconn).Stats()
			if st.LossProbes != 1 || st.Timeouts != 0 || st.Retransmits != tt.retransmits || st.Recoveries != tt.recovered {
				t.Errorf("LossProbes, Timeouts, Retransmits, Recoveries = %d, %d, %d, %d; want 1, 0, %d, %d",
					st.LossProbes, st.Timeouts, st.Retransmits, st.Recoveries, tt.retransmits, tt.recovered)
			}
			t.Logf("delivered at %v", cli.deliveredAt[0])
		})
	}
}

// TestTLPCappedByRTOInTicks: when new data leaves, the probe is armed no
// later than the RTO would fire from the first outstanding segment, that
// remaining time also rounded up to whole ticks (Linux
// tcp_schedule_loss_probe(sk, false): min(timeout,
// usecs_to_jiffies(tcp_rto_delta_us(sk)))). RTT 100 ms rig, first flight
// (segments 1-10 of 15) at 150 ms; an ACK of segment 1 at 260.1 ms (a
// 110.1 ms sample: SRTT 101.2625 ms, RTO 301.2625 ms in ticks = 304 ms)
// lets segments 11 and 12 out. The probe would be 2*SRTT + 2 ms = 204.525
// ms, 208 ms in ticks; the RTO of segment 2 (sent at 150 ms) is 193.9 ms
// away, 196 ms in ticks: the probe fires at 456.1 ms.
//
// Mutation caught: the remaining RTO not rounded to ticks (the probe at
// 454.0 ms, the RTO's unrounded instant).
func TestTLPCappedByRTOInTicks(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 15*1448)
	_, e1 := r.seg(1)
	ackAt := ms(260.1)
	if out := r.ack(ackAt, e1, r.t0); len(out) != 2 {
		t.Fatalf("the ACK let %d segments out, want 2 (slow start)", len(out))
	}
	if got := r.c.rto; got != 304*time.Millisecond {
		t.Fatalf("RTO = %v, want 304ms", got)
	}
	want := ms(456.1)
	if r.c.timerMode != timerProbe || r.c.xmitTimer.When() != want {
		t.Errorf("timer %v at %v, want the loss probe at %v", r.c.timerMode, r.c.xmitTimer.When(), want)
	}
	r.runUntil(ms(1000))
	e, ok := r.firstSentAfter(ackAt, ms(1000))
	if !ok || e.at != want {
		t.Errorf("first send after the ACK at %v (found %v), want the probe at %v", e.at, ok, want)
	}
	if st := r.c.Stats(); st.LossProbes != 1 {
		t.Errorf("LossProbes = %d, want 1", st.LossProbes)
	}
}
