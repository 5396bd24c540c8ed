package tcp

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// msgSender sends its messages (tags 0, 1, ...) once connected and
// records when each of the peer's messages is delivered.
type msgSender struct {
	s     *sim.Scheduler
	sizes []Bytes
	got   []int
	gotAt []sim.Time
}

func (m *msgSender) Connected(c *Conn) {
	for i, n := range m.sizes {
		c.Send(n, i)
	}
}

func (m *msgSender) Delivered(_ *Conn, tag any) {
	m.got = append(m.got, tag.(int))
	m.gotAt = append(m.gotAt, m.s.Now())
}

func (m *msgSender) Closed(*Conn, CloseReason) {}

// ends returns where each message of sizes ends (the sequence number
// after its last byte), data starting at 1.
func ends(sizes []Bytes) []int64 {
	out := make([]int64, len(sizes))
	end := int64(1)
	for i, n := range sizes {
		end += n
		out[i] = end
	}
	return out
}

// onPath is a packet observer on the path: it sees the packets of one
// direction as a capture would, and rebuilds from what they carry where
// every message ends and when the receiver has it, by reassembling the
// data the way any reader of the byte stream must.
type onPath struct {
	t     *testing.T
	stack *Stack
	pipe  *link.Pipe

	lastEnd map[uint32]int64 // message -> its end, from LastEnd
	table   map[uint32]int64 // message -> its end, read by number (Stack.MessageEnds) as packets leave
	packets []link.Packet    // data packets that arrived, in order

	// Reassembly of what arrived: the in-order bytes, out-of-order spans
	// with their message counts, and the messages complete in order.
	nxt        int64
	held       []heldSpan
	msgs       int64
	completeAt []sim.Time // by message number - 1

	multi, resent int // segments seen with several ends; resent segments with ends
}

func newOnPath(t *testing.T, stack *Stack, pipe *link.Pipe) *onPath {
	return &onPath{t: t, stack: stack, pipe: pipe, lastEnd: map[uint32]int64{}, table: map[uint32]int64{}, nxt: 1}
}

func (o *onPath) PacketEvent(now sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	if pipe != o.pipe || p.Len == 0 {
		return
	}
	switch ev {
	case link.Sent:
		ends, ok := o.stack.MessageEnds(p, nil)
		if !ok {
			o.t.Errorf("packet %d [%d,%d): MessageEnds not readable as it leaves", p.ID, p.Seq, p.Seq+int64(p.Len))
		}
		if len(ends) != int(p.MsgEnds) {
			o.t.Errorf("packet %d: MessageEnds gave %d ends, MsgEnds says %d", p.ID, len(ends), p.MsgEnds)
		}
		for i, e := range ends {
			k := p.FirstMsg() + uint32(i)
			if prev, seen := o.table[k]; seen && prev != e {
				o.t.Errorf("message %d: ends at %d, earlier at %d", k, e, prev)
			}
			o.table[k] = e
		}
		if p.MsgEnds > 1 {
			o.multi++
		}
		if p.Retransmit && p.MsgEnds > 0 {
			o.resent++
		}
	case link.Delivered:
		o.packets = append(o.packets, *p)
		if p.MsgEnds > 0 {
			o.lastEnd[p.MsgCount] = p.Seq + int64(p.LastEnd)
		}
		o.arrive(now, p)
	}
}

// heldSpan is a segment's bytes [start, end) and the message count it
// carried.
type heldSpan struct{ start, end, msgs int64 }

// arrive reassembles: the bytes in order carry the highest message count
// any of their segments gave.
func (o *onPath) arrive(now sim.Time, p *link.Packet) {
	o.held = append(o.held, heldSpan{p.Seq, p.Seq + int64(p.Len), int64(p.MsgCount)})
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(o.held); i++ {
			if h := o.held[i]; h.start <= o.nxt {
				o.nxt = max(o.nxt, h.end)
				o.msgs = max(o.msgs, h.msgs)
				o.held = append(o.held[:i], o.held[i+1:]...)
				merged = true
				i--
			}
		}
	}
	for int64(len(o.completeAt)) < o.msgs {
		o.completeAt = append(o.completeAt, now)
	}
}

// check compares what the observer rebuilt with the messages sent
// (sizes) and with what the receiver heard (rec).
func (o *onPath) check(who string, sizes []Bytes, rec *msgSender) {
	t := o.t
	t.Helper()
	want := ends(sizes)
	// Every packet, retransmissions included, carries exactly the ends
	// its bytes hold.
	for _, p := range o.packets {
		lo, hi := p.Seq, p.Seq+int64(p.Len)
		count, in := 0, 0
		var last int64
		for _, e := range want {
			if e <= hi {
				count++
				if e > lo {
					in++
					last = e
				}
			}
		}
		got := fmt.Sprintf("count %d ends %d", p.MsgCount, p.MsgEnds)
		if w := fmt.Sprintf("count %d ends %d", count, in); got != w {
			t.Errorf("%s: packet %d [%d,%d) retransmit=%v carries %s, want %s", who, p.ID, lo, hi, p.Retransmit, got, w)
		}
		if in > 0 && p.Seq+int64(p.LastEnd) != last {
			t.Errorf("%s: packet %d: last end at %d, want %d", who, p.ID, p.Seq+int64(p.LastEnd), last)
		}
	}
	// Where every message ends: the last end of a segment from the
	// packet alone, the others by number from the sender's table.
	fromPackets := 0
	for i, e := range want {
		k := uint32(i + 1)
		if got, ok := o.lastEnd[k]; ok {
			fromPackets++
			if got != e {
				t.Errorf("%s: message %d ends at %d by LastEnd, want %d", who, k, got, e)
			}
		}
		if got, ok := o.table[k]; !ok || got != e {
			t.Errorf("%s: message %d ends at %d (seen %v) by MessageEnds, want %d", who, k, got, ok, e)
		}
	}
	if fromPackets == 0 {
		t.Errorf("%s: no message end read from LastEnd", who)
	}
	// The observer knows when each message is complete at the receiver,
	// and the receiver hears of it then, in order.
	if len(o.completeAt) != len(sizes) || len(rec.got) != len(sizes) {
		t.Fatalf("%s: observer has %d messages complete, receiver %d, want %d", who, len(o.completeAt), len(rec.got), len(sizes))
	}
	for i := range sizes {
		if rec.got[i] != i || rec.gotAt[i] != o.completeAt[i] {
			t.Errorf("%s: message %d delivered as %d at %v, observer saw it complete at %v", who, i, rec.got[i], rec.gotAt[i], o.completeAt[i])
		}
	}
	t.Logf("%s: %d messages, %d data packets arrived, %d from LastEnd alone, %d segments with several ends, %d resent with ends",
		who, len(sizes), len(o.packets), fromPackets, o.multi, o.resent)
}

// TestObserverReconstructsMessageEnds runs a connection with messages of
// assorted sizes both ways (many small ones, so several end in one
// segment) over a path that loses packets both ways, under each loss
// recovery. An observer of each direction, a link tracer that sees only
// the packets, checks that every data packet that arrives, original or
// retransmission, carries exactly the message ends its bytes hold, finds
// where every message ends (from LastEnd for the last end in a segment,
// by number from Stack.MessageEnds for the others), and, reassembling the
// stream itself, knows the instant each message is complete at the
// receiver: the receiver delivers each then, in order.
func TestObserverReconstructsMessageEnds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		recovery RecoveryMode
		seed     uint64
	}{
		{"sack", RecoverySACK, 1},
		{"newreno", RecoveryNewReno, 2},
		{"sack-seed3", RecoverySACK, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(tc.seed, 11))
			sizes := func(n int) []Bytes {
				out := make([]Bytes, n)
				for i := range out {
					if rng.IntN(2) == 0 {
						out[i] = 1 + rng.Int64N(200)
					} else {
						out[i] = 1 + rng.Int64N(6000)
					}
				}
				return out
			}
			cliSizes, srvSizes := sizes(150), sizes(400)
			p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 40 * time.Millisecond, queue: 30_000, seed: tc.seed})
			p.up.SetLoss(&link.Bernoulli{P: 0.03, Rand: p.s.Stream("loss:up")})
			p.down.SetLoss(&link.Bernoulli{P: 0.05, Rand: p.s.Stream("loss:down")})
			up, down := newOnPath(t, p.stack, p.up), newOnPath(t, p.stack, p.down)
			p.net.SetTracer(tracers{up, down})
			cfg := DefaultConfig()
			cfg.Recovery = tc.recovery
			cli := &msgSender{s: p.s, sizes: cliSizes}
			srv := &msgSender{s: p.s, sizes: srvSizes}
			p.sep.Listen(80, cfg, func(*Conn) Handler { return srv })
			c := p.cep.Dial(p.server.ID, 80, cfg, cli)
			p.s.RunUntil(at(10 * time.Minute))
			if c.Stats().Retransmits == 0 {
				t.Fatalf("no retransmission: the scenario does not test them")
			}
			down.check("server->client", srvSizes, cli)
			up.check("client->server", cliSizes, srv)
			if down.multi == 0 || down.resent == 0 {
				t.Errorf("server->client: %d segments with several ends, %d resent with ends; want some of each", down.multi, down.resent)
			}
		})
	}
}

// tracers hands every packet event to each of its tracers.
type tracers []link.Tracer

func (ts tracers) PacketEvent(now sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	for _, t := range ts {
		t.PacketEvent(now, ev, pipe, p)
	}
}

// stripper stands in front of an endpoint (as its node's receiver) and
// removes the message ends from the packets it passes on, as a
// middlebox that rewrote them would.
type stripper struct{ ep *Endpoint }

func (s stripper) Receive(p *link.Packet) {
	p.MsgCount, p.MsgEnds, p.LastEnd = 0, 0, 0
	s.ep.Receive(p)
}

// TestReceiverReadsEndsFromPackets checks that the receiver learns where
// messages end from the packets and from nothing else: with the message
// ends taken out of the packets on their way, every byte arrives but no
// message is delivered, where the unmodified run delivers them all.
func TestReceiverReadsEndsFromPackets(t *testing.T) {
	sizes := []Bytes{1, 500, 1448, 3000, 20, 20, 20, 100_000, 7}
	var total Bytes
	for _, n := range sizes {
		total += n
	}
	for _, strip := range []bool{false, true} {
		t.Run(fmt.Sprintf("strip=%v", strip), func(t *testing.T) {
			p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 20 * time.Millisecond})
			if strip {
				p.client.SetReceiver(stripper{p.cep})
			}
			cli := &msgSender{s: p.s}
			srv := &msgSender{s: p.s, sizes: sizes}
			p.sep.Listen(80, DefaultConfig(), func(*Conn) Handler { return srv })
			c := p.cep.Dial(p.server.ID, 80, DefaultConfig(), cli)
			p.s.RunUntil(at(time.Minute))
			if got := c.Stats().BytesDelivered; got != total {
				t.Fatalf("BytesDelivered = %d, want %d", got, total)
			}
			want := len(sizes)
			if strip {
				want = 0
			}
			if len(cli.got) != want {
				t.Errorf("%d messages delivered, want %d", len(cli.got), want)
			}
		})
	}
}

// TestResendCarriesEndsOfItsBytes checks the sender's side alone: a
// resend that starts part-way into an old segment (after a partial ACK)
// carries the ends of the bytes it covers, not those of the original.
func TestResendCarriesEndsOfItsBytes(t *testing.T) {
	c := &Conn{}
	for _, end := range []int64{101, 201, 1001, 1002, 5000} {
		c.marks.Push(mark{end: end})
	}
	c.marksBase = 7
	for _, tc := range []struct {
		seq          int64
		n            Bytes
		count, nends int
		last         int64
	}{
		{1, 100, 8, 1, 101},
		{1, 99, 7, 0, 0},
		{101, 100, 9, 1, 201},
		{100, 1448, 11, 4, 1002},
		{1002, 1448, 11, 0, 0},
		{3552, 1448, 12, 1, 5000},
		{5000, 10, 12, 0, 0},
	} {
		var pk link.Packet
		c.setMsgEnds(&pk, tc.seq, tc.n)
		got := fmt.Sprintf("count %d ends %d", pk.MsgCount, pk.MsgEnds)
		if w := fmt.Sprintf("count %d ends %d", tc.count, tc.nends); got != w {
			t.Errorf("[%d,%d): %s, want %s", tc.seq, tc.seq+tc.n, got, w)
		}
		if tc.nends > 0 && tc.seq+int64(pk.LastEnd) != tc.last {
			t.Errorf("[%d,%d): last end %d, want %d", tc.seq, tc.seq+tc.n, tc.seq+int64(pk.LastEnd), tc.last)
		}
	}
}

// TestConnSize guards the allocation a connection costs: Go rounds a
// Conn plus its 8-byte allocation header up to a size class, and 1280
// bytes is the class it has been in; a Conn of 1273 bytes or more costs
// 1408. Growing past it is a choice to make knowingly (the scale runs
// hold tens of thousands of connections), not by accident.
func TestConnSize(t *testing.T) {
	if got := unsafe.Sizeof(Conn{}); got > 1280-8 {
		t.Errorf("Conn is %d bytes: with the allocation header, past the 1280-byte size class", got)
	}
}
