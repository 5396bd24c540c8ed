package tcp

import (
	"time"

	"github.com/connsim/connsim/sim"
)

// Bytes is a count of bytes: windows, sequence distances, message sizes.
type Bytes = int64

// InfiniteSSThresh is the slow-start threshold before the first loss.
const InfiniteSSThresh Bytes = 1 << 50

// Ack is what a congestion controller learns from an ACK that advanced
// the cumulative acknowledgement point outside fast recovery.
type Ack struct {
	Now           sim.Time
	Acked         Bytes         // newly acknowledged bytes (RFC 3465 byte counting)
	PriorInFlight Bytes         // bytes in flight before this ACK
	RTT           time.Duration // this ACK's sample; 0 = no valid sample (Karn)
	MinRTT        time.Duration // smallest sample so far; 0 = none
	SRTT          time.Duration // smoothed RTT; 0 = none

	// MaxInFlight is the largest flight of the window the acknowledged
	// data belongs to (Linux max_packets_out): how much of its window the
	// sender used when the data was sent. 0 = unknown: PriorInFlight
	// stands in.
	MaxInFlight Bytes
	// WindowLimited: at some send of that window the congestion window
	// was found full (Linux is_cwnd_limited). Growth is then earned
	// however much the window has grown since.
	WindowLimited bool

	// SndUna and SndNxt are the sender's cumulative acknowledgement point
	// after this ACK and its next sequence number: round-trip boundaries
	// for HyStart.
	SndUna, SndNxt int64
}

// CongestionControl decides how many bytes may be in flight. The Conn
// never writes the window: it reports events and reads Window. During
// NewReno fast recovery the Conn adds its own inflation on top (RFC 6582);
// implementations see only the entry and exit of recovery.
//
// Implementations are pure functions of their inputs: no clocks (now is
// passed in), no randomness.
type CongestionControl interface {
	Name() string
	Window() Bytes
	SSThresh() Bytes
	InSlowStart() bool
	// OnAck grows the window for newly acknowledged data (RFC 5681 3.1).
	OnAck(a Ack)
	// OnCongestionEvent is called once per loss episode, when fast
	// retransmit starts fast recovery (RFC 5681 3.2 step 2, RFC 6582).
	OnCongestionEvent(now sim.Time, inFlight Bytes)
	// OnRecoveryExit is called when a full ACK ends fast recovery.
	OnRecoveryExit(now sim.Time)
	// OnRTO is called when the retransmission timer expires with data
	// outstanding (RFC 5681 3.1 equation 4, RFC 6298 5.5): the window
	// collapses to the loss window.
	OnRTO(now sim.Time, inFlight Bytes)
	// OnRepeatRTO is called instead of OnRTO when the timer expires in a
	// loss episode whose reduction was already made: a backed-off repeat
	// of a timeout, or a timeout during fast recovery. The window
	// collapses to the loss window; ssthresh is kept (RFC 5681 3.1
	// reduces ssthresh only for a segment that "has not yet been resent
	// by way of the retransmission timer"; Linux tcp_enter_loss keeps the
	// ssthresh of a recovery in progress).
	OnRepeatRTO(now sim.Time)
	// OnIdleRestart sets the window to w, the restart window that the
	// Conn computed (RFC 5681 4.1), and ssthresh to at least s.
	OnIdleRestart(now sim.Time, w, s Bytes)
	// OnTxStart is called when new data is about to be sent with nothing
	// in flight (Linux CA_EVENT_TX_START), after any restart after idle;
	// idle is the time since data was last sent. It is called whether or
	// not restart after idle is on.
	OnTxStart(now sim.Time, idle time.Duration)
	// SetWindow sets cwnd as loss recovery computes it: Proportional Rate
	// Reduction during fast recovery (RFC 6937), the in-flight data plus
	// one segment after a timeout (Linux tcp_enter_loss).
	SetWindow(w Bytes)
	// Undo restores cwnd and ssthresh to at least the values before a
	// reduction that proved spurious (Linux tcp_undo_cwnd_reduction).
	Undo(now sim.Time, cwnd, ssthresh Bytes)
}

// AckSampler is implemented by a congestion control that takes the RTT
// sample of every ACK that acknowledges or SACKs data, as Linux's
// pkts_acked hook does (tcp_clean_rtx_queue calls it on every ACK, in
// fast recovery too, before the window is grown or reduced): Ack.RTT is
// the newest segment's sample (Linux's ca_rtt_us, at least 1 ns), and
// Acked is not set. OnAck follows when the ACK grows the window. CUBIC
// keeps its delay_min and runs HyStart here.
type AckSampler interface {
	OnAckSample(a Ack)
}

// CCConfig configures a congestion controller.
type CCConfig struct {
	MSS           Bytes // payload bytes of a full segment (SMSS)
	InitialWindow Bytes // bytes
	// Packets: the window is counted in segments (Linux). Ack.Acked is
	// then the segments delivered times MSS, and slow start adds all of
	// it (tcp_slow_start) rather than at most 2 MSS per ACK (RFC 3465).
	Packets bool
	// HyStart: CUBIC leaves slow start on an ACK train or a delay
	// increase (Linux tcp_cubic.c).
	HyStart bool
}

// ssthreshAfterLoss is RFC 5681 equation (4): half the flight size, at
// least two segments; with packet counting in whole segments, as Linux's
// tcp_reno_ssthresh halves a count of packets.
func ssthreshAfterLoss(inFlight, mss Bytes, packets bool) Bytes {
	if packets {
		return max(inFlight/mss/2, 2) * mss
	}
	return max(inFlight/2, 2*mss)
}

// Reno is NewReno congestion control (RFC 5681, RFC 6582): slow start with
// appropriate byte counting (RFC 3465, L = 2 MSS), congestion avoidance of
// one MSS per window's worth of acknowledged bytes, halving on loss.
type Reno struct {
	mss      Bytes
	packets  bool
	cwnd     Bytes
	ssthresh Bytes
	acked    Bytes // bytes acknowledged towards the next MSS of CA growth
}

var _ CongestionControl = (*Reno)(nil)

// NewReno returns a NewReno controller with the given configuration.
func NewReno(cfg CCConfig) *Reno {
	return &Reno{mss: cfg.MSS, packets: cfg.Packets, cwnd: cfg.InitialWindow, ssthresh: InfiniteSSThresh}
}

// Name implements CongestionControl.
func (r *Reno) Name() string { return "newreno" }

// Window implements CongestionControl.
func (r *Reno) Window() Bytes { return r.cwnd }

// SSThresh implements CongestionControl.
func (r *Reno) SSThresh() Bytes { return r.ssthresh }

// InSlowStart implements CongestionControl.
func (r *Reno) InSlowStart() bool { return r.cwnd < r.ssthresh }

// OnAck implements CongestionControl. Growth is skipped when the sender
// was not using its window (see cwndLimited).
func (r *Reno) OnAck(a Ack) {
	if !a.growthEarned(r.cwnd, r.mss, r.InSlowStart()) {
		return
	}
	if r.InSlowStart() {
		r.cwnd += slowStartIncrease(a.Acked, r.mss, r.packets)
		if r.cwnd > r.ssthresh {
			// Leave slow start at ssthresh; the rest counts towards CA.
			r.acked += r.cwnd - r.ssthresh
			r.cwnd = r.ssthresh
		}
		return
	}
	// Congestion avoidance, integer form: one MSS per cwnd of acked bytes,
	// i.e. exactly one MSS per round trip when every byte is acknowledged.
	r.acked += a.Acked
	for r.acked >= r.cwnd {
		r.acked -= r.cwnd
		r.cwnd += r.mss
	}
}

// OnCongestionEvent implements CongestionControl: ssthresh = max(flight/2,
// 2 MSS) and cwnd = ssthresh (the Conn adds the 3-MSS inflation).
func (r *Reno) OnCongestionEvent(_ sim.Time, inFlight Bytes) {
	r.ssthresh = ssthreshAfterLoss(inFlight, r.mss, r.packets)
	r.cwnd = r.ssthresh
	r.acked = 0
}

// OnRecoveryExit implements CongestionControl: the window deflates to
// ssthresh (RFC 6582 3.2 step 3, the second option).
func (r *Reno) OnRecoveryExit(sim.Time) { r.cwnd = r.ssthresh }

// OnRTO implements CongestionControl: ssthresh = max(flight/2, 2 MSS),
// cwnd = one segment (the loss window).
func (r *Reno) OnRTO(_ sim.Time, inFlight Bytes) {
	r.ssthresh = ssthreshAfterLoss(inFlight, r.mss, r.packets)
	r.cwnd = r.mss
	r.acked = 0
}

// OnRepeatRTO implements CongestionControl: cwnd = one segment, ssthresh
// unchanged.
func (r *Reno) OnRepeatRTO(sim.Time) {
	r.cwnd = r.mss
	r.acked = 0
}

// OnIdleRestart implements CongestionControl.
func (r *Reno) OnIdleRestart(_ sim.Time, w, s Bytes) {
	r.cwnd = w
	r.ssthresh = max(r.ssthresh, s)
	r.acked = 0
}

// OnTxStart implements CongestionControl: NewReno's window does not
// depend on time, so a quiet period changes nothing.
func (r *Reno) OnTxStart(sim.Time, time.Duration) {}

// SetWindow implements CongestionControl.
func (r *Reno) SetWindow(w Bytes) { r.cwnd = max(w, r.mss) }

// Undo implements CongestionControl.
func (r *Reno) Undo(_ sim.Time, cwnd, ssthresh Bytes) {
	r.cwnd = max(r.cwnd, cwnd)
	r.ssthresh = max(r.ssthresh, ssthresh)
	r.acked = 0
}

// slowStartIncrease is the growth of a slow-start ACK for acked bytes:
// all of it when the window counts segments (Linux tcp_slow_start adds
// one segment per segment delivered), else min(acked, 2 MSS) (RFC 3465,
// L = 2).
func slowStartIncrease(acked, mss Bytes, packets bool) Bytes {
	if packets {
		return acked
	}
	return min(acked, 2*mss)
}

// usedWindow is the flight that shows how much of its window the sender
// used for the acknowledged data: the largest flight of that window when
// the Conn tracks it, else the flight before this ACK.
func (a Ack) usedWindow() Bytes { return max(a.PriorInFlight, a.MaxInFlight) }

// growthEarned reports whether this ACK may grow a window of cwnd bytes:
// the window it acknowledges was found full, or cwndLimited says it was
// used.
func (a Ack) growthEarned(cwnd, mss Bytes, slowStart bool) bool {
	return a.WindowLimited || cwndLimited(cwnd, a.usedWindow(), mss, slowStart)
}

// cwndLimited reports whether the sender was using its window when the
// acknowledged data was sent, so that growth is earned (RFC 7661's
// concern). used is Ack.usedWindow: the largest flight of that window,
// or the flight before the ACK when that is larger. The window counts as
// used when
//
//   - used >= cwnd: it was full;
//   - in slow start, used > cwnd/2, so that the window may double each
//     round trip: Linux's tcp_is_cwnd_limited grows in slow start while
//     cwnd < 2*max_packets_out;
//   - cwnd-used <= mss: at most one segment short of full. A send that
//     the window stopped already sets Ack.WindowLimited; this slack is
//     for a sender that stopped for another reason (no more data, the
//     receive window, Nagle) within one segment of the window, which is
//     the granularity at which a sender fills it; a sender that leaves
//     more than a segment unused is taken to be application-limited. The
//     slack is this package's own choice: Linux has none outside slow
//     start (only is_cwnd_limited, which is Ack.WindowLimited here), and
//     quic-go's isCwndLimited, otherwise the same three tests, allows
//     three packets (maxBurstBytes = 3*maxDatagramSize).
//
// quic-go applies its tests to the flight before the ACK; taking the
// window's largest flight instead lets the tail of a response,
// acknowledged while the flight drains, still count towards growth.
func cwndLimited(cwnd, used, mss Bytes, slowStart bool) bool {
	if used >= cwnd {
		return true
	}
	if slowStart && used > cwnd/2 {
		return true
	}
	return cwnd-used <= mss
}
