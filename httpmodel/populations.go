package httpmodel

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// Population is a group of identical clients. Each client has its own node
// (address) and access link to the shared bottleneck (Config.Network).
//
// With populations the world is: each client node —its access link— a
// router node —the bottleneck (Config.Network)— the server node, which
// serves every hostname, or the server sites of Config.Topology. The RTT
// a client sees is Access.RTT + Network.RTT (+ the site's Link.RTT). See
// the package documentation, # Populations and # Topology.
type Population struct {
	Name        string        // unique; names the clients in requests ("name#17")
	Count       int           // clients, >= 1
	Arrival     Arrival       // when each client starts its first visit
	Page        Page          // what each client loads
	Model       Model         // how each client manages connections
	Visits      int           // page loads per client, one after another; 0 = 1
	ReadingTime time.Duration // pause between visits
	Idle        bool          // opens its connections (Model.Connections per host of Page) and sends nothing: an idle flood; its clients have no PLT
	Access      Access        // each client's own access link
}

// ArrivalKind is how the clients of a population arrive.
type ArrivalKind uint8

// Arrival processes.
const (
	AllAtOnce ArrivalKind = iota // every client at Arrival.Start
	Poisson                      // exponential gaps of mean 1/Rate, drawn from the stream "arrivals:"+Population.Name
	Interval                     // one client every Arrival.Interval, the first at Start
)

var arrivalNames = [...]string{"all-at-once", "poisson", "interval"}

// String names the arrival process.
func (k ArrivalKind) String() string {
	if int(k) < len(arrivalNames) {
		return arrivalNames[k]
	}
	return fmt.Sprintf("ArrivalKind(%d)", int(k))
}

// Arrival says when each client of a population starts its first visit.
type Arrival struct {
	Kind     ArrivalKind
	Rate     float64       // Poisson: clients per second
	Interval time.Duration // Interval: time between successive clients
	Start    time.Duration // when the first client may arrive
}

// Access is a node's own link: a client's to the bottleneck (Population),
// a server site's from it (ServerSite). Uplink is the direction from the
// client towards the server, Bandwidth the other; a zero Bandwidth means
// no limit (infinitely fast), zero RTT no extra delay.
type Access struct {
	RTT          time.Duration
	Bandwidth    link.Bandwidth
	Uplink       link.Bandwidth // 0 = Bandwidth
	QueueBytes   int64
	QueuePackets int
	Loss         float64
}

// ServerSample is the server's state after a change (Result.ServerSeries).
type ServerSample struct {
	Time    sim.Time
	Open    int // connections the server application holds (accepted, not yet closed)
	Busy    int // workers held (Server.Workers > 0): one per open connection
	Backlog int // connections waiting in the listen backlog
}

// MinArrivalRate is the smallest Poisson arrival rate, clients per
// second: one client per 1,000 s on average. Slower rates draw gaps
// beyond what a run can simulate (and, far below it, beyond what a
// time.Duration holds).
const MinArrivalRate = 1e-3

// validatePopulations reports what makes c.Clients unable to run.
func (c *Config) validatePopulations() error {
	var errs []error
	for i, p := range c.Clients {
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d]: a population needs a name", i))
		}
		for _, q := range c.Clients[:i] {
			if p.Name != "" && q.Name == p.Name {
				errs = append(errs, fmt.Errorf("httpmodel: clients[%d]: population name %q used twice", i, p.Name))
			}
		}
		if p.Count < 1 {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): count %d, want 1 or more", i, p.Name, p.Count))
		}
		switch p.Arrival.Kind {
		case AllAtOnce:
		case Poisson:
			if !(p.Arrival.Rate >= MinArrivalRate) {
				errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): poisson arrivals need a rate of at least %g per second", i, p.Name, MinArrivalRate))
			}
		case Interval:
			if p.Arrival.Interval < 0 {
				errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): negative arrival interval", i, p.Name))
			}
		default:
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): unknown arrival kind %d", i, p.Name, p.Arrival.Kind))
		}
		if p.Arrival.Start < 0 || p.ReadingTime < 0 || p.Visits < 0 {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): negative start, reading time or visits", i, p.Name))
		}
		if p.Access.Loss < 0 || p.Access.Loss >= 1 {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): access loss %v, want [0, 1)", i, p.Name, p.Access.Loss))
		}
		if c.http10() && p.Model.Kind == Pipelined {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): pipelined needs http version 1.1", i, p.Name))
		}
		if c.http10() && p.Model.Kind == HTTP2 && p.Model.H2Upgrade && c.TLS == NoTLS {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): http2 by upgrade needs http version 1.1", i, p.Name))
		}
		if c.ResponseHeaderBytes == 0 && p.Model.Kind != HTTP2 && !p.Idle {
			if p.Page.HTML == 0 {
				errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): %w", i, p.Name, ErrEmptyResponse))
			}
			for _, o := range p.Page.Objects {
				if o.Size == 0 {
					errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): %w", i, p.Name, ErrEmptyResponse))
					break
				}
			}
		}
	}
	s := c.Server
	if s.Backlog < 0 || s.MaxConnectionsPerClient < 0 || s.Workers < 0 || s.MemoryPerConn < 0 || s.MaxConnections < 0 {
		errs = append(errs, errors.New("httpmodel: server: negative backlog, max connections, workers or memory per connection"))
	}
	return errors.Join(errs...)
}

// ClientName names global client i (Timing.Client) as "population#k", k
// its 0-based index in its population; "client" in the single-client
// world, "" if there is no such client.
func (c Config) ClientName(i int) string {
	if len(c.Clients) == 0 {
		if i == 0 {
			return "client"
		}
		return ""
	}
	for _, p := range c.Clients {
		if i < p.Count {
			return fmt.Sprintf("%s#%d", p.Name, i)
		}
		i -= p.Count
	}
	return ""
}

// buildPopulations builds the world of Config.Clients: the server side
// of Config.Topology (buildServers: by default one server node), a
// router, the bottleneck between them (Config.Network, as the
// single-client world's link, with the same loss streams) and the
// populations' configurations. Clients get their node, access link and
// endpoint when they arrive (see arrive), so a run holds only the
// clients that have arrived. Each client's host pools dial the node
// that serves their hostname (world.serverFor).
func (w *world) buildPopulations() {
	cfg := &w.cfg
	s, n := w.s, w.net
	w.pop = true
	far := w.buildServers()
	w.router = n.AddNode("router")
	up, down := bottleneck(*cfg, s)
	w.up, w.down = n.Connect(w.router, far, up, down)
	if far != w.serverNode {
		// The core router sends what is not for a server back over the
		// bottleneck (its first pipe went to the first server); the
		// router's first pipe, the bottleneck, is its default route.
		far.SetDefaultRoute(w.down)
	}

	total := 0
	for _, p := range cfg.Clients {
		pc := *cfg
		pc.Clients = nil
		pc.Page, pc.Model, pc.Visits, pc.ReadingTime = p.Page, p.Model, max(p.Visits, 1), p.ReadingTime
		if pc.Page.Host == "" {
			pc.Page.Host = "example.com"
		}
		w.popCfgs = append(w.popCfgs, pc)
		w.popBase = append(w.popBase, total)
		total += p.Count
		if !p.Idle {
			w.unfinished += p.Count
		}
	}
	// The request timings of every client, the run's largest output:
	// allocated once at their final size (an upper bound: a failed HTML
	// reveals no objects), not doubled as clients finish, which would
	// hold up to three times their size while the last copy is made.
	requests := 0
	for _, p := range cfg.Clients {
		if !p.Idle {
			requests += p.Count * max(p.Visits, 1) * (1 + len(p.Page.Objects))
		}
	}
	w.timings = make([]Timing, 0, requests)
	w.clients = make([]*client, total)
	w.plts = make([]time.Duration, total)
	for i := range w.plts {
		w.plts[i] = -1
	}
}

// scheduleArrivals starts each population's arrival process: clients
// arrive one event at a time (all of a population at once for
// AllAtOnce), each scheduling the next, so the event queue holds one
// pending arrival per population. Poisson gaps are exponential with mean
// 1/Rate, drawn from the stream "arrivals:"+name.
func (w *world) scheduleArrivals() {
	for i := range w.cfg.Clients {
		p := &w.cfg.Clients[i]
		var rng interface{ ExpFloat64() float64 }
		if p.Arrival.Kind == Poisson {
			rng = w.s.Stream("arrivals:" + p.Name)
		}
		var next func(k int)
		next = func(k int) {
			if p.Arrival.Kind == AllAtOnce {
				for ; k < p.Count; k++ {
					w.arrive(i, k)
				}
				return
			}
			w.arrive(i, k)
			if k+1 >= p.Count {
				return
			}
			var gap time.Duration
			if p.Arrival.Kind == Poisson {
				gap = time.Duration(rng.ExpFloat64() / p.Arrival.Rate * float64(time.Second))
			} else {
				gap = p.Arrival.Interval
			}
			w.s.After(gap, func() { next(k + 1) })
		}
		w.s.At(sim.Time(p.Arrival.Start), func() { next(0) })
	}
}

// arrive creates client k of population pi, with its node, access link
// and endpoint, and starts its first visit (or its idle connections).
func (w *world) arrive(pi, k int) {
	p := &w.cfg.Clients[pi]
	s, n := w.s, w.net
	name := p.Name + "#" + strconv.Itoa(k)
	node := n.AddNode(name)
	a := p.Access
	down := link.Config{Rate: a.Bandwidth, Delay: a.RTT / 2, QueueBytes: a.QueueBytes, QueuePackets: a.QueuePackets}
	up := down
	if a.Uplink != 0 {
		up.Rate = a.Uplink
	}
	if a.Loss > 0 {
		down.Loss = &link.Bernoulli{P: a.Loss, Rand: s.Stream("access:" + name + ":down:loss")}
		up.Loss = &link.Bernoulli{P: a.Loss, Rand: s.Stream("access:" + name + ":up:loss")}
	}
	n.Connect(node, w.router, up, down)
	ep := w.stack.Endpoint(node)
	cl := newClient(w, &w.popCfgs[pi], ep)
	cl.index = w.popBase[pi] + k
	cl.idle = p.Idle
	if w.forward != nil {
		cl.via = w.forward[pi] // its population's forward proxy (proxy.go)
	}
	// Timing.Send charges the request's serialization at the slower
	// of the client's two hops.
	if up.Rate > 0 && (cl.uplink <= 0 || up.Rate < cl.uplink) {
		cl.uplink = up.Rate
	}
	w.clients[cl.index] = cl
	if w.onArrive != nil {
		w.onArrive(cl.index, s.Now())
	}
	if cl.idle {
		cl.startIdle()
		w.clients[cl.index] = nil
		w.leave(cl) // once the server has closed its connections
		return
	}
	cl.startVisit()
}

// leave lets go of a client that will open no more connections: once its
// endpoint has forgotten its last connection (no packet can reach it
// then), the endpoint leaves the stack (its counters stay in the stack's
// totals) and its node and access link leave the network (their counters
// stay in the network's), so a run holds only the clients still active.
func (w *world) leave(cl *client) {
	ep := cl.ep
	ep.Retire(func() { w.net.RemoveNode(ep.Node()) })
}

// clientFinished is called when a client's last page load has ended. It
// records when (for ServerOpenMean) and, with populations, keeps what
// the metrics need of the client (its timings and PLT) and lets the rest
// go (see leave): a run holds only the clients still active.
func (w *world) clientFinished(cl *client) {
	now := w.s.Now()
	w.lastEnd = now
	w.openArea = w.openAreaAt(now)
	if !w.pop {
		return
	}
	if len(w.sites) > 1 {
		for _, st := range w.sites {
			st.openArea = st.sv.area(now)
		}
	}
	w.unfinished--
	w.snapshot(cl)
	w.clients[cl.index] = nil
	cl.abandonDials()
	w.leave(cl)
}

// abandonDials gives up the connection attempts of a client whose page
// loads are all done and which has not heard back from the server (its
// SYN unanswered: dropped by a full backlog, or still on its way): a
// browser cancels a connect no request needs. Without this the SYN
// would be retried for up to tcp.Config.SynRetries (about 127 s) after
// the page had loaded, and the attempt counted as refused when it gave
// up. Each one counts in Metrics.Abandoned. If its SYN was on its way
// and the server takes it, the client's host answers the SYN-ACK with a
// reset (tcp), so the server frees the connection one round trip later,
// as it would from a real client. A connection whose handshake
// has completed is kept (it idles until the server closes it, as
// after a load).
func (cl *client) abandonDials() {
	for _, c := range cl.conns {
		if c.state != csConnecting || c.tc.State() != tcp.SynSent {
			continue
		}
		p := c.pool
		c.state = csClosed // Closed, when it comes, finds it retired
		p.open--
		p.connecting--
		if c.boundDial {
			p.boundConnecting--
			c.boundDial = false
		}
		cl.w.abandoned++
		c.tc.Abort()
	}
}

// snapshot appends cl's request timings and records its first PLT.
func (w *world) snapshot(cl *client) {
	starts := cl.visitStarts()
	if len(cl.visitEnds) > 0 {
		w.plts[cl.index] = cl.visitEnds[0].Sub(starts[0])
	}
	for _, r := range cl.requests {
		w.timings = append(w.timings, w.timing(r, starts[r.visit]))
	}
	cl.requests, cl.reqBlock = nil, nil
}

// runPopulations is run for a world of populations: the page loads of
// every client must end by MaxSimTime.
func (w *world) runPopulations() error {
	s := w.s
	maxT := sim.Time(w.cfg.MaxSimTime)
	for s.Step() {
		if s.Events() >= w.cfg.MaxEvents {
			return fmt.Errorf("exceeded max_events (%d) at %v of simulated time, %d clients unfinished; raise the limit to let such a run finish",
				w.cfg.MaxEvents, s.Now(), w.unfinished)
		}
		if s.Now() > maxT {
			if w.unfinished == 0 {
				return nil
			}
			return fmt.Errorf("page loads not finished by max_sim_time (%v), %d clients unfinished", w.cfg.MaxSimTime, w.unfinished)
		}
	}
	if s.Interrupted() {
		return ErrInterrupted
	}
	if w.unfinished != 0 {
		return fmt.Errorf("simulation ran out of events at %v with %d clients unfinished (model bug)", s.Now(), w.unfinished)
	}
	return nil
}

// serverMetrics fills the server's measurements.
func (w *world) serverMetrics(m *Metrics) {
	sv := w.sv
	m.RequestsServed = sv.served
	m.ServerOpenMax = sv.openMax
	m.BusyWorkersMax = sv.busyMax
	m.BacklogMax = sv.queuedMax
	m.ServerMemoryMax = int64(sv.openMax) * w.cfg.Server.MemoryPerConn
	m.SYNDrops = w.synDrops
	if w.lastEnd > 0 {
		m.ServerOpenMean = float64(w.openArea) / float64(w.lastEnd)
	}
}

func (w *world) populationResult() *Result {
	cfg := w.cfg
	end := min(w.s.Now(), sim.Time(cfg.MaxSimTime))
	// Clients still loading (a run that hit a limit): their timings too.
	for _, cl := range w.clients {
		if cl != nil && !cl.idle {
			w.snapshot(cl)
		}
	}
	m := Metrics{PLT: -1, RevisitPLT: -1, Events: w.s.Events(), EndOfRun: end, LastLoadEnd: w.lastEnd,
		Refused: w.refused, Abandoned: w.abandoned, Replayed: w.replayed, Failed: w.failed,
		Connections: w.dials, Handshakes: w.handshakes}
	for pi, p := range cfg.Clients {
		if p.Idle {
			continue
		}
		b := w.popBase[pi]
		m.ClientPLTs = append(m.ClientPLTs, w.plts[b:b+p.Count]...)
	}
	if len(m.ClientPLTs) > 0 {
		sorted := slices.Clone(m.ClientPLTs)
		slices.Sort(sorted)
		m.PLT = sorted[(len(sorted)-1)/2]
		if sorted[0] < 0 {
			m.PLT = -1 // some client did not finish
		}
	}
	m.addTCP(w.stack.Totals()) // the server's and every client's, gone or not
	var connNS int64
	for _, st := range w.sites {
		connNS += st.sv.connNSUntil(end)
	}
	m.ServerConnS = time.Duration(connNS).Seconds()
	ns := w.net.Stats() // removed access links included
	m.Drops = ns.Drops()
	m.MaxQueueBytes = ns.MaxQueueBytes
	w.serverMetrics(&m)
	series := w.sv.samples
	if w.fleet != nil {
		w.fleetMetrics(&m)
		series = w.fleet.samples
	}
	m.Servers = w.siteMetrics(end)
	w.proxyMetrics(&m)
	slices.SortStableFunc(w.timings, func(a, b Timing) int {
		if a.Client != b.Client {
			return a.Client - b.Client
		}
		return a.Index - b.Index
	})
	return &Result{Metrics: m, Requests: w.timings, ServerSeries: series}
}
