package tcp

import (
	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// receiver is the receiving half of a connection: the next expected
// byte, the out-of-order spans held, what is owed an ACK, the SACK blocks
// to report (RFC 2018, most recent first; D-SACK RFC 2883) and Linux's
// ACK modes (quick-ACK and ping-pong, tcp_input.c).
type receiver struct {
	nxt          int64
	ooo          []span
	unackedBytes Bytes
	tsRecent     sim.Time // RFC 7323 TS.Recent: the timestamp to echo; -1 = none
	ackTimer     *sim.Timer
	peerFin      bool
	msgs         uint32   // messages delivered: the peer's message count for the bytes in order (messages.go)
	peerFinSeq   int64    // -1 until a FIN is seen
	endsAhead    []msgEnd // message ends heard ahead of a hole, by sequence number (messages.go)

	recent  [link.MaxSackBlocks]int64 // a byte of each recent out-of-order arrival, most recent first
	nrecent int
	dsack   link.SackBlock // a duplicate to report in the next ACK
	hasDup  bool
	// finAckDue: the peer's FIN is owed an ACK, delayed for this side's
	// own FIN to carry it.
	finAckDue bool

	// Linux's ACK modes.
	gotData     bool     // data has arrived (Linux: icsk_ack.ato set)
	lastRecv    sim.Time // last data arrival (icsk_ack.lrcvtime)
	quick       int      // ACKs still to send at once (icsk_ack.quick)
	pingpong    bool     // interactive: this side answers data with data
	rcvSsthresh Bytes    // the window the receiver is growing towards its buffer (tp->rcv_ssthresh)
}

type span struct{ start, end int64 }

// maxQuickAcks is Linux's TCP_MAX_QUICKACKS.
const maxQuickAcks = 16

// initialRcvSsthresh is the receive window a Linux receiver starts from
// before it grows it (64 KiB, the largest unscaled window).
const initialRcvSsthresh = 64 << 10

// receive handles a packet for this connection.
func (c *Conn) receive(p *link.Packet) {
	if c.state == Closed {
		switch {
		case p.Flags&link.RST != 0:
		case p.Flags&link.FIN != 0 && c.rcv.peerFin:
			c.sendAck() // a repeated FIN: our ACK was lost (TIME-WAIT's job)
		case c.peerConn < 0 && p.Flags&(link.SYN|link.ACK) == link.SYN|link.ACK:
			// The SYN-ACK of a connect given up in SYN-SENT (Abort,
			// or SynRetries run out): the host has no such
			// connection and resets it (RFC 9293 3.10.7.1, <SEQ=SEG.ACK>
			// <CTL=RST>), so the peer frees its SYN-RECEIVED
			// connection now, not after its SYN-ACK retries.
			c.peerConn = p.SrcConn
			c.setPeer(c.ep.stack.conn(p.Src, p.SrcConn)) // the reset's pending count, as for any packet
			c.sendPacket(link.RST, p.Ack, 0, false)
		case c.peerConn >= 0:
			c.sendPacket(link.RST|link.ACK, c.sndMax, 0, false)
		}
		return
	}
	if p.Flags&link.RST != 0 {
		if c.state == SynSent {
			c.terminate(Refused)
		} else {
			c.terminate(Reset)
		}
		return
	}
	now := c.sched.Now()
	switch c.state {
	case SynSent:
		if p.Flags&(link.SYN|link.ACK) != link.SYN|link.ACK || p.Ack != 1 {
			return
		}
		c.peerConn = p.SrcConn
		c.setPeer(c.ep.stack.conn(p.Src, p.SrcConn))
		c.rcv.nxt = p.Seq + 1
		c.rcv.peerFinSeq = -1
		c.rcv.tsRecent = p.SentAt
		c.rwnd = p.Wnd
		c.handshakeAcked(p)
		c.establish(now)
		sent := c.stats.PacketsSent
		c.trySend() // data written before the handshake carries the ACK
		if c.stats.PacketsSent == sent {
			c.sendAck()
		}
		return
	case SynReceived:
		if p.Flags&link.SYN != 0 {
			c.rcv.tsRecent = p.SentAt
			c.sendSYNACK() // our SYN-ACK was lost: the client tried again
			return
		}
		if p.Flags&link.ACK == 0 || p.Ack < 1 {
			return
		}
		c.handshakeAcked(p)
		c.establish(now)
	}
	if p.Flags&link.SYN != 0 {
		// A repeated SYN-ACK: our handshake ACK was lost.
		c.sendAck()
		return
	}
	if p.Flags&link.ACK != 0 {
		c.onAck(p)
	}
	if c.state == Closed {
		return
	}
	if p.Len > 0 || p.Flags&link.FIN != 0 {
		c.onData(p)
	}
	if c.state != Closed {
		c.trySend()
	}
	if c.xmitTimerDue {
		c.xmitTimerDue = false
		if c.state != Closed {
			c.setXmitTimer()
		}
	}
}

func (c *Conn) onData(p *link.Packet) {
	r := &c.rcv
	seq, end := p.Seq, p.Seq+int64(p.Len)
	// A FIN takes one sequence number after the data: an out-of-order
	// segment's span includes it, so that it is SACKed with its data
	// (Linux: TCP_SKB_CB(skb)->end_seq counts the FIN).
	var finLen int64
	if p.Flags&link.FIN != 0 {
		r.peerFinSeq = end
		finLen = 1
	}
	ackNow := !c.cfg.DelayedAck
	if p.Len == 0 && finLen == 1 && r.peerFin && seq+1 <= r.nxt {
		// The peer's FIN again: its ACK was lost (or is still waiting
		// for this side's FIN). Acknowledge it at once, as Linux does
		// any segment at or before rcv_nxt (tcp_data_queue: a
		// retransmit forces an immediate ACK), or the peer resends it
		// until it gives up.
		ackNow = true
	}
	if p.Len == 0 && finLen == 1 && seq > r.nxt && !r.peerFin {
		// A FIN alone beyond a hole: held out of order and SACKed,
		// with a duplicate ACK at once (Linux tcp_data_queue_ofo).
		c.stats.OutOfOrder++
		c.insertOOO(seq, seq+1)
		ackNow = true
	}
	if p.Len > 0 {
		c.noteArrival(p)
		switch {
		case end <= r.nxt:
			c.stats.DupBytesReceived += int64(p.Len)
			c.noteDuplicate(seq, end)
			if seq <= r.nxt-r.unackedBytes && p.SentAt > r.tsRecent {
				// A duplicate at or before the last byte acknowledged
				// (RCV.WUP) is echoed, as Linux's tcp_replace_ts_recent
				// does with any acceptable segment there (RFC 7323
				// 4.3): a repair of data whose ACK was lost then gives
				// the sender an RTT sample from the repair, not from
				// the original.
				r.tsRecent = p.SentAt
			}
			ackNow = true // a duplicate: tell the sender where we are
		case seq > r.nxt:
			c.stats.OutOfOrder++
			c.insertOOO(seq, end+finLen)
			if p.MsgEnds > 0 {
				c.noteEndAhead(p)
			}
			ackNow = true // a hole: duplicate ACK at once (RFC 5681 4.2)
		default:
			if c.appClosed && !r.peerFin {
				// New data for a socket the application closed:
				// answer with a reset (RFC 9293 3.10.7.4, as Linux).
				c.sendPacket(link.RST|link.ACK, c.sndMax, 0, false)
				c.terminate(ClosedLocally)
				return
			}
			if seq < r.nxt {
				c.stats.DupBytesReceived += r.nxt - seq
			}
			if r.unackedBytes == 0 || len(r.ooo) > 0 {
				// Echo the earliest unacknowledged segment's
				// timestamp (RFC 7323 4.3), or the one that
				// fills a hole.
				r.tsRecent = p.SentAt
			}
			before := r.nxt
			r.nxt = end
			if len(r.ooo) > 0 {
				c.mergeOOO()
				if r.peerFinSeq >= 0 && r.nxt > r.peerFinSeq {
					r.nxt = r.peerFinSeq // the FIN's number: taken below
				}
				ackNow = true // filled (part of) a hole: ACK at once
			}
			newBytes := r.nxt - before
			c.stats.BytesDelivered += newBytes
			r.unackedBytes += newBytes
			c.deliverMessages(p)
		}
	}
	if !r.peerFin && r.peerFinSeq >= 0 && r.nxt == r.peerFinSeq {
		r.nxt++
		r.peerFin = true
		if c.appClosed || !c.cfg.QuickAck || !c.cfg.DelayedAck {
			ackNow = true
		} else {
			// Linux's tcp_fin: ESTABLISHED -> CLOSE_WAIT enters
			// ping-pong mode and only schedules the ACK, so the FIN
			// this side sends when its application closes carries it
			// (one segment, FIN|ACK, where an immediate ACK would add
			// a pure ACK before it); if this side cannot send at once,
			// the delayed-ACK timer sends it. A FIN that answers this
			// side's own close is acknowledged at once (FIN_WAIT, whether
			// or not this side's FIN has left: Linux's close() enters
			// FIN_WAIT1 with the FIN still queued behind data).
			r.pingpong = true
			r.finAckDue = true
		}
		c.onPeerFin()
	}
	switch {
	case ackNow, c.inQuickAck() && r.unackedBytes > 0:
		c.sendAck()
	case r.unackedBytes > c.smss:
		// More than one full segment unacknowledged: ACK now (RFC
		// 1122 4.2.3.2; Linux's rule, which for full-sized segments is
		// "every second segment").
		c.sendAck()
	case (r.unackedBytes > 0 || r.finAckDue) && !r.ackTimer.Pending():
		r.ackTimer.Reset(c.cfg.DelayedAckTimeout)
	}
}

// noteArrival updates Linux's ACK modes for an arriving data segment
// (tcp_event_data_recv, tcp_grow_window): quick-ACK mode for the first
// data and after a silence longer than the RTO, and one more quick ACK
// whenever the receive window grows.
func (c *Conn) noteArrival(p *link.Packet) {
	r := &c.rcv
	if !c.cfg.QuickAck || !c.cfg.DelayedAck {
		return
	}
	now := c.sched.Now()
	switch {
	case !r.gotData:
		r.gotData = true
		r.rcvSsthresh = min(initialRcvSsthresh, c.cfg.ReceiveWindow)
		r.quick = max(r.quick, c.quickAcks())
	case now.Sub(r.lastRecv) > c.rto:
		r.quick = max(r.quick, c.quickAcks())
	}
	r.lastRecv = now
	if p.Len >= 128 && r.rcvSsthresh < c.cfg.ReceiveWindow {
		r.rcvSsthresh = min(r.rcvSsthresh+2*c.smss, c.cfg.ReceiveWindow)
		// Linux's tcp_grow_window: icsk_ack.quick |= 1. Each ACK takes
		// one off and each such segment sets the low bit again, so the
		// count left from the connection's start (16) lasts for as long
		// as the window grows, and some 16 ACKs beyond.
		r.quick |= 1
	}
}

// quickAcks is Linux's tcp_incr_quickack: half the receive window in
// segments, at least 2, at most 16.
func (c *Conn) quickAcks() int {
	n := int(min(c.rcv.rcvSsthresh, c.cfg.ReceiveWindow) / (2 * c.smss))
	return min(max(n, 2), maxQuickAcks)
}

// inQuickAck reports whether every data segment is acknowledged at once
// (Linux tcp_in_quickack_mode).
func (c *Conn) inQuickAck() bool {
	return c.cfg.QuickAck && c.cfg.DelayedAck && c.rcv.quick > 0 && !c.rcv.pingpong
}

// noteDuplicate records a duplicate segment for a D-SACK block (RFC 2883)
// and, as Linux does when its ACK seems lost, enters quick-ACK mode.
func (c *Conn) noteDuplicate(seq, end int64) {
	r := &c.rcv
	r.dsack, r.hasDup = link.SackBlock{Start: seq, End: end}, true
	if c.cfg.QuickAck && c.cfg.DelayedAck {
		r.quick = max(r.quick, c.quickAcks())
		r.pingpong = false
	}
}

// noteDataSent updates ping-pong mode when this side sends new data: an
// answer within the delayed-ACK timeout of the last data received makes
// the connection interactive, and its ACKs then wait for data to ride on
// (Linux tcp_event_data_sent, TCP_PINGPONG_THRESH = 1).
func (c *Conn) noteDataSent(now sim.Time) {
	r := &c.rcv
	if r.gotData && now.Sub(r.lastRecv) < c.cfg.DelayedAckTimeout {
		r.pingpong = true
	}
}

func (c *Conn) insertOOO(seq, end int64) {
	r := &c.rcv
	// Spans are sorted and disjoint, not touching: find the first that
	// ends at or after seq, and merge every span the new one overlaps or
	// touches.
	i := spanAtOrAfter(r.ooo, seq)
	j := i
	merged := span{seq, end}
	contained := false
	for j < len(r.ooo) && r.ooo[j].start <= end {
		o := r.ooo[j]
		if o.start <= seq && end <= o.end {
			contained = true
		}
		if ov := min(o.end, end) - max(o.start, seq); ov > 0 {
			c.stats.DupBytesReceived += ov
		}
		merged.start, merged.end = min(merged.start, o.start), max(merged.end, o.end)
		j++
	}
	if contained {
		c.noteDuplicate(seq, end) // all of it is held already
	}
	switch {
	case j == i:
		r.ooo = append(r.ooo, span{})
		copy(r.ooo[i+1:], r.ooo[i:])
	case j > i+1:
		r.ooo = append(r.ooo[:i+1], r.ooo[j:]...)
	}
	r.ooo[i] = merged
	// The block holding this arrival goes first in the next ACK.
	n := min(r.nrecent+1, len(r.recent))
	copy(r.recent[1:n], r.recent[:n-1])
	r.recent[0] = seq
	r.nrecent = n
}

// spanAtOrAfter returns the index of the first span that ends at or
// after seq (len(spans) if none), by binary search.
func spanAtOrAfter(spans []span, seq int64) int {
	lo, hi := 0, len(spans)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if spans[m].end < seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (c *Conn) mergeOOO() {
	r := &c.rcv
	n := 0
	for n < len(r.ooo) && r.ooo[n].start <= r.nxt {
		if r.ooo[n].end > r.nxt {
			r.nxt = r.ooo[n].end
		}
		n++
	}
	r.ooo = append(r.ooo[:0], r.ooo[n:]...)
}

// sackBlocks fills p's SACK blocks: a D-SACK first if a duplicate
// arrived since the last ACK, then the blocks holding the most recent
// out-of-order arrivals, most recent first (RFC 2018 4, RFC 2883 4).
func (c *Conn) sackBlocks(p *link.Packet) {
	r := &c.rcv
	if c.cfg.Recovery != RecoverySACK || (!r.hasDup && len(r.ooo) == 0) {
		r.nrecent = 0
		return
	}
	var bs [link.MaxSackBlocks]link.SackBlock
	limit := link.MaxSackBlocks // four blocks fit in the options (RFC 2018 3)
	if c.cfg.Timestamps {
		limit = link.MaxSackBlocks - 1 // three beside the timestamp option
	}
	n := 0
	if r.hasDup {
		bs[0] = r.dsack
		n = 1
		r.hasDup = false
	}
	if len(r.ooo) > 0 {
		kept := 0
		for i := 0; i < r.nrecent && n < limit; i++ {
			seq := r.recent[i]
			k := spanAtOrAfter(r.ooo, seq+1)
			if k < len(r.ooo) && r.ooo[k].start <= seq {
				if s := r.ooo[k]; !hasBlock(bs[:n], s) {
					bs[n] = link.SackBlock{Start: s.start, End: s.end}
					n++
					r.recent[kept] = seq
					kept++
				}
			}
		}
		// Older spans no recent arrival names fill the rest, highest
		// first.
		for i := len(r.ooo) - 1; i >= 0 && n < limit; i-- {
			if !hasBlock(bs[:n], r.ooo[i]) {
				bs[n] = link.SackBlock{Start: r.ooo[i].start, End: r.ooo[i].end}
				n++
			}
		}
		r.nrecent = kept
	} else {
		r.nrecent = 0
	}
	for _, b := range bs[:n] {
		p.AddSackBlock(b)
	}
}

func hasBlock(bs []link.SackBlock, s span) bool {
	for _, b := range bs {
		if b.Start == s.start && b.End == s.end {
			return true
		}
	}
	return false
}

func (c *Conn) onPeerFin() {
	if !c.appClosed {
		// The application hears of the close now; this side closes
		// its half after what it has written, like an application
		// that closes on end-of-file.
		c.notify(ClosedByPeer)
		c.appClosed = true
	}
	if c.finAcked {
		c.terminate(ClosedLocally)
	}
}

func (c *Conn) onDelayedAck() {
	if c.state != Closed && (c.rcv.unackedBytes > 0 || c.rcv.finAckDue) {
		// Linux: a delayed ACK that had to wait ends ping-pong mode.
		c.rcv.pingpong = false
		c.sendAck()
	}
}

func (c *Conn) sendAck() {
	c.sendPacket(link.ACK, c.sndMax, 0, false)
}
