package tcp

import (
	"math"
	"time"

	"github.com/connsim/connsim/sim"
)

// CUBIC constants from RFC 9438 section 4.
const (
	cubicC    = 0.4 // segments / s^3
	cubicBeta = 0.7 // multiplicative decrease factor

	// linuxCubicAlpha is the Reno-friendly growth per window of Linux's
	// tcp_cubic: 8/beta_scale, beta_scale = 8*(1024+717)/3/(1024-717) =
	// 15 in integers (RFC 9438's 3(1-beta)/(1+beta) is 0.529).
	linuxCubicAlpha = 8.0 / 15
)

// Cubic is CUBIC congestion control (RFC 9438).
//
// Slow start grows the window as Reno's does (slowStartIncrease: one
// segment per segment delivered when the window counts packets, as Linux,
// else min(acked, 2 MSS) per ACK, RFC 3465), and only when growth is
// earned (Ack.growthEarned). Growth that would pass ssthresh stops at
// ssthresh and the rest of the ACK goes on into congestion avoidance
// (Linux's cubictcp_cong_avoid goes on with what tcp_slow_start
// returns), which starts the epoch. Unlike Reno's, with HyStart on (CCConfig.HyStart; on in DefaultConfig) slow start can end
// before the first loss: see hystart. The window is then the slow-start
// threshold, and congestion avoidance starts with no W_max.
//
// In congestion avoidance the window follows
//
//	W_cubic(t) = C*(t-K)^3 + W_max,   K = cbrt((W_max - cwnd_epoch)/C)
//
// with W in segments, t the time since the current congestion-avoidance
// epoch began, read one delay_min ahead (Linux bictcp_update's t +=
// delay_min, CUBIC's smallest RTT sample outside the first second of an
// epoch, cleared by a timeout; RFC 9438 4.4 reads it one smoothed RTT
// ahead, which a queue inflates), and cwnd_epoch the window then (K = 0,
// and the curve's plateau at cwnd_epoch, if the window is already above
// W_max, as in Linux), bounded below by the Reno-friendly estimate
// W_est (RFC 9438 4.3), which grows by alpha = 3(1-beta)/(1+beta)
// segments per window of acknowledged data until it reaches cwnd_prior,
// the window before the last reduction, and by 1 after (the SHOULD of
// 4.3); counting packets it grows by Linux's 8/15 throughout
// (bictcp_update's TCP friendliness has no switch).
//
// Fast convergence (4.7) is on: a congestion event with cwnd below the
// W_max of the previous event sets W_max = cwnd*(1+beta)/2, else
// W_max = cwnd.
//
// Quiet time does not count on the curve, in two ways. When the sender
// is application-limited (an ACK earns no growth) the epoch is reset, so
// that it starts afresh when growth resumes (quic-go's behaviour). When
// new data is sent with nothing in flight, the epoch is moved on by the
// time since data was last sent (OnTxStart; Linux bictcp_cwnd_event on
// CA_EVENT_TX_START, and RFC 9438 5.8), so that a sender that was
// window-limited up to an idle period resumes where it left off instead
// of jumping to the curve's value after the idle time.
//
// Floating-point arithmetic is confined to target, OnAck and reduce, with
// every product converted explicitly, so results are the same on every
// architecture.
type Cubic struct {
	mss      Bytes
	packets  bool
	cwnd     Bytes
	ssthresh Bytes

	wMax       float64  // segments: W_max, set at the last congestion event
	cwndPrior  float64  // segments: cwnd before the last reduction
	origin     float64  // segments: the plateau of the current curve, W_max or cwnd_epoch
	epoch      sim.Time // start of the current CA epoch; -1 = none
	k          float64  // seconds
	wEst       float64  // Reno-friendly estimate, segments
	ackedBytes Bytes    // bytes acked towards the next segment of growth

	hyOn bool    // HyStart enabled
	hy   hystart // its state (kept, and ignored, when off)
}

var _ CongestionControl = (*Cubic)(nil)

// NewCubic returns a CUBIC controller.
func NewCubic(cfg CCConfig) *Cubic {
	c := &Cubic{mss: cfg.MSS, packets: cfg.Packets, cwnd: cfg.InitialWindow, ssthresh: InfiniteSSThresh, epoch: -1, hyOn: cfg.HyStart}
	c.hy.clear()
	return c
}

// Name implements CongestionControl.
func (c *Cubic) Name() string { return "cubic" }

// Window implements CongestionControl.
func (c *Cubic) Window() Bytes { return c.cwnd }

// SSThresh implements CongestionControl.
func (c *Cubic) SSThresh() Bytes { return c.ssthresh }

// InSlowStart implements CongestionControl.
func (c *Cubic) InSlowStart() bool { return c.cwnd < c.ssthresh }

// K returns the time, in seconds, that the cubic function takes to return
// to W_max after a reduction (RFC 9438 equation 2).
func (c *Cubic) K() float64 { return c.k }

// WMax returns W_max in segments: the window at the last congestion
// event, lowered by fast convergence.
func (c *Cubic) WMax() float64 { return c.wMax }

// Origin returns the plateau of the current curve in segments: W_max, or
// the window at the start of the epoch if that was larger.
func (c *Cubic) Origin() float64 { return c.origin }

// Epoch returns the start of the current congestion-avoidance epoch, or -1.
func (c *Cubic) Epoch() sim.Time { return c.epoch }

// HyStart reports whether HyStart ended slow start, and by which test;
// HyStartNone when it has not (or is off). A retransmission timeout
// clears it, and HyStart runs again in the slow start that follows.
func (c *Cubic) HyStart() HyStartExit { return c.hy.found }

// OnAckSample implements AckSampler: Linux's cubictcp_acked, on every
// ACK with an RTT sample, window limited or not, in fast recovery too,
// before the ACK grows the window (see hystartAck).
func (c *Cubic) OnAckSample(a Ack) { c.hystartAck(a) }

// OnAck implements CongestionControl: Linux's cubictcp_cong_avoid.
// HyStart has seen the ACK already (OnAckSample).
func (c *Cubic) OnAck(a Ack) {
	if !a.growthEarned(c.cwnd, c.mss, c.InSlowStart()) {
		// Application-limited: restart the epoch when growth resumes.
		c.epoch = -1
		return
	}
	if c.InSlowStart() {
		c.cwnd += slowStartIncrease(a.Acked, c.mss, c.packets)
		if c.cwnd <= c.ssthresh {
			return
		}
		// Leave slow start at ssthresh and go on with the rest of the
		// ACK in congestion avoidance, as Linux's cubictcp_cong_avoid
		// does with what tcp_slow_start returns.
		a.Acked = c.cwnd - c.ssthresh
		c.cwnd = c.ssthresh
	}
	mssF := float64(c.mss)
	cwndSeg := float64(c.cwnd) / mssF
	if c.epoch < 0 {
		c.epoch = a.Now
		if cwndSeg < c.wMax {
			c.k = math.Cbrt(float64(float64(c.wMax-cwndSeg) / cubicC))
			c.origin = c.wMax
		} else {
			c.k = 0
			c.origin = cwndSeg
		}
		c.wEst = cwndSeg
		c.ackedBytes = 0
	}
	// One delay_min ahead: CUBIC's own smallest RTT sample, which a
	// timeout clears (0 until a sample comes after it).
	t := a.Now.Sub(c.epoch) + c.hy.delayMin
	target := c.target(t)
	// Reno-friendly region (RFC 9438 4.3): W_est grows by alpha per
	// window of acknowledged segments; alpha is 1 once W_est has reached
	// the window before the last reduction. Counting packets, as Linux,
	// alpha is Linux's and stays: bictcp_update adds a segment to its
	// tcp_cwnd per cwnd*beta_scale/8 segments ACKed, beta_scale = 15, so
	// 8/15 of a segment per window, with no switch to 1.
	alpha := float64(3*(1-cubicBeta)) / float64(1+cubicBeta)
	switch {
	case c.packets:
		alpha = linuxCubicAlpha
	case c.wEst >= c.cwndPrior:
		alpha = 1
	}
	c.wEst += float64(alpha*float64(a.Acked)/mssF) / cwndSeg
	if c.wEst > target {
		target = c.wEst
	}
	// RFC 9438 4.4: cwnd grows by (target - cwnd)/cwnd segments per acked
	// segment, the target capped at 1.5 cwnd. Count in bytes, as Linux's
	// tcp_cong_avoid_ai counts ACKs: one MSS of growth per need =
	// cwnd/(target-cwnd) bytes acknowledged, the remainder carried over so
	// that no growth is lost to rounding.
	var need Bytes
	if target > cwndSeg {
		target = min(target, 1.5*cwndSeg)
		// Clamp before converting: a target a hair above cwnd gives a
		// need beyond int64, whose conversion differs between
		// architectures.
		need = max(Bytes(min(float64(c.cwnd)/float64(target-cwndSeg), 1<<50)), 1)
	} else {
		need = 100 * c.cwnd // at the plateau: a very small increment (Linux cnt = 100 cwnd)
	}
	if c.wMax == 0 && c.packets {
		// No loss has set W_max yet, so the bandwidth is unknown: grow
		// at least 5 % per round trip (Linux bictcp_update caps cnt at
		// 20 while last_max_cwnd is 0), for example after HyStart left
		// slow start early.
		need = min(need, 20*c.mss)
	}
	c.ackedBytes += a.Acked
	if c.ackedBytes >= need {
		n := c.ackedBytes / need
		c.cwnd += n * c.mss
		c.ackedBytes -= n * need
	}
}

// hystartAck feeds one ACK to HyStart (Linux cubictcp_acked): the RTT
// sample goes to delay_min unless it is invalid (Karn) or taken within
// hystartQuiet of the start of a congestion-avoidance epoch; then, in
// slow start (cwnd below ssthresh, which in fast recovery Proportional
// Rate Reduction can leave it: Linux runs the tests there too) and until
// a test has fired, the round and the two tests are updated with the
// window before this ACK's growth, and a test that fires sets ssthresh =
// cwnd, which ends slow start.
func (c *Cubic) hystartAck(a Ack) {
	if a.RTT <= 0 {
		return
	}
	if c.epoch >= 0 && a.Now.Sub(c.epoch) < hystartQuiet {
		return
	}
	// delay_min is kept with HyStart on or off: the curve reads it.
	c.hy.sample(a.RTT)
	if !c.hyOn || c.hy.found != HyStartNone || !c.InSlowStart() {
		return
	}
	// The pacing rate Linux reads here is the one it computed on the
	// ACK before, from the window before this ACK's growth: c.cwnd now,
	// and the flight before this ACK stands for its packets out.
	delay := hystartAckDelay(c.cwnd, a.PriorInFlight, c.ssthresh, a.SRTT)
	if c.hy.update(a.Now, a.RTT, a.SndUna, a.SndNxt, c.cwnd/c.mss, delay) != HyStartNone {
		c.ssthresh = c.cwnd
	}
}

// target returns W_cubic(t) in segments (RFC 9438 equation 1).
func (c *Cubic) target(t time.Duration) float64 {
	ts := t.Seconds() - c.k
	return float64(float64(cubicC*ts)*float64(ts*ts)) + c.origin
}

// Target returns W_cubic(t) in bytes for t after the epoch start; for tests
// and traces.
func (c *Cubic) Target(t time.Duration) Bytes {
	return Bytes(float64(c.target(t) * float64(c.mss)))
}

// reduce is the multiplicative decrease of a congestion event (RFC 9438
// 4.6) with fast convergence (4.7): W_max is compared with the W_max of
// the previous event, as lowered by fast convergence then (Linux
// last_max_cwnd), not with the previous window.
func (c *Cubic) reduce() {
	cwndSeg := float64(c.cwnd) / float64(c.mss)
	if cwndSeg < c.wMax {
		c.wMax = float64(cwndSeg*(1+cubicBeta)) / 2
	} else {
		c.wMax = cwndSeg
	}
	c.cwndPrior = cwndSeg
	c.origin = c.wMax
	c.ssthresh = max(Bytes(float64(float64(c.cwnd)*cubicBeta)), 2*c.mss)
	if c.packets {
		// Linux: max(cwnd * beta / BICTCP_BETA_SCALE, 2) in packets.
		c.ssthresh = c.ssthresh / c.mss * c.mss
	}
	c.k = math.Cbrt(float64(c.wMax*(1-cubicBeta)) / cubicC)
	c.epoch = -1
}

// OnCongestionEvent implements CongestionControl: W_max = cwnd (lowered
// by fast convergence), ssthresh = cwnd*beta, cwnd = ssthresh (RFC 9438
// 4.6, 4.7).
func (c *Cubic) OnCongestionEvent(sim.Time, Bytes) {
	c.reduce()
	c.cwnd = c.ssthresh
}

// OnRecoveryExit implements CongestionControl.
func (c *Cubic) OnRecoveryExit(sim.Time) { c.cwnd = c.ssthresh }

// OnRTO implements CongestionControl: ssthresh as for a congestion
// event, cwnd = one segment, and then the curve is forgotten: W_max = 0,
// so the next epoch starts with K = 0 at the window it finds and grows at
// least 5 % per round trip, and HyStart starts afresh (no delay_min,
// nothing found), so the slow start that follows can end by HyStart.
// That is Linux: tcp_enter_loss takes ssthresh from cubictcp_recalc_ssthresh,
// then enters TCP_CA_Loss, where cubictcp_state calls bictcp_reset, which
// zeroes last_max_cwnd and delay_min. RFC 9438 4.8 also sets K = 0 after
// a timeout. An undo of the timeout (F-RTO, Eifel, D-SACK) restores cwnd
// and ssthresh but not W_max, as Linux's tcp_reno_undo_cwnd.
func (c *Cubic) OnRTO(sim.Time, Bytes) {
	c.reduce()
	c.cwnd = c.mss
	c.forgetCurve()
}

// OnRepeatRTO implements CongestionControl: cwnd = one segment; ssthresh
// stays as the first timeout of the loss episode set it; the curve and
// HyStart are forgotten again, as each timeout enters TCP_CA_Loss again.
func (c *Cubic) OnRepeatRTO(sim.Time) {
	c.cwnd = c.mss
	c.forgetCurve()
}

// forgetCurve is Linux's bictcp_reset and bictcp_hystart_reset on
// entering TCP_CA_Loss: no W_max, no epoch, HyStart from scratch.
func (c *Cubic) forgetCurve() {
	c.wMax, c.origin, c.k = 0, 0, 0
	c.epoch = -1
	c.hy.clear()
}

// OnIdleRestart implements CongestionControl.
func (c *Cubic) OnIdleRestart(_ sim.Time, w, s Bytes) {
	c.cwnd = w
	c.ssthresh = max(c.ssthresh, s)
	c.epoch = -1
}

// OnTxStart implements CongestionControl: when data is sent after a quiet
// period, the epoch moves on by the quiet time, but not past now, so that
// the curve resumes where it was when the sender went quiet (Linux
// bictcp_cwnd_event, CA_EVENT_TX_START).
func (c *Cubic) OnTxStart(now sim.Time, idle time.Duration) {
	if c.epoch < 0 || idle <= 0 {
		return
	}
	c.epoch = min(c.epoch.Add(idle), now)
}

// SetWindow implements CongestionControl.
func (c *Cubic) SetWindow(w Bytes) { c.cwnd = max(w, c.mss) }

// Undo implements CongestionControl: cwnd and ssthresh are restored and
// the epoch starts afresh; W_max stays where the reduction put it (Linux
// cubictcp's undo is tcp_reno_undo_cwnd).
func (c *Cubic) Undo(_ sim.Time, cwnd, ssthresh Bytes) {
	c.cwnd = max(c.cwnd, cwnd)
	c.ssthresh = max(c.ssthresh, ssthresh)
	c.epoch = -1
}
