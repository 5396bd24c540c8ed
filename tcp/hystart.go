package tcp

import (
	"fmt"
	"math"
	"time"

	"github.com/connsim/connsim/sim"
)

// HyStart parameters: the defaults of Linux's tcp_cubic module
// (hystart_detect = 3, hystart_low_window, hystart_ack_delta_us,
// HYSTART_MIN_SAMPLES, HYSTART_DELAY_MIN and HYSTART_DELAY_MAX).
const (
	// hystartLowWindow is the window, in segments, below which neither
	// test runs (rounds are still tracked).
	hystartLowWindow = 16
	// hystartAckDelta: ACKs at most this far apart continue a train.
	hystartAckDelta = 2 * time.Millisecond
	// hystartMinSamples is the number of RTT samples of a round taken
	// before the delay test: it runs from the next sample on.
	hystartMinSamples = 8
	// The delay threshold is delay_min/8 clamped to these bounds.
	hystartDelayMin = 4 * time.Millisecond
	hystartDelayMax = 16 * time.Millisecond
	// hystartGSOMaxSize is the socket's sk_gso_max_size in bytes: the
	// device's gso_max_size (64 KiB, GSO_LEGACY_MAX_SIZE) less
	// MAX_TCP_HEADER + 1, as sk_setup_caps sets it (MAX_TCP_HEADER is
	// 320 on x86-64). Linux's TCP always builds GSO packets (since 4.16;
	// the reference's "GSO off" turns off the device's offload, not this),
	// and hystartAckDelay reads it.
	hystartGSOMaxSize = 65536 - (320 + 1)
	// hystartQuiet: RTT samples taken this soon after the start of a
	// congestion-avoidance epoch are discarded (Linux cubictcp_acked,
	// "discard delay samples right after fast recovery").
	hystartQuiet = time.Second
)

// HyStartExit says which HyStart test ended slow start.
type HyStartExit uint8

// HyStart outcomes.
const (
	HyStartNone     HyStartExit = iota // slow start not ended by HyStart
	HyStartAckTrain                    // the ACK train of a round lasted longer than (delay_min + ACK delay)/2
	HyStartDelay                       // the round's smallest RTT rose past delay_min + threshold
)

// String names the outcome for traces.
func (e HyStartExit) String() string {
	switch e {
	case HyStartNone:
		return "none"
	case HyStartAckTrain:
		return "ack-train"
	case HyStartDelay:
		return "delay"
	}
	return fmt.Sprintf("HyStartExit(%d)", int(e))
}

// hystart is hybrid slow start (Ha and Rhee, "Taming the elephants: New
// TCP slow start", Computer Networks 2011) as Linux's CUBIC runs it
// (net/ipv4/tcp_cubic.c: bictcp_hystart_reset, hystart_update and the
// HyStart part of cubictcp_acked). It looks for the point to leave slow
// start before the first loss, by two tests on each round of slow start
// (a round ends at the first ACK beyond what was sent when it began):
//
//   - ACK train: while the round's ACKs come at most 2 ms apart, the train
//     goes on; once it has lasted more than (delay_min + ack_delay)/2 since
//     the round began, the window covers the path's delay-bandwidth
//     product. ack_delay (Linux 5.7 and later, hystart_ack_delay) allows
//     for ACKs that the receiver or the sender's own GSO batching held
//     back: the time four GSO packets of 64 KiB take at the pacing rate, at
//     most 1 ms (see hystartAckDelay).
//   - Delay: the smallest of the round's RTT samples, taken once the
//     round has had 8 samples, above delay_min + clamp(delay_min/8, 4 ms,
//     16 ms): a queue is building.
//
// delay_min is the smallest RTT sample seen (Linux ca->delay_min). The
// tests run only in slow start, with a window of at least 16 segments,
// until one of them fires; the controller then sets ssthresh = cwnd,
// which ends slow start. Time is integer nanoseconds, sequence numbers
// unwrapped int64s, so no wrap-around comparisons are needed.
//
// hystart knows nothing of the connection: the controller passes in the
// time, the RTT sample, snd_una after the ACK and snd_nxt, so the type is
// tested on synthetic ACKs.
type hystart struct {
	roundStart sim.Time      // when the current round began
	lastAck    sim.Time      // the last ACK of the current train
	endSeq     int64         // the round ends when snd_una passes this; -1: at the next ACK
	currRTT    time.Duration // smallest sample of the round; math.MaxInt64 = none yet
	sampleCnt  int           // samples of the round, up to hystartMinSamples
	delayMin   time.Duration // smallest sample seen; 0 = none
	found      HyStartExit   // which test fired; once set, the tests stop
}

// clear is the state of a new connection, and after a retransmission
// timeout (Linux bictcp_reset and bictcp_hystart_reset on entering
// TCP_CA_Loss, and at init): nothing found, no delay_min. Where Linux
// starts a round at once with end_seq = snd_nxt, the controller does not
// know snd_nxt here, so the round starts at the next ACK instead. At a
// connection's start that is what Linux does too: its round, begun at
// init with end_seq = snd_nxt before any data, ends at the first data
// ACK. After a timeout the window is one segment, far below the low
// window, so the tests cannot tell either; the rounds are in step again
// long before the window reaches 16 segments.
func (h *hystart) clear() {
	*h = hystart{endSeq: -1, currRTT: math.MaxInt64}
}

// reset starts a round at now that ends when snd_una passes sndNxt
// (Linux bictcp_hystart_reset).
func (h *hystart) reset(now sim.Time, sndNxt int64) {
	h.roundStart, h.lastAck = now, now
	h.endSeq = sndNxt
	h.currRTT = math.MaxInt64
	h.sampleCnt = 0
}

// sample records an RTT sample in delay_min. The controller calls it for
// every valid sample, not only in slow start, except those it discards
// (see hystartQuiet).
func (h *hystart) sample(rtt time.Duration) {
	if h.delayMin == 0 || rtt < h.delayMin {
		h.delayMin = rtt
	}
}

// delayThresh is the rise over delay_min that the delay test allows:
// delay_min/8 clamped to [4 ms, 16 ms] (Linux HYSTART_DELAY_THRESH).
func (h *hystart) delayThresh() time.Duration {
	return min(max(h.delayMin/8, hystartDelayMin), hystartDelayMax)
}

// hystartAckDelay is Linux's hystart_ack_delay: the time to send four
// GSO packets of the largest size (hystartGSOMaxSize) at the socket's
// pacing rate, at most 1 ms. Linux computes the pacing rate on every
// ACK whether or not a qdisc paces (tcp_update_pacing_rate): ratio% of
// max(cwnd, packets out) per SRTT, the ratio 200 while cwnd is below
// half of ssthresh (slow start) and 120 above. On the paths of the Linux
// reference (up to 50 Mbit/s) it is always the 1 ms cap; the time falls
// below it only beyond about 1 Gbit/s. No SRTT yet: 0 (Linux's rate is
// then unbounded). window, inFlight and ssthresh are in bytes.
func hystartAckDelay(window, inFlight, ssthresh Bytes, srtt time.Duration) time.Duration {
	w := max(window, inFlight)
	if srtt <= 0 || w <= 0 {
		return 0
	}
	ratio := int64(120)
	if window < ssthresh/2 {
		ratio = 200
	}
	// 4 * gso_max_size / (ratio/100 * w / srtt), in ns, in integers: at
	// most about 2.6e7 * srtt, far from overflow for any SRTT below a day.
	return min(time.Millisecond, time.Duration(4*hystartGSOMaxSize*100*int64(srtt)/(ratio*int64(w))))
}

// update is Linux hystart_update for one ACK in slow start, before the
// ACK grows the window: now, the ACK's RTT sample (already recorded with
// sample), snd_una after the ACK, snd_nxt, the window in segments and
// the ACK-train allowance ackDelay (hystartAckDelay). It
// returns the test that fired, HyStartNone if neither did. The caller
// calls it only while h.found is HyStartNone and the controller is in
// slow start, and sets ssthresh = cwnd when it returns anything else.
func (h *hystart) update(now sim.Time, rtt time.Duration, sndUna, sndNxt int64, cwndSeg int64, ackDelay time.Duration) HyStartExit {
	if sndUna > h.endSeq {
		h.reset(now, sndNxt)
	}
	if cwndSeg < hystartLowWindow {
		return HyStartNone
	}
	// ACK train: a train of closely spaced ACKs that lasts longer than
	// half of the minimum RTT plus the ACK delay allowance (halved: no
	// pacing qdisc, so no allowance for pacing's spreading).
	if now.Sub(h.lastAck) <= hystartAckDelta {
		h.lastAck = now
		if now.Sub(h.roundStart) > (h.delayMin+ackDelay)/2 {
			h.found = HyStartAckTrain
		}
	}
	// Delay: the round's smallest sample, once it has 8.
	h.currRTT = min(h.currRTT, rtt)
	if h.sampleCnt < hystartMinSamples {
		h.sampleCnt++
	} else if h.currRTT > h.delayMin+h.delayThresh() && h.found == HyStartNone {
		h.found = HyStartDelay
	}
	return h.found
}
