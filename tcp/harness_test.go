package tcp

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// path is a client and a server joined by one duplex link, the test bed
// of most tcp tests.
type path struct {
	s        *sim.Scheduler
	net      *link.Network
	client   *link.Node
	server   *link.Node
	up, down *link.Pipe // client->server, server->client
	stack    *Stack
	cep, sep *Endpoint
}

type pathConfig struct {
	rate  link.Bandwidth
	rtt   time.Duration
	queue int64 // bytes, 0 = unlimited
	seed  uint64
}

func newPath(pc pathConfig) *path {
	s := sim.New(pc.seed)
	n := link.New(s)
	c := n.AddNode("client")
	sv := n.AddNode("server")
	cfg := link.Config{Rate: pc.rate, Delay: pc.rtt / 2, QueueBytes: pc.queue}
	up, down := n.Connect(c, sv, cfg, cfg)
	st := NewStack(n)
	return &path{s: s, net: n, client: c, server: sv, up: up, down: down, stack: st,
		cep: st.Endpoint(c), sep: st.Endpoint(sv)}
}

// recorder is a Handler that logs what it hears.
type recorder struct {
	s            *sim.Scheduler
	connectedAt  sim.Time
	delivered    []any
	deliveredAt  []sim.Time
	closed       []CloseReason
	closedAt     sim.Time
	onConnected  func(c *Conn)
	onDelivered  func(c *Conn, tag any)
	onClosed     func(c *Conn, r CloseReason)
	onSendSpace  func(c *Conn)
	connectCalls int
}

func newRecorder(s *sim.Scheduler) *recorder { return &recorder{s: s, connectedAt: -1, closedAt: -1} }

func (r *recorder) Connected(c *Conn) {
	r.connectCalls++
	r.connectedAt = r.s.Now()
	if r.onConnected != nil {
		r.onConnected(c)
	}
}

func (r *recorder) Delivered(c *Conn, tag any) {
	r.delivered = append(r.delivered, tag)
	r.deliveredAt = append(r.deliveredAt, r.s.Now())
	if r.onDelivered != nil {
		r.onDelivered(c, tag)
	}
}

func (r *recorder) Closed(c *Conn, reason CloseReason) {
	r.closed = append(r.closed, reason)
	r.closedAt = r.s.Now()
	if r.onClosed != nil {
		r.onClosed(c, reason)
	}
}

// transfer dials from client to server and has the server send size bytes
// as one message once the connection is up; it returns the client recorder
// (which hears the message) and the server's conn.
func (p *path) transfer(cfg Config, size Bytes) (*recorder, *recorder, **Conn) {
	srv := newRecorder(p.s)
	var sconn *Conn
	srv.onConnected = func(c *Conn) { c.Send(size, "body") }
	p.sep.Listen(80, cfg, func(c *Conn) Handler { sconn = c; return srv })
	cli := newRecorder(p.s)
	p.cep.Dial(p.server.ID, 80, cfg, cli)
	return cli, srv, &sconn
}

// TestSmokeTransfer moves 1 MB over a 10 Mbit/s, 50 ms path and checks
// that exactly the bytes sent arrive, once.
func TestSmokeTransfer(t *testing.T) {
	p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 50 * time.Millisecond, queue: 62500})
	cli, _, sconn := p.transfer(DefaultConfig(), 1_000_000)
	p.s.RunUntil(sim.Time(60 * time.Second))
	if len(cli.delivered) != 1 {
		t.Fatalf("delivered %d messages, want 1", len(cli.delivered))
	}
	cc := p.cep.Conns()[0]
	if got := cc.Stats().BytesDelivered; got != 1_000_000 {
		t.Fatalf("bytes delivered = %d, want 1000000", got)
	}
	st := (*sconn).Stats()
	t.Logf("done at %v, server stats %+v", cli.deliveredAt[0], st)
}

// pktEvent is one packet event seen by a pktLog.
type pktEvent struct {
	at   sim.Time
	ev   link.TraceEvent
	pipe *link.Pipe
	p    link.Packet
}

// pktLog is a link.Tracer that keeps every packet event.
type pktLog struct{ events []pktEvent }

func (l *pktLog) PacketEvent(now sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	l.events = append(l.events, pktEvent{at: now, ev: ev, pipe: pipe, p: *p})
}

// sent returns the Sent events on pipe that satisfy keep, in order.
func (l *pktLog) sent(pipe *link.Pipe, keep func(p *link.Packet) bool) []pktEvent {
	var out []pktEvent
	for _, e := range l.events {
		if e.ev == link.Sent && e.pipe == pipe && keep(&e.p) {
			out = append(out, e)
		}
	}
	return out
}

// tx is the serialization time of a packet of size bytes at rate r.
func tx(r link.Bandwidth, size int64) time.Duration { return r.TxTime(size) }

// at converts a span since the start of the run to a sim.Time.
func at(d time.Duration) sim.Time { return sim.Time(d) }

// reqTag is a request that asks the server for resp bytes.
type reqTag struct {
	n    int
	resp Bytes
}

// respTag is the response to request n.
type respTag struct{ n int }

// rr is a persistent connection on which the client sends small requests
// and the server answers each with the number of bytes the request asks
// for, as soon as the request has arrived.
type rr struct {
	p        *path
	cli, srv *Conn
	crec     *recorder
	srec     *recorder
	n        int
}

// newRR dials from client to server with the configurations given and
// runs until both ends are established.
func newRR(t *testing.T, p *path, ccfg, scfg Config) *rr {
	t.Helper()
	x := &rr{p: p, crec: newRecorder(p.s), srec: newRecorder(p.s)}
	x.srec.onDelivered = func(c *Conn, tag any) {
		if r, ok := tag.(reqTag); ok && r.resp > 0 {
			c.Send(r.resp, respTag{r.n})
		}
	}
	p.sep.Listen(80, scfg, func(c *Conn) Handler { x.srv = c; return x.srec })
	x.cli = p.cep.Dial(p.server.ID, 80, ccfg, x.crec)
	for (x.crec.connectedAt < 0 || x.srec.connectedAt < 0) && p.s.Step() {
	}
	if x.srv == nil || x.srv.State() != Established || x.cli.State() != Established {
		t.Fatalf("handshake did not complete")
	}
	return x
}

// exchange sends a request of reqBytes asking for resp bytes, runs until
// the response is delivered, and returns the time from the request's Send
// to the response's delivery.
func (x *rr) exchange(t *testing.T, reqBytes, resp Bytes) time.Duration {
	t.Helper()
	start := x.p.s.Now()
	x.n++
	x.cli.Send(reqBytes, reqTag{n: x.n, resp: resp})
	have := len(x.crec.delivered)
	for len(x.crec.delivered) == have && x.p.s.Step() {
	}
	if len(x.crec.delivered) == have {
		t.Fatalf("response %d never delivered", x.n)
	}
	if got := x.crec.delivered[have]; got != (respTag{x.n}) {
		t.Fatalf("delivered %v, want %v", got, respTag{x.n})
	}
	return x.crec.deliveredAt[have].Sub(start)
}

// ssRounds is the slow-start round count: the number of round trips needed
// to deliver d segments when the window starts at w segments and doubles
// every round (w, 2w, 4w, ...): the smallest k with w*(2^k - 1) >= d, that
// is ceil(log2(d/w + 1)). Integer arithmetic, no floating point.
func ssRounds(d, w int) int {
	k, sent := 0, 0
	for sent < d {
		sent += w << k
		k++
	}
	return k
}
