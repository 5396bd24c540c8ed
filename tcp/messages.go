package tcp

import (
	"fmt"

	"github.com/connsim/connsim/sim/link"
)

// Message ends travel with the packets. Payload bytes are counted, not
// carried, but where the application's messages end is part of what the
// bytes would say, so every segment with payload carries it (link.Packet:
// MsgCount, MsgEnds, LastEnd): any agent on the path sees where a request
// or a response ends, and the receiver learns it from what arrives, in
// order, after reassembly, whatever was lost, resent or SACKed on the way.
//
// The sender numbers its messages from 1 and keeps the ones not yet
// acknowledged in a table (Conn.marks, sorted by where they end). The
// numbers a segment carries depend only on the bytes it covers, so a
// retransmission, or a resend that starts part-way into an old segment,
// carries what those bytes hold. The receiver delivers the messages up to
// the count an in-order segment carries (message k ends at or before the
// last byte of any segment that says MsgCount >= k, so none is delivered
// early, and the segment holding k's last byte says so, so none late);
// from a segment ahead of a hole it keeps the last end (where message
// MsgCount ends, Seq+LastEnd) until the bytes before it are in order.
// Out-of-order spans hold bytes only, so a bulk transfer, whose segments
// carry no ends but the last, keeps nothing more.
//
// The tag of a message, the application's reading of its bytes, is
// looked up in the sender's table by the number the packets gave,
// through the packet's own addressing (Stack.conn of its source): the
// receiver never walks or changes the sender's state. The sender drops a
// message once it is cumulatively acknowledged, which happens only after
// the receiver has had its last byte in order.

// setMsgEnds writes the message ends of the payload [seq, seq+n) into p.
func (c *Conn) setMsgEnds(p *link.Packet, seq int64, n Bytes) {
	end := seq + n
	m := &c.marks
	hi := m.Len() // marks [0, hi) end at or before end
	switch {
	case hi == 0 || m.Front().end > end:
		hi = 0
	case m.Back().end > end:
		hi = c.marksAfter(end, hi)
	}
	p.MsgCount = c.marksBase + uint32(hi)
	if hi == 0 || m.At(hi-1).end <= seq {
		return // no message ends here
	}
	lo := c.marksAfter(seq, hi) // first mark ending in the payload
	p.MsgEnds = uint16(hi - lo)
	p.LastEnd = uint16(m.At(hi-1).end - seq)
}

// marksAfter returns the index of the first of marks [0, hi) that ends
// after seq (hi if none), by binary search.
func (c *Conn) marksAfter(seq int64, hi int) int {
	lo := 0
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if c.marks.At(mid).end <= seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// dropAckedMarks drops the messages the peer has acknowledged whole:
// their last byte reached it in order, so it has read them.
func (c *Conn) dropAckedMarks() {
	for c.marks.Len() > 0 && c.marks.Front().end <= c.sndUna {
		c.marks.Pop()
		c.marksBase++
	}
}

// message returns message k of the sender's table: where it ends and its
// tag; ok is false if the table no longer holds it (acknowledged, or the
// connection forgotten).
func (c *Conn) message(k uint32) (m mark, ok bool) {
	if c == nil {
		return mark{}, false
	}
	i := int64(k) - int64(c.marksBase) - 1
	if i < 0 || i >= int64(c.marks.Len()) {
		return mark{}, false
	}
	return *c.marks.At(int(i)), true
}

// msgEnd is a message end heard ahead of a hole: messages up to count
// have ended once the bytes before at are in order.
type msgEnd struct {
	at    int64
	count uint32
}

// noteEndAhead keeps the last message end of p, a segment ahead of a
// hole, until the bytes before it are in order. The ends are sorted by
// sequence number; a duplicate adds nothing.
func (c *Conn) noteEndAhead(p *link.Packet) {
	r := &c.rcv
	e := msgEnd{at: p.Seq + int64(p.LastEnd), count: p.MsgCount}
	if e.count <= r.msgs {
		return
	}
	i := len(r.endsAhead)
	for i > 0 && r.endsAhead[i-1].at >= e.at { // mostly at the back
		i--
	}
	if i < len(r.endsAhead) && r.endsAhead[i].at == e.at {
		return
	}
	r.endsAhead = append(r.endsAhead, msgEnd{})
	copy(r.endsAhead[i+1:], r.endsAhead[i:])
	r.endsAhead[i] = e
}

// deliverMessages hands the application the messages that have ended in
// order now that in-order data has arrived in p: up to the count p
// carries, or further where the bytes now in order reach ends heard
// ahead of a hole. p also names the sender's table of messages, where
// the tags are.
func (c *Conn) deliverMessages(p *link.Packet) {
	r := &c.rcv
	upto := p.MsgCount
	if len(r.endsAhead) > 0 {
		n := 0
		for n < len(r.endsAhead) && r.endsAhead[n].at <= r.nxt {
			upto = max(upto, r.endsAhead[n].count)
			n++
		}
		r.endsAhead = append(r.endsAhead[:0], r.endsAhead[n:]...)
	}
	if upto <= r.msgs {
		return
	}
	src := c.ep.stack.conn(p.Src, p.SrcConn)
	if src == nil {
		// The sender is gone, and with it what its messages were:
		// nothing to hand on (no packet of a forgotten connection
		// can still be on its way, so this is a safeguard).
		r.msgs = upto
		return
	}
	for k := r.msgs + 1; k <= upto; k++ {
		m, ok := src.message(k)
		if !ok {
			panic(fmt.Sprintf("tcp: message %d delivered after its sender dropped it", k))
		}
		c.ep.stack.deferUpcall(upcall{c: c, tag: m.tag, kind: upDelivered})
	}
	r.msgs = upto
}

// MessageEnds appends to dst the sequence numbers just past the last
// byte of each message that ends in p's payload (p.MsgEnds of them, the
// last at p.Seq + p.LastEnd), read from the sending connection's table
// of messages by the numbers p carries: what a capture's dissector would
// find by parsing the payload. ok is false when the table no longer
// holds them: the sender drops a message once it is acknowledged, so a
// reader that looks as the packet leaves its node ([link.Sent]) always
// finds them, one that looks later may not (a late duplicate).
func (s *Stack) MessageEnds(p *link.Packet, dst []int64) (_ []int64, ok bool) {
	if p.MsgEnds == 0 {
		return dst, true
	}
	src := s.conn(p.Src, p.SrcConn)
	for k := p.FirstMsg(); k != p.MsgCount+1; k++ {
		m, ok := src.message(k)
		if !ok {
			return dst, false
		}
		dst = append(dst, m.end)
	}
	return dst, true
}

// Message returns message k of the connection that sent p: the sequence
// number just past its last byte and the tag the application gave it
// (Conn.Send), read from the sender's table of messages; ok is false
// when the table no longer holds it (acknowledged, or the connection
// forgotten). A reader that looks as p leaves its node ([link.Sent])
// finds every message p's payload overlaps, messages p.FirstMsg() to
// p.MsgCount+1 (the last when the payload goes on past message
// p.MsgCount's end): what a packet capture writes as payload.
func (s *Stack) Message(p *link.Packet, k uint32) (end int64, tag any, ok bool) {
	m, ok := s.conn(p.Src, p.SrcConn).message(k)
	return m.end, m.tag, ok
}
