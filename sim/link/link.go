// Package link is connsim's network: nodes joined by one-way pipes, each
// with a rate, a propagation delay, a drop-tail queue and an optional loss
// model, carrying packets that hold header fields but no payload bytes.
//
// # Model
//
// A [Pipe] is one direction of a link. A packet handed to it waits in a
// drop-tail queue, is serialized at the pipe's rate (Size*8/Rate seconds,
// in integer nanoseconds, truncated), then propagates for Delay and
// arrives at the far node. A packet that finds the queue full is dropped
// (a tail drop); a packet that the loss model picks is dropped after it
// was serialized (it used the link, then vanished on the wire). The packet
// being serialized does not count against the queue capacity, as in a
// Linux qdisc feeding a NIC.
//
// Propagation delay is the same for every packet of a pipe, so packets
// arrive in the order they were sent: each pipe keeps its packets in
// flight in a FIFO and arms one timer for the earliest arrival, rather
// than one event per packet. Serialization takes no event at all: a FIFO
// at a fixed rate fixes when a packet's serialization ends as soon as it
// joins the queue (the later of now and the previous packet's end, plus
// its own transmission time), so the queue's length, the counters and the
// start of the next packet are worked out from those end times whenever
// the queue is next looked at. Only arrivals, and the loss model's drops
// (announced when their serialization ends), are events: one per packet
// instead of two. At an instant where a serialization ends and a packet
// reaches the pipe, the serialization ends first: the newcomer finds the
// queue one shorter. The queue is the same FIFO's tail: a packet
// is written into it once, when it reaches the pipe, and stays in place
// while it waits, is serialized and flies. FIFOs are blocks from a pool
// the network's pipes share, so a pipe holds storage only while it holds
// packets, and once the pool has grown to the busiest instant's needs
// nothing is allocated per packet.
//
// A [Node] delivers packets addressed to it to its [Receiver] and forwards
// others along a static route (a slice indexed by destination node, no
// maps), so topologies with routers in the middle need no change here.
//
// A node that will send nothing more and expects nothing more (a client
// that has left) can be removed ([Network.RemoveNode]): its links go once
// the packets on them have arrived, their counters staying in
// [Network.Stats]. Node IDs are never reused.
//
// # Observability
//
// Each pipe keeps counters ([PipeStats]): packets and bytes sent, drops by
// cause, the queue's high-water mark. A [Tracer] set on the [Network] sees
// every packet event (queued, dropped, delivered) with all header fields,
// enough to write a packet capture, and where the application's messages
// end in each payload (see [Packet]), enough to tell where a request or a
// response ends without asking either endpoint.
package link

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/connsim/connsim/sim"
)

// Bandwidth is a rate in bits per second.
type Bandwidth int64

// Common rates.
const (
	BitPerSecond Bandwidth = 1
	Kbps                   = 1000 * BitPerSecond
	Mbps                   = 1000 * Kbps
	Gbps                   = 1000 * Mbps
)

// TxTime returns how long it takes to serialize size bytes at rate b
// (truncated to the nanosecond). A zero rate means an infinitely fast link.
func (b Bandwidth) TxTime(size int64) time.Duration {
	if b <= 0 {
		return 0
	}
	bits := size * 8
	if bits > (1<<63-1)/int64(time.Second) {
		panic(fmt.Sprintf("link: TxTime(%d bytes) overflows", size))
	}
	return time.Duration(bits * int64(time.Second) / int64(b))
}

// String formats b with the largest unit that divides it.
func (b Bandwidth) String() string {
	switch {
	case b != 0 && b%Gbps == 0:
		return fmt.Sprintf("%dGbps", b/Gbps)
	case b != 0 && b%Mbps == 0:
		return fmt.Sprintf("%dMbps", b/Mbps)
	case b != 0 && b%Kbps == 0:
		return fmt.Sprintf("%dKbps", b/Kbps)
	}
	return fmt.Sprintf("%dbps", int64(b))
}

// NodeID identifies a node within a Network; IDs are dense from 0.
type NodeID int32

// Flags are TCP header flags.
type Flags uint8

// TCP flags.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
)

// String lists the set flags, e.g. "SYN|ACK".
func (f Flags) String() string {
	names := [...]string{"FIN", "SYN", "RST", "PSH", "ACK"}
	s := ""
	for i, n := range names {
		if f&(1<<i) != 0 {
			if s != "" {
				s += "|"
			}
			s += n
		}
	}
	if s == "" {
		return "0"
	}
	return s
}

// Packet is one IP packet with a TCP header. Payload bytes are counted,
// not stored. Sequence numbers are unwrapped 64-bit counts (a packet
// capture takes them modulo 2^32).
//
// # Message ends
//
// What the payload would tell a reader that parses the application's
// framing (an HTTP parser in a proxy or a capture's dissector) travels as
// three fields: where in the payload messages end. The sender numbers the
// messages it writes on a connection from 1; a segment with payload
// carries MsgCount, how many messages end at or before its last byte, and
// MsgEnds, how many of those end within it: messages MsgCount-MsgEnds+1
// to MsgCount. LastEnd is the offset, within the payload, just past the
// last byte of message MsgCount (so it ends at sequence number Seq +
// LastEnd), set when MsgEnds > 0. When several messages end in one
// segment (HTTP/2 frames, pipelined requests), the ends before the last
// are in the sender's table of messages, which the transport reads by
// these numbers (tcp.Stack.MessageEnds). The fields are fixed by the
// bytes a segment covers, so a retransmission carries what the original
// did, whatever its boundaries; packets without payload carry zeros.
type Packet struct {
	ID               uint64 // unique within the Network, in send order
	Src, Dst         NodeID
	SrcPort, DstPort uint16
	Flags            Flags
	MsgEnds          uint16 // messages ending in the payload
	Seq, Ack         int64  // sequence number of the first byte; cumulative ACK
	Wnd              int64  // advertised receive window, bytes
	Len              int32  // payload bytes
	Size             int32  // bytes on the wire: payload plus headers

	// Simulation metadata, not header fields.
	DstConn    int32 // connection index at the destination endpoint; -1 = none yet (a SYN)
	SrcConn    int32 // connection index at the sending endpoint
	Retransmit bool  // the sender is sending these bytes again
	NSack      uint8 // SACK blocks carried (SackBlock)

	LastEnd  uint16 // message ends: offset in the payload just past the last one (see Packet)
	MsgCount uint32 // message ends: messages ending at or before the payload's last byte

	SentAt sim.Time // when the sending node handed it to the network: the TCP timestamp TSval
	TSecr  sim.Time // timestamp echo (RFC 7323): the TSval being acknowledged; -1 = none

	// SACK blocks (RFC 2018), most recent first; with D-SACK (RFC 2883)
	// the first block may report a duplicate. Kept as offsets from Ack
	// (a window never spans 2 GiB) so that a packet, copied through every
	// queue, stays small: read and write them with SackBlock and
	// AddSackBlock.
	sack [MaxSackBlocks]sackOffsets
}

// FirstMsg returns the number of the first message ending in the payload
// (MsgCount - MsgEnds + 1); with MsgEnds zero, the next message to end.
func (p *Packet) FirstMsg() uint32 { return p.MsgCount - uint32(p.MsgEnds) + 1 }

// MaxSackBlocks is the number of SACK blocks an ACK carries at most: four
// fit in the 40 option bytes (RFC 2018 3), three beside the timestamp
// option.
const MaxSackBlocks = 4

// SackBlock is one SACK block: sequence numbers [Start, End).
type SackBlock struct{ Start, End int64 }

type sackOffsets struct{ start, end int32 }

// SackBlock returns the i-th SACK block, i < NSack.
func (p *Packet) SackBlock(i int) SackBlock {
	o := p.sack[i]
	return SackBlock{Start: p.Ack + int64(o.start), End: p.Ack + int64(o.end)}
}

// AddSackBlock appends a SACK block; Ack must be set first. It reports
// false, adding nothing, when the packet holds MaxSackBlocks already or
// the block lies 2 GiB or more from Ack.
func (p *Packet) AddSackBlock(b SackBlock) bool {
	s, e := b.Start-p.Ack, b.End-p.Ack
	if int(p.NSack) >= MaxSackBlocks || s < math.MinInt32 || e > math.MaxInt32 || s > e {
		return false
	}
	p.sack[p.NSack] = sackOffsets{int32(s), int32(e)}
	p.NSack++
	return true
}

// Receiver takes the packets addressed to a node. Receive must not keep p.
type Receiver interface {
	Receive(p *Packet)
}

// LossModel decides which packets a pipe drops on the wire. Drop is
// called once per packet, in the order the packets are serialized, when
// the packet joins the queue; now is when its serialization ends, the
// instant the drop takes effect (and is traced).
type LossModel interface {
	Drop(now sim.Time, p *Packet) bool
}

// Bernoulli drops each packet independently with probability P, drawing
// from its own random stream.
type Bernoulli struct {
	P    float64
	Rand *rand.Rand
}

// Drop implements LossModel.
func (b *Bernoulli) Drop(_ sim.Time, _ *Packet) bool {
	return b.P > 0 && b.Rand.Float64() < b.P
}

// DropFunc is a scripted loss model, for deterministic test scenarios.
type DropFunc func(now sim.Time, p *Packet) bool

// Drop implements LossModel.
func (f DropFunc) Drop(now sim.Time, p *Packet) bool { return f(now, p) }

// Outage drops every packet serialized in [From, To): a path that goes
// dark for a while.
type Outage struct{ From, To sim.Time }

// Drop implements LossModel.
func (o Outage) Drop(now sim.Time, _ *Packet) bool { return now >= o.From && now < o.To }

var (
	_ LossModel = (*Bernoulli)(nil)
	_ LossModel = DropFunc(nil)
	_ LossModel = Outage{}
)

// Config describes one direction of a link.
type Config struct {
	Rate         Bandwidth     // serialization rate; 0 = infinitely fast
	Delay        time.Duration // one-way propagation delay
	QueueBytes   int64         // drop-tail capacity in bytes; 0 = no byte limit
	QueuePackets int           // drop-tail capacity in packets; 0 = no packet limit
	Loss         LossModel     // nil = lossless
}

// PipeStats are a pipe's counters.
type PipeStats struct {
	Packets         int64 // packets serialized onto the wire (lost ones included)
	Bytes           int64 // bytes serialized onto the wire
	Delivered       int64 // packets that arrived at the far end
	QueueDrops      int64 // packets that found the queue full
	LossDrops       int64 // packets dropped by the loss model
	MaxQueueBytes   int64 // queue high-water mark in bytes
	MaxQueuePackets int   // queue high-water mark in packets
}

// Drops returns all drops, queue overflow and loss.
func (s PipeStats) Drops() int64 { return s.QueueDrops + s.LossDrops }

// TraceEvent says what happened to a packet.
type TraceEvent uint8

// Packet events seen by a Tracer.
const (
	Sent      TraceEvent = iota // handed to a pipe by a node, before the queue check: a tail drop follows as QueueDrop
	QueueDrop                   // tail-dropped: queue full
	LossDrop                    // dropped by the loss model after serialization
	Delivered                   // arrived at the far end of a pipe
)

// String names the event.
func (e TraceEvent) String() string {
	switch e {
	case Sent:
		return "sent"
	case QueueDrop:
		return "queue-drop"
	case LossDrop:
		return "loss-drop"
	case Delivered:
		return "delivered"
	}
	return fmt.Sprintf("TraceEvent(%d)", int(e))
}

// Tracer observes packet events. It must not keep p.
type Tracer interface {
	PacketEvent(now sim.Time, ev TraceEvent, pipe *Pipe, p *Packet)
}

// DropObserver hears of every packet a pipe drops (queue overflow or the
// loss model), after any Tracer. A transport that counts the packets on
// their way to each of its connections uses it to learn that one will
// never arrive. It must not keep p.
type DropObserver interface {
	Dropped(p *Packet)
}

// Network owns the nodes and pipes of one run.
type Network struct {
	sched  *sim.Scheduler
	nodes  []*Node // by ID; nil once removed
	pipes  []*Pipe // in creation order; nil once removed (see dropPipe)
	nextID uint64
	tracer Tracer
	drops  DropObserver

	// Removed nodes and pipes: how many of the entries above are nil,
	// and the summed counters of the removed pipes.
	removedNodes, removedPipes int
	retired                    PipeStats
	unrouted                   int64

	// The blocks of the pipes' packets (fifo.go).
	flying pool[flying]
}

// New returns an empty network driven by s. Its queues take their blocks
// from those of networks before it, released or idle (see pool).
func New(s *sim.Scheduler) *Network {
	n := &Network{sched: s}
	n.flying.shared = &sharedFlying
	return n
}

// sharedFlying holds chains of spare blocks that
// networks hand on to each other: those of released networks (Release)
// and those an idle network does not need (pool.spill).
var sharedFlying sync.Pool

// Release hands the network's queue blocks on for a later network to
// reuse, those still holding packets included: a sweep of many short
// runs otherwise allocates them afresh for each run (an idle network
// hands on all but one of each kind by itself). Call it once the run is
// over and nothing will send, deliver or read a pipe's queue again; the
// counters (Stats) and nodes stay readable, as they stood at the release,
// and the pipes stop: their timers are stopped with them.
func (n *Network) Release() {
	for _, p := range n.pipes {
		if p == nil {
			continue
		}
		// Count the serializations started by now before the queue goes
		// (nothing else will), and leave no timer to run over an emptied
		// line.
		p.advance()
		p.arrive.Stop()
		p.lossEnd.Stop()
		for p.line.Len() > 0 {
			p.line.discard(&n.flying)
		}
		p.nwait, p.nloss, p.queuedBytes = 0, 0, 0
	}
	if b := n.flying.take(maxReleasedBlocks); b != nil {
		sharedFlying.Put(b)
	}
}

// maxReleasedBlocks bounds the blocks a network passes on at once (about
// 150 KB): a run whose queue once held a million packets
// should not hand them all to the small runs after it.
const maxReleasedBlocks = 64

// Scheduler returns the network's scheduler.
func (n *Network) Scheduler() *sim.Scheduler { return n.sched }

// SetTracer installs t (nil removes it).
func (n *Network) SetTracer(t Tracer) { n.tracer = t }

// SetDropObserver installs o (nil removes it). There is one: the
// transport of the run (tcp.NewStack installs itself).
func (n *Network) SetDropObserver(o DropObserver) { n.drops = o }

// Nodes returns the nodes in creation order, removed ones left out.
func (n *Network) Nodes() []*Node {
	if n.removedNodes == 0 {
		return n.nodes
	}
	return slices.DeleteFunc(slices.Clone(n.nodes), func(nd *Node) bool { return nd == nil })
}

// Pipes returns the pipes in creation order, removed ones left out.
func (n *Network) Pipes() []*Pipe {
	if n.removedPipes == 0 {
		return n.pipes
	}
	return slices.DeleteFunc(slices.Clone(n.pipes), func(p *Pipe) bool { return p == nil })
}

// Stats sums the counters of every pipe the network has had, removed ones
// included; the queue high-water marks are the largest of any pipe's.
func (n *Network) Stats() PipeStats {
	t := n.retired
	for _, p := range n.pipes {
		if p != nil {
			t.add(p.Stats())
		}
	}
	return t
}

// add adds s's counters to t and takes the larger high-water marks.
func (t *PipeStats) add(s PipeStats) {
	t.Packets += s.Packets
	t.Bytes += s.Bytes
	t.Delivered += s.Delivered
	t.QueueDrops += s.QueueDrops
	t.LossDrops += s.LossDrops
	t.MaxQueueBytes = max(t.MaxQueueBytes, s.MaxQueueBytes)
	t.MaxQueuePackets = max(t.MaxQueuePackets, s.MaxQueuePackets)
}

// Unrouted returns how many packets were dropped because they were
// addressed to a removed node (see RemoveNode): none, when the transport
// removes only nodes that nothing can send to.
func (n *Network) Unrouted() int64 { return n.unrouted }

// RemoveNode takes nd out of the network: the caller promises that nd
// sends nothing more and that nothing more is addressed to it. Its ID is
// not reused. Each pipe from or to nd is removed once it is idle (nothing
// queued, being serialized or in flight: at once, or when its last packet
// arrives), and stops being a route; its counters stay in Stats. A packet
// that is still addressed to nd afterwards finds no route: it is dropped
// (the drop observer hears of it) and counted by Unrouted.
func (n *Network) RemoveNode(nd *Node) {
	if nd.removed {
		return
	}
	nd.removed = true
	n.nodes[nd.ID] = nil
	n.removedNodes++
	nd.recv = nil
	// Each pipe from nd and its reverse, the pipe to nd.
	for len(nd.out) > 0 {
		p := nd.out[len(nd.out)-1]
		p.retireWhenIdle()
		p.reverse.retireWhenIdle()
	}
	nd.routes, nd.dflt = nil, nil
}

// Node is a host or router.
type Node struct {
	ID      NodeID
	Name    string
	net     *Network
	recv    Receiver
	routes  []*Pipe // indexed by destination NodeID
	dflt    *Pipe
	out     []*Pipe // the pipes leaving the node, each at its outAt
	removed bool
}

// AddNode adds a node named name.
func (n *Network) AddNode(name string) *Node {
	nd := &Node{ID: NodeID(len(n.nodes)), Name: name, net: n}
	n.nodes = append(n.nodes, nd)
	return nd
}

// SetReceiver sets who takes the packets addressed to the node.
func (nd *Node) SetReceiver(r Receiver) { nd.recv = r }

// Route sends packets for dst through via.
func (nd *Node) Route(dst NodeID, via *Pipe) {
	if via.from != nd {
		panic(fmt.Sprintf("link: route at %s through a pipe that leaves %s", nd.Name, via.from.Name))
	}
	for int(dst) >= len(nd.routes) {
		nd.routes = append(nd.routes, nil)
	}
	nd.routes[dst] = via
}

// SetDefaultRoute sends packets with no specific route through via.
func (nd *Node) SetDefaultRoute(via *Pipe) {
	if via.from != nd {
		panic(fmt.Sprintf("link: default route at %s through a pipe that leaves %s", nd.Name, via.from.Name))
	}
	nd.dflt = via
}

// Network returns the node's network.
func (nd *Node) Network() *Network { return nd.net }

// Send hands p to the network: it stamps Src, ID and SentAt and forwards p
// along the route to p.Dst.
func (nd *Node) Send(p Packet) { nd.Transmit(&p) }

// Transmit is Send for a packet the caller built in place: it stamps Src,
// ID and SentAt in *p and forwards a copy; it does not keep p. A transport
// that sends every packet through it saves copying the packet (over 100
// bytes) on the way in.
func (nd *Node) Transmit(p *Packet) {
	n := nd.net
	n.nextID++
	p.ID = n.nextID
	p.Src = nd.ID
	p.SentAt = n.sched.Now()
	nd.forward(p)
}

func (nd *Node) forward(p *Packet) {
	var via *Pipe
	if int(p.Dst) < len(nd.routes) {
		via = nd.routes[p.Dst]
	}
	if via == nil {
		if int(p.Dst) < len(nd.net.nodes) && nd.net.nodes[p.Dst] == nil && p.Dst >= 0 {
			nd.net.unroute(p)
			return
		}
		via = nd.dflt
	}
	if via == nil {
		panic(fmt.Sprintf("link: node %s has no route to node %d", nd.Name, p.Dst))
	}
	via.enqueue(p)
}

// unroute drops p, addressed to a removed node.
func (n *Network) unroute(p *Packet) {
	n.unrouted++
	if n.drops != nil {
		cp := *p // p must not escape (see Pipe.traceCopy)
		n.drops.Dropped(&cp)
	}
}

func (nd *Node) arrive(p *Packet) {
	if p.Dst == nd.ID {
		if nd.recv != nil {
			nd.recv.Receive(p)
		}
		return
	}
	nd.forward(p)
}

// Connect joins a and b with a duplex link: ab carries a->b, ba carries
// b->a. Each node routes packets for the other through its new pipe, and a
// node's first pipe becomes its default route.
func (n *Network) Connect(a, b *Node, ab, ba Config) (*Pipe, *Pipe) {
	if a.removed || b.removed {
		panic(fmt.Sprintf("link: Connect(%s, %s): a removed node", a.Name, b.Name))
	}
	p1 := n.newPipe(a, b, ab)
	p2 := n.newPipe(b, a, ba)
	p1.reverse, p2.reverse = p2, p1
	a.Route(b.ID, p1)
	b.Route(a.ID, p2)
	if a.dflt == nil {
		a.dflt = p1
	}
	if b.dflt == nil {
		b.dflt = p2
	}
	return p1, p2
}

// flying is a packet on a pipe: queued, being serialized or in flight,
// with when its serialization ends (known when it joins the line: the
// pipe serves in order at a fixed rate) and whether the loss model
// dropped it.
type flying struct {
	end  sim.Time
	loss lossState
	p    Packet
}

// lossState is what the loss model made of a packet on the line.
type lossState uint8

const (
	kept     lossState = iota // it arrives at end + Delay
	lost                      // dropped: the drop is announced at end (onLossEnd)
	lostDone                  // dropped and announced: skipped until it reaches the front
)

// Pipe is one direction of a link.
type Pipe struct {
	net      *Network
	from, to *Node
	cfg      Config

	// line holds the pipe's packets in the order they came: those in
	// flight (arrived ones leave it), the one being serialized, then the
	// nwait queued (from waitAt on). A packet is copied into the line
	// once and handed on from its slot: a queue, a packet being
	// serialized and a FIFO in flight, each with its copy, were over 8%
	// of BulkTransfer's profile, mostly storing each packet into a cold
	// slot twice.
	//
	// Serialization is not an event: a packet's end is fixed when it
	// joins the line (the later of now and the previous packet's end,
	// plus its transmission time), so what a transmission's end would
	// do (start the next packet, count it) is done lazily by advance
	// when the queue is next looked at. Only arrivals, and the drops of
	// the loss model at the end of a serialization (rare), are events.
	line        fifo[flying]
	nwait       int
	waitAt      cursor[flying] // the first queued packet, while nwait > 0
	queuedBytes int64
	svcEnd      sim.Time       // when the last packet to have started ends its serialization
	lastEnd     sim.Time       // when the last packet on the line ends its serialization
	nloss       int            // packets lost and not yet announced
	lossAt      cursor[flying] // the first of them, while nloss > 0
	lossEnd     sim.Timer      // at lossAt's end
	scratch     Packet         // a copy of a packet being traced that the pipe does not hold

	arrive sim.Timer // at the arrival of the first packet on the line that is kept

	// The serialization time of the last packet size seen (TxTime
	// divides in 64 bits): a pipe carries packets of a few sizes, full
	// segments on the data direction.
	txSize int32
	txTime time.Duration

	stats PipeStats

	reverse  *Pipe // the other direction of the link
	at       int   // index in net.pipes
	outAt    int   // index in from.out
	retiring bool  // remove once idle (RemoveNode)
	removed  bool
}

func (n *Network) newPipe(from, to *Node, cfg Config) *Pipe {
	p := &Pipe{net: n, from: from, to: to, cfg: cfg, at: len(n.pipes), outAt: len(from.out), txTime: -1}
	n.sched.InitTimer(&p.lossEnd, p.onLossEnd)
	n.sched.InitTimer(&p.arrive, p.onArrive)
	n.pipes = append(n.pipes, p)
	from.out = append(from.out, p)
	return p
}

// idle reports whether the pipe holds no packet.
func (p *Pipe) idle() bool { return p.line.Len() == 0 && p.svcEnd <= p.net.sched.Now() }

// retireWhenIdle removes p now if it is idle, else once it is. It stops
// being one of its sending node's pipes at once, so RemoveNode visits it
// once.
func (p *Pipe) retireWhenIdle() {
	if p.removed || p.retiring {
		return
	}
	p.retiring = true
	from := p.from
	last := from.out[len(from.out)-1]
	from.out[p.outAt] = last
	last.outAt = p.outAt
	from.out[len(from.out)-1] = nil
	from.out = from.out[:len(from.out)-1]
	if len(from.out) == 0 {
		from.out = nil
	}
	if p.idle() {
		p.remove()
	}
}

// remove takes the idle pipe p out of the network: its counters go to the
// network's, and it is no longer a route.
func (p *Pipe) remove() {
	n := p.net
	p.removed = true
	n.retired.add(p.stats)
	if from := p.from; !from.removed {
		if int(p.to.ID) < len(from.routes) && from.routes[p.to.ID] == p {
			from.routes[p.to.ID] = nil
		}
		if from.dflt == p {
			from.dflt = nil
		}
	}
	n.pipes[p.at] = nil
	n.removedPipes++
	if n.removedPipes > len(n.pipes)/2 {
		// Close the gaps, keeping creation order: each pipe moves
		// O(1) times on average per pipe removed.
		k := 0
		for _, q := range n.pipes {
			if q != nil {
				q.at = k
				n.pipes[k] = q
				k++
			}
		}
		clear(n.pipes[k:])
		n.pipes = n.pipes[:k]
		n.removedPipes = 0
	}
}

// From returns the sending node.
func (p *Pipe) From() *Node { return p.from }

// To returns the receiving node.
func (p *Pipe) To() *Node { return p.to }

// Config returns the pipe's configuration.
func (p *Pipe) Config() Config { return p.cfg }

// SetLoss replaces the loss model (nil = lossless) for the packets that
// reach the pipe from now on: the model decides a packet's fate when it
// joins the queue (told when its serialization will end), so packets
// already queued keep the former model's decision.
func (p *Pipe) SetLoss(l LossModel) { p.cfg.Loss = l }

// Stats returns the pipe's counters.
func (p *Pipe) Stats() PipeStats {
	p.advance()
	return p.stats
}

// QueueLen returns the bytes and packets waiting (not counting the packet
// being serialized).
func (p *Pipe) QueueLen() (bytes int64, packets int) {
	p.advance()
	return p.queuedBytes, p.nwait
}

func (p *Pipe) trace(ev TraceEvent, pk *Packet) {
	if t := p.net.tracer; t != nil {
		t.PacketEvent(p.net.sched.Now(), ev, p, pk)
	}
}

// traceCopy traces a packet the pipe does not own (the caller's), through
// a copy in the pipe: handing the caller's pointer to the Tracer interface
// would make every packet escape to the heap.
func (p *Pipe) traceCopy(ev TraceEvent, pk *Packet) {
	if p.net.tracer != nil {
		p.scratch = *pk
		p.trace(ev, &p.scratch)
	}
}

func (p *Pipe) enqueue(pk *Packet) {
	p.traceCopy(Sent, pk)
	now := p.net.sched.Now()
	p.advance()
	size := int64(pk.Size)
	busy := p.svcEnd > now
	if busy && ((p.cfg.QueueBytes > 0 && p.queuedBytes+size > p.cfg.QueueBytes) ||
		(p.cfg.QueuePackets > 0 && p.nwait >= p.cfg.QueuePackets)) {
		p.stats.QueueDrops++
		p.traceCopy(QueueDrop, pk)
		if o := p.net.drops; o != nil {
			p.scratch = *pk // see traceCopy: pk must not escape
			o.Dropped(&p.scratch)
		}
		return
	}
	f := p.line.pushSlot(&p.net.flying)
	f.p = *pk
	if pk.Size != p.txSize || p.txTime < 0 {
		p.txSize, p.txTime = pk.Size, p.cfg.Rate.TxTime(size)
	}
	f.end = max(now, p.lastEnd).Add(p.txTime)
	p.lastEnd = f.end
	if busy {
		if p.nwait == 0 {
			p.waitAt = p.line.last()
		}
		p.nwait++
		p.queuedBytes += size
		p.stats.MaxQueueBytes = max(p.stats.MaxQueueBytes, p.queuedBytes)
		p.stats.MaxQueuePackets = max(p.stats.MaxQueuePackets, p.nwait)
	} else {
		p.svcEnd = f.end
		p.stats.Packets++
		p.stats.Bytes += size
	}
	// The loss model decides now, for the end of the serialization: its
	// calls come in the order the packets are serialized, and each is
	// told when that ends.
	if p.cfg.Loss != nil && p.cfg.Loss.Drop(f.end, &f.p) {
		f.loss = lost
		if p.nloss == 0 {
			p.lossAt = p.line.last()
			p.lossEnd.ResetAt(f.end)
		}
		p.nloss++
		return
	}
	f.loss = kept
	if !p.arrive.Pending() {
		p.arrive.ResetAt(f.end.Add(p.cfg.Delay))
	}
}

// advance brings the queue up to now: the queued packets whose
// serialization has started (the one before ended at or before now) leave
// it and are counted as sent.
func (p *Pipe) advance() {
	now := p.net.sched.Now()
	for p.nwait > 0 && p.svcEnd <= now {
		f := p.waitAt.get()
		p.nwait--
		p.queuedBytes -= int64(f.p.Size)
		p.stats.Packets++
		p.stats.Bytes += int64(f.p.Size)
		p.svcEnd = f.end
		if p.nwait > 0 {
			p.waitAt.next()
		}
	}
}

// onLossEnd announces the drops of the loss model whose serialization has
// ended, in order: the counter, the tracer and the drop observer hear of
// each when it would have left the wire.
func (p *Pipe) onLossEnd() {
	// Every packet to be discarded below has started: bring the queue
	// past it first, so that waitAt never points at a discarded slot.
	p.advance()
	now := p.net.sched.Now()
	for p.nloss > 0 {
		f := p.lossAt.get()
		if f.loss != lost {
			p.lossAt.next()
			continue
		}
		if f.end > now {
			p.lossEnd.ResetAt(f.end)
			break
		}
		f.loss = lostDone
		p.nloss--
		p.stats.LossDrops++
		p.trace(LossDrop, &f.p)
		if o := p.net.drops; o != nil {
			o.Dropped(&f.p)
		}
		if p.nloss > 0 {
			p.lossAt.next()
		}
	}
	if p.nloss == 0 {
		// Called from onArrive, at the instant its timer is due: nothing
		// is left for the timer to announce.
		p.lossEnd.Stop()
	}
	p.dropLost()
	if p.retiring && p.idle() {
		p.remove()
	}
}

// dropLost discards the announced drops at the front of the line, so
// that its first packet, if any, is one that arrives or one whose drop is
// still to be announced.
func (p *Pipe) dropLost() {
	for p.line.Len() > 0 && p.line.front().loss == lostDone {
		p.line.discard(&p.net.flying)
	}
}

// nextArrival returns when the first packet after the front one that is
// kept arrives, and whether there is one.
func (p *Pipe) nextArrival() (sim.Time, bool) {
	c := p.line.first()
	for range p.line.Len() - 1 {
		c.next()
		if f := c.get(); f.loss == kept {
			return f.end.Add(p.cfg.Delay), true
		}
	}
	return 0, false
}

func (p *Pipe) onArrive() {
	// Drops announced at this same instant come first (a zero delay):
	// the packet to deliver is then the first on the line. Deliver it in
	// place, from the front of the line, and pop it afterwards: a local
	// copy would escape to the heap through the Receiver and Tracer
	// interfaces. Pushing onto the line meanwhile (a packet sent back on
	// a loop) leaves its slot where it is.
	if p.line.front().loss != kept {
		p.onLossEnd()
	} else {
		p.advance() // as onLossEnd does: the packet discarded below has started
	}
	f := p.line.front()
	if at, ok := p.nextArrival(); ok {
		p.arrive.ResetAt(at)
	}
	p.stats.Delivered++
	p.trace(Delivered, &f.p)
	p.to.arrive(&f.p)
	p.line.discard(&p.net.flying)
	p.dropLost()
	if p.retiring && p.idle() {
		p.remove()
	}
}
