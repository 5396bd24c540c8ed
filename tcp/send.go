package tcp

import (
	"github.com/connsim/connsim/sim/link"
)

// window returns the congestion window in bytes: the congestion control's,
// inflated during NewReno fast recovery (RFC 6582).
func (c *Conn) window() Bytes {
	w := c.cc.Window()
	if c.cfg.Recovery == RecoveryNewReno && c.rec.state == Recovery {
		w = max(w+c.rec.inflate, c.smss)
	}
	return w
}

// cwndAllows is the congestion-window test for one more segment of n
// bytes: with packet counting, fewer segments in flight than the window
// holds (Linux tcp_cwnd_test); with byte counting, the bytes in flight
// plus n within the window, one segment always allowed.
func (c *Conn) cwndAllows(n Bytes) bool { return c.cwndAllowsIn(c.window(), n) }

// cwndAllowsIn is cwndAllows for a window w already read.
func (c *Conn) cwndAllowsIn(w, n Bytes) bool {
	if c.cfg.CwndCounting == CountPackets {
		// Linux's in_flight < cwnd in whole segments, without a
		// division: in_flight + 1 <= floor(w/SMSS).
		return Bytes(c.sb.inFlight()+1)*c.smss <= w
	}
	f := c.InFlight()
	return f == 0 || f+n <= w
}

// windowFull reports whether the window is used up, for the window-use
// tracking.
func (c *Conn) windowFull() bool {
	if c.cfg.CwndCounting == CountPackets {
		return Bytes(c.sb.inFlight())*c.smss+c.smss > c.window()
	}
	return c.InFlight() >= c.window()
}

// flightForUse is the flight in the unit the window is counted in,
// expressed in bytes: segments times SMSS with packet counting.
func (c *Conn) flightForUse() Bytes {
	if c.cfg.CwndCounting == CountPackets {
		return Bytes(c.sb.inFlight()) * c.smss
	}
	return c.InFlight()
}

// rwndAllows is the receive-window test for new data ending at end.
func (c *Conn) rwndAllows(end int64) bool {
	return c.sndMax <= c.sndUna || end-c.sndUna <= c.rwnd
}

// trySend sends what the windows allow: retransmissions of segments the
// scoreboard marks lost first (Linux tcp_xmit_retransmit_queue), then new
// data (tcp_write_xmit), then a FIN once everything written has been sent.
func (c *Conn) trySend() {
	if c.state != Established || c.corked {
		return
	}
	r := &c.rec
	limited := false
	newFirst := r.rexmit == rexmitNew
	r.rexmit = rexmitNone
	if newFirst {
		// F-RTO (RFC 5682 2.b): new data first; if some left, the
		// timeout may have been spurious, and retransmissions wait.
		c.sendNew(&limited)
		if c.sndMax <= r.highSeq {
			r.frto = false
			c.retransmitLost(&limited)
		}
	} else {
		c.retransmitLost(&limited)
	}
	sent := c.sendNew(&limited)
	limited = limited || (sent && c.windowFull())
	if sent || limited {
		c.trackWindowUse(limited)
	}
	if sent {
		c.afterNewData()
	}
	if c.spaceWanted && c.Unsent() <= c.cfg.SendLowWater {
		c.spaceWanted = false
		if _, ok := c.h.(SendSpacer); ok {
			c.ep.stack.deferUpcall(upcall{c: c, h: c.h, kind: upSendSpace})
		}
	}
}

// sendNew sends new data while the windows allow, and the FIN after it.
// It reports whether it sent anything; *limited is set when the
// congestion window stopped it.
func (c *Conn) sendNew(limited *bool) bool {
	sent := false
	w := Bytes(-1) // the congestion window, read once the restart checks are done
	for {
		avail := c.sndEnd - c.sndMax
		if avail <= 0 {
			if c.appClosed && !c.finSent && c.sndMax == c.sndEnd {
				c.sendFIN()
				sent = true
			}
			return sent
		}
		if c.sb.packetsOut() == 0 {
			c.maybeIdleRestart()
			if c.sentData {
				// Linux CA_EVENT_TX_START: CUBIC moves its epoch on
				// by the quiet time.
				now := c.sched.Now()
				c.cc.OnTxStart(now, now.Sub(c.lastDataSent))
			}
		}
		n := min(c.smss, avail)
		if w < 0 {
			w = c.window() // nothing below changes it while new data goes out
		}
		if !c.cwndAllowsIn(w, n) {
			*limited = true
			return sent
		}
		if !c.rwndAllows(c.sndMax + n) {
			return sent
		}
		if c.cfg.Nagle && n < c.smss && c.sndMax > c.sndUna {
			// RFC 896: a small segment of new data waits while data is
			// unacknowledged. Retransmissions are never held back.
			return sent
		}
		c.sendData(n)
		sent = true
	}
}

// afterNewData arms the timers after new data left (Linux
// tcp_event_new_data_sent and the end of tcp_write_xmit): the RTO if it
// was not running, then a tail loss probe in its place where one applies.
func (c *Conn) afterNewData() {
	if c.scheduleLossProbe(false) {
		c.xmitTimerDue = false // the probe replaces what an ACK would set
		return
	}
	if !c.xmitTimer.Pending() || c.timerMode == timerProbe {
		c.armTimer(timerRTO, c.rto)
	}
}

// retransmitLost resends the segments marked lost and not yet resent, in
// sequence order, while the congestion window allows.
func (c *Conn) retransmitLost(limited *bool) {
	b := &c.sb
	if b.lostOut <= b.retransOut {
		return
	}
	rearm, advancing := false, true
	for i := b.index(b.lostHint); i < b.segs.Len(); i++ {
		if b.retransOut >= b.lostOut {
			break
		}
		s := b.segs.At(i)
		if !s.has(segLost) || s.has(segSacked|segRetrans) {
			if advancing {
				b.lostHint = s.end // nothing to resend up to here
			}
			continue
		}
		advancing = false
		if !c.cwndAllows(s.bytes()) {
			*limited = true
			break
		}
		c.retransmit(s)
		if i == 0 && !(c.xmitTimer.Pending() && c.timerMode == timerReorder) {
			rearm = true
		}
	}
	if rearm {
		c.armTimer(timerRTO, c.rto)
	}
}

// retransmit sends segment s again and marks it so (Linux
// tcp_retransmit_skb).
func (c *Conn) retransmit(s *txSeg) {
	r := &c.rec
	now := c.sched.Now()
	c.sb.set(s, segRetrans)
	c.resend(s)
	if r.state == Recovery {
		c.stats.FastRetransmits++
		r.prrOut++
	}
	if r.retransStamp < 0 {
		r.retransStamp = now
	}
	if r.undoRetrans < 0 {
		r.undoRetrans = 0
	}
	r.undoRetrans++
}

// resend puts segment s on the wire again.
func (c *Conn) resend(s *txSeg) {
	now := c.sched.Now()
	s.flags |= segEverRetrans
	s.sentAt = now
	c.sb.noteSent(s, c.sb.index(s.start))
	c.stats.Retransmits++
	n := s.bytes()
	flags := link.ACK
	if s.has(segFin) {
		flags |= link.FIN
		n--
	}
	if n > 0 {
		c.lastDataSent = now
	}
	c.sendPacket(flags, s.start, n, true)
}

// trackWindowUse records how much of its window the sender uses, after a
// send or a send blocked by the window (Linux tcp_cwnd_validate): a new
// measurement starts when the previous window has been acknowledged or the
// window is full; otherwise the largest flight is kept, unless the window
// was already found full.
func (c *Conn) trackWindowUse(limited bool) {
	flight := c.flightForUse()
	if c.sndUna >= c.usageSeq || limited || (!c.usageLimited && flight > c.maxFlight) {
		c.usageLimited = limited
		c.maxFlight = flight
		c.usageSeq = c.sndMax
	}
}

// sendData sends n bytes of new data.
func (c *Conn) sendData(n Bytes) {
	now := c.sched.Now()
	seq := c.sndMax
	end := seq + n
	s := txSeg{start: seq, end: end, sentAt: now}
	flags := link.ACK
	if end == c.sndEnd {
		flags |= link.PSH
		if c.appClosed {
			flags |= link.FIN // the FIN rides on the last segment
			c.finSent = true
			s.flags |= segFin
			s.end++
		}
	}
	c.sb.noteSent(&s, c.sb.segs.Len())
	c.sb.segs.Push(s)
	c.sndMax = s.end
	if c.rec.state == Recovery {
		c.rec.prrOut++
	}
	c.noteDataSent(now)
	c.lastDataSent = now
	c.sentData = true
	c.sendPacket(flags, seq, n, false)
}

func (c *Conn) sendFIN() {
	s := txSeg{start: c.sndEnd, end: c.sndEnd + 1, sentAt: c.sched.Now(), flags: segFin}
	c.sb.noteSent(&s, c.sb.segs.Len())
	c.sb.segs.Push(s)
	c.finSent = true
	c.sndMax = s.end
	c.sendPacket(link.FIN|link.ACK, c.sndEnd, 0, false)
	if !c.xmitTimer.Pending() {
		c.armTimer(timerRTO, c.rto)
	}
}

// headerBytes is the TCP/IP header of a packet with nsack SACK blocks:
// the fixed header, the timestamp option, and 2 + 8 bytes per block
// padded to a multiple of 4 (RFC 2018 3).
func (c *Conn) headerBytes(nsack int) Bytes {
	h := c.cfg.HeaderBytes
	if c.cfg.Timestamps {
		h += TimestampOptionBytes
	}
	if nsack > 0 {
		h += (2 + 8*Bytes(nsack) + 3) / 4 * 4
	}
	return h
}

func (c *Conn) sendPacket(flags link.Flags, seq int64, n Bytes, retrans bool) {
	// Field by field into a zeroed packet: a composite literal with a
	// non-zero constant (TSecr) is built in a temporary and copied, and
	// the small stores followed by wide loads stall the copy.
	var p link.Packet
	p.Dst = c.peerNode
	p.SrcPort, p.DstPort = c.localPort, c.peerPort
	p.Flags = flags
	p.Seq, p.Ack = seq, c.rcv.nxt
	p.Wnd = c.cfg.ReceiveWindow
	p.Len = int32(n)
	p.DstConn, p.SrcConn = c.peerConn, c.id
	p.Retransmit = retrans
	p.TSecr = -1
	if c.cfg.Timestamps {
		p.TSecr = c.rcv.tsRecent
	}
	if n > 0 {
		c.setMsgEnds(&p, seq, n)
	}
	if flags&link.ACK != 0 {
		// Every ACK-carrying segment acknowledges all we have.
		if c.rcv.unackedBytes > 0 && c.rcv.quick > 0 {
			c.rcv.quick-- // Linux tcp_dec_quickack_mode
		}
		c.rcv.unackedBytes = 0
		c.rcv.finAckDue = false
		if c.rcv.ackTimer != nil {
			c.rcv.ackTimer.Stop()
		}
		if flags&link.RST == 0 {
			c.sackBlocks(&p)
		}
	}
	size := n + c.headerBytes(int(p.NSack))
	p.Size = int32(size)
	c.stats.PacketsSent++
	c.stats.WireBytesSent += size
	if n > 0 {
		c.stats.DataPacketsSent++
		c.stats.PayloadBytesSent += n
	}
	to := c.peer // p.DstConn's connection
	if p.DstConn < 0 && flags&link.SYN != 0 {
		to = c // a SYN may make a connection that sends to c
	}
	c.ep.send(&p, to)
}

// maybeIdleRestart reduces the window before new data is sent after an
// idle period: "a TCP SHOULD set cwnd to no more than RW before beginning
// transmission if the TCP has not sent data in an interval exceeding the
// retransmission timeout" (RFC 5681 4.1). Idleness is keyed on the last
// data *sent*, as in Linux (tcp_cwnd_restart from tcp_event_data_sent).
func (c *Conn) maybeIdleRestart() {
	if !c.cfg.SlowStartAfterIdle || !c.sentData || c.rec.state == Recovery {
		return
	}
	now := c.sched.Now()
	idle := now.Sub(c.lastDataSent)
	if idle <= c.rto {
		return
	}
	cwnd, ssthresh := c.cc.Window(), c.cc.SSThresh()
	restart := min(cwnd, c.cfg.InitialWindowBytes())
	w, s := restart, ssthresh
	if c.cfg.IdleRestart == RestartLinux {
		// Linux: ssthresh = tcp_current_ssthresh (at least 3/4 cwnd),
		// then halve cwnd once for every whole RTO by which the idle
		// time exceeds the RTO (`while ((delta -= rto) > 0 && cwnd >
		// restart) cwnd >>= 1`), not below restart.
		s = max(ssthresh, cwnd/2+cwnd/4)
		w = cwnd
		if c.cfg.CwndCounting == CountPackets {
			// Linux halves a count of segments.
			segs, rs := w/c.smss, restart/c.smss
			for d := idle - c.rto; d > 0 && segs > rs; d -= c.rto {
				segs /= 2
			}
			w = max(segs, rs) * c.smss
			s = max(ssthresh, (cwnd/c.smss/2+cwnd/c.smss/4)*c.smss)
		} else {
			for d := idle - c.rto; d > 0 && w > restart; d -= c.rto {
				w /= 2
			}
			w = max(w, restart)
		}
	}
	if w == cwnd && s == ssthresh {
		return
	}
	c.stats.IdleRestarts++
	c.cc.OnIdleRestart(now, w, s)
	c.traceCwnd()
}

// lastSeg returns the highest segment on the scoreboard.
func (c *Conn) lastSeg() *txSeg { return c.sb.segs.At(c.sb.segs.Len() - 1) }
