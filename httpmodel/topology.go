package httpmodel

import (
	"errors"
	"fmt"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// Topology is the server side of a world of populations (Config.Clients):
// which servers there are, which hostnames each serves, and the link
// each has from the far end of the bottleneck. See the package
// documentation, # Topology.
//
// The zero Topology is the world populations had before topologies: one
// server, named "server", at the far end of the bottleneck, serving
// every hostname with Config.Server. A Topology of one site with a zero
// Link is the same world (the same nodes, links, events and bytes).
type Topology struct {
	// Servers are the server sites, each a node with one server agent.
	// The first one also serves every hostname that no site lists.
	Servers []ServerSite
	// Proxies are the proxies between the clients and the servers,
	// each a node with a server agent (towards its clients) and a
	// client agent (towards the next hop); see # Proxies.
	Proxies []ProxySite
}

// ServerSite is one server node of a Topology: its name, the hostnames
// it serves, its link and its server's settings.
type ServerSite struct {
	Name  string   // unique; names the node and the site's metrics (Metrics.Servers)
	Hosts []string // hostnames it serves (DNS answers them with its address); a hostname at most once in a Topology
	// Link is the site's own link to the far end of the bottleneck:
	// Bandwidth towards the clients, Uplink (0 = Bandwidth) towards the
	// server, as on the bottleneck; RTT is added to the bottleneck's
	// (and the client's access RTT) on this site's paths. Random loss
	// draws from the streams "server:"+Name+":down:loss" and ":up:loss".
	// A zero Link is an instant, unlimited, lossless hop.
	Link Access
	// Server is this server's behaviour and limits; nil = Config.Server.
	Server *Server
}

// ServerMetrics are one server's measurements in a world of
// populations (Metrics.Servers, in Topology order; the default topology
// has one, named "server"). The fields mean what Metrics's server fields
// mean, for this server alone.
type ServerMetrics struct {
	Name            string
	Accepted        int     // connection requests accepted (at once or into the backlog)
	Refused         int     // connection requests it refused with a reset (capacity without a backlog, MaxConnectionsPerClient); Metrics.Refused counts, on the clients' side, the attempts that failed in any way (resets, timeouts)
	SYNDrops        int     // SYNs dropped unanswered, its backlog full
	RequestsServed  int     // responses written in full
	ServerOpenMax   int     // most connections held at once
	ServerOpenMean  float64 // time-weighted mean of held connections, from 0 until the last page load ended (any client's)
	BusyWorkersMax  int     // most workers held at once
	BacklogMax      int     // most connections in the listen backlog at once
	ServerMemoryMax int64   // ServerOpenMax * its MemoryPerConn
	ServerConnS     float64 // integral of its open connections over the run, seconds
}

// site is one server node of the world and the agent on it. The
// single-client world and the default topology have one; the server
// side of a later proxy (issue 12) would be one more agent of the same
// kind on a node: an endpoint listening on serverPort, reached by the
// hostnames the route table sends to its node.
type site struct {
	name string
	node *link.Node
	ep   *tcp.Endpoint
	cfg  *Config // the world's, or a copy with this site's Server
	sv   *server

	accepted, refused, synDrops int
	openArea                    int64 // its open-connection integral when the last page load ended (several sites)
}

// route finds the node that serves a hostname. It is built once, when
// the world is built, and looked up once per host pool of a client (not
// per packet, not per dial): the pool keeps the node it dials.
type route struct {
	byHost map[string]link.NodeID // only looked up, never iterated
	first  link.NodeID            // every other hostname
}

func (r *route) serverFor(host string) link.NodeID {
	if id, ok := r.byHost[host]; ok {
		return id
	}
	return r.first
}

// serverFor returns the node whose server answers host: with a
// Topology, the site that lists it (or the first); otherwise the one
// server.
func (w *world) serverFor(host string) link.NodeID {
	if w.route == nil {
		return w.serverNode.ID
	}
	return w.route.serverFor(host)
}

// validateTopology reports what makes c.Topology unable to run.
func (c *Config) validateTopology() error {
	t := c.Topology
	if len(t.Servers) == 0 {
		return nil
	}
	var errs []error
	if len(c.Clients) == 0 {
		errs = append(errs, errors.New("httpmodel: topology: servers need client populations (Config.Clients)"))
	}
	served := map[string]int{}
	for i, st := range t.Servers {
		if st.Name == "" {
			errs = append(errs, fmt.Errorf("httpmodel: servers[%d]: a server needs a name", i))
		}
		for j, q := range t.Servers[:i] {
			if st.Name != "" && q.Name == st.Name {
				errs = append(errs, fmt.Errorf("httpmodel: servers[%d]: server name %q is already the name of servers[%d]", i, st.Name, j))
				break
			}
		}
		for _, h := range st.Hosts {
			if h == "" {
				errs = append(errs, fmt.Errorf("httpmodel: servers[%d] (%s): an empty hostname", i, st.Name))
				continue
			}
			if j, ok := served[h]; ok {
				errs = append(errs, fmt.Errorf("httpmodel: servers[%d] (%s): host %q is already served by servers[%d]", i, st.Name, h, j))
				continue
			}
			served[h] = i
		}
		l := st.Link
		if l.RTT < 0 || l.Bandwidth < 0 || l.Uplink < 0 || l.QueueBytes < 0 || l.QueuePackets < 0 {
			errs = append(errs, fmt.Errorf("httpmodel: servers[%d] (%s): negative link rtt, bandwidth, queue", i, st.Name))
		}
		if l.Loss < 0 || l.Loss >= 1 {
			errs = append(errs, fmt.Errorf("httpmodel: servers[%d] (%s): link loss %v, want [0, 1)", i, st.Name, l.Loss))
		}
		if s := st.Server; s != nil {
			if s.Backlog < 0 || s.MaxConnectionsPerClient < 0 || s.Workers < 0 || s.MemoryPerConn < 0 || s.MaxConnections < 0 || s.MaxRequests < 0 || s.ThinkTime < 0 {
				errs = append(errs, fmt.Errorf("httpmodel: servers[%d] (%s): negative think time, max requests, backlog, max connections, workers or memory per connection", i, st.Name))
			}
		}
	}
	return errors.Join(errs...)
}

// buildServers builds the server side of a world of populations and
// returns the node the clients' router connects to through the
// bottleneck: the one server's node when there is one site without a
// link (the default topology), else a router ("core") from which each
// site has its own link.
func (w *world) buildServers() *link.Node {
	cfg := &w.cfg
	n := w.net
	w.stack = tcp.NewStack(n)
	sites := cfg.Topology.Servers
	if len(sites) == 0 {
		sites = []ServerSite{{Name: "server"}}
	}
	var far *link.Node
	// Proxies hang off the core router, so a world with proxies has one.
	direct := len(sites) == 1 && sites[0].Link == (Access{}) && len(cfg.Topology.Proxies) == 0
	if direct {
		// The bottleneck ends at the server itself, as before topologies.
		w.serverNode = n.AddNode(sites[0].Name)
		far = w.serverNode
	} else {
		far = n.AddNode("core")
	}
	if len(cfg.Topology.Servers) > 0 || len(cfg.Topology.Proxies) > 0 {
		w.route = &route{byHost: map[string]link.NodeID{}}
	}
	for i, ss := range sites {
		st := &site{name: ss.Name, cfg: cfg}
		if ss.Server != nil {
			c := *cfg
			c.Server = *ss.Server
			c = c.withDefaults()
			st.cfg = &c
		}
		if direct {
			st.node = w.serverNode
		} else {
			st.node = n.AddNode(ss.Name)
			up, down := siteLink(ss, w.s, "server:")
			// Packets from the server leave on "down" (towards the
			// clients), those to it arrive on "up".
			n.Connect(far, st.node, up, down)
		}
		if w.route != nil {
			if i == 0 {
				w.route.first = st.node.ID
			}
			for _, h := range ss.Hosts {
				w.route.byHost[h] = st.node.ID
			}
		}
		st.ep = w.stack.Endpoint(st.node)
		st.sv = newServerWith(w, st.cfg)
		st.ep.Listen(serverPort, st.cfg.TCP, st.accept)
		w.sites = append(w.sites, st)
	}
	if w.serverNode == nil {
		w.serverNode = w.sites[0].node
	}
	w.sep = w.sites[0].ep
	w.sv = w.sites[0].sv
	if len(w.sites) > 1 {
		w.fleet = &fleet{w: w, series: cfg.ServerSeries || cfg.Trace}
	}
	if len(cfg.Topology.Proxies) > 0 {
		w.buildProxies(far)
	}
	return far
}

// accept is the site's listener: its server decides (server.accept),
// and the site counts the decision.
func (st *site) accept(tc *tcp.Conn) tcp.Handler {
	h := st.sv.accept(tc)
	switch {
	case h == nil:
		st.refused++
	case h == tcp.DropSYN:
		st.synDrops++
	default:
		st.accepted++
	}
	return h
}

// siteLink returns the configurations of a site's link: up towards the
// server (Link.Uplink, or Link.Bandwidth), down towards the clients. Its
// loss streams are named kind+Name+":up:loss" and ":down:loss" (kind
// "server:", or "proxy:" for a proxy's link).
func siteLink(ss ServerSite, s *sim.Scheduler, kind string) (up, down link.Config) {
	a := ss.Link
	down = link.Config{Rate: a.Bandwidth, Delay: a.RTT / 2, QueueBytes: a.QueueBytes, QueuePackets: a.QueuePackets}
	up = down
	if a.Uplink != 0 {
		up.Rate = a.Uplink
	}
	if a.Loss > 0 {
		// Up is listed first by Connect(far, site): far -> site.
		up.Loss = &link.Bernoulli{P: a.Loss, Rand: s.Stream(kind + ss.Name + ":up:loss")}
		down.Loss = &link.Bernoulli{P: a.Loss, Rand: s.Stream(kind + ss.Name + ":down:loss")}
	}
	return up, down
}

// fleet adds up the servers of a topology of several sites at every
// change of one of them, for the aggregate metrics: the peaks of the
// sums (the most connections, workers, backlog and memory held by all
// servers at once), and the series of the sums.
type fleet struct {
	w                           *world
	openMax, busyMax, queuedMax int
	memMax                      int64
	series                      bool
	samples                     []ServerSample
}

func (f *fleet) changed() {
	open, busy, queued := 0, 0, 0
	var mem int64
	for _, st := range f.w.sites {
		sv := st.sv
		open += sv.open
		busy += sv.busy()
		queued += sv.queued
		mem += int64(sv.open) * st.cfg.Server.MemoryPerConn
	}
	f.openMax = max(f.openMax, open)
	f.busyMax = max(f.busyMax, busy)
	f.queuedMax = max(f.queuedMax, queued)
	f.memMax = max(f.memMax, mem)
	if f.series {
		now := f.w.s.Now()
		smp := ServerSample{Time: now, Open: open, Busy: busy, Backlog: queued}
		n := len(f.samples)
		switch {
		case n > 0 && f.samples[n-1].Time == now:
			f.samples[n-1] = smp
		case n == 0 || f.samples[n-1].Open != open || f.samples[n-1].Busy != busy || f.samples[n-1].Backlog != queued:
			f.samples = append(f.samples, smp)
		}
	}
}

// openArea returns the integral of every server's open connections over
// [0, now].
func (w *world) openAreaAt(now sim.Time) int64 {
	if len(w.sites) <= 1 {
		return w.sv.area(now)
	}
	var a int64
	for _, st := range w.sites {
		a += st.sv.area(now)
	}
	return a
}

// connNS returns the integral of sv's open connections over [0, end],
// connection-nanoseconds: those closed (summed as they closed) and
// those still open or closing, counted until end.
func (sv *server) connNSUntil(end sim.Time) int64 {
	sv.sweepClosing()
	ns := sv.connNS
	for _, list := range [][]*serverConn{sv.live, sv.closing} {
		for _, sc := range list {
			closed := sc.tc.Stats().ClosedAt
			if closed < 0 || closed > end {
				closed = end
			}
			ns += int64(closed.Sub(sc.openedAt))
		}
	}
	return ns
}

// siteMetrics returns each site's measurements (Metrics.Servers).
func (w *world) siteMetrics(end sim.Time) []ServerMetrics {
	out := make([]ServerMetrics, 0, len(w.sites))
	for _, st := range w.sites {
		sv := st.sv
		sm := ServerMetrics{Name: st.name, Accepted: st.accepted, Refused: st.refused, SYNDrops: st.synDrops,
			RequestsServed: sv.served, ServerOpenMax: sv.openMax, BusyWorkersMax: sv.busyMax, BacklogMax: sv.queuedMax,
			ServerMemoryMax: int64(sv.openMax) * st.cfg.Server.MemoryPerConn,
			ServerConnS:     time.Duration(sv.connNSUntil(end)).Seconds()}
		if w.lastEnd > 0 {
			area := w.openArea
			if len(w.sites) > 1 {
				area = st.openArea
			}
			sm.ServerOpenMean = float64(area) / float64(w.lastEnd)
		}
		out = append(out, sm)
	}
	return out
}

// fleetMetrics sets the aggregate server metrics of several sites:
// sums of what adds up over servers (requests served; ServerOpenMean
// and ServerConnS, integrals, are sums through w.openArea and
// populationResult), the peaks of the sums for the peaks.
func (w *world) fleetMetrics(m *Metrics) {
	f := w.fleet
	m.RequestsServed = 0
	for _, st := range w.sites {
		m.RequestsServed += st.sv.served
	}
	m.ServerOpenMax = f.openMax
	m.BusyWorkersMax = f.busyMax
	m.BacklogMax = f.queuedMax
	m.ServerMemoryMax = f.memMax
}
