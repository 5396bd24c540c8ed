package tcp

import (
	"fmt"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// Stack holds the TCP endpoints of one run, one per node. It lets the two
// ends of a connection find each other's message boundaries out of band:
// payload bytes are counted, not carried, so where one message ends is
// application framing known to both sides, not something packets carry.
type Stack struct {
	net       *link.Network
	sched     *sim.Scheduler
	endpoints []*Endpoint // indexed by NodeID
}

// NewStack returns an empty stack on net.
func NewStack(net *link.Network) *Stack {
	return &Stack{net: net, sched: net.Scheduler()}
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
	e := &Endpoint{stack: s, node: node, sched: s.sched, nextPort: 49152}
	s.endpoints[node.ID] = e
	node.SetReceiver(e)
	return e
}

func (s *Stack) conn(node link.NodeID, id int32) *Conn {
	if int(node) >= len(s.endpoints) || s.endpoints[node] == nil {
		return nil
	}
	e := s.endpoints[node]
	if id < 0 || int(id) >= len(e.conns) {
		return nil
	}
	return e.conns[id]
}

// AcceptFunc decides what to do with a connection request: it returns the
// handler for the new connection, or nil to refuse it (the SYN is answered
// with a reset).
type AcceptFunc func(c *Conn) Handler

type listener struct {
	port   uint16
	cfg    Config
	accept AcceptFunc
}

// Endpoint is the TCP layer of one node. Packets are demultiplexed by a
// connection index carried as simulation metadata, a slice lookup: no maps
// on the per-packet path.
type Endpoint struct {
	stack     *Stack
	node      *link.Node
	sched     *sim.Scheduler
	conns     []*Conn
	listeners []listener
	nextPort  uint16
	// embryos finds the connection in SYN-RECEIVED that a repeated SYN
	// belongs to, by the requesting connection (peer node and index). It
	// is used on the SYN path only, looked up and never iterated, so
	// its order cannot reach the run: a map keeps the lookup O(1) with
	// tens of thousands of handshakes at once, where the list it
	// replaces was scanned for every SYN (quadratic).
	embryos map[connKey]*Conn
}

// connKey names a connection by its node and its index there.
type connKey struct {
	node link.NodeID
	conn int32
}

var _ link.Receiver = (*Endpoint)(nil)

// Node returns the endpoint's node.
func (e *Endpoint) Node() *link.Node { return e.node }

// Conns returns every connection the endpoint has had, in creation order.
func (e *Endpoint) Conns() []*Conn { return e.conns }

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
// control); callers validate user input before.
func (e *Endpoint) Dial(to link.NodeID, port uint16, cfg Config, h Handler) *Conn {
	c := e.newConn(cfg, h)
	c.peerNode, c.peerPort = to, port
	c.localPort = e.nextPort
	e.nextPort++
	if e.nextPort == 0 {
		e.nextPort = 49152
	}
	c.active = true
	c.sendSYN()
	return c
}

func (e *Endpoint) newConn(cfg Config, h Handler) *Conn {
	cfg = cfg.withDefaults()
	cc, err := cfg.newCC()
	if err != nil {
		panic(err.Error())
	}
	c := &Conn{
		ep:       e,
		sched:    e.sched,
		cfg:      cfg,
		smss:     cfg.SMSS(),
		h:        h,
		cc:       cc,
		id:       int32(len(e.conns)),
		peerConn: -1,
		rto:      cfg.InitialRTO,
		rtoInit:  cfg.InitialRTO,
		rwnd:     cfg.MSS, // until the peer advertises its window
		opened:   e.sched.Now(),
		sndEnd:   1, // data starts after the SYN
		rec:      newRecovery(),
	}
	c.rcv.peerFinSeq, c.rcv.tsRecent = -1, -1
	c.stats.Opened, c.stats.Established, c.stats.ClosedAt = c.opened, -1, -1
	c.lastCwnd, c.lastSSThresh = -1, -1
	c.xmitTimer = e.sched.NewTimer(c.onTimer)
	if cfg.DelayedAck {
		c.rcv.ackTimer = e.sched.NewTimer(c.onDelayedAck)
	}
	e.conns = append(e.conns, c)
	c.traceCwnd()
	return c
}

// Receive implements link.Receiver: it hands p to its connection.
func (e *Endpoint) Receive(p *link.Packet) {
	if p.DstConn >= 0 {
		if int(p.DstConn) < len(e.conns) {
			e.conns[p.DstConn].receive(p)
		}
		return
	}
	if p.Flags&link.SYN == 0 || p.Flags&link.ACK != 0 {
		return // not a connection request, and not addressed to a connection
	}
	// A repeated SYN for a connection in SYN-RECEIVED.
	if c := e.embryos[connKey{p.Src, p.SrcConn}]; c != nil {
		c.receive(p)
		return
	}
	for _, l := range e.listeners {
		if l.port != p.DstPort {
			continue
		}
		c := e.newConn(l.cfg, nil)
		c.peerNode, c.peerPort, c.peerConn = p.Src, p.SrcPort, p.SrcConn
		c.localPort = l.port
		c.peer = e.stack.conn(p.Src, p.SrcConn)
		h := l.accept(c)
		if h == nil {
			c.refuse(p)
			return
		}
		c.h = h
		if e.embryos == nil {
			e.embryos = make(map[connKey]*Conn)
		}
		e.embryos[connKey{c.peerNode, c.peerConn}] = c
		c.receiveSYN(p)
		return
	}
	// Nobody listening: reset, as a closed port does.
	e.node.Send(link.Packet{
		Dst: p.Src, SrcPort: p.DstPort, DstPort: p.SrcPort, Flags: link.RST | link.ACK,
		Ack: p.Seq + 1, Size: int32(DefaultConfig().HeaderBytes), DstConn: p.SrcConn, SrcConn: -1, TSecr: -1,
	})
}

func (e *Endpoint) dropEmbryo(c *Conn) {
	k := connKey{c.peerNode, c.peerConn}
	if e.embryos[k] == c {
		delete(e.embryos, k)
	}
}
