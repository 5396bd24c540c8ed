package tcp

import (
	"fmt"
	"math"
	"slices"

	"github.com/connsim/connsim/internal/ring"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// Stack holds the TCP endpoints of one run, one per node. Where messages
// end travels with the packets (link.Packet's message ends); what a
// message is (its tag) stays in the sending connection's table of
// messages, which a receiver, or any reader of packets
// ([Stack.MessageEnds]), finds through a packet's source.
type Stack struct {
	net       *link.Network
	sched     *sim.Scheduler
	endpoints []*Endpoint // indexed by NodeID; nil once retired
	retired   Stats       // Totals of the retired endpoints
	keepAll   bool        // tests: never forget a connection (the behaviour to compare with)

	upcalls   ring.Queue[upcall] // calls into applications, deferred (upcall.go)
	runUpcall func()

	spareArrays []*sbArrays // holders for keepArrays (scoreboard.go)
}

// NewStack returns an empty stack on net. The stack is net's drop observer
// (see [link.Network.SetDropObserver]): it counts the packets on their way
// to each connection, to forget a closed one that no packet can reach.
func NewStack(net *link.Network) *Stack {
	s := &Stack{net: net, sched: net.Scheduler()}
	net.SetDropObserver(s)
	return s
}

// Endpoint returns the endpoint of node, creating it (and making it the
// node's packet receiver) on first use.
func (s *Stack) Endpoint(node *link.Node) *Endpoint {
	for int(node.ID) >= len(s.endpoints) {
		s.endpoints = append(s.endpoints, nil)
	}
	if e := s.endpoints[node.ID]; e != nil {
		return e
	}
	e := &Endpoint{stack: s, node: node, sched: s.sched, nextPort: firstEphemeral}
	s.endpoints[node.ID] = e
	node.SetReceiver(e)
	return e
}

// Totals returns the counters of Stats summed over every connection of
// every endpoint the stack has had, retired ones included (see
// [Endpoint.Totals]).
func (s *Stack) Totals() Stats {
	t := s.retired
	for _, e := range s.endpoints {
		if e != nil {
			t.add(e.Totals())
		}
	}
	t.Opened, t.Established, t.ClosedAt = -1, -1, -1
	return t
}

// conn returns connection id of node's endpoint, nil if there is none or
// the endpoint has forgotten it.
func (s *Stack) conn(node link.NodeID, id int32) *Conn {
	if node < 0 || int(node) >= len(s.endpoints) || s.endpoints[node] == nil {
		return nil
	}
	return s.endpoints[node].conn(id)
}

// Dropped implements link.DropObserver: a packet on its way to a
// connection, or a SYN on its way from one, will not arrive.
func (s *Stack) Dropped(p *link.Packet) {
	var c *Conn
	if p.DstConn >= 0 {
		c = s.conn(p.Dst, p.DstConn)
	} else if p.Flags&link.SYN != 0 && p.Flags&link.ACK == 0 {
		c = s.conn(p.Src, p.SrcConn)
	}
	if c != nil {
		c.pending--
		c.ep.maybeForget(c)
	}
}

// AcceptFunc decides what to do with a connection request: it returns the
// handler for the new connection, or nil to refuse it (the SYN is answered
// with a reset).
type AcceptFunc func(c *Conn) Handler

// DropSYN, returned by an AcceptFunc, drops the connection request
// without an answer, as Linux does when a listener's accept queue is full
// (tcp_abort_on_overflow=0): the client's SYN retransmission timer
// retries (RFC 6298 5.7 / Linux's 1 s initial RTO, doubling), up to
// Config.SynRetries.
var DropSYN Handler = dropSYN{}

type dropSYN struct{}

func (dropSYN) Connected(*Conn)           {}
func (dropSYN) Delivered(*Conn, any)      {}
func (dropSYN) Closed(*Conn, CloseReason) {}

type listener struct {
	port   uint16
	cfg    Config
	accept AcceptFunc
}

// Endpoint is the TCP layer of one node. Packets are demultiplexed by a
// connection index carried as simulation metadata, a slice lookup: no maps
// on the per-packet path.
//
// # Forgetting closed connections
//
// Connection indexes are given in creation order and never reused, so a
// packet for a connection the endpoint has forgotten can never be taken
// for another's: it finds no connection, and is dropped. The endpoint
// forgets a connection once it is closed and no packet can reach it any
// more, so that it answers every packet exactly as before (a closed
// connection acknowledges a repeated FIN and resets other segments): its
// pending count is zero (packets on their way to it, and SYNs on their way
// from it, which may make a connection that sends to it: the link's drop
// observer counts the lost ones down), and every connection that may send
// to it (the ones whose peer it is) is forgotten too, or forgotten with
// it: a closed connection only ever answers, so two closed ends with
// nothing on the way between them are quiet for good. Its counters are
// added to [Endpoint.Totals] then.
//
// conns holds the connections from index base on, nil for forgotten ones;
// the forgotten ones at its front are trimmed, so the table holds (8
// bytes each) the connections from the oldest one still held to the
// newest, not every connection the run has had.
type Endpoint struct {
	stack     *Stack
	node      *link.Node
	sched     *sim.Scheduler
	conns     []*Conn
	base      int32 // index of conns[0]
	held      int   // connections not forgotten
	totals    Stats // counters of the forgotten connections
	busy      *Conn // handling a packet: it is not forgotten before the end
	listeners []listener
	nextPort  uint16
	// embryos finds the connection in SYN-RECEIVED that a repeated SYN
	// belongs to, by the requesting connection (peer node and index). It
	// is used on the SYN path only, looked up and never iterated, so
	// its order cannot reach the run: a map keeps the lookup O(1) with
	// tens of thousands of handshakes at once, where the list it
	// replaces was scanned for every SYN (quadratic).
	embryos map[connKey]*Conn
	// ports holds, per destination (node and port), the local ports of
	// the connections to it the endpoint holds, so that Dial skips them
	// when the ephemeral range wraps. An endpoint usually dials a few
	// destinations (a client, one server), so they are found by a scan
	// of ports; portIdx indexes them once there are more than
	// scanDests. Dial and forgetting look them up; their order never
	// reaches the run.
	ports   []*portSet
	portIdx map[dest]*portSet

	// retire is set by Retire: called once the endpoint holds nothing.
	retire  func()
	retired bool
}

// scanDests is how many destinations an endpoint looks up by a scan
// before it builds an index.
const scanDests = 8

// dest is a connection's far end: node and port.
type dest struct {
	node link.NodeID
	port uint16
}

// Ephemeral ports: Dial takes them in turn from [firstEphemeral, 65535],
// IANA's dynamic range (RFC 6335 6).
const (
	firstEphemeral = 49152
	numEphemeral   = 1<<16 - firstEphemeral
)

// portSet is the set of ephemeral ports in use towards one destination:
// a short list while it holds at most smallPorts (a client holds a few
// connections to a server), a bitmap of the whole range (2 KiB) beyond.
type portSet struct {
	to    dest
	small []uint16
	bits  *[numEphemeral / 64]uint64
	n     int
}

// smallPorts is the most ports a portSet keeps as a list.
const smallPorts = 32

func (s *portSet) has(port uint16) bool {
	if s.bits == nil {
		for _, q := range s.small {
			if q == port {
				return true
			}
		}
		return false
	}
	i := int(port) - firstEphemeral
	return s.bits[i/64]&(1<<(i%64)) != 0
}

// set marks port in use (on) or free; port must be in the other state.
func (s *portSet) set(port uint16, on bool) {
	if on {
		s.n++
	} else {
		s.n--
	}
	if s.bits == nil {
		if !on {
			i := slices.Index(s.small, port)
			last := len(s.small) - 1
			s.small[i] = s.small[last]
			s.small = s.small[:last]
			return
		}
		if len(s.small) < smallPorts {
			s.small = append(s.small, port)
			return
		}
		s.bits = new([numEphemeral / 64]uint64)
		for _, q := range s.small {
			s.setBit(q, true)
		}
		s.small = nil
	}
	s.setBit(port, on)
}

func (s *portSet) setBit(port uint16, on bool) {
	i := int(port) - firstEphemeral
	if on {
		s.bits[i/64] |= 1 << (i % 64)
	} else {
		s.bits[i/64] &^= 1 << (i % 64)
	}
}

// portsTo returns the set of ports in use towards d, nil if there is
// none yet.
func (e *Endpoint) portsTo(d dest) *portSet {
	if e.portIdx != nil {
		return e.portIdx[d]
	}
	for _, ps := range e.ports {
		if ps.to == d {
			return ps
		}
	}
	return nil
}

// connKey names a connection by its node and its index there.
type connKey struct {
	node link.NodeID
	conn int32
}

var _ link.Receiver = (*Endpoint)(nil)

// Node returns the endpoint's node.
func (e *Endpoint) Node() *link.Node { return e.node }

// Conns returns the connections the endpoint holds, in creation order:
// the open ones and the closed ones that packets may still reach (see
// [Endpoint]). The slice is the caller's.
func (e *Endpoint) Conns() []*Conn {
	cs := make([]*Conn, 0, e.held)
	for _, c := range e.conns {
		if c != nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// Conn returns the connection with index id ([Conn.ID]), or nil if there
// is none or the endpoint has forgotten it.
func (e *Endpoint) Conn(id int) *Conn {
	if id < 0 || id > math.MaxInt32 {
		return nil
	}
	return e.conn(int32(id))
}

func (e *Endpoint) conn(id int32) *Conn {
	i := int(id) - int(e.base)
	if i < 0 || i >= len(e.conns) {
		return nil
	}
	return e.conns[i]
}

// Totals returns the counters of Stats (packets, bytes, retransmissions,
// timeouts and the rest) summed over every connection the endpoint has
// had, forgotten ones included; the time fields are -1, the RTT fields
// zero, and there is no cwnd trace.
func (e *Endpoint) Totals() Stats {
	t := e.totals
	for _, c := range e.conns {
		if c != nil {
			t.add(c.Stats())
		}
	}
	t.Opened, t.Established, t.ClosedAt = -1, -1, -1
	return t
}

// add adds the counters of s to t.
func (t *Stats) add(s Stats) {
	t.PacketsSent += s.PacketsSent
	t.DataPacketsSent += s.DataPacketsSent
	t.PayloadBytesSent += s.PayloadBytesSent
	t.WireBytesSent += s.WireBytesSent
	t.Retransmits += s.Retransmits
	t.FastRetransmits += s.FastRetransmits
	t.Timeouts += s.Timeouts
	t.LossProbes += s.LossProbes
	t.Recoveries += s.Recoveries
	t.Undos += s.Undos
	t.DSACKsReceived += s.DSACKsReceived
	t.IdleRestarts += s.IdleRestarts
	t.BytesDelivered += s.BytesDelivered
	t.DupBytesReceived += s.DupBytesReceived
	t.OutOfOrder += s.OutOfOrder
	t.RTTSamples += s.RTTSamples
}

// Held returns the number of connections the endpoint holds (see Conns).
func (e *Endpoint) Held() int { return e.held }

// Retire says that the endpoint's application is done: it will dial no
// more and it stops listening. Once the endpoint holds no connection (at
// once, or when it forgets its last: no packet can reach it then) it
// leaves the stack, its node's packets no longer reach it, its counters
// stay in [Stack.Totals], and done runs (through the scheduler, never
// from inside packet processing). A node whose endpoint has retired
// expects nothing and sends nothing: it can be removed from the network
// ([link.Network.RemoveNode]). Dial panics on a retired or retiring
// endpoint.
func (e *Endpoint) Retire(done func()) {
	if e.retire != nil || e.retired {
		panic(fmt.Sprintf("tcp: %s retired twice", e.node.Name))
	}
	if done == nil {
		done = func() {}
	}
	e.retire = done
	e.listeners = nil
	e.maybeRetire()
}

// maybeRetire retires a retiring endpoint that holds nothing.
func (e *Endpoint) maybeRetire() {
	if e.retire == nil || e.held != 0 || e.retired {
		return
	}
	e.retired = true
	s := e.stack
	s.retired.add(e.Totals())
	s.endpoints[e.node.ID] = nil
	e.node.SetReceiver(nil)
	e.embryos, e.ports, e.portIdx, e.conns = nil, nil, nil, nil
	s.sched.Defer(e.retire)
	e.retire = nil
}

// Listen accepts connections on port with cfg, calling accept for each
// connection request.
func (e *Endpoint) Listen(port uint16, cfg Config, accept AcceptFunc) {
	for _, l := range e.listeners {
		if l.port == port {
			panic(fmt.Sprintf("tcp: port %d already listening on %s", port, e.node.Name))
		}
	}
	e.listeners = append(e.listeners, listener{port: port, cfg: cfg.withDefaults(), accept: accept})
}

// Dial opens a connection to port on node to, sending the SYN now. The
// handler hears Connected once the handshake completes, or Closed if it
// fails. Dial panics on an invalid configuration (an unknown congestion
// control, an MSS beyond 65535); callers validate user input before.
func (e *Endpoint) Dial(to link.NodeID, port uint16, cfg Config, h Handler) *Conn {
	if e.retire != nil || e.retired {
		panic(fmt.Sprintf("tcp: Dial on %s after Retire", e.node.Name))
	}
	c := e.newConn(cfg, h)
	c.peerNode, c.peerPort = to, port
	c.localPort, c.ownsPort = e.ephemeralPort(dest{to, port})
	c.active = true
	c.sendSYN()
	return c
}

// ephemeralPort returns the local port of a new connection to d: the
// next one in turn, skipping the ports of connections to d the endpoint
// still holds, so that no two such connections share their addresses
// and ports (the range wraps after 16,384 connections, as a real host's
// does). A port becomes free again when its connection is forgotten: no
// packet of the old connection can then arrive. Connections are told
// apart by their index, not by ports (see [Endpoint]), so when all
// 16,384 ports towards d are held, a connection shares one; a real host
// would have refused the connect, and populations of clients have an
// address each.
func (e *Endpoint) ephemeralPort(d dest) (port uint16, owned bool) {
	ps := e.portsTo(d)
	if ps == nil {
		ps = &portSet{to: d}
		e.ports = append(e.ports, ps)
		if e.portIdx != nil {
			e.portIdx[d] = ps
		} else if len(e.ports) > scanDests {
			e.portIdx = make(map[dest]*portSet, len(e.ports))
			for _, q := range e.ports {
				e.portIdx[q.to] = q
			}
		}
	}
	port = e.nextPort
	if ps.n < numEphemeral {
		for ps.has(port) {
			port = nextEphemeral(port)
		}
		ps.set(port, true)
		owned = true
	}
	e.nextPort = nextEphemeral(port)
	return port, owned
}

func nextEphemeral(port uint16) uint16 {
	if port == 1<<16-1 {
		return firstEphemeral
	}
	return port + 1
}

// releasePort frees c's ephemeral port. The destination's set stays,
// for the next connection to it.
func (e *Endpoint) releasePort(c *Conn) {
	if ps := e.portsTo(dest{c.peerNode, c.peerPort}); ps != nil {
		ps.set(c.localPort, false)
	}
}

func (e *Endpoint) newConn(cfg Config, h Handler) *Conn {
	cfg = cfg.withDefaults()
	cc, err := cfg.newCC()
	if err != nil {
		panic(err.Error())
	}
	if cfg.MSS > math.MaxUint16 {
		panic(fmt.Sprintf("tcp: MSS %d does not fit the 16-bit MSS option", cfg.MSS))
	}
	c := &Conn{
		ep:       e,
		sched:    e.sched,
		cfg:      cfg,
		smss:     cfg.SMSS(),
		h:        h,
		cc:       cc,
		id:       e.base + int32(len(e.conns)),
		peerConn: -1,
		rto:      cfg.InitialRTO,
		rtoInit:  cfg.InitialRTO,
		rwnd:     cfg.MSS, // until the peer advertises its window
		opened:   e.sched.Now(),
		sndEnd:   1, // data starts after the SYN
		rec:      newRecovery(),
	}
	_, c.ccSamples = cc.(AckSampler)
	e.stack.reuseArrays(&c.sb)
	c.rcv.peerFinSeq, c.rcv.tsRecent = -1, -1
	c.stats.Opened, c.stats.Established, c.stats.ClosedAt = c.opened, -1, -1
	c.lastCwnd, c.lastSSThresh = -1, -1
	c.xmitTimer = e.sched.NewTimer(c.onTimer)
	if cfg.DelayedAck {
		c.rcv.ackTimer = e.sched.NewTimer(c.onDelayedAck)
	}
	if len(e.conns) == math.MaxInt32-int(e.base) {
		panic(fmt.Sprintf("tcp: %s has had 2^31 connections", e.node.Name))
	}
	e.conns = append(e.conns, c)
	e.held++
	c.traceCwnd()
	return c
}

// setPeer records the connection c sends to: it may not be forgotten
// while c is held.
func (c *Conn) setPeer(p *Conn) {
	c.peer = p
	if p != nil {
		p.refs++
	}
}

// maybeForget forgets c if no packet can reach it any more (see
// [Endpoint]): closed, nothing pending, and no other connection that
// may send to it, except its peer when the peer is forgettable too.
func (e *Endpoint) maybeForget(c *Conn) {
	if c == e.busy || c.forgotten || c.state != Closed || c.pending != 0 || e.stack.keepAll {
		return
	}
	p := c.peer
	switch {
	case c.refs == 0:
		e.forget(c)
		if p != nil && !p.forgotten {
			p.ep.maybeForget(p)
		}
	case c.refs == 1 && p != nil && p.peer == c && p.refs == 1 && !p.forgotten &&
		p.state == Closed && p.pending == 0 && p != p.ep.busy:
		e.forget(c)
		p.ep.forget(p)
	}
}

func (e *Endpoint) forget(c *Conn) {
	c.forgotten = true
	e.totals.add(c.Stats())
	e.conns[c.id-e.base] = nil
	e.held--
	if c.ownsPort {
		e.releasePort(c)
	}
	if c.peer != nil {
		c.peer.refs--
	}
	// The message ends no peer will read: an application that keeps
	// the Conn need not keep them.
	c.marks = ring.Queue[mark]{}
	n := 0
	for n < len(e.conns) && e.conns[n] == nil {
		n++
	}
	if n > 0 {
		e.conns = e.conns[n:]
		e.base += int32(n)
		if len(e.conns) == 0 {
			e.conns = nil // let the old array go
		}
	}
	e.maybeRetire()
}

// Receive implements link.Receiver: it hands p to its connection.
func (e *Endpoint) Receive(p *link.Packet) {
	if p.DstConn >= 0 {
		if c := e.conn(p.DstConn); c != nil {
			c.pending--
			e.busy = c
			c.receive(p)
			e.busy = nil
			if c.state == Closed {
				e.maybeForget(c)
			}
		}
		return
	}
	if p.Flags&link.SYN == 0 || p.Flags&link.ACK != 0 {
		return // not a connection request, and not addressed to a connection
	}
	src := e.stack.conn(p.Src, p.SrcConn)
	if src != nil {
		src.pending-- // the SYN has arrived
	}
	c := e.receiveSYN(p, src)
	if c != nil && c.state == Closed {
		e.maybeForget(c)
	}
	if src != nil && src.state == Closed {
		src.ep.maybeForget(src)
	}
}

// receiveSYN handles a connection request from src (nil if its endpoint
// has forgotten it) and returns the connection that took it, if any.
func (e *Endpoint) receiveSYN(p *link.Packet, src *Conn) *Conn {
	// A repeated SYN for a connection in SYN-RECEIVED.
	if c := e.embryos[connKey{p.Src, p.SrcConn}]; c != nil {
		c.receive(p)
		return c
	}
	for _, l := range e.listeners {
		if l.port != p.DstPort {
			continue
		}
		c := e.newConn(l.cfg, nil)
		c.peerNode, c.peerPort, c.peerConn = p.Src, p.SrcPort, p.SrcConn
		c.localPort = l.port
		c.setPeer(src)
		h := l.accept(c)
		if h == nil {
			c.refuse(p)
			return c
		}
		if h == DropSYN {
			c.state = Closed
			c.stats.ClosedAt = e.sched.Now()
			c.notified = true
			return c
		}
		c.h = h
		if e.embryos == nil {
			e.embryos = make(map[connKey]*Conn)
		}
		e.embryos[connKey{c.peerNode, c.peerConn}] = c
		c.receiveSYN(p)
		return c
	}
	// Nobody listening: reset, as a closed port does.
	e.send(&link.Packet{
		Dst: p.Src, SrcPort: p.DstPort, DstPort: p.SrcPort, Flags: link.RST | link.ACK,
		Ack: p.Seq + 1, Size: int32(DefaultConfig().HeaderBytes), DstConn: p.SrcConn, SrcConn: -1, TSecr: -1,
	}, src)
	return nil
}

// send hands p to the network; to is the connection p is addressed to
// (p.DstConn), or for a SYN the connection sending it, whose pending count
// p joins. to is nil when that connection is forgotten, or for a SYN
// sent by no connection.
// send hands p to the network, counting it on its way to connection to
// (nil if none). The network copies p; the caller keeps it.
func (e *Endpoint) send(p *link.Packet, to *Conn) {
	if to != nil {
		to.pending++
	}
	e.node.Transmit(p)
}

func (e *Endpoint) dropEmbryo(c *Conn) {
	k := connKey{c.peerNode, c.peerConn}
	if e.embryos[k] == c {
		delete(e.embryos, k)
	}
}
