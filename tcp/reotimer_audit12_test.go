package tcp

import (
	"fmt"
	"testing"
	"time"
)

// TestReorderTimerRearmsOnlyTheRTO (audit 12 of f4f21ca): when RACK's
// reordering timer expires, Linux's tcp_rack_reo_timeout marks what
// tcp_rack_detect_loss finds lost, resends it, and re-arms only the RTO
// (tcp_rearm_rto): the timeout that tcp_rack_detect_loss returns for
// segments still inside their window is dropped; the next ACK that
// advances RACK arms a new reordering timer (tcp_rack_mark_lost).
//
// The timer fires after the latest deadline it was armed for, so only a
// change of RACK's state since it was armed leaves a segment inside its
// window (in Linux a D-SACK widening reo_wnd_steps, or the min RTT's
// window moving on); this test makes that state directly: senderRig
// (RTT 100 ms, segments 1-20 sent at 150 ms), an ACK at 250 ms SACKs
// segment 2, arming the reordering timer for segment 1 at 278 ms (see
// TestRACKReorderWindow), and the expiry is run at 260 ms, when segment 1
// has 15 ms of its window left. Nothing may be marked lost or resent,
// and the timer must be the RTO of segment 1 (sent at 150 ms), not a
// reordering timer; with no ACK coming, segment 1 is resent by that RTO,
// not at 280 ms by a second reordering timer (15 ms plus
// TCP_TIMEOUT_MIN_US in ticks).
//
// Mutations caught (no test caught any of them before): the re-arming
// of the reordering timer that f4f21ca removed (`if timeout > 0 &&
// !c.xmitTimer.Pending() { c.armTimer(timerReorder,
// c.ticks(timeout+timeoutMin)); return }`); no RTO re-armed at the
// expiry; the RTO counted from the expiry (c.rto) instead of from
// segment 1's transmission (tcp_rearm_rto's tcp_rto_delta_us).
func TestReorderTimerRearmsOnlyTheRTO(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 20*1448)
	hole, _ := r.seg(1)
	r.ack(ms(250), hole, r.t0, r.block(2, 2))
	c := r.c
	if c.timerMode != timerReorder || c.xmitTimer.When() != ms(278) {
		t.Fatalf("after the SACK: timer %v at %v, want the reordering timer at 278ms", c.timerMode, c.xmitTimer.When())
	}
	r.runUntil(ms(260))
	c.stopTimer() // as the timer's expiry finds it
	c.onReorderTimer()
	checkScoreboard(t, c)
	if c.sb.lostOut != 0 || c.rec.state == Recovery {
		t.Errorf("after the expiry at 260 ms: %d lost, state %v; want nothing lost (15 ms left)", c.sb.lostOut, c.rec.state)
	}
	rtoAt := r.t0.Add(c.rto)
	if !c.xmitTimer.Pending() || c.timerMode != timerRTO || c.xmitTimer.When() != rtoAt {
		t.Errorf("after the expiry at 260 ms: timer pending %v, %v at %v; want the RTO at %v (segment 1's)",
			c.xmitTimer.Pending(), c.timerMode, c.xmitTimer.When(), rtoAt)
	}
	r.runUntil(rtoAt.Add(1))
	var resent []pktEvent
	for _, e := range r.dataSent(ms(250), rtoAt) {
		if e.p.Retransmit {
			resent = append(resent, e)
		}
	}
	if len(resent) == 0 || resent[0].at != rtoAt || resent[0].p.Seq != hole {
		first := "none"
		if len(resent) > 0 {
			first = fmt.Sprintf("seq %d at %v", resent[0].p.Seq, resent[0].at)
		}
		t.Errorf("first resend: %s; want segment 1 (seq %d) at the RTO (%v)", first, hole, rtoAt)
	}
	if st := c.Stats(); st.Timeouts != 1 {
		t.Errorf("Timeouts = %d, want 1", st.Timeouts)
	}
}
