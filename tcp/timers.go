package tcp

import (
	"math"
	"time"

	"github.com/connsim/connsim/sim/link"
)

// timerMode says what the sender's one transmission timer is armed for,
// as Linux's icsk_pending shares one timer between them.
type timerMode uint8

const (
	timerRTO     timerMode = iota // retransmission timeout (RFC 6298)
	timerProbe                    // tail loss probe (RFC 8985 7)
	timerReorder                  // RACK's reordering window (RFC 8985 6.2)
)

// armTimer arms the transmission timer for mode after d.
func (c *Conn) armTimer(mode timerMode, d time.Duration) {
	c.timerMode = mode
	c.xmitTimer.Reset(d)
}

func (c *Conn) stopTimer() { c.xmitTimer.Stop() }

// onTimer dispatches the transmission timer.
func (c *Conn) onTimer() {
	switch c.timerMode {
	case timerProbe:
		c.onProbeTimer()
	case timerReorder:
		c.onReorderTimer()
	default:
		c.onRTO()
	}
}

// rearmRTO arms the retransmission timer from now, or stops it when
// nothing is outstanding (RFC 6298 5.2, 5.3; Linux tcp_rearm_rto). Coming
// from a probe or reordering timer, the RTO counts from the first
// outstanding segment's transmission, as Linux's tcp_rto_delta_us.
func (c *Conn) rearmRTO() {
	if c.sndMax <= c.sndUna {
		c.stopTimer()
		return
	}
	d := c.rto
	if c.xmitTimer.Pending() && c.timerMode != timerRTO {
		d = max(c.rtoDelta(), time.Microsecond)
	}
	c.armTimer(timerRTO, d)
}

// rtoDelta is how far in the future the RTO of the first outstanding
// segment lies (Linux tcp_rto_delta_us); negative when past.
func (c *Conn) rtoDelta() time.Duration {
	if c.sb.segs.Len() == 0 {
		return c.rto
	}
	return c.sb.segs.Front().sentAt.Add(c.rto).Sub(c.sched.Now())
}

// rttEstimator is the smoothed RTT and its variation. With RTOLinux it is
// Linux's tcp_rtt_estimator: mdev is four times the mean deviation,
// mdevMax its largest value over the current window of data, and rttvar
// follows mdevMax up at once and down by a quarter of the gap once per
// window, floored at MinRTO. With RTORFC6298 rttvar is RFC 6298's RTTVAR.
type rttEstimator struct {
	srtt, rttvar  time.Duration
	mdev, mdevMax time.Duration
	seq           int64 // the window ends when this is acknowledged (Linux rtt_seq)
}

// synTimeoutRTO is the RTO after a handshake that timed out (RFC 6298 5.7).
const synTimeoutRTO = 3 * time.Second

// updateRTT feeds one RTT sample to the estimator and recomputes the RTO.
// r is the sample of the oldest segment the ACK covers (Linux seq_rtt_us),
// ca that of the newest (ca_rtt_us, also what congestion control sees);
// the minimum RTT follows ca, as Linux's tcp_update_rtt_min does (its
// 300 s window never expires in a run), counting a sample of 0 as one
// timer tick. Linux takes the minimum of the newest segment because the
// oldest's RTT includes the wait behind those sent with it.
func (c *Conn) updateRTT(r, ca time.Duration) {
	if r <= 0 {
		r = time.Microsecond // Linux counts a sample of 0 as 1 us
	}
	if ca <= 0 {
		ca = max(c.cfg.TimerTick, time.Microsecond) // rtt_us ?: jiffies_to_usecs(1)
	}
	c.stats.RTTSamples++
	if c.stats.MinRTT == 0 || ca < c.stats.MinRTT {
		c.stats.MinRTT = ca
	}
	e := &c.est
	if c.cfg.RTOEstimator == RTORFC6298 {
		// RFC 6298 2.2, 2.3 in integer nanoseconds.
		if e.srtt == 0 {
			e.srtt, e.rttvar = r, r/2
		} else {
			d := e.srtt - r
			if d < 0 {
				d = -d
			}
			e.rttvar = (3*e.rttvar + d) / 4
			e.srtt = (7*e.srtt + r) / 8
		}
		c.rto = c.rtoFromEstimate()
		return
	}
	// Linux tcp_rtt_estimator (Jacobson and Karels, with the mdev_max
	// window of tcp_input.c), in nanoseconds rather than Linux's scaled
	// microseconds.
	floor := c.cfg.MinRTO
	if e.srtt == 0 {
		e.srtt = r
		e.mdev = 2 * r // 4 * r/2
		e.rttvar = max(e.mdev, floor)
		e.mdevMax = e.rttvar
		e.seq = c.sndMax
	} else {
		m := r - e.srtt
		e.srtt += m / 8
		if m < 0 {
			m = -m
			m -= e.mdev / 4
			if m > 0 {
				m /= 8 // a falling RTT moves mdev only an eighth as much
			}
		} else {
			m -= e.mdev / 4
		}
		e.mdev += m
		if e.mdev > e.mdevMax {
			e.mdevMax = e.mdev
			if e.mdevMax > e.rttvar {
				e.rttvar = e.mdevMax
			}
		}
		if c.sndUna > e.seq {
			if e.mdevMax < e.rttvar {
				e.rttvar -= (e.rttvar - e.mdevMax) / 4
			}
			e.seq = c.sndMax
			e.mdevMax = floor
		}
	}
	c.rto = c.rtoFromEstimate()
}

// rtoFromEstimate is the RTO of the estimate: Linux's SRTT + rttvar
// (tcp_set_rto, rttvar already floored at MinRTO) or RFC 6298 2.3's SRTT +
// max(G, 4 RTTVAR) clamped to [MinRTO, MaxRTO], with a clock granularity G
// of 1 ms; at most MaxRTO. Before the first sample it is the initial RTO.
func (c *Conn) rtoFromEstimate() time.Duration {
	e := &c.est
	if e.srtt == 0 {
		return c.rtoInit
	}
	if c.cfg.RTOEstimator == RTORFC6298 {
		rto := e.srtt + max(time.Millisecond, 4*e.rttvar)
		return min(max(rto, c.cfg.MinRTO), c.cfg.MaxRTO)
	}
	return min(c.ticks(e.srtt+e.rttvar), c.cfg.MaxRTO)
}

// ticks rounds d up to whole timer ticks (Linux usecs_to_jiffies).
func (c *Conn) ticks(d time.Duration) time.Duration {
	t := c.cfg.TimerTick
	if t <= 0 {
		return d
	}
	if n := d + t - 1; n >= 0 && n <= math.MaxUint32 && t <= math.MaxUint32 {
		// The usual case (under 4.3 s), on every ACK: a 32-bit
		// division, several times faster than a 64-bit one on x86,
		// with the same result (n is not negative, and the product is
		// at most n).
		return time.Duration(uint32(n) / uint32(t) * uint32(t))
	}
	return (d + t - 1) / t * t
}

// timeoutMin is Linux's TCP_TIMEOUT_MIN_US, the floor its loss-probe and
// reordering timers add before rounding to ticks (since 6.6; earlier
// kernels added TCP_TIMEOUT_MIN, two ticks, after it).
const timeoutMin = 2 * time.Millisecond

// onRTO is the retransmission timeout (RFC 6298 5.4-5.7; Linux
// tcp_retransmit_timer).
func (c *Conn) onRTO() {
	c.stats.Timeouts++
	c.retries++
	switch c.state {
	case SynSent, SynReceived:
		if c.retries > c.cfg.SynRetries {
			c.terminate(TimedOut)
			return
		}
		c.rto = min(2*c.rto, c.cfg.MaxRTO)
		if c.state == SynSent {
			c.sendSYN()
		} else {
			c.sendSYNACK()
		}
		return
	case Closed:
		return
	}
	if c.sndMax <= c.sndUna {
		return
	}
	if c.retries > c.cfg.MaxRetries {
		c.sendPacket(link.RST|link.ACK, c.sndMax, 0, false)
		c.terminate(TimedOut)
		return
	}
	c.enterLoss()
	c.rto = min(2*c.rto, c.cfg.MaxRTO)
	c.traceCwnd()
	if c.cfg.Recovery == RecoverySACK {
		// Linux retransmits the first segment at once, whatever the
		// window; the rest follows as ACKs open it.
		c.retransmit(c.sb.segs.At(0))
	}
	c.armTimer(timerRTO, c.rto)
	c.trySend()
}
