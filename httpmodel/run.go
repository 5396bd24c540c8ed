package httpmodel

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// Metrics are what one run measures; the metric columns of the output
// files (docs/experiment-format.md) are drawn from them.
type Metrics struct {
	PLT           time.Duration // first visit's page load time
	RevisitPLT    time.Duration // last visit's page load time; -1 with one visit
	Connections   int           // client connections opened (dialed), whether or not the handshake completed
	Handshakes    time.Duration // TCP and TLS handshake time, summed over client connections
	Packets       int64         // packets sent by both sides (SYN, FIN, pure ACKs included)
	Bytes         int64         // bytes on the wire, headers included
	Retransmits   int64         // segments sent again
	Timeouts      int64         // retransmission timeouts, both ends (Linux TCPTimeouts)
	LossProbes    int64         // tail loss probes sent (Linux TCPLossProbes)
	Undos         int64         // window reductions undone as spurious (Eifel, F-RTO, D-SACK)
	Drops         int64         // packets dropped by a queue or by random loss
	ServerConnS   float64       // integral of open server connections over the run, seconds
	Events        uint64        // simulator events executed
	Refused       int           // connection attempts that failed before the connection was ready: refused (max_connections), timed out, closed in the TLS handshake
	Abandoned     int           // populations: connection attempts (SYN unanswered) a client gave up when its last page load ended; not counted in Refused
	Replayed      int           // requests sent again after their connection closed
	Failed        int           // requests that could not be completed
	VisitPLTs     []time.Duration
	EndOfRun      sim.Time // when the run stopped (all connections closed, or the time limit)
	LastLoadEnd   sim.Time // when the last page load ended (of any client, idle ones having none); 0 if none ended
	MaxQueueBytes int64    // highest queue occupancy seen in either direction, bytes (link.PipeStats.MaxQueueBytes)
	// ClientDataPackets (single-client world) counts the segments with
	// payload the client sent: its requests (and TLS handshake records,
	// HTTP/2 frames), retransmissions included; 0 with populations.
	// Pipelined requests written together share segments (issue 14,
	// mss-packing).
	ClientDataPackets int64

	// With populations (Config.Clients); in the single-client world
	// ClientPLTs holds the one PLT and the server fields are measured
	// the same way.
	ClientPLTs      []time.Duration // each client's first-visit PLT (-1 if it did not finish), population order then client index; idle clients excluded
	RequestsServed  int             // responses the server wrote in full
	ServerOpenMax   int             // most connections the server application held at once
	ServerOpenMean  float64         // time-weighted mean of the same, from 0 until the last page load ended
	BusyWorkersMax  int             // most workers held at once (Server.Workers > 0)
	ServerMemoryMax int64           // ServerOpenMax * Server.MemoryPerConn: peak memory of open connections
	BacklogMax      int             // most connections waiting in the listen backlog at once
	SYNDrops        int             // connection requests the server dropped unanswered, its backlog full (the client retransmits)

	// Proxies holds each proxy's measurements, in Topology order; the
	// totals below sum them (ProxyUpstream is the mean over every
	// answered upstream request). Connections, Handshakes, Failed and
	// the PLTs are the clients'; Replayed and PipeliningFallbacks count
	// every hop's.
	Proxies          []ProxyMetrics
	ProxyConnections int           // upstream connections opened by proxies
	ProxyForwarded   int           // requests proxies sent upstream
	ProxyFailed      int           // upstream requests that failed (502 downstream)
	ProxyUpstream    time.Duration // mean time a proxied request spent on the upstream hop
	// Hops splits the requests' time by hop (with proxies only; nil
	// without): see HopMetrics.
	Hops []HopMetrics

	// PipeliningFallbacks counts the hosts a pipelining client stopped
	// pipelining to, each client's, after it found a pipeline broken
	// (Server.Pipelining; breakers.go).
	PipeliningFallbacks int
	// Servers holds each server's own measurements, in Topology order
	// (populations only; the default topology has one). The server
	// fields above are their aggregates: see the package documentation,
	// # Topology.
	Servers []ServerMetrics
}

// Timing is one request's timeline, like a HAR entry's timings. Times are
// relative to the start of the request's visit.
type Timing struct {
	Index      int    // in issue order across the run
	Visit      int    // 0-based
	Host       string // hostname requested
	Connection int    // client connection number (1-based, dial order); 0 if never sent
	Method     string
	Bytes      int64 // response bytes on the wire above TCP
	Failed     bool

	Start, End                time.Duration // End = -1 if never finished
	Queued, DNS, Connect, TLS time.Duration
	Send, Wait, Receive       time.Duration
	SentAt, FirstByte         time.Duration // last send of the request; first response byte
	Attempts                  int           // connections the request was sent on (replays included)

	Client     int      // global client index (population order, then index in the population); 0 in the single-client world
	VisitStart sim.Time // when the request's visit started, in run time (a population's client arrives at its own time)
	Refusals   int      // connection attempts of its host refused while this request waited for a connection
	Replayed   bool     // sent again after a connection closed under it
}

// ConnTrace is the record of one client connection, kept with Config.Trace.
type ConnTrace struct {
	Connection     int
	Host           string
	Opened, Closed sim.Time // Closed = -1 if still open at the end
	Cwnd           []tcp.CwndSample
	Segments       []Segment
	ResponseEnds   []sim.Time
}

// Segment is one packet of a traced connection.
type Segment struct {
	At         sim.Time
	Seq, Ack   int64
	Len        int32
	Flags      link.Flags
	FromClient bool
	Retransmit bool
	Dropped    bool
	// Arrived is when the packet reached the far end of the path (its
	// last pipe), -1 if it never did: dropped, or still in flight when
	// the run ended. Arrived-At is the one-way delay: propagation,
	// queueing and serialization.
	Arrived sim.Time
}

// Result is what one run yields.
type Result struct {
	Metrics  Metrics
	Requests []Timing
	Conns    []ConnTrace // with Config.Trace (single-client world)

	// ServerSeries is the server's state at every change, with
	// Config.ServerSeries or Config.Trace.
	ServerSeries []ServerSample
	Err          error // the configuration is invalid, or the run hit a limit (the other fields hold what was measured)
}

// world is one run: scheduler, network, stack, client and server.
type world struct {
	cfg        Config
	s          *sim.Scheduler
	net        *link.Network
	down, up   *link.Pipe
	clientNode *link.Node
	serverNode *link.Node
	stack      *tcp.Stack
	cep, sep   *tcp.Endpoint
	cl         *client
	sv         *server

	refused, serverRefused, replayed, failed int
	abandoned                                int // populations: dials given up by a client that was done
	synDrops                                 int // SYNs dropped with the backlog full
	dials                                    int // client connections opened, every client
	fallbacks                                int // hosts that clients stopped pipelining to (breakers.go)
	readTimeouts                             int // client connections given up by their read timeout (readtimeout.go)

	traces []*connTrace
	tracer *tracer

	// lastEnd is when the last page load ended, openArea the server's
	// open-connection integral then (ServerOpenMean).
	lastEnd  sim.Time
	openArea int64

	// observe, when set (tests), is called after every change of the
	// server's open, busy or backlog counts.
	observe func(*server)
	// onArrive, when set (tests), hears of each client's arrival.
	onArrive func(client int, at sim.Time)

	// Populations (Config.Clients); see populations.go.
	pop        bool
	router     *link.Node
	popCfgs    []Config
	popBase    []int           // global index of each population's first client
	clients    []*client       // by global index; nil before arrival and once finished (idle ones at once)
	plts       []time.Duration // first-visit PLT by global index; -1 unfinished
	timings    []Timing        // of the finished clients
	unfinished int             // clients (idle ones excepted) not yet finished, arrived or not
	handshakes time.Duration

	// Topology (Config.Topology); see topology.go. sites[0] is sv.
	sites []*site
	route *route // nil: every hostname to serverNode
	fleet *fleet // with more than one site

	// Proxies (Topology.Proxies); see proxy.go.
	proxies []*proxy
	hops    map[hopKey]*hopAcc // with proxies only: each hop's connections, requests and time (proxy.go)
	fronts  map[string]*proxy  // hostname -> the reverse proxy DNS answers it with
	forward []*proxy           // by population: its forward proxy, or nil
}

type connTrace struct {
	c            *clientConn
	closedAt     sim.Time
	segments     []Segment
	ids          []uint64 // link.Packet.ID of each segment, to match its delivery
	next         [2]int   // per direction (from the client: 1), the first segment not yet delivered or dropped
	responseEnds []sim.Time
}

func (w *world) newConnTrace(c *clientConn) *connTrace {
	t := &connTrace{c: c, closedAt: -1}
	w.traces = append(w.traces, t)
	return t
}

// tracer records the packets of every client connection (tracing runs
// only; the per-packet path of other runs never sees it). A packet is
// matched to its connection by the client's connection index, which every
// packet carries as simulation metadata (SrcConn from the client, DstConn
// to it) and which is known from the SYN on: the client endpoint holds only
// client connections, in dial order, as w.cl.conns does.
type tracer struct {
	w *world
}

func (t *tracer) PacketEvent(now sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	fromClient := p.Src == t.w.clientNode.ID
	i := p.DstConn
	if fromClient {
		i = p.SrcConn
	}
	conns := t.w.cl.conns
	if i < 0 || int(i) >= len(conns) || conns[i].trace == nil {
		return
	}
	ct := conns[i].trace
	switch ev {
	case link.Sent:
		ct.segments = append(ct.segments, Segment{At: now, Seq: p.Seq, Ack: p.Ack, Len: p.Len,
			Flags: p.Flags, FromClient: fromClient, Retransmit: p.Retransmit, Arrived: -1})
		ct.ids = append(ct.ids, p.ID)
	case link.Delivered:
		if pipe.To().ID != p.Dst {
			return // a hop short of the endpoint
		}
		// Packets of one direction arrive about in send order: look
		// from the first one still in flight, then move that mark past
		// the segments settled since.
		d := 0
		if fromClient {
			d = 1
		}
		for k := ct.next[d]; k < len(ct.segments) && k < ct.next[d]+4096; k++ {
			if ct.ids[k] == p.ID {
				ct.segments[k].Arrived = now
				break
			}
		}
		for k := ct.next[d]; k < len(ct.segments); k++ {
			if s := &ct.segments[k]; s.FromClient == fromClient && s.Arrived < 0 && !s.Dropped {
				break
			}
			ct.next[d] = k + 1
		}
	case link.QueueDrop, link.LossDrop:
		// Find the segment again (recent ones first).
		for k := len(ct.segments) - 1; k >= 0 && k >= len(ct.segments)-4096; k-- {
			s := &ct.segments[k]
			if s.At == p.SentAt && s.Seq == p.Seq && s.FromClient == fromClient && s.Len == p.Len && s.Flags == p.Flags {
				s.Dropped = true
				break
			}
		}
	}
}

// ErrInterrupted is Result.Err of a run that Config.Stop ended early: its
// measurements are incomplete and are not a result.
var ErrInterrupted = errors.New("interrupted")

// Run simulates cfg's page loads with seed and returns the metrics, the
// per-request timings and, with cfg.Trace, per-connection traces. A run
// that exceeds MaxSimTime before its page loads finish, or MaxEvents,
// returns what it measured with Result.Err set. A configuration that
// [Config.Validate] rejects runs nothing: Result.Err holds the error,
// and the page load times are -1.
func Run(cfg Config, seed uint64) *Result {
	if err := cfg.Validate(); err != nil {
		return &Result{Metrics: Metrics{PLT: -1, RevisitPLT: -1}, Err: err}
	}
	w := build(cfg, seed)
	if w.pop {
		w.scheduleArrivals()
	} else {
		w.cl.startVisit()
	}
	err := w.explainStall(w.run())
	res := w.result()
	res.Err = err
	res.Metrics.PipeliningFallbacks = w.fallbacks
	// The run is over and its result holds none of the world: hand the
	// scheduler's queue and the network's blocks to the next run.
	w.net.Release()
	w.s.Release()
	return res
}

func build(cfg Config, seed uint64) *world {
	cfg = cfg.withDefaults()
	if cfg.Trace {
		cfg.TCP.TraceCwnd = true
	}
	s := sim.New(seed)
	s.SetInterrupt(cfg.Stop)
	n := link.New(s)
	w := &world{cfg: cfg, s: s, net: n}
	if len(cfg.Clients) > 0 {
		w.buildPopulations()
		w.installTap()
		return w
	}
	w.clientNode = n.AddNode("client")
	w.serverNode = n.AddNode("server")
	up, down := bottleneck(cfg, s)
	w.up, w.down = n.Connect(w.clientNode, w.serverNode, up, down)
	w.stack = tcp.NewStack(n)
	w.cep = w.stack.Endpoint(w.clientNode)
	w.sep = w.stack.Endpoint(w.serverNode)
	w.sv = newServer(w)
	w.sep.Listen(serverPort, cfg.TCP, w.sv.accept)
	w.cl = newClient(w, &w.cfg, w.cep)
	w.cl.traced = cfg.Trace
	if cfg.Trace {
		w.tracer = &tracer{w: w}
		n.SetTracer(w.tracer)
	}
	w.installTap()
	return w
}

// installTap adds Config.Tap's tracer to the network, beside Trace's.
func (w *world) installTap() {
	if w.cfg.Tap == nil {
		return
	}
	t := w.cfg.Tap(TapWorld{Network: w.net, Server: w.serverNode, Router: w.router,
		Up: w.up, Down: w.down, TCP: w.cfg.TCP, Stack: w.stack, Message: w.tapMessage})
	if t == nil {
		return
	}
	if w.tracer != nil {
		t = tracers{w.tracer, t}
	}
	w.net.SetTracer(t)
}

// tracers hands each packet event to two tracers, in order.
type tracers [2]link.Tracer

func (t tracers) PacketEvent(now sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	t[0].PacketEvent(now, ev, pipe, p)
	t[1].PacketEvent(now, ev, pipe, p)
}

// tapMessage describes message k of the connection that sent p from its
// tag (TapWorld.Message).
func (w *world) tapMessage(p *link.Packet, k uint32) (int64, Message, bool) {
	end, tag, ok := w.stack.Message(p, k)
	if !ok {
		return 0, Message{}, false
	}
	m := Message{Request: -1, HTTP10: w.cfg.http10(), TLS: w.cfg.TLS != NoTLS}
	t, _ := tag.(*msg)
	if t == nil {
		return end, m, true
	}
	switch t.kind {
	case mRequest:
		m.Kind = MsgRequest
	case mRespHeader:
		m.Kind = MsgResponseHeader
	case mRespBody:
		m.Kind = MsgResponseBody
	}
	if t.upgrade {
		m.Kind = MsgOther
	}
	if r := t.req; r != nil {
		m.Request, m.VisitIndex, m.Host, m.Method, m.BodyBytes = r.index, r.visitIndex, r.host.name, r.method, r.size
	}
	m.Close, m.KeepAlive = t.close, t.keepAlive
	return end, m, true
}

// addTCP sets the metrics that TCP counts from the stack's totals (every
// endpoint's connections, forgotten and retired ones included).
func (m *Metrics) addTCP(st tcp.Stats) {
	m.Packets = st.PacketsSent
	m.Bytes = st.WireBytesSent
	m.Retransmits = st.Retransmits
	m.Timeouts = st.Timeouts
	m.LossProbes = st.LossProbes
	m.Undos = st.Undos
}

// bottleneck returns the configurations of the path's two directions
// (Config.Network): the rate, half the RTT each way, the drop-tail
// queue, and random loss from the streams "link:up:loss" and
// "link:down:loss" (or the tests' loss models).
func bottleneck(cfg Config, s *sim.Scheduler) (up, down link.Config) {
	nc := cfg.Network
	down = link.Config{Rate: nc.Bandwidth, Delay: nc.RTT / 2, QueueBytes: nc.QueueBytes, QueuePackets: nc.QueuePackets}
	up = down
	up.Rate = nc.Uplink
	if nc.Loss > 0 {
		down.Loss = &link.Bernoulli{P: nc.Loss, Rand: s.Stream("link:down:loss")}
		up.Loss = &link.Bernoulli{P: nc.Loss, Rand: s.Stream("link:up:loss")}
	}
	if cfg.lossDown != nil {
		down.Loss = cfg.lossDown
	}
	if cfg.lossUp != nil {
		up.Loss = cfg.lossUp
	}
	return up, down
}

// run steps the scheduler until nothing is left to do. The page loads
// must finish within MaxSimTime; after they have, the run goes on (so that
// servers close idle connections and server_conn_s is complete) until the
// queue is empty or MaxSimTime is reached, which is then not an error.
func (w *world) run() error {
	s := w.s
	maxT := sim.Time(w.cfg.MaxSimTime)
	if w.pop {
		return w.runPopulations()
	}
	for s.Step() {
		if s.Events() >= w.cfg.MaxEvents {
			return fmt.Errorf("exceeded max_events (%d) at %v of simulated time, %d of %d requests unfinished; raise the limit to let such a run finish",
				w.cfg.MaxEvents, s.Now(), w.cl.pending, len(w.cl.requests))
		}
		if s.Now() > maxT {
			if w.cl.finished {
				return nil
			}
			return fmt.Errorf("page load not finished by max_sim_time (%v), %d of %d requests unfinished", w.cfg.MaxSimTime, w.cl.pending, len(w.cl.requests))
		}
	}
	if s.Interrupted() {
		return ErrInterrupted
	}
	if !w.cl.finished {
		return fmt.Errorf("simulation ran out of events at %v with %d requests unfinished (model bug)", s.Now(), w.cl.pending)
	}
	return nil
}

func (w *world) result() *Result {
	if w.pop {
		return w.populationResult()
	}
	cfg := w.cfg
	end := min(w.s.Now(), sim.Time(cfg.MaxSimTime))
	m := Metrics{RevisitPLT: -1, Events: w.s.Events(), EndOfRun: end, LastLoadEnd: w.lastEnd,
		Refused: w.refused, Replayed: w.replayed, Failed: w.failed}
	starts := w.cl.visitStarts()
	for i, e := range w.cl.visitEnds {
		m.VisitPLTs = append(m.VisitPLTs, e.Sub(starts[i]))
	}
	if len(m.VisitPLTs) > 0 {
		m.PLT = m.VisitPLTs[0]
	} else {
		m.PLT = -1
	}
	if cfg.Visits > 1 && len(m.VisitPLTs) == cfg.Visits {
		m.RevisitPLT = m.VisitPLTs[len(m.VisitPLTs)-1]
	}
	m.addTCP(w.stack.Totals())
	m.ClientDataPackets = w.cep.Totals().DataPacketsSent
	// connections is "TCP connections opened" (docs/experiment-format.md): every
	// connection the client dialed, refused or timed out ones included.
	// Handshake time is summed over the handshakes that completed.
	m.Connections = len(w.cl.conns)
	for _, c := range w.cl.conns {
		st := c.tc.Stats()
		if st.Established < 0 {
			continue
		}
		m.Handshakes += st.Established.Sub(c.dialAt)
		if c.readyAt > 0 && c.readyAt > st.Established {
			m.Handshakes += c.readyAt.Sub(st.Established)
		}
	}
	for _, sc := range w.sv.conns {
		st := sc.tc.Stats()
		closed := st.ClosedAt
		if closed < 0 || closed > end {
			closed = end
		}
		m.ServerConnS += closed.Sub(st.Opened).Seconds()
	}
	ns := w.net.Stats()
	m.Drops = ns.Drops()
	m.MaxQueueBytes = ns.MaxQueueBytes
	if len(m.VisitPLTs) > 0 {
		m.ClientPLTs = []time.Duration{m.PLT}
	} else {
		m.ClientPLTs = []time.Duration{-1}
	}
	w.serverMetrics(&m)

	res := &Result{Metrics: m, Requests: make([]Timing, 0, len(w.cl.requests)), ServerSeries: w.sv.samples}
	for _, r := range w.cl.requests {
		res.Requests = append(res.Requests, w.timing(r, starts[r.visit]))
	}
	// The server's side of each traced connection, found without a scan
	// per connection (a run may have one connection per request).
	var serverSide map[*clientConn]*serverConn
	if len(w.traces) > 0 {
		serverSide = make(map[*clientConn]*serverConn, len(w.sv.conns))
		for _, sc := range w.sv.conns {
			if sc.client != nil && serverSide[sc.client] == nil {
				serverSide[sc.client] = sc
			}
		}
	}
	for _, t := range w.traces {
		c := t.c
		ct := ConnTrace{Connection: c.id, Host: c.pool.name, Opened: c.dialAt, Closed: t.closedAt,
			Segments: t.segments, ResponseEnds: t.responseEnds}
		// The server's congestion window is the one that paces responses.
		if sc := serverSide[c]; sc != nil {
			ct.Cwnd = sc.tc.Stats().Cwnd
		}
		res.Conns = append(res.Conns, ct)
	}
	return res
}

func (cl *client) visitStarts() []sim.Time {
	starts := make([]sim.Time, cl.cfg.Visits)
	for _, r := range cl.requests {
		if r.visitIndex == 0 {
			starts[r.visit] = r.start
		}
	}
	return starts
}

// timing turns a request's timeline into HAR-like phases that add up:
// queued + dns + connect + tls + send + wait + receive = end - start.
func (w *world) timing(r *request, visitStart sim.Time) Timing {
	cl := r.host.cl
	t := Timing{Index: r.index, Visit: r.visit, Host: r.host.name, Method: r.method,
		Bytes: r.respBytes, Failed: r.failed, Attempts: r.attempts,
		Client: cl.index, VisitStart: visitStart, Refusals: r.refusals, Replayed: r.replayed}
	if r.conn != nil {
		t.Connection = r.conn.id
	} else if r.failed {
		t.Connection = 0
	}
	rel := func(x sim.Time) time.Duration { return x.Sub(visitStart) }
	t.Start = rel(r.start)
	if r.end < 0 {
		t.End = -1
		return t
	}
	t.End = rel(r.end)
	if r.sendAt < 0 || r.firstByte < 0 {
		return t // failed before it was answered
	}
	// Walk the request's life with a cursor; each phase runs from the
	// cursor to its boundary (or is empty), so the phases add up exactly.
	cursor := r.start
	phase := func(until sim.Time) time.Duration {
		if until <= cursor {
			return 0
		}
		d := until.Sub(cursor)
		cursor = until
		return d
	}
	if r.dnsStart >= 0 {
		t.Queued += phase(r.dnsStart)
		t.DNS = phase(r.dnsEnd)
	}
	if c := r.conn; c != nil && r.firstOnNew {
		// The first request on a new connection waited for (the rest
		// of) its handshakes.
		t.Queued += phase(c.dialAt)
		t.Connect = phase(c.tc.Stats().Established)
		t.TLS = phase(min(c.readyAt, r.sendAt)) // a 0-RTT request leaves before the handshake completes
	}
	t.Queued += phase(r.sendAt)
	tc := w.cfg.TCP
	if r.conn != nil {
		tc = r.conn.tc.Config()
	}
	segs := max(1, (r.reqBytes+tc.MSS-1)/max(tc.MSS, 1))
	t.Send = phase(min(r.sendAt.Add(cl.uplink.TxTime(r.reqBytes+segs*tc.HeaderBytes)), r.firstByte))
	t.Wait = phase(r.firstByte)
	t.Receive = phase(r.end)
	t.SentAt = rel(r.sendAt)
	t.FirstByte = rel(r.firstByte)
	return t
}

// Milliseconds returns d in milliseconds as a float, NaN for negative values
// (used for "did not happen").
func Milliseconds(d time.Duration) float64 {
	if d < 0 {
		return math.NaN()
	}
	return float64(d) / 1e6
}
