package tcp

import (
	"fmt"
	"math"
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
	// ClosedLocally: Close was called and the connection then ended,
	// either in order (this side's FIN acknowledged and the peer's FIN
	// received) or because data arrived after Close and was answered
	// with a reset. Abort reports Aborted instead.
	ClosedLocally CloseReason = iota
	ClosedByPeer              // the peer's FIN arrived first (this side then closes too)
	Reset                     // a reset arrived (e.g. data sent to a closed socket)
	Refused                   // the connection request was refused
	TimedOut                  // retransmissions (SYN or data) gave up
	Aborted                   // Abort was called: this side sent a reset (unless still in SYN-SENT)
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
	case Aborted:
		return "aborted"
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
	switch s {
	case Open:
		return "open"
	case Disorder:
		return "disorder"
	case Recovery:
		return "recovery"
	case Loss:
		return "loss"
	}
	return fmt.Sprintf("CongState(%d)", int(s))
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
	Retransmits      int64 // data (and SYN, FIN) segments sent again, tail loss probes included (Linux RetransSegs)
	FastRetransmits  int64 // segments retransmitted in fast recovery (Linux TCPFastRetrans)
	Timeouts         int64 // retransmission timer expiries (Linux TCPTimeouts)
	LossProbes       int64 // tail loss probes sent (Linux TCPLossProbes)
	Recoveries       int64 // fast recovery episodes entered
	Undos            int64 // window reductions undone as spurious (Eifel, F-RTO, D-SACK)
	DSACKsReceived   int64 // ACKs that reported a duplicate (RFC 2883)
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

// mark is one message written (Send): the sequence number after its last
// byte, and its tag. The sender's marks are its table of messages: packets
// carry where messages end (link.Packet's MsgCount, MsgEnds, LastEnd) and
// a receiver reads a tag from the table by the message number a packet
// gave it, as it would parse the message from the payload bytes.
type mark struct {
	end int64
	tag any
}

// Conn is one end of a TCP connection. Its sender is in send.go and
// ack.go, loss recovery in recovery.go, the receiver in receive.go, the
// handshake in handshake.go and the timers in timers.go.
type Conn struct {
	ep    *Endpoint
	sched *sim.Scheduler
	cfg   Config
	smss  Bytes // payload bytes of a full segment (Config.SMSS)
	h     Handler
	cc    CongestionControl

	id, peerConn        int32
	peerNode            link.NodeID
	localPort, peerPort uint16
	peer                *Conn // the other end, to count the packets on their way to it (see Endpoint)
	active              bool  // this side dialled
	state               State
	opened              sim.Time

	// Sender. Sequence numbers start at 0 for the SYN; data starts at 1.
	// Every byte below sndMax was sent, and new data always goes out at
	// sndMax (Linux snd_nxt): retransmissions are chosen from the
	// scoreboard, never by moving a send pointer back.
	sndUna, sndMax    int64
	sndEnd            int64 // sequence number after the last byte written
	appClosed         bool  // Close called (or the peer closed): FIN after the data
	finSent, finAcked bool
	rwnd              Bytes
	sb                scoreboard
	rec               recovery
	xmitTimer         *sim.Timer // RTO, tail loss probe or RACK reordering timer: see timerMode
	timerMode         timerMode
	xmitTimerDue      bool // an ACK acknowledged data: set the timer after the packet (setXmitTimer)
	ccSamples         bool // cc is an AckSampler (here, in padding: TestConnSize)
	rto               time.Duration
	rtoInit           time.Duration // the RTO before the first RTT sample
	retries           int
	est               rttEstimator
	lastDataSent      sim.Time
	sentData          bool
	corked            bool
	marksBase         uint32           // messages acknowledged and dropped from marks: marks.At(0) is message marksBase+1
	marks             ring.Queue[mark] // messages written and not yet acknowledged, in order
	spaceWanted       bool

	// Window use, as Linux's tcp_cwnd_validate tracks it: the largest
	// flight since the window that ends at usageSeq began, and whether
	// the window was found full at some send of it.
	maxFlight    Bytes
	usageSeq     int64
	usageLimited bool

	rcv receiver

	lastCwnd, lastSSThresh Bytes
	stats                  Stats

	// Forgetting (see Endpoint): packets on their way to this connection
	// and SYNs on their way from it; held connections whose peer it is.
	pending, refs int32
	forgotten     bool
	ownsPort      bool // its local port is marked in use (Endpoint.ephemeralPort)

	notified bool // the handler has heard Closed (or had none to hear it); here, in padding, to keep Conn small (TestConnSize)
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
func (c *Conn) CongState() CongState { return c.rec.state }

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
	s.SRTT, s.RTO = c.est.srtt, c.rto
	return s
}

// InFlight returns the bytes the sender believes are in the network:
// sent and not acknowledged, less what the receiver selectively
// acknowledged and what is marked lost, plus retransmissions of it (RFC
// 6675's pipe; Linux tcp_packets_in_flight, in bytes).
func (c *Conn) InFlight() Bytes { return c.sb.inFlightBytes(c.sndUna, c.sndMax) }

// Outstanding returns the bytes sent and not yet cumulatively
// acknowledged.
func (c *Conn) Outstanding() Bytes { return c.sndMax - c.sndUna }

// SMSS returns the payload bytes of a full segment.
func (c *Conn) SMSS() Bytes { return c.smss }

// Unsent returns the bytes written but not yet sent.
func (c *Conn) Unsent() Bytes { return max(0, c.sndEnd-c.sndMax) }

// Unacked returns the bytes written and not yet acknowledged.
func (c *Conn) Unacked() Bytes { return max(0, c.sndEnd-c.sndUna) }

// Closing reports whether Close was called or the peer closed.
func (c *Conn) Closing() bool { return c.appClosed || c.rcv.peerFin }

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
	if int64(c.marksBase)+int64(c.marks.Len()) == math.MaxUint32 {
		panic("tcp: Send: 2^32-1 messages on one connection (link.Packet numbers them in 32 bits)")
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

// Abort resets the connection at once: the handler hears Closed(Aborted)
// and the peer, if the connection got past SYN-SENT, a reset.
func (c *Conn) Abort() {
	if c.state == Closed {
		return
	}
	if c.state != SynSent {
		c.sendPacket(link.RST|link.ACK, c.sndMax, 0, false)
	}
	c.terminate(Aborted)
}
