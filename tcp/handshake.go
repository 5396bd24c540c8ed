package tcp

import (
	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// The three-way handshake (RFC 9293 3.5). The SYN and the SYN-ACK take
// sequence number 0 and sit on the scoreboard like data, so that their
// retransmission and RTT sample follow the same rules.

func (c *Conn) sendSYN() {
	c.state = SynSent
	c.sendHandshake(link.SYN)
}

func (c *Conn) receiveSYN(p *link.Packet) {
	c.state = SynReceived
	c.rcv.tsRecent = p.SentAt
	c.rcv.nxt = p.Seq + 1
	c.rcv.peerFinSeq = -1
	c.rwnd = p.Wnd
	c.sendSYNACK()
}

func (c *Conn) sendSYNACK() { c.sendHandshake(link.SYN | link.ACK) }

func (c *Conn) sendHandshake(flags link.Flags) {
	now := c.sched.Now()
	retrans := c.sndMax > 0
	if !retrans {
		c.sb.segs.Push(txSeg{start: 0, end: 1, sentAt: now})
	} else {
		c.stats.Retransmits++
		if c.sb.segs.Len() > 0 {
			s := c.sb.segs.At(0)
			s.sentAt = now
			s.flags |= segEverRetrans
		}
	}
	c.sndMax = 1
	c.sendPacket(flags, 0, 0, retrans)
	c.armTimer(timerRTO, c.rto)
}

func (c *Conn) refuse(p *link.Packet) {
	c.state = Closed
	c.stats.ClosedAt = c.sched.Now()
	size := c.headerBytes(0)
	c.ep.send(&link.Packet{
		Dst: p.Src, SrcPort: p.DstPort, DstPort: p.SrcPort, Flags: link.RST | link.ACK,
		Ack: p.Seq + 1, Size: int32(size), DstConn: p.SrcConn, SrcConn: c.id, TSecr: -1,
	}, c.peer)
	c.stats.PacketsSent++
	c.stats.WireBytesSent += size
}

func (c *Conn) establish(now sim.Time) {
	c.state = Established
	c.stats.Established = now
	if c.retries > 0 && c.est.srtt == 0 {
		// RFC 6298 5.7: after a SYN (or SYN-ACK) timeout, with no RTT
		// sample from the handshake (Karn), the RTO is re-initialized
		// to 3 s when data transmission begins.
		c.rtoInit = max(c.rtoInit, synTimeoutRTO)
	}
	c.retries = 0
	c.rto = c.rtoFromEstimate()
	if !c.active {
		c.ep.dropEmbryo(c)
	}
	c.ep.stack.deferUpcall(upcall{c: c, kind: upConnected})
}

// handshakeAcked takes the SYN off the scoreboard when the handshake's
// ACK arrives, with its RTT sample: from the echoed timestamp when
// timestamps are on, which holds for a retransmitted SYN too (RFC 7323
// 4.1; Linux tcp_synack_rtt_meas), else from the send time unless it was
// retransmitted (Karn).
func (c *Conn) handshakeAcked(p *link.Packet) {
	now := c.sched.Now()
	if c.sb.segs.Len() > 0 && c.sb.segs.Front().end <= 1 {
		s := *c.sb.segs.Front()
		c.sb.popFront()
		switch {
		case c.cfg.Timestamps && p.TSecr >= 0:
			rtt := now.Sub(p.TSecr)
			c.updateRTT(rtt, rtt)
		case !s.has(segEverRetrans):
			rtt := now.Sub(s.sentAt)
			c.updateRTT(rtt, rtt)
		}
	}
	c.sndUna = 1
	c.stopTimer()
}
