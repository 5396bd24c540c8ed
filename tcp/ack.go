package tcp

import (
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// ackInfo is what one ACK told the sender (Linux's FLAG_* bits and
// counters of tcp_ack).
type ackInfo struct {
	prevUna       int64
	priorFack     int64         // the highest SACKed byte before this ACK (Linux prior_fack)
	unaAdvanced   bool          // FLAG_SND_UNA_ADVANCED
	newlyAcked    int           // segments cumulatively acknowledged that were not SACKed
	newlySacked   int           // segments newly SACKed
	ackedBytes    Bytes         // bytes of both
	dataSacked    bool          // FLAG_DATA_SACKED
	origSackAcked bool          // FLAG_ORIG_SACK_ACKED: never-resent data from before the episode delivered
	dsack         bool          // a D-SACK block
	dsackTLP      bool          // the D-SACK reports the tail loss probe's duplicate
	isDup         bool          // a duplicate ACK (RFC 5681 2)
	newlyLost     int           // segments RACK marked lost, lost retransmissions included
	lostRetrans   bool          // a retransmission was found lost again
	noXmitTimer   bool          // RACK armed its reordering timer
	seqRTT        time.Duration // from the oldest never-resent segment acknowledged; -1 = none
	sackRTT       time.Duration // from the lowest never-resent segment SACKed; -1 = none
	caRTT         time.Duration // from the newest; -1 = none
	sackCaRTT     time.Duration // caRTT from the SACKed segments alone; -1 = none
	retransAcked  bool          // a resent segment was cumulatively acknowledged (FLAG_RETRANS_DATA_ACKED)
	tsecr         sim.Time
}

// init starts a, zeroed, for ACK p: field by field, as a composite
// literal with constants (the -1s) is built in a temporary and copied.
func (a *ackInfo) init(c *Conn, p *link.Packet) {
	a.prevUna, a.priorFack = c.sndUna, c.sb.highSacked
	a.seqRTT, a.sackRTT, a.caRTT, a.sackCaRTT = -1, -1, -1, -1
	a.tsecr = p.TSecr
	if !c.cfg.Timestamps {
		a.tsecr = -1
	}
}

func (a *ackInfo) delivered() int { return a.newlyAcked + a.newlySacked }

// onAck processes the acknowledgement fields of an arriving segment.
func (c *Conn) onAck(p *link.Packet) {
	if p.Ack > c.sndMax {
		return // acknowledges data never sent: ignore (RFC 9293 3.10.7.4)
	}
	c.rwnd = p.Wnd
	if c.cfg.Recovery == RecoveryNewReno {
		c.onAckNewReno(p)
		return
	}
	if c.ackChangesNothing(p) {
		// The fast path (as Linux's tcp_ack takes for an ACK of
		// nothing with nothing to learn): every step below would
		// find nothing to do.
		c.traceCwnd()
		if c.finAcked && c.rcv.peerFin {
			c.terminate(ClosedLocally)
		}
		return
	}
	var a ackInfo
	a.init(c, p)
	priorInFlight := c.flightForUse()
	priorPackets := c.sb.packetsOut()
	if p.NSack > 0 {
		c.processSACK(p, &a)
	}
	if p.Ack > c.sndUna {
		c.cleanRtx(p.Ack, &a)
	}
	c.ackRTT(&a)
	c.ackSample(&a, priorInFlight)
	a.isDup = !a.unaAdvanced && p.Len == 0 && p.Flags&(link.SYN|link.FIN) == 0 && priorPackets > 0
	if c.rec.tlpHighSeq != 0 {
		c.processTLPAck(p.Ack, &a)
	}
	if a.isDup || a.dataSacked || a.dsack || c.rec.state != Open {
		c.fastRetransAlert(&a)
	}
	// Congestion control (Linux tcp_cong_control): PRR in fast
	// recovery, growth otherwise when data was acknowledged.
	if c.rec.state == Recovery {
		c.prrReduce(a.delivered(), a.newlyLost, a.unaAdvanced)
	} else if a.unaAdvanced && a.delivered() > 0 {
		c.grow(&a, a.ackedBytes, priorInFlight)
	}
	if c.setsXmitTimer(&a) && !a.noXmitTimer {
		// Set once the packet has been processed (receive), unless new
		// data sent in reply sets it first: Linux's tcp_set_xmit_timer
		// here is overridden by tcp_write_xmit's loss probe then.
		c.xmitTimerDue = true
	}
	c.traceCwnd()
	if c.finAcked && c.rcv.peerFin {
		c.terminate(ClosedLocally)
	}
}

// setsXmitTimer reports whether the ACK re-arms the loss-probe or
// retransmission timer (Linux FLAG_SET_XMIT_TIMER, tcp_clean_rtx_queue):
// when it acknowledges data, and when it SACKs never-resent data sent
// before the first outstanding segment was last sent (its SACK RTT is
// longer than that segment's age). In fast recovery the SACKs of the
// original flight keep pushing the RTO back while they arrive; SACKs of
// data sent after the head's retransmission do not, so that the timeout
// cannot be put off for ever.
func (c *Conn) setsXmitTimer(a *ackInfo) bool {
	if a.unaAdvanced {
		return true
	}
	if a.sackRTT < 0 || c.sb.segs.Len() == 0 {
		return false
	}
	return a.sackRTT > c.sched.Now().Sub(c.sb.segs.Front().sentAt)
}

// ackChangesNothing reports whether onAck's full processing of p would
// change nothing but the window: p acknowledges no new data and carries
// no SACK block, so there is no RTT sample, nothing delivered and no
// D-SACK; it is not a duplicate ACK (it carries data, SYN or FIN, or
// nothing is outstanding); and the sender is in Open with no tail loss
// probe to account for, so the recovery state machine has nothing to
// run. This is the ACK on every data segment of a one-way transfer's
// receiver.
func (c *Conn) ackChangesNothing(p *link.Packet) bool {
	if p.Ack > c.sndUna || p.NSack > 0 || c.rec.state != Open || c.rec.tlpHighSeq != 0 {
		return false
	}
	return p.Len > 0 || p.Flags&(link.SYN|link.FIN) != 0 || c.sb.packetsOut() == 0
}

// grow hands the congestion control an ACK that acknowledged data outside
// fast recovery (Linux tcp_cong_avoid): acked bytes, or the segments
// delivered when the window counts packets, and the ACK's RTT sample.
func (c *Conn) grow(a *ackInfo, acked, priorInFlight Bytes) {
	if c.cfg.CwndCounting == CountPackets {
		acked = Bytes(a.delivered()) * c.smss
	}
	rtt := a.caRTT
	if rtt < 0 {
		rtt = max(a.seqRTT, 0)
	}
	c.cc.OnAck(Ack{Now: c.sched.Now(), Acked: acked, PriorInFlight: priorInFlight, MaxInFlight: c.maxFlight,
		WindowLimited: c.usageLimited, RTT: rtt, MinRTT: c.stats.MinRTT, SRTT: c.est.srtt,
		SndUna: c.sndUna, SndNxt: c.sndMax})
}

// ackSample hands the ACK's RTT sample, the newest segment's, to a
// congestion control that takes every one (AckSampler; Linux's
// pkts_acked hook at the end of tcp_clean_rtx_queue), before loss
// recovery and window growth see the ACK.
func (c *Conn) ackSample(a *ackInfo, priorInFlight Bytes) {
	if a.caRTT < 0 || !c.ccSamples {
		return // no sample: cubictcp_acked returns at once
	}
	c.cc.(AckSampler).OnAckSample(Ack{Now: c.sched.Now(), PriorInFlight: priorInFlight, RTT: max(a.caRTT, 1), MinRTT: c.stats.MinRTT,
		SRTT: c.est.srtt, SndUna: c.sndUna, SndNxt: c.sndMax})
}

// processSACK applies an ACK's SACK blocks to the scoreboard (RFC 2018,
// RFC 6675 "Update()"; Linux tcp_sacktag_write_queue), after spotting a
// D-SACK (RFC 2883 4).
func (c *Conn) processSACK(p *link.Packet, a *ackInfo) {
	r := &c.rec
	var buf [link.MaxSackBlocks]link.SackBlock
	blocks := buf[:p.NSack]
	for i := range blocks {
		blocks[i] = p.SackBlock(i)
	}
	if b := blocks[0]; b.End <= p.Ack || (len(blocks) > 1 && b.Start >= blocks[1].Start && b.End <= blocks[1].End) {
		a.dsack = true
		c.stats.DSACKsReceived++
		if r.undoMarker != 0 && r.undoRetrans > 0 && b.End > r.undoMarker {
			// A duplicate of a retransmission shows it was not needed
			// (RFC 3708): for data already acknowledged, every segment
			// of the block counts (Linux tcp_check_dsack); for data
			// still outstanding, the resent segments it covers
			// (tcp_sacktag_one).
			segs := 0
			if b.End <= a.prevUna {
				segs = int((b.End - b.Start + c.smss - 1) / c.smss)
			} else {
				for i := c.sb.index(max(b.Start, c.sndUna)); i < c.sb.segs.Len(); i++ {
					s := c.sb.segs.At(i)
					if s.start >= b.End {
						break
					}
					if s.start >= b.Start && s.end <= b.End && s.has(segEverRetrans) {
						segs++
					}
				}
			}
			r.undoRetrans = max(0, r.undoRetrans-segs)
		}
		if r.tlpHighSeq != 0 && r.tlpRetrans && b.End == r.tlpProbeEnd {
			a.dsackTLP = true
		}
		blocks = blocks[1:]
	}
	// Walk the blocks in sequence order, as Linux sorts them
	// (tcp_sacktag_write_queue), not in the order they came (the most
	// recent first): the SACK RTT is then the lowest newly SACKed
	// segment's, and a lower block is not taken for reordering because
	// a higher one of the same ACK was tagged before it.
	for i := 1; i < len(blocks); i++ {
		for j := i; j > 0 && blocks[j].Start < blocks[j-1].Start; j-- {
			blocks[j], blocks[j-1] = blocks[j-1], blocks[j]
		}
	}
	now := c.sched.Now()
	sb := &c.sb
	cache := sb.sackCache[:sb.nsackCache]
	for _, b := range blocks {
		if b.End <= max(p.Ack, c.sndUna) || b.Start >= c.sndMax {
			continue
		}
		from := max(b.Start, c.sndUna)
		for _, cb := range cache {
			// Tagged at the previous ACK: segments never lose their
			// SACK mark (no reneging here), so start where that block
			// ended (Linux tcp_sacktag_write_queue's cache).
			if cb.Start <= from && from < cb.End && cb.End <= b.End {
				from = max(from, cb.End)
			}
		}
		if from >= b.End {
			// All tagged at the previous ACK: the walk below would
			// find nothing to tag (the segment holding from ends
			// beyond the block), so skip its search.
			continue
		}
		for i := c.sb.indexNearEnd(from); i < c.sb.segs.Len(); i++ {
			s := c.sb.segs.At(i)
			if s.start >= b.End {
				break
			}
			if s.start < b.Start || s.end > b.End || s.has(segSacked) {
				continue
			}
			c.rackAdvance(s)
			switch {
			case s.has(segRetrans):
				if s.has(segLost) {
					c.sb.clear(s, segLost)
					c.sb.clear(s, segRetrans)
				}
			default:
				if !s.has(segEverRetrans) {
					if s.start < c.sb.highSacked {
						r.reordSeen = true // a never-resent segment below the highest SACK: reordering
					}
					if s.end <= r.highSeq {
						a.origSackAcked = true
					}
					rtt := now.Sub(s.sentAt)
					if a.sackRTT < 0 {
						a.sackRTT = rtt
					}
					a.caRTT, a.sackCaRTT = rtt, rtt
				}
				c.sb.clear(s, segLost)
			}
			c.sb.set(s, segSacked)
			c.sb.highSacked = max(c.sb.highSacked, s.end)
			a.dataSacked = true
			a.newlySacked++
			a.ackedBytes += s.bytes()
		}
	}
	sb.nsackCache = int32(copy(sb.sackCache[:], blocks))
}

// cleanRtx takes the cumulatively acknowledged segments off the
// scoreboard (Linux tcp_clean_rtx_queue).
func (c *Conn) cleanRtx(ack int64, a *ackInfo) {
	now := c.sched.Now()
	b := &c.sb
	// The segments wholly acknowledged, walked in the ring's storage and
	// dropped together.
	x, y := b.segs.Slices()
	n := c.ackSegs(x, ack, a, now)
	if n == len(x) {
		n += c.ackSegs(y, ack, a, now)
	}
	b.dropFront(n)
	if b.segs.Len() > 0 && b.segs.Front().start < ack {
		// Part of a segment: keep the rest, its marks counted for the
		// bytes left.
		s := b.segs.Front()
		flags := s.flags
		b.forget(s)
		s.start = ack
		b.set(s, flags&segSacked)
		b.set(s, flags&segLost)
		b.set(s, flags&segRetrans)
	}
	for b.sent.Len() > 0 && b.sent.Front().start < ack {
		b.sent.Discard() // transmissions of acknowledged segments
	}
	c.sndUna = ack
	c.dropAckedMarks()
	a.unaAdvanced = true
	c.retries = 0
}

// ackSegs handles the leading segments of segs that ack acknowledges
// whole, in order, and returns how many there are: their deliveries and
// RTT samples go to a, and they leave the scoreboard's counters (the
// caller drops them).
func (c *Conn) ackSegs(segs []txSeg, ack int64, a *ackInfo, now sim.Time) int {
	r := &c.rec
	for i := range segs {
		s := &segs[i]
		if s.end > ack {
			return i
		}
		if s.has(segEverRetrans) {
			a.retransAcked = true
		}
		if !s.has(segSacked) {
			a.newlyAcked++
			a.ackedBytes += s.bytes()
			if !s.has(segEverRetrans) {
				rtt := now.Sub(s.sentAt)
				if a.seqRTT < 0 {
					a.seqRTT = rtt
				}
				a.caRTT = rtt
				if s.end <= r.highSeq {
					a.origSackAcked = true
				}
				if s.start < a.priorFack {
					// Never resent, delivered below what was SACKed
					// before: it arrived late, reordered (Linux
					// tcp_clean_rtx_queue's reord check).
					r.reordSeen = true
				}
			}
			if !c.spuriousRetrans(s, a) {
				c.rackAdvance(s)
			}
		}
		if s.has(segFin) {
			c.finSent, c.finAcked = true, true
		}
		c.sb.forget(s)
	}
	return len(segs)
}

// spuriousRetrans reports whether segment s was resent and the ACK
// echoes a timestamp from before that resend: the original was
// delivered, and RACK must not take the resend's time as the latest
// delivery (Linux tcp_skb_spurious_retrans).
func (c *Conn) spuriousRetrans(s *txSeg, a *ackInfo) bool {
	return s.has(segEverRetrans) && a.tsecr >= 0 && a.tsecr < s.sentAt
}

// ackRTT takes the ACK's RTT sample (Linux tcp_ack_update_rtt): the
// oldest newly acknowledged segment that was never resent (Karn), else
// the oldest newly SACKed one, else the echoed timestamp if the ACK
// acknowledged new data (RFC 7323 4.1).
func (c *Conn) ackRTT(a *ackInfo) {
	if a.retransAcked && c.cfg.RTOEstimator == RTOLinux {
		// The ACK also covers data sent again, so it may have waited
		// for the repair: Linux takes no sample from the acknowledged
		// segments then, only from those SACKed and from the
		// timestamp (tcp_clean_rtx_queue: no seq_rtt_us with
		// FLAG_RETRANS_DATA_ACKED). RFC 6298's Karn rule only excludes
		// the resent segments themselves.
		a.seqRTT, a.caRTT = -1, -1
	}
	if a.sackCaRTT >= 0 {
		// The newest SACKed segment's RTT wins over the cumulatively
		// acknowledged ones' (tcp_clean_rtx_queue sets ca_rtt_us from
		// last_sackt after first_ackt).
		a.caRTT = a.sackCaRTT
	}
	rtt := a.seqRTT
	if rtt < 0 {
		rtt = a.sackRTT
	}
	if rtt < 0 && a.tsecr >= 0 && a.unaAdvanced {
		rtt = c.sched.Now().Sub(a.tsecr)
		a.caRTT = rtt
	}
	if rtt >= 0 {
		c.updateRTT(rtt, a.caRTT)
	}
}

// setXmitTimer arms the timer after an ACK that acknowledged data: a
// tail loss probe where one applies, else the RTO (Linux
// tcp_set_xmit_timer).
func (c *Conn) setXmitTimer() {
	if !c.scheduleLossProbe(true) {
		c.rearmRTO()
	}
}

// onAckNewReno is the textbook sender's ACK processing: NewReno fast
// recovery on the third duplicate ACK with window inflation, partial ACKs
// retransmitting the next hole (RFC 5681 3.2, RFC 6582 with the Impatient
// timer), SACK blocks ignored.
func (c *Conn) onAckNewReno(p *link.Packet) {
	ack := p.Ack
	now := c.sched.Now()
	r := &c.rec
	if ack > c.sndUna {
		prior := c.flightForUse()
		var a ackInfo
		a.init(c, p)
		a.priorFack = 0
		c.cleanRtx(ack, &a)
		c.ackRTT(&a)
		c.ackSample(&a, prior)
		acked := ack - a.prevUna
		if r.state == Loss && ack >= r.highSeq {
			r.state = Open
		}
		if r.state == Recovery {
			if ack >= r.highSeq {
				// Full ACK: leave fast recovery (RFC 6582 3.2 step 3).
				r.state, r.inflate, r.dupAcks = Open, 0, 0
				c.cc.OnRecoveryExit(now)
			} else {
				// Partial ACK: retransmit the next hole, deflate the
				// window by the amount acknowledged and add back one
				// MSS (RFC 6582 3.2 step 5).
				if c.sb.segs.Len() > 0 {
					s := c.sb.segs.At(0)
					c.sb.set(s, segLost)
					c.retransmit(s)
				}
				r.inflate -= acked
				if acked >= c.smss {
					r.inflate += c.smss
				}
				// The Impatient variant (RFC 6582 section 4): only the
				// first partial ACK re-arms the timer, so a window
				// with many losses falls back to the RTO and go-back-N
				// instead of recovering one segment per round trip.
				if !r.partialAcked {
					r.partialAcked = true
					c.armTimer(timerRTO, c.rto)
				}
				c.traceCwnd()
				return
			}
		} else {
			r.dupAcks = 0
			if r.state == Disorder {
				r.state = Open
			}
			c.grow(&a, acked, prior)
		}
		c.rearmRTO()
		c.traceCwnd()
		if c.finAcked && c.rcv.peerFin {
			c.terminate(ClosedLocally)
		}
		return
	}
	// A duplicate ACK (RFC 5681 section 2): no data, no new
	// acknowledgement, outstanding data. Our advertised windows do not
	// change, so the window test is implicit.
	if ack == c.sndUna && p.Len == 0 && p.Flags&(link.SYN|link.FIN) == 0 && c.sndMax > c.sndUna {
		r.dupAcks++
		if r.state == Recovery {
			r.inflate += c.smss // RFC 5681 3.2 step 4
			return
		}
		if r.state != Loss {
			r.state = Disorder
		}
		if r.dupAcks == 3 && c.sndUna >= r.highSeq {
			// Fast retransmit and fast recovery (RFC 5681 3.2, RFC 6582).
			r.state = Recovery
			r.partialAcked = false
			r.highSeq = c.sndMax
			c.cc.OnCongestionEvent(now, c.Outstanding())
			r.inflate = 3 * c.smss
			c.stats.Recoveries++
			s := c.sb.segs.At(0)
			c.sb.set(s, segLost)
			c.retransmit(s)
			c.armTimer(timerRTO, c.rto)
			c.traceCwnd()
		}
	}
}
