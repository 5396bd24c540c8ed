package tcp

import (
	"fmt"
	"time"

	"github.com/connsim/connsim/internal/ring"
	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// Handler is the application side of a connection. Callbacks are always
// delivered through the scheduler (sim.Scheduler.Defer), never from inside
// Send, Close or packet processing, so an application may call back into
// the Conn freely.
type Handler interface {
	// Connected: the handshake completed.
	Connected(c *Conn)
	// Delivered: every byte of a message the peer sent with tag has
	// arrived in order. Messages are delivered in the order sent.
	Delivered(c *Conn, tag any)
	// Closed: the connection is over for the application; see CloseReason.
	// It is called exactly once for every connection that had a handler.
	Closed(c *Conn, reason CloseReason)
}

// SendSpacer is an optional Handler extension: SendSpace is called when
// the bytes written but not yet sent fall to Config.SendLowWater or below
// after a Send left them above it. Multiplexing writers (HTTP/2) use it to
// keep the send buffer short, so that a new stream does not queue behind
// everything written before it.
type SendSpacer interface {
	SendSpace(c *Conn)
}

// CloseReason says why a connection ended.
type CloseReason uint8

// Close reasons.
const (
	ClosedLocally CloseReason = iota // Close was called and both FINs were exchanged
	ClosedByPeer                     // the peer's FIN arrived first (this side then closes too)
	Reset                            // a reset arrived (e.g. data sent to a closed socket)
	Refused                          // the connection request was refused
	TimedOut                         // retransmissions (SYN or data) gave up
)

// String names the reason.
func (r CloseReason) String() string {
	switch r {
	case ClosedLocally:
		return "closed"
	case ClosedByPeer:
		return "closed-by-peer"
	case Reset:
		return "reset"
	case Refused:
		return "refused"
	case TimedOut:
		return "timed-out"
	}
	return fmt.Sprintf("CloseReason(%d)", int(r))
}

// State is the connection's place in the TCP state machine, simplified:
// the closing states are flags on Established (FIN sent, FIN received), and
// TIME-WAIT is not modelled.
type State uint8

// Connection states.
const (
	SynSent State = iota
	SynReceived
	Established
	Closed
)

// String names the state.
func (s State) String() string {
	switch s {
	case SynSent:
		return "SYN-SENT"
	case SynReceived:
		return "SYN-RECEIVED"
	case Established:
		return "ESTABLISHED"
	case Closed:
		return "CLOSED"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// CongState is the sender's loss-recovery state, named as in Linux and
// ns-3 (TCP_CA_Open, ...).
type CongState uint8

// Congestion states.
const (
	Open     CongState = iota // no loss suspected
	Disorder                  // duplicate ACKs seen, fewer than three
	Recovery                  // NewReno fast recovery
	Loss                      // after a retransmission timeout, until the lost data is acknowledged
)

// String names the state.
func (s CongState) String() string {
	return [...]string{"open", "disorder", "recovery", "loss"}[s]
}

// CwndSample is one point of a cwnd trace.
type CwndSample struct {
	At       sim.Time
	Cwnd     Bytes
	SSThresh Bytes
}

// Stats are a connection's counters.
type Stats struct {
	Opened      sim.Time // Dial, or SYN arrival at a listener
	Established sim.Time // handshake completed; -1 if it never did
	ClosedAt    sim.Time // fully closed or reset; -1 while open

	PacketsSent      int64 // every packet: SYN, data, pure ACK, FIN, RST
	DataPacketsSent  int64 // packets with payload, retransmissions included
	PayloadBytesSent int64 // payload bytes, retransmissions included
	WireBytesSent    int64 // payload plus headers
	Retransmits      int64 // data (and SYN, FIN) segments sent again
	FastRetransmits  int64
	Timeouts         int64 // retransmission timer expiries
	IdleRestarts     int64 // windows reduced by restart after idle

	BytesDelivered   int64 // payload bytes received in order
	DupBytesReceived int64 // payload bytes received again
	OutOfOrder       int64 // segments received ahead of a hole

	RTTSamples int64
	SRTT       time.Duration
	MinRTT     time.Duration
	RTO        time.Duration

	Cwnd []CwndSample // with Config.TraceCwnd: every change of cwnd or ssthresh
}

type sentSeg struct {
	end        int64
	sentAt     sim.Time
	retransmit bool
}

type mark struct {
	end int64
	tag any
}

type span struct{ start, end int64 }

// Conn is one end of a TCP connection.
type Conn struct {
	ep    *Endpoint
	sched *sim.Scheduler
	cfg   Config
	h     Handler
	cc    CongestionControl

	id, peerConn        int32
	peerNode            link.NodeID
	localPort, peerPort uint16
	peer                *Conn // the other end, for message boundaries
	active              bool  // this side dialled
	state               State
	opened              sim.Time

	// Sender. Sequence numbers start at 0 for the SYN; data starts at 1.
	sndUna, sndNxt, sndMax int64
	sndEnd                 int64 // sequence number after the last byte written
	appClosed              bool  // Close called (or the peer closed): FIN after the data
	finSent, finAcked      bool
	rwnd                   Bytes
	dupAcks                int
	inRecovery, inLoss     bool
	partialAcked           bool  // a partial ACK arrived in this recovery episode
	recover                int64 // RFC 6582 "recover": sndMax when recovery or RTO began
	recInflate             Bytes // fast-recovery inflation on top of the CC window
	rtoTimer               *sim.Timer
	rto                    time.Duration
	rtoInit                time.Duration // the RTO before the first RTT sample
	retries                int
	srtt, rttvar           time.Duration
	segs                   ring.Queue[sentSeg]
	lastDataSent           sim.Time
	sentData               bool
	corked                 bool
	marks                  ring.Queue[mark] // ends of messages written, consumed by the peer
	spaceWanted            bool

	// Window use, as Linux's tcp_cwnd_validate tracks it: the largest
	// flight since the window that ends at usageSeq began, and whether
	// the window was found full at some send of it.
	maxFlight    Bytes
	usageSeq     int64
	usageLimited bool

	// Receiver.
	rcvNxt       int64
	ooo          []span
	unackedBytes Bytes
	tsRecent     sim.Time // RFC 7323 TS.Recent: the timestamp to echo; -1 = none
	ackTimer     *sim.Timer
	peerFin      bool
	peerFinSeq   int64 // -1 until a FIN is seen

	notified               bool
	lastCwnd, lastSSThresh Bytes
	stats                  Stats
}

// ID returns the connection's index at its endpoint.
func (c *Conn) ID() int { return int(c.id) }

// LocalPort returns the local port.
func (c *Conn) LocalPort() uint16 { return c.localPort }

// RemoteNode returns the peer's node.
func (c *Conn) RemoteNode() link.NodeID { return c.peerNode }

// State returns the connection state.
func (c *Conn) State() State { return c.state }

// CongState returns the sender's loss-recovery state.
func (c *Conn) CongState() CongState {
	switch {
	case c.inRecovery:
		return Recovery
	case c.inLoss:
		return Loss
	case c.dupAcks > 0:
		return Disorder
	}
	return Open
}

// CC returns the congestion controller.
func (c *Conn) CC() CongestionControl { return c.cc }

// Config returns the connection's settings, defaults filled in.
func (c *Conn) Config() Config { return c.cfg }

// Handler returns the connection's handler.
func (c *Conn) Handler() Handler { return c.h }

// SetHandler replaces the handler.
func (c *Conn) SetHandler(h Handler) { c.h = h }

// Stats returns the connection's counters.
func (c *Conn) Stats() Stats {
	s := c.stats
	s.SRTT, s.RTO = c.srtt, c.rto
	return s
}

// InFlight returns the bytes sent and not yet acknowledged.
func (c *Conn) InFlight() Bytes { return c.sndNxt - c.sndUna }

// Unsent returns the bytes written but not yet sent.
func (c *Conn) Unsent() Bytes { return max(0, c.sndEnd-c.sndNxt) }

// Unacked returns the bytes written and not yet acknowledged.
func (c *Conn) Unacked() Bytes { return max(0, c.sndEnd-c.sndUna) }

// Closing reports whether Close was called or the peer closed.
func (c *Conn) Closing() bool { return c.appClosed || c.peerFin }

// Send writes a message of n bytes. When its last byte reaches the peer in
// order, the peer's handler hears Delivered(tag). Send returns false, and
// writes nothing, once the connection is closing or closed.
func (c *Conn) Send(n Bytes, tag any) bool {
	if n <= 0 {
		panic(fmt.Sprintf("tcp: Send(%d): a message needs at least one byte", n))
	}
	if c.appClosed || c.state == Closed {
		return false
	}
	c.sndEnd += n
	c.marks.Push(mark{end: c.sndEnd, tag: tag})
	if c.Unsent() > c.cfg.SendLowWater {
		c.spaceWanted = true
	}
	c.trySend()
	return true
}

// Cork holds back transmission until Uncork, so that several Sends leave
// as one write (TCP_CORK): pipelined requests issued together share
// segments.
func (c *Conn) Cork() { c.corked = true }

// Uncork releases what Cork held back.
func (c *Conn) Uncork() {
	c.corked = false
	c.trySend()
}

// Close sends a FIN after everything written. The handler hears Closed
// once the peer's FIN has arrived too. Data that arrives after Close is
// answered with a reset, as for a socket that was closed.
func (c *Conn) Close() {
	if c.appClosed || c.state == Closed {
		return
	}
	c.appClosed = true
	c.trySend()
}

// Abort resets the connection at once.
func (c *Conn) Abort() {
	if c.state == Closed {
		return
	}
	if c.state != SynSent {
		c.sendPacket(link.RST|link.ACK, c.sndNxt, 0, false)
	}
	c.terminate(ClosedLocally)
}

// --- handshake ---

func (c *Conn) sendSYN() {
	c.state = SynSent
	retrans := c.sndMax > 0
	if !retrans {
		c.segs.Push(sentSeg{end: 1, sentAt: c.sched.Now()})
	} else {
		c.stats.Retransmits++
	}
	c.sndNxt, c.sndMax = 1, 1
	c.sendPacket(link.SYN, 0, 0, retrans)
	c.rtoTimer.Reset(c.rto)
}

func (c *Conn) receiveSYN(p *link.Packet) {
	c.state = SynReceived
	c.rcvNxt = p.Seq + 1
	c.peerFinSeq = -1
	c.rwnd = p.Wnd
	c.sendSYNACK()
}

func (c *Conn) sendSYNACK() {
	retrans := c.sndMax > 0
	if !retrans {
		c.segs.Push(sentSeg{end: 1, sentAt: c.sched.Now()})
	} else {
		c.stats.Retransmits++
	}
	c.sndNxt, c.sndMax = 1, 1
	c.sendPacket(link.SYN|link.ACK, 0, 0, retrans)
	c.rtoTimer.Reset(c.rto)
}

func (c *Conn) refuse(p *link.Packet) {
	c.state = Closed
	c.stats.ClosedAt = c.sched.Now()
	c.ep.node.Send(link.Packet{
		Dst: p.Src, SrcPort: p.DstPort, DstPort: p.SrcPort, Flags: link.RST | link.ACK,
		Ack: p.Seq + 1, Size: int32(c.cfg.HeaderBytes), DstConn: p.SrcConn, SrcConn: c.id, TSecr: -1,
	})
	c.stats.PacketsSent++
	c.stats.WireBytesSent += c.cfg.HeaderBytes
}

func (c *Conn) establish(now sim.Time) {
	c.state = Established
	c.stats.Established = now
	if c.retries > 0 && c.srtt == 0 {
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
	c.sched.Defer(func() {
		if c.h != nil && c.state != Closed {
			c.h.Connected(c)
		}
	})
}

// --- receiving ---

func (c *Conn) receive(p *link.Packet) {
	if c.state == Closed {
		switch {
		case p.Flags&link.RST != 0:
		case p.Flags&link.FIN != 0 && c.peerFin:
			c.sendAck() // a repeated FIN: our ACK was lost (TIME-WAIT's job)
		case c.peerConn >= 0:
			c.sendPacket(link.RST|link.ACK, c.sndNxt, 0, false)
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
		c.peer = c.ep.stack.conn(p.Src, p.SrcConn)
		c.rcvNxt = p.Seq + 1
		c.peerFinSeq = -1
		c.rwnd = p.Wnd
		c.ackedTo(1, -1)
		c.rtoTimer.Stop()
		c.establish(now)
		sent := c.stats.PacketsSent
		c.trySend() // data written before the handshake carries the ACK
		if c.stats.PacketsSent == sent {
			c.sendAck()
		}
		return
	case SynReceived:
		if p.Flags&link.SYN != 0 {
			c.sendSYNACK() // our SYN-ACK was lost: the client tried again
			return
		}
		if p.Flags&link.ACK == 0 || p.Ack < 1 {
			return
		}
		c.ackedTo(1, -1)
		c.rtoTimer.Stop()
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
}

// ackedTo advances sndUna to ack, popping acknowledged segments, and
// returns the RTT sample this ACK gives, or 0. With the timestamp option
// (RFC 7323, on by default in Linux) the sample is the age of the echoed
// timestamp; the SYN exchange, which carries no echo here, uses the send
// time of the acknowledged segment unless it was retransmitted (Karn).
func (c *Conn) ackedTo(ack int64, tsecr sim.Time) time.Duration {
	var rtt time.Duration
	karn := true
	for c.segs.Len() > 0 && c.segs.Front().end <= ack {
		s := c.segs.Pop()
		if s.retransmit {
			karn = false
		}
		rtt = c.sched.Now().Sub(s.sentAt)
	}
	switch {
	case tsecr >= 0:
		rtt = c.sched.Now().Sub(tsecr)
	case !karn:
		rtt = 0
	}
	c.sndUna = ack
	if c.sndNxt < ack {
		c.sndNxt = ack
	}
	if rtt > 0 {
		c.updateRTT(rtt)
	}
	return rtt
}

// updateRTT is the RFC 6298 estimator (section 2), in integer nanoseconds.
func (c *Conn) updateRTT(r time.Duration) {
	c.stats.RTTSamples++
	if c.stats.MinRTT == 0 || r < c.stats.MinRTT {
		c.stats.MinRTT = r
	}
	if c.srtt == 0 {
		c.srtt, c.rttvar = r, r/2
	} else {
		d := c.srtt - r
		if d < 0 {
			d = -d
		}
		c.rttvar = (3*c.rttvar + d) / 4
		c.srtt = (7*c.srtt + r) / 8
	}
	c.rto = c.rtoFromEstimate()
}

// synTimeoutRTO is the RTO after a handshake that timed out (RFC 6298 5.7).
const synTimeoutRTO = 3 * time.Second

// rtoFromEstimate is RFC 6298 (2.3): SRTT + max(G, 4*RTTVAR), clamped to
// [MinRTO, MaxRTO], with a clock granularity G of 1ms. Before the first
// sample it is the initial RTO.
func (c *Conn) rtoFromEstimate() time.Duration {
	if c.srtt == 0 {
		return c.rtoInit
	}
	rto := c.srtt + max(time.Millisecond, 4*c.rttvar)
	return min(max(rto, c.cfg.MinRTO), c.cfg.MaxRTO)
}

func (c *Conn) onAck(p *link.Packet) {
	ack := p.Ack
	if ack > c.sndMax {
		return // acknowledges data never sent: ignore (RFC 9293 3.10.7.4)
	}
	c.rwnd = p.Wnd
	now := c.sched.Now()
	if ack > c.sndUna {
		acked := ack - c.sndUna
		prior := c.InFlight()
		rtt := c.ackedTo(ack, p.TSecr)
		c.retries = 0
		c.rto = c.rtoFromEstimate()
		if ack > c.sndEnd {
			// The ACK covers our FIN (only a sent FIN takes sequence
			// space beyond sndEnd). finSent may have been cleared by a
			// timeout's go-back-N while the FIN was still in flight.
			c.finSent, c.finAcked = true, true
		}
		if c.inLoss && ack >= c.recover {
			c.inLoss = false
		}
		if c.inRecovery {
			if ack >= c.recover {
				// Full ACK: leave fast recovery (RFC 6582 3.2 step 3).
				c.inRecovery = false
				c.recInflate = 0
				c.dupAcks = 0
				c.cc.OnRecoveryExit(now)
			} else {
				// Partial ACK: retransmit the next hole, deflate the
				// window by the amount acknowledged and add back one
				// MSS (RFC 6582 3.2 step 5).
				c.retransmitFirst()
				c.recInflate -= acked
				if acked >= c.cfg.MSS {
					c.recInflate += c.cfg.MSS
				}
				// The Impatient variant (RFC 6582 section 4): only the
				// first partial ACK re-arms the timer, so a window
				// with many losses falls back to the RTO and go-back-N
				// instead of recovering one segment per round trip.
				if !c.partialAcked {
					c.partialAcked = true
					c.rtoTimer.Reset(c.rto)
				}
				c.traceCwnd()
				return
			}
		} else {
			c.dupAcks = 0
			c.cc.OnAck(Ack{Now: now, Acked: acked, PriorInFlight: prior, MaxInFlight: c.maxFlight,
				WindowLimited: c.usageLimited, RTT: rtt, MinRTT: c.stats.MinRTT, SRTT: c.srtt, SndUna: c.sndUna, SndNxt: c.sndNxt})
		}
		if c.sndMax > c.sndUna {
			c.rtoTimer.Reset(c.rto) // RFC 6298 5.3
		} else {
			c.rtoTimer.Stop() // RFC 6298 5.2
		}
		c.traceCwnd()
		if c.finAcked && c.peerFin {
			c.terminate(ClosedLocally)
		}
		return
	}
	// A duplicate ACK (RFC 5681 section 2): no data, no new
	// acknowledgement, outstanding data. Our advertised windows do not
	// change, so the window test is implicit.
	if ack == c.sndUna && p.Len == 0 && p.Flags&(link.SYN|link.FIN) == 0 && c.sndMax > c.sndUna {
		c.dupAcks++
		if c.inRecovery {
			c.recInflate += c.cfg.MSS // RFC 5681 3.2 step 4
			return
		}
		if c.dupAcks == 3 && c.sndUna >= c.recover {
			// Fast retransmit and fast recovery (RFC 5681 3.2, RFC 6582).
			c.inRecovery = true
			c.partialAcked = false
			c.recover = c.sndMax
			c.cc.OnCongestionEvent(now, c.InFlight())
			c.recInflate = 3 * c.cfg.MSS
			c.stats.FastRetransmits++
			c.retransmitFirst()
			c.rtoTimer.Reset(c.rto)
			c.traceCwnd()
		}
	}
}

// retransmitFirst sends the first unacknowledged segment again.
func (c *Conn) retransmitFirst() {
	end := min(c.sndUna+c.cfg.MSS, c.sndMax, c.sndEnd)
	if c.sndUna >= c.sndEnd {
		// Only the FIN is outstanding.
		if c.finSent {
			c.stats.Retransmits++
			c.sendPacket(link.FIN|link.ACK, c.sndEnd, 0, true)
		}
		return
	}
	n := end - c.sndUna
	flags := link.ACK
	if c.finSent && end == c.sndEnd {
		flags |= link.FIN
	}
	c.markRetransmitted(c.sndUna, end)
	c.stats.Retransmits++
	c.lastDataSent = c.sched.Now()
	c.sendPacket(flags, c.sndUna, n, true)
}

func (c *Conn) markRetransmitted(from, to int64) {
	// Segments are contiguous: each starts where the previous one ended.
	for i := 0; i < c.segs.Len(); i++ {
		s := c.segs.At(i)
		if s.end > from {
			s.retransmit = true
		}
		if s.end >= to {
			break
		}
	}
}

func (c *Conn) onData(p *link.Packet) {
	seq, end := p.Seq, p.Seq+int64(p.Len)
	if p.Flags&link.FIN != 0 {
		c.peerFinSeq = end
	}
	ackNow := !c.cfg.DelayedAck
	if p.Len > 0 {
		switch {
		case end <= c.rcvNxt:
			c.stats.DupBytesReceived += int64(p.Len)
			ackNow = true // a duplicate: tell the sender where we are
		case seq > c.rcvNxt:
			c.stats.OutOfOrder++
			c.insertOOO(seq, end)
			ackNow = true // a hole: duplicate ACK at once (RFC 5681 4.2)
		default:
			if c.appClosed && !c.peerFin {
				// New data for a socket the application closed:
				// answer with a reset (RFC 9293 3.10.7.4, as Linux).
				c.sendPacket(link.RST|link.ACK, c.sndNxt, 0, false)
				c.terminate(ClosedLocally)
				return
			}
			if seq < c.rcvNxt {
				c.stats.DupBytesReceived += c.rcvNxt - seq
			}
			if c.unackedBytes == 0 || len(c.ooo) > 0 {
				// Echo the earliest unacknowledged segment's
				// timestamp (RFC 7323 4.3), or the one that
				// fills a hole.
				c.tsRecent = p.SentAt
			}
			before := c.rcvNxt
			c.rcvNxt = end
			if len(c.ooo) > 0 {
				c.mergeOOO()
				ackNow = true // filled (part of) a hole: ACK at once
			}
			newBytes := c.rcvNxt - before
			c.stats.BytesDelivered += newBytes
			c.unackedBytes += newBytes
			c.deliverMarks()
		}
	}
	if !c.peerFin && c.peerFinSeq >= 0 && c.rcvNxt == c.peerFinSeq {
		c.rcvNxt++
		c.peerFin = true
		ackNow = true
		c.onPeerFin()
	}
	switch {
	case ackNow:
		c.sendAck()
	case c.unackedBytes > c.cfg.MSS:
		// More than one full segment unacknowledged: ACK now (RFC
		// 1122 4.2.3.2; Linux's rule, which for full-sized segments is
		// "every second segment").
		c.sendAck()
	case c.unackedBytes > 0 && !c.ackTimer.Pending():
		c.ackTimer.Reset(c.cfg.DelayedAckTimeout)
	}
}

func (c *Conn) insertOOO(seq, end int64) {
	i := 0
	for i < len(c.ooo) && c.ooo[i].start < seq {
		i++
	}
	c.ooo = append(c.ooo, span{})
	copy(c.ooo[i+1:], c.ooo[i:])
	c.ooo[i] = span{seq, end}
	// Coalesce overlapping or touching spans.
	out := c.ooo[:1]
	for _, s := range c.ooo[1:] {
		last := &out[len(out)-1]
		if s.start <= last.end {
			if s.end > last.end {
				c.stats.DupBytesReceived += last.end - s.start
				last.end = s.end
			} else {
				c.stats.DupBytesReceived += s.end - s.start
			}
			continue
		}
		out = append(out, s)
	}
	c.ooo = out
}

func (c *Conn) mergeOOO() {
	n := 0
	for n < len(c.ooo) && c.ooo[n].start <= c.rcvNxt {
		if c.ooo[n].end > c.rcvNxt {
			c.rcvNxt = c.ooo[n].end
		}
		n++
	}
	c.ooo = append(c.ooo[:0], c.ooo[n:]...)
}

func (c *Conn) deliverMarks() {
	p := c.peer
	if p == nil {
		return
	}
	for p.marks.Len() > 0 && p.marks.Front().end <= c.rcvNxt {
		m := p.marks.Pop()
		tag := m.tag
		c.sched.Defer(func() {
			if c.h != nil {
				c.h.Delivered(c, tag)
			}
		})
	}
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
	if c.state != Closed && c.unackedBytes > 0 {
		c.sendAck()
	}
}

func (c *Conn) sendAck() {
	c.sendPacket(link.ACK, c.sndNxt, 0, false)
}

// --- sending ---

// window returns the send window: the congestion window (inflated during
// fast recovery) bounded by the peer's receive window.
func (c *Conn) window() Bytes {
	w := c.cc.Window()
	if c.inRecovery {
		w = max(w+c.recInflate, c.cfg.MSS)
	}
	return min(w, c.rwnd)
}

func (c *Conn) trySend() {
	if c.state != Established || c.corked {
		return
	}
	mss := c.cfg.MSS
	sent, limited := false, false
	for {
		avail := c.sndEnd - c.sndNxt
		if avail <= 0 {
			if c.appClosed && !c.finSent && c.sndNxt == c.sndEnd {
				c.sendFIN()
			}
			break
		}
		flight := c.InFlight()
		if flight == 0 && c.sndNxt == c.sndMax {
			c.maybeIdleRestart()
			if c.sentData {
				// Linux CA_EVENT_TX_START: CUBIC moves its epoch on
				// by the quiet time.
				now := c.sched.Now()
				c.cc.OnTxStart(now, now.Sub(c.lastDataSent))
			}
		}
		n := min(mss, avail)
		if flight > 0 && flight+n > c.window() {
			limited = true
			break // window full
		}
		if c.cfg.Nagle && n < mss && c.sndNxt >= c.sndMax && c.sndMax > c.sndUna {
			// RFC 896: a small segment of new data waits while data is
			// unacknowledged. Retransmissions (sndNxt < sndMax after a
			// timeout) are never held back.
			break
		}
		c.sendData(n)
		sent = true
	}
	limited = limited || (sent && c.InFlight() >= c.window())
	if sent || limited {
		c.trackWindowUse(limited)
	}
	if c.spaceWanted && c.Unsent() <= c.cfg.SendLowWater {
		c.spaceWanted = false
		if sp, ok := c.h.(SendSpacer); ok {
			c.sched.Defer(func() {
				if c.state != Closed {
					sp.SendSpace(c)
				}
			})
		}
	}
}

// trackWindowUse records how much of its window the sender uses, after a
// send or a send blocked by the window (Linux tcp_cwnd_validate): a new
// measurement starts when the previous window has been acknowledged or the
// window is full; otherwise the largest flight is kept, unless the window
// was already found full.
func (c *Conn) trackWindowUse(limited bool) {
	flight := c.InFlight()
	if c.sndUna >= c.usageSeq || limited || (!c.usageLimited && flight > c.maxFlight) {
		c.usageLimited = limited
		c.maxFlight = flight
		c.usageSeq = c.sndNxt
	}
}

func (c *Conn) sendData(n Bytes) {
	now := c.sched.Now()
	seq := c.sndNxt
	end := seq + n
	retrans := seq < c.sndMax
	if retrans {
		c.stats.Retransmits++
	} else {
		c.segs.Push(sentSeg{end: end, sentAt: now})
	}
	flags := link.ACK
	if end == c.sndEnd {
		flags |= link.PSH
		if c.appClosed {
			flags |= link.FIN // the FIN rides on the last segment
			c.finSent = true
			end++
			if !retrans {
				c.segs.Back().end = end
			}
		}
	}
	c.sndNxt = end
	c.sndMax = max(c.sndMax, end)
	c.lastDataSent = now
	c.sentData = true
	c.sendPacket(flags, seq, n, retrans)
	if !c.rtoTimer.Pending() {
		c.rtoTimer.Reset(c.rto) // RFC 6298 5.1
	}
}

func (c *Conn) sendFIN() {
	retrans := c.sndEnd < c.sndMax
	if retrans {
		c.stats.Retransmits++
	} else {
		c.segs.Push(sentSeg{end: c.sndEnd + 1, sentAt: c.sched.Now()})
	}
	c.finSent = true
	c.sndNxt = c.sndEnd + 1
	c.sndMax = max(c.sndMax, c.sndNxt)
	c.sendPacket(link.FIN|link.ACK, c.sndEnd, 0, retrans)
	if !c.rtoTimer.Pending() {
		c.rtoTimer.Reset(c.rto)
	}
}

func (c *Conn) sendPacket(flags link.Flags, seq int64, n Bytes, retrans bool) {
	if flags&link.ACK != 0 {
		// Every ACK-carrying segment acknowledges all we have.
		c.unackedBytes = 0
		if c.ackTimer != nil {
			c.ackTimer.Stop()
		}
	}
	size := n + c.cfg.HeaderBytes
	c.stats.PacketsSent++
	c.stats.WireBytesSent += size
	if n > 0 {
		c.stats.DataPacketsSent++
		c.stats.PayloadBytesSent += n
	}
	c.ep.node.Send(link.Packet{
		Dst:        c.peerNode,
		SrcPort:    c.localPort,
		DstPort:    c.peerPort,
		Flags:      flags,
		Seq:        seq,
		Ack:        c.rcvNxt,
		Wnd:        c.cfg.ReceiveWindow,
		Len:        int32(n),
		Size:       int32(size),
		DstConn:    c.peerConn,
		SrcConn:    c.id,
		Retransmit: retrans,
		TSecr:      c.tsRecent,
	})
}

// maybeIdleRestart reduces the window before new data is sent after an
// idle period: "a TCP SHOULD set cwnd to no more than RW before beginning
// transmission if the TCP has not sent data in an interval exceeding the
// retransmission timeout" (RFC 5681 4.1). Idleness is keyed on the last
// data *sent*, as in Linux (tcp_cwnd_restart from tcp_event_data_sent).
func (c *Conn) maybeIdleRestart() {
	if !c.cfg.SlowStartAfterIdle || !c.sentData || c.inRecovery {
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
		for d := idle - c.rto; d > 0 && w > restart; d -= c.rto {
			w /= 2
		}
		w = max(w, restart)
	}
	if w == cwnd && s == ssthresh {
		return
	}
	c.stats.IdleRestarts++
	c.cc.OnIdleRestart(now, w, s)
	c.traceCwnd()
}

func (c *Conn) onRTO() {
	now := c.sched.Now()
	c.stats.Timeouts++
	c.retries++
	switch c.state {
	case SynSent, SynReceived:
		if c.retries > c.cfg.SynRetries {
			c.terminate(TimedOut)
			return
		}
		c.rto = min(2*c.rto, c.cfg.MaxRTO)
		c.markRetransmitted(0, 1)
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
		c.sendPacket(link.RST|link.ACK, c.sndNxt, 0, false)
		c.terminate(TimedOut)
		return
	}
	// RFC 6298 5.4-5.6 and RFC 5681 3.1: collapse the window, back off
	// the timer, and resend from the first unacknowledged byte (go-back-N:
	// without SACK everything after the hole is presumed lost).
	// The first timeout of a loss episode reduces ssthresh; a backed-off
	// repeat (no ACK since the last timeout) or a timeout during fast
	// recovery only collapses the window (RFC 5681 3.1; Linux
	// tcp_enter_loss).
	if c.inRecovery || (c.inLoss && c.retries > 1) {
		c.cc.OnRepeatRTO(now)
	} else {
		c.cc.OnRTO(now, c.InFlight())
	}
	c.inRecovery, c.recInflate, c.dupAcks = false, 0, 0
	c.inLoss = true
	c.recover = c.sndMax
	c.markRetransmitted(c.sndUna, c.sndMax)
	c.sndNxt = c.sndUna
	if c.finSent && c.sndUna <= c.sndEnd {
		c.finSent = false
	}
	c.rto = min(2*c.rto, c.cfg.MaxRTO)
	c.traceCwnd()
	c.rtoTimer.Reset(c.rto)
	c.trySend()
}

// --- closing ---

func (c *Conn) notify(r CloseReason) {
	if c.notified || c.h == nil {
		c.notified = true
		return
	}
	c.notified = true
	h := c.h
	c.sched.Defer(func() { h.Closed(c, r) })
}

func (c *Conn) terminate(r CloseReason) {
	if c.state == Closed {
		return
	}
	if c.state == SynReceived {
		c.ep.dropEmbryo(c) // leave the embryo list
	}
	c.state = Closed
	c.stats.ClosedAt = c.sched.Now()
	c.rtoTimer.Stop()
	if c.ackTimer != nil {
		c.ackTimer.Stop()
	}
	// A closed connection never sends or acknowledges data again: drop
	// the sender's segment list and the receiver's out-of-order spans,
	// so that an endpoint that keeps every connection it had (Conns)
	// holds little for the closed ones. The marks stay: the peer may
	// still be receiving data this side wrote.
	c.segs = ring.Queue[sentSeg]{}
	c.ooo = nil
	c.notify(r)
}

// traceCwnd records cwnd and ssthresh when either changed.
func (c *Conn) traceCwnd() {
	if !c.cfg.TraceCwnd {
		return
	}
	w, s := c.cc.Window(), c.cc.SSThresh()
	if w == c.lastCwnd && s == c.lastSSThresh {
		return
	}
	c.lastCwnd, c.lastSSThresh = w, s
	c.stats.Cwnd = append(c.stats.Cwnd, CwndSample{At: c.sched.Now(), Cwnd: w, SSThresh: s})
}
