package tcp

import (
	"time"

	"github.com/connsim/connsim/sim"
)

// rexmitKind is what an ACK asks the sender to send (Linux REXMIT_*).
type rexmitKind uint8

const (
	rexmitNone rexmitKind = iota
	rexmitLost            // retransmit what is marked lost
	rexmitNew             // F-RTO: send new data first
)

// recovery is the sender's loss-recovery state, as Linux keeps it (ns-3's
// TcpSocketState and gVisor's sender hold the same): the congestion state
// (Open, Disorder, Recovery, Loss), changed only by the transitions
// below; the undo record; Proportional Rate Reduction's counters; RACK's
// most recently delivered segment; and the tail loss probe in flight.
type recovery struct {
	state   CongState
	highSeq int64 // Linux high_seq, RFC 6582 "recover": sndMax when the episode began
	rexmit  rexmitKind

	// NewReno (textbook) recovery.
	dupAcks      int
	partialAcked bool  // a partial ACK arrived in this episode
	inflate      Bytes // window inflation on top of the CC's window

	// Undo (Linux tcp_init_undo, tcp_undo_cwnd_reduction).
	undoMarker    int64    // sndUna when the reduction began; 0 = nothing to undo
	undoRetrans   int      // retransmissions not yet shown spurious by D-SACK; -1 = none yet
	retransStamp  sim.Time // first retransmission of the episode; -1 = none
	priorCwnd     Bytes
	priorSSThresh Bytes
	frto          bool // F-RTO (RFC 5682) in progress after a timeout

	// Proportional Rate Reduction (RFC 6937), in segments.
	prrDelivered, prrOut int
	prrPriorCwnd         int

	// RACK (RFC 8985): the most recently sent segment that was delivered.
	rackXmit     sim.Time
	rackEnd      int64
	rackRTT      time.Duration
	rackAdvanced bool
	reordSeen    bool

	// Tail loss probe (RFC 8985 7).
	tlpHighSeq  int64 // sndMax when the probe was sent; 0 = none outstanding
	tlpRetrans  bool  // the probe resent data (rather than sending new data)
	tlpProbeEnd int64 // end of the segment the probe resent
}

func newRecovery() recovery { return recovery{retransStamp: -1, undoRetrans: -1, rackXmit: -1} }

// ssthreshSegs is ssthresh in segments.
func (c *Conn) ssthreshSegs() int { return int(min(c.cc.SSThresh(), 1<<40) / c.smss) }

// lossBase is what a reduction halves: the flight (RFC 5681 equation 4)
// for the textbook sender, cwnd for Linux's (tcp_reno_ssthresh).
func (c *Conn) lossBase() Bytes {
	if c.cfg.Recovery == RecoveryNewReno {
		return c.Outstanding()
	}
	return c.cc.Window()
}

// currentSSThresh is Linux's tcp_current_ssthresh: during a reduction
// ssthresh, else at least three quarters of cwnd.
func (c *Conn) currentSSThresh() Bytes {
	if c.rec.state == Recovery {
		return c.cc.SSThresh()
	}
	w := c.cc.Window()
	return max(c.cc.SSThresh(), w/2+w/4)
}

// initUndo starts an undo record (Linux tcp_init_undo).
func (c *Conn) initUndo() {
	r := &c.rec
	r.undoMarker = c.sndUna
	r.undoRetrans = -1
	if c.sb.retransOut > 0 {
		r.undoRetrans = c.sb.retransOut
	}
}

// enterLoss is the transition to Loss on a retransmission timeout (RFC
// 5681 3.1, RFC 6298 5.5; Linux tcp_enter_loss).
func (c *Conn) enterLoss() {
	r := &c.rec
	now := c.sched.Now()
	if c.cfg.Recovery == RecoveryNewReno {
		// The first timeout of a loss episode reduces ssthresh; a
		// backed-off repeat (no ACK since the last timeout) or a
		// timeout during fast recovery only collapses the window (RFC
		// 5681 3.1; Linux tcp_enter_loss). Without SACK everything
		// outstanding is presumed lost: go-back-N.
		if r.state == Recovery || (r.state == Loss && c.retries > 1) {
			c.cc.OnRepeatRTO(now)
		} else {
			c.cc.OnRTO(now, c.Outstanding())
		}
		r.state, r.inflate, r.dupAcks = Loss, 0, 0
		r.highSeq = c.sndMax
		for i := 0; i < c.sb.segs.Len(); i++ {
			s := c.sb.segs.At(i)
			c.sb.clear(s, segRetrans)
			c.sb.set(s, segLost)
		}
		c.sb.lostHint = c.sndUna
		return
	}
	newRecovery := r.state < Recovery
	if r.state <= Disorder || r.highSeq <= c.sndUna || (r.state == Loss && c.retries == 1) {
		r.priorSSThresh = c.currentSSThresh()
		r.priorCwnd = c.cc.Window()
		c.cc.OnRTO(now, c.lossBase())
		c.initUndo()
	} else {
		c.cc.OnRepeatRTO(now)
	}
	// Mark lost the first segment and every other one RACK has given time
	// to be acknowledged (Linux tcp_timeout_mark_lost): a segment sent
	// less than an RTT ago may still arrive.
	now = c.sched.Now()
	for i := 0; i < c.sb.segs.Len(); i++ {
		s := c.sb.segs.At(i)
		if i > 0 && c.rackRemaining(s, 0, now) > 0 {
			continue
		}
		c.markLost(s, nil)
	}
	c.setCwndSegs(c.sb.inFlight() + 1)
	r.state = Loss
	r.highSeq = c.sndMax
	r.tlpHighSeq = 0
	r.frto = c.cfg.Undo && (newRecovery || c.retries > 1)
}

// setCwndSegs sets cwnd to n segments (bytes counting: n*SMSS).
func (c *Conn) setCwndSegs(n int) { c.cc.SetWindow(Bytes(max(n, 1)) * c.smss) }

// enterRecovery is the transition to fast recovery (RFC 6675 5, RFC 6937;
// Linux tcp_enter_recovery with tcp_init_cwnd_reduction).
func (c *Conn) enterRecovery() {
	r := &c.rec
	now := c.sched.Now()
	r.priorSSThresh = c.currentSSThresh()
	c.initUndo()
	r.priorCwnd = c.cc.Window()
	r.prrPriorCwnd = int(c.cc.Window() / c.smss)
	r.prrDelivered, r.prrOut = 0, 0
	c.cc.OnCongestionEvent(now, c.lossBase())
	r.highSeq = c.sndMax
	r.tlpHighSeq = 0
	r.state = Recovery
	c.stats.Recoveries++
}

// fastRetransAlert is the state machine run on a dubious ACK (Linux
// tcp_fastretrans_alert).
func (c *Conn) fastRetransAlert(a *ackInfo) {
	r := &c.rec
	r.rexmit = rexmitNone
	// Exit conditions.
	if r.state == Open {
		r.retransStamp = -1
	} else if c.sndUna >= r.highSeq && r.state == Recovery {
		c.tryUndoRecovery(a)
		c.endCwndReduction()
	}
	switch r.state {
	case Recovery:
		if a.unaAdvanced && c.tryUndoPartial(a) {
			return
		}
		if c.tryUndoDSACK() {
			c.tryToOpen()
		}
		c.rackMarkLost(a)
		if r.state != Recovery {
			if !c.timeToRecover() {
				return
			}
			c.enterRecovery()
		}
		r.rexmit = rexmitLost
		return
	case Loss:
		c.processLoss(a)
		c.rackMarkLost(a)
		if !(r.state == Open || a.lostRetrans) {
			return
		}
	}
	// Open or Disorder.
	if r.state <= Disorder {
		c.tryUndoDSACK()
	}
	c.rackMarkLost(a)
	if !c.timeToRecover() {
		c.tryToOpen()
		return
	}
	c.enterRecovery()
	r.rexmit = rexmitLost
}

// timeToRecover: with RACK, any segment marked lost starts recovery.
func (c *Conn) timeToRecover() bool { return c.sb.lostOut > 0 }

// processLoss handles an ACK in Loss (Linux tcp_process_loss): undo if
// the timeout was spurious (Eifel with timestamps; F-RTO otherwise),
// else retransmit what is lost.
func (c *Conn) processLoss(a *ackInfo) {
	r := &c.rec
	recovered := c.sndUna >= r.highSeq
	if a.unaAdvanced && c.tryUndoLoss(false, a) {
		return
	}
	if r.frto {
		// F-RTO (RFC 5682 3.1, SACK-enhanced): the timeout was spurious
		// if data never resent, sent before it, is delivered.
		if a.origSackAcked && c.tryUndoLoss(true, a) {
			return
		}
		if c.sndMax > r.highSeq {
			if a.dataSacked || a.isDup {
				r.frto = false // step 3.a: the loss was real
			}
		} else if a.unaAdvanced && !recovered {
			r.highSeq = c.sndMax
			// Step 2.b: send new data, if there is any the receive
			// window allows, before retransmitting more.
			if c.sndEnd > c.sndMax && c.rwndAllows(c.sndMax+min(c.smss, c.sndEnd-c.sndMax)) {
				r.rexmit = rexmitNew
				return
			}
			r.frto = false
		}
	}
	if recovered {
		c.tryUndoRecovery(a)
		return
	}
	r.rexmit = rexmitLost
}

// packetDelayed is Eifel detection (RFC 3522; Linux tcp_packet_delayed):
// the ACK echoes a timestamp older than the first retransmission, so it
// acknowledges an original transmission.
func (c *Conn) packetDelayed(a *ackInfo) bool {
	r := &c.rec
	return c.cfg.Timestamps && r.retransStamp >= 0 && a.tsecr >= 0 && a.tsecr < r.retransStamp
}

// mayUndo: the reduction may be undone when every retransmission was
// shown unnecessary by D-SACK, or the ACK echoes an original's timestamp
// (Linux tcp_may_undo).
func (c *Conn) mayUndo(a *ackInfo) bool {
	r := &c.rec
	return c.cfg.Undo && r.undoMarker != 0 && (r.undoRetrans == 0 || c.packetDelayed(a))
}

// undoCwndReduction restores cwnd and ssthresh (Linux
// tcp_undo_cwnd_reduction); with unmark, segments marked lost are
// unmarked, so they are not resent.
func (c *Conn) undoCwndReduction(unmark bool) {
	r := &c.rec
	if unmark {
		for i := 0; i < c.sb.segs.Len(); i++ {
			c.sb.clear(c.sb.segs.At(i), segLost)
		}
	}
	if r.priorSSThresh > 0 {
		c.cc.Undo(c.sched.Now(), r.priorCwnd, r.priorSSThresh)
	}
	r.undoMarker = 0
	r.rackAdvanced = true
	c.stats.Undos++
}

// tryUndoRecovery ends a recovery or loss episode whose end is
// acknowledged, undoing it if it proved spurious (Linux
// tcp_try_undo_recovery).
func (c *Conn) tryUndoRecovery(a *ackInfo) {
	if c.mayUndo(a) {
		c.undoCwndReduction(false)
	}
	c.rec.state = Open
}

// endCwndReduction sets cwnd to ssthresh at the end of fast recovery
// (RFC 6937; Linux tcp_end_cwnd_reduction), unless it was undone.
func (c *Conn) endCwndReduction() {
	if c.rec.undoMarker != 0 && c.cc.SSThresh() < InfiniteSSThresh {
		c.cc.OnRecoveryExit(c.sched.Now())
	}
}

// tryUndoPartial: a partial ACK of an original transmission in fast
// recovery shows the hole was filled by a delayed segment (Linux
// tcp_try_undo_partial). It reports whether to stop processing the ACK.
func (c *Conn) tryUndoPartial(a *ackInfo) bool {
	r := &c.rec
	if !c.cfg.Undo || r.undoMarker == 0 || !c.packetDelayed(a) {
		return false
	}
	if c.sb.retransOut > 0 {
		r.reordSeen = true
		return true
	}
	if !c.anyRetransDone() {
		r.retransStamp = -1
	}
	r.reordSeen = true // the hole was filled by a delayed original (tcp_check_sack_reordering)
	c.undoCwndReduction(true)
	c.tryKeepOpen()
	return false
}

// tryUndoDSACK: every retransmission of the episode was reported as a
// duplicate (RFC 3708; Linux tcp_try_undo_dsack).
func (c *Conn) tryUndoDSACK() bool {
	r := &c.rec
	if c.cfg.Undo && r.undoMarker != 0 && r.undoRetrans == 0 {
		c.undoCwndReduction(false)
		return true
	}
	return false
}

// tryUndoLoss leaves Loss when the timeout proved spurious (Linux
// tcp_try_undo_loss).
func (c *Conn) tryUndoLoss(frtoUndo bool, a *ackInfo) bool {
	if !(frtoUndo && c.cfg.Undo) && !c.mayUndo(a) {
		return false
	}
	c.undoCwndReduction(true)
	c.retries = 0
	c.rec.state = Open
	c.rec.frto = false
	return true
}

func (c *Conn) anyRetransDone() bool {
	return c.sb.retransOut > 0 || (c.sb.segs.Len() > 0 && c.sb.segs.Front().has(segEverRetrans))
}

// tryToOpen returns to Open or Disorder (Linux tcp_try_to_open).
func (c *Conn) tryToOpen() {
	if !c.anyRetransDone() {
		c.rec.retransStamp = -1
	}
	c.tryKeepOpen()
}

func (c *Conn) tryKeepOpen() {
	r := &c.rec
	s := Open
	if c.sb.sackedOut+c.sb.lostOut > 0 || c.anyRetransDone() {
		s = Disorder
	}
	if r.state != s {
		r.state = s
		r.highSeq = c.sndMax
	}
}

// prrReduce is Proportional Rate Reduction (RFC 6937 with the
// slow-start reduction bound; Linux tcp_cwnd_reduction): cwnd = segments
// in flight + what may be sent on this ACK.
func (c *Conn) prrReduce(delivered, newlyLost int, unaAdvanced bool) {
	r := &c.rec
	if delivered <= 0 || r.prrPriorCwnd <= 0 {
		return
	}
	inFlight := c.sb.inFlight()
	ssthresh := c.ssthreshSegs()
	delta := ssthresh - inFlight
	r.prrDelivered += delivered
	var sndcnt int
	if delta < 0 {
		sndcnt = (ssthresh*r.prrDelivered+r.prrPriorCwnd-1)/r.prrPriorCwnd - r.prrOut
	} else {
		sndcnt = max(r.prrDelivered-r.prrOut, delivered)
		if unaAdvanced && newlyLost == 0 {
			sndcnt++
		}
		sndcnt = min(delta, sndcnt)
	}
	if r.prrOut == 0 {
		sndcnt = max(sndcnt, 1) // the fast retransmit goes out at once
	}
	c.setCwndSegs(inFlight + max(sndcnt, 0))
}

// --- RACK (RFC 8985) ---

// sentAfter reports whether a transmission at t1 ending at seq1 came
// after one at t2 ending at seq2.
func sentAfter(t1, t2 sim.Time, seq1, seq2 int64) bool {
	return t1 > t2 || (t1 == t2 && seq1 > seq2)
}

// rackAdvance records a delivered segment (Linux tcp_rack_advance). A
// resent segment delivered sooner than the minimum RTT after its last
// transmission is ambiguous (the original may have been delivered) and
// is skipped.
func (c *Conn) rackAdvance(s *txSeg) {
	r := &c.rec
	rtt := c.sched.Now().Sub(s.sentAt)
	if s.has(segEverRetrans) && rtt < c.stats.MinRTT {
		return
	}
	r.rackAdvanced = true
	r.rackRTT = rtt
	if sentAfter(s.sentAt, r.rackXmit, s.end, r.rackEnd) {
		r.rackXmit, r.rackEnd = s.sentAt, s.end
	}
}

// rackReoWnd is the reordering window (RFC 8985 6.2; Linux
// tcp_rack_reo_wnd): none in recovery or once three segments are SACKed
// until reordering is seen, else a quarter of the minimum RTT, at most
// the smoothed RTT.
func (c *Conn) rackReoWnd() time.Duration {
	r := &c.rec
	if !r.reordSeen && (r.state >= Recovery || c.sb.sackedOut >= 3) {
		return 0
	}
	return min(c.stats.MinRTT/4, c.est.srtt)
}

// rackRemaining is how long segment s may still take before RACK deems
// it lost: RACK.rtt + reoWnd - its age.
func (c *Conn) rackRemaining(s *txSeg, reoWnd time.Duration, now sim.Time) time.Duration {
	return c.rec.rackRTT + reoWnd - now.Sub(s.sentAt)
}

// markLost marks segment s lost (Linux tcp_mark_skb_lost); a
// retransmission of it that was in flight is lost too.
func (c *Conn) markLost(s *txSeg, a *ackInfo) {
	if s.has(segSacked) {
		return
	}
	if s.has(segLost) {
		if s.has(segRetrans) {
			c.sb.clear(s, segRetrans)
			c.sb.lostHint = min(c.sb.lostHint, s.start)
			if a != nil {
				// A lost retransmission is a loss too (Linux
				// tcp_mark_skb_lost counts it in tp->lost), so PRR
				// withholds its extra segment on this ACK.
				a.lostRetrans = true
				a.newlyLost++
			}
		}
		return
	}
	c.sb.set(s, segLost)
	c.sb.markedLost(s)
	if a != nil {
		a.newlyLost++
	}
}

// rackDetectLoss marks lost every segment sent before the most recently
// delivered one that has been outstanding longer than RACK.rtt plus the
// reordering window, and returns how long until the next one would be
// (RFC 8985 6.2 step 5; Linux tcp_rack_detect_loss). It walks the
// transmissions in the order sent and stops at the first one sent after
// the most recently delivered segment.
func (c *Conn) rackDetectLoss(a *ackInfo) time.Duration {
	r := &c.rec
	b := &c.sb
	reoWnd := c.rackReoWnd()
	now := c.sched.Now()
	var timeout time.Duration
	stale, live := 0, 0
	for i := 0; i < b.sent.Len(); i++ {
		e := b.sent.At(i)
		s := b.sentSeg(e)
		if s == nil || s.sentAt != e.sentAt || s.has(segSacked) || (s.has(segLost) && !s.has(segRetrans)) {
			if i == 0 {
				b.sent.Discard() // stale at the front: drop it
				i--
			} else {
				stale++
			}
			continue
		}
		if !sentAfter(r.rackXmit, s.sentAt, r.rackEnd, s.end) {
			break
		}
		live++
		if rem := c.rackRemaining(s, reoWnd, now); rem <= 0 {
			c.markLost(s, a)
		} else {
			timeout = max(timeout, rem)
		}
	}
	if stale > 32 && stale > live {
		// Linux unlinks a segment from its send-ordered list when it is
		// SACKed or marked lost; a ring cannot, so compact it once the
		// stale entries walked outnumber the live ones.
		b.compactSent()
	}
	return timeout
}

// rackMarkLost runs RACK's detection after an ACK that delivered
// something, arming the reordering timer for segments not yet due (Linux
// tcp_rack_mark_lost).
func (c *Conn) rackMarkLost(a *ackInfo) {
	r := &c.rec
	if !r.rackAdvanced || c.sb.segs.Len() == 0 {
		return
	}
	r.rackAdvanced = false
	if t := c.rackDetectLoss(a); t > 0 {
		c.armTimer(timerReorder, c.ticks(t+timeoutMin))
		a.noXmitTimer = true
	}
}

// onReorderTimer: the reordering window of some segment ran out (RFC
// 8985 6.3; Linux tcp_rack_reo_timeout).
func (c *Conn) onReorderTimer() {
	if c.state != Established || c.sb.segs.Len() == 0 {
		return
	}
	r := &c.rec
	prior := c.sb.inFlight()
	var a ackInfo
	// Segments still inside their window (a timeout left) are not
	// waited for with a new reordering timer, as in Linux: the next ACK
	// that advances RACK arms one (rackMarkLost), else the RTO below
	// covers them. The timer fires no earlier than the latest deadline
	// it was armed for, so only a change of RACK's state since then can
	// leave one.
	c.rackDetectLoss(&a)
	if c.sb.inFlight() != prior {
		if r.state != Recovery {
			c.enterRecovery()
			c.prrReduce(1, 0, false)
		}
		var limited bool
		c.retransmitLost(&limited)
	}
	if !(c.xmitTimer.Pending() && c.timerMode == timerRTO) {
		c.armTimer(timerRTO, max(c.rtoDelta(), time.Microsecond))
	}
	c.traceCwnd()
}

// --- Tail loss probe (RFC 8985 7) ---

// scheduleLossProbe arms a tail loss probe in place of the RTO when the
// sender is in Open with data outstanding (Linux tcp_schedule_loss_probe):
// after two smoothed RTTs plus the minimum RTO when one segment is
// outstanding (its ACK may be delayed) or TCP_TIMEOUT_MIN_US (2 ms)
// otherwise, rounded up to whole ticks, and no later than the RTO would
// fire (also in whole ticks). This is Linux since 6.6 (commit 1c2709cfff1d,
// "tcp: fix excessive TLP and RACK timeouts from HZ rounding"; the
// reference kernel is 6.18): before it, two ticks were added after the
// rounding, 8 ms at HZ = 250.
func (c *Conn) scheduleLossProbe(advancingRTO bool) bool {
	if !c.cfg.TLP || c.cfg.Recovery != RecoverySACK || c.sb.packetsOut() == 0 || c.rec.state != Open || c.state != Established {
		return false
	}
	d := time.Second // TCP_TIMEOUT_INIT without a sample
	if c.est.srtt > 0 {
		extra := timeoutMin
		if c.sb.packetsOut() == 1 {
			extra = c.cfg.MinRTO
		}
		d = c.ticks(2*c.est.srtt + extra)
	}
	delta := c.rto
	if !advancingRTO {
		delta = c.rtoDelta()
	}
	if delta > 0 {
		d = min(d, c.ticks(delta))
	}
	c.armTimer(timerProbe, max(d, time.Microsecond))
	return true
}

// onProbeTimer sends the tail loss probe: a segment of new data if the
// receive window allows, else the last segment again; then the RTO runs
// from now (Linux tcp_send_loss_probe).
func (c *Conn) onProbeTimer() {
	r := &c.rec
	if c.state != Established || c.sb.segs.Len() == 0 {
		return
	}
	if r.tlpHighSeq != 0 {
		c.armTimer(timerRTO, max(c.rtoDelta(), time.Microsecond))
		return
	}
	r.tlpRetrans = false
	if avail := c.sndEnd - c.sndMax; avail > 0 && c.rwndAllows(c.sndMax+min(c.smss, avail)) && !c.corked {
		c.sendData(min(c.smss, avail))
	} else {
		s := c.lastSeg()
		c.resend(s)
		r.tlpRetrans = true
		r.tlpProbeEnd = s.end
	}
	r.tlpHighSeq = c.sndMax
	c.stats.LossProbes++
	c.armTimer(timerRTO, c.rto)
}

// processTLPAck decides what the probe found (Linux tcp_process_tlp_ack):
// nothing lost if it carried new data, if a D-SACK reports its duplicate,
// or if a plain duplicate ACK answers it; a loss it repaired, reducing
// the window once, if the ACK moves past it.
func (c *Conn) processTLPAck(ack int64, a *ackInfo) {
	r := &c.rec
	if ack < r.tlpHighSeq {
		return
	}
	switch {
	case !r.tlpRetrans:
		r.tlpHighSeq = 0
	case a.dsackTLP:
		r.tlpHighSeq = 0
	case ack > r.tlpHighSeq:
		// The probe repaired a loss: reduce once (CWR), then Open.
		r.tlpHighSeq = 0
		c.cc.OnCongestionEvent(c.sched.Now(), c.lossBase())
		c.tryKeepOpen()
	case !a.unaAdvanced && !a.dataSacked && a.isDup:
		r.tlpHighSeq = 0
	}
}
