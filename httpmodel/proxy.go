package httpmodel

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// ProxySite is a proxy of a Topology: a node that is a server to its
// clients (it accepts connections, reads requests by their message
// boundaries, under its own Server limits and think time, with its own
// keep-alive and pipelining behaviour) and a client to the next hop,
// with its own connection model and one connection pool per hostname
// shared by every downstream client. See the package documentation,
// # Proxies.
type ProxySite struct {
	Name string // unique among servers and proxies; names the node, its loss streams and its metrics
	// Hosts makes it a reverse proxy (an edge): DNS answers these
	// hostnames with the proxy's address, so every client (and every
	// forward proxy) sends their requests to it. A hostname at most
	// once among the proxies.
	Hosts []string
	// For makes it a forward proxy: the clients of these populations
	// send every request to it, whatever the hostname.
	For []string
	// Upstream names the proxy it sends its requests to (a chain);
	// "" = where the hostname leads from here: a reverse proxy sends
	// a hostname it fronts to its server site, and any other hostname,
	// as a forward proxy does every one, to the address DNS gives
	// (a reverse proxy fronting it, else its server site).
	Upstream string
	// Link is the proxy's own link to the core router, like a server
	// site's (ServerSite.Link): Bandwidth towards the clients, Uplink
	// towards the proxy; loss from the streams "proxy:"+Name+":down:loss"
	// and ":up:loss". Both of the proxy's hops cross it.
	Link Access
	// Model is how the proxy manages its upstream connections: the
	// model's per-host limit applies to the proxy's pool of each
	// hostname, shared by all its downstream clients.
	Model Model
	// Server is the proxy's downstream side (limits, keep-alive, think
	// time before it forwards, Pipelining); nil = Config.Server.
	Server *Server
	// StoreAndForward relays each response only once all of it has
	// arrived; by default the proxy streams it, writing the header
	// and the body bytes downstream as they arrive. A proxy whose
	// Server.Pipelining is out-of-order always stores and forwards
	// (it writes whole responses in the order they complete).
	StoreAndForward bool
}

// ProxyMetrics are one proxy's measurements (Metrics.Proxies).
type ProxyMetrics struct {
	Name        string
	Accepted    int           // downstream connections accepted
	Connections int           // upstream connections it opened
	Forwarded   int           // requests it sent upstream (each once, however many attempts)
	Answered    int           // upstream responses it relayed
	Failed      int           // upstream requests that failed (answered 502 Bad Gateway downstream)
	Upstream    time.Duration // mean time from forwarding a request to the end of its upstream response (queueing, connecting, the upstream round trips); 0 if none
	Replayed    int           // upstream requests it sent again after their connection closed under them (idempotent only)
	// Header and response bytes on the upstream hop, summed over the
	// answered requests (the last attempt of each): request header
	// blocks as sent, responses as received (headers, body, framing).
	RequestBytes, ResponseBytes int64
}

// ReusePerConnection is the upstream requests per upstream connection
// opened: how well the proxy reuses its warm connections (0 without
// connections).
func (m ProxyMetrics) ReusePerConnection() float64 {
	if m.Connections == 0 {
		return 0
	}
	return float64(m.Forwarded) / float64(m.Connections)
}

// HopMetrics are one hop's measurements (Metrics.Hops): the
// connections opened from From to To and the requests answered on them.
// Time is the page load time split by hop: the mean over those
// requests of the time each spent on this hop, which is the request's
// whole time there (from its issue by From, pool queueing and
// connecting included, to the end of its response at From) minus the
// time the proxy To spent upstream on it (from forwarding it to the
// end of the upstream response; its last answered attempt). So the
// hops a request crossed add up to its time at the client, exactly:
// on a chain clients -> a -> b -> origin, the hop clients -> a holds
// the request time minus a's upstream time, a -> b a's upstream time
// minus b's, b -> origin b's upstream time. A proxy's think time falls
// on the hop before it; a request the proxy answered 502 counts whole
// on the hops before the one that failed, and on no hop after. An
// upstream answer that never reached a client (a request forwarded from
// a pipeline whose connection the proxy then closed, an attempt
// replayed) counts on no hop: Requests are the clients' requests that
// crossed the hop, each once.
type HopMetrics struct {
	From        string        // "clients" (every population's), or the name of the proxy that opens the hop's connections
	To          string        // the name of the proxy or server site they go to
	Connections int           // connections opened on the hop
	Requests    int           // requests answered on the hop (a proxy's replayed one once)
	Time        time.Duration // mean time a request spent on the hop (see above); 0 without requests
}

// Reuse is the hop's requests per connection opened (0 without
// connections).
func (h HopMetrics) Reuse() float64 {
	if h.Connections == 0 {
		return 0
	}
	return float64(h.Requests) / float64(h.Connections)
}

// hopKey names a hop while the world runs: the proxy that opens its
// connections (nil: the clients) and the node it dials.
type hopKey struct {
	from *proxy
	to   link.NodeID
}

// hopAcc is one hop's counts while the world runs.
type hopAcc struct {
	conns, reqs int
	ns          int64
}

// hop returns the counts of the hop from px (nil: the clients) to node.
func (w *world) hop(px *proxy, to link.NodeID) *hopAcc {
	k := hopKey{px, to}
	h := w.hops[k]
	if h == nil {
		h = &hopAcc{}
		w.hops[k] = h
	}
	return h
}

// hopTime is a request's time on one hop, not yet counted.
type hopTime struct {
	h  *hopAcc
	ns int64
}

// hopEnded records an answered request of cl (a 502 included) on its
// hop: its time less the time the proxy it went to spent upstream on
// it, and what that proxy's upstream requests spent on the hops beyond.
// A client's request counts at once; a proxy's upstream request only
// with the downstream request it answers, when that is answered (proxy
// done hands them on): an upstream answer that never reaches a client
// (forwarded from a pipeline its connection closed under, an attempt
// replayed) counts on no hop, so a request's hops add up to its time.
func (w *world) hopEnded(cl *client, r *request) {
	if r.failed && !r.gateway {
		r.upHops = nil
		return // no answer on this hop: it counts on none
	}
	to := r.host.server
	if r.conn != nil {
		to = r.conn.pool.server
	}
	r.upHops = append(slices.Clip(r.upHops), hopTime{w.hop(cl.proxy, to), int64(r.end.Sub(r.start)) - r.upNS})
	if cl.proxy != nil {
		return // counted with the downstream request (proxy done)
	}
	for _, t := range r.upHops {
		t.h.reqs++
		t.h.ns += t.ns
	}
	r.upHops = nil
}

// hopMetrics returns Metrics.Hops: every hop with a connection or a
// request, ordered from the clients outward (by the least number of
// hops from the clients to its From), then by From and To in the order
// of the topology (proxies, then the other nodes in creation order).
func (w *world) hopMetrics() []HopMetrics {
	order := map[*proxy]int{nil: 0}
	for i, px := range w.proxies {
		order[px] = i + 1
	}
	byNode := map[link.NodeID]*proxy{}
	for _, px := range w.proxies {
		byNode[px.node.ID] = px
	}
	names := map[link.NodeID]string{}
	for _, n := range w.net.Nodes() {
		names[n.ID] = n.Name
	}
	toOrder := func(id link.NodeID) int {
		if px := byNode[id]; px != nil {
			return order[px]
		}
		return len(w.proxies) + 1 + int(id)
	}
	keys := make([]hopKey, 0, len(w.hops))
	for k := range w.hops {
		keys = append(keys, k)
	}
	// Depth: the fewest hops from the clients to a hop's From.
	depth := map[*proxy]int{nil: 0}
	for changed := true; changed; {
		changed = false
		for _, k := range keys {
			d, ok := depth[k.from]
			px := byNode[k.to]
			if !ok || px == nil {
				continue
			}
			if e, ok := depth[px]; !ok || d+1 < e {
				depth[px] = d + 1
				changed = true
			}
		}
	}
	dep := func(px *proxy) int {
		if d, ok := depth[px]; ok {
			return d
		}
		return len(w.proxies) + 1
	}
	slices.SortFunc(keys, func(a, b hopKey) int {
		return cmp.Or(cmp.Compare(dep(a.from), dep(b.from)), cmp.Compare(order[a.from], order[b.from]), cmp.Compare(toOrder(a.to), toOrder(b.to)))
	})
	out := make([]HopMetrics, 0, len(keys))
	for _, k := range keys {
		h := w.hops[k]
		from := "clients"
		if k.from != nil {
			from = k.from.site.Name
		}
		hm := HopMetrics{From: from, To: names[k.to], Connections: h.conns, Requests: h.reqs}
		if h.reqs > 0 {
			hm.Time = time.Duration(h.ns / int64(h.reqs))
		}
		out = append(out, hm)
	}
	return out
}

// proxy is one ProxySite in a world: its node, its endpoint (which both
// listens and dials), its server agent (the downstream side) and its
// client agent (the upstream side).
type proxy struct {
	site    ProxySite
	w       *world
	node    *link.Node
	ep      *tcp.Endpoint
	cfg     *Config // Server: the downstream side; Model: the upstream side
	sv      *server
	cl      *client
	next    *proxy // Upstream, resolved
	fronts  map[string]bool
	via     header // the Via line it adds to what it forwards
	streams bool   // relays responses as they arrive (not StoreAndForward)
	issued  int
	metrics ProxyMetrics
	// unsafeReplays counts non-idempotent requests it sent again: a
	// defect the tests look for.
	unsafeReplays int
	aborts        int               // downstream connections reset under a response begun (tests)
	onArrived     func(ur *request) // tests: after each upstream message relayed
	upNS          int64
}

// relay is what a proxy remembers of a request it forwarded: the
// downstream request it answers, and the header blocks it builds for
// each hop.
type relay struct {
	px      *proxy
	sc      *serverConn // downstream connection
	sr      *srvReq     // downstream request
	reqHdrs headerBlock // forwarded request's header block, before the upstream connection's own hop-by-hop lines
	got     int64       // body bytes of the current upstream attempt arrived
	// respHdrs is the upstream response's header block as the proxy
	// read it (the server's, or the next proxy's).
	respHdrs headerBlock
}

// --- header model ---

// header is one header line: name and value, "Name: value\r\n" on the
// wire in HTTP/1.x.
type header struct{ name, value string }

func (h header) bytes() int64 { return int64(len(h.name) + len(h.value) + 4) }

// headerBlock is a message's header block as connsim models it: base
// bytes that no hop changes (the request or status line and the
// end-to-end headers) and the header lines listed one by one (the
// hop-by-hop ones, Via). Bytes is its size in HTTP/1.x.
type headerBlock struct {
	base  int64
	lines []header
}

// Bytes returns the block's size on an HTTP/1.x connection (never
// negative: a configuration's header bytes may be smaller than the
// lines it is said to hold).
func (b headerBlock) Bytes() int64 {
	n := b.base
	for _, h := range b.lines {
		n += h.bytes()
	}
	return max(n, 0)
}

// hopByHop is the set of header fields RFC 9110 section 7.6.1 says a
// proxy must not forward, beside those Connection names: Connection
// itself, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding and
// Upgrade (each meaningful for one connection only), and Trailer.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade"}

// forwardable returns the lines of hs a proxy forwards (RFC 9110
// 7.6.1): without the hop-by-hop fields and without every field the
// Connection header names (its comma-separated options, compared
// without case).
func forwardable(hs []header) []header {
	named := map[string]bool{}
	for _, h := range hs {
		if strings.EqualFold(h.name, "Connection") {
			for _, o := range strings.Split(h.value, ",") {
				named[strings.ToLower(strings.TrimSpace(o))] = true
			}
		}
	}
	var out []header
	for _, h := range hs {
		drop := named[strings.ToLower(h.name)]
		for _, n := range hopByHop {
			drop = drop || strings.EqualFold(h.name, n)
		}
		if !drop {
			out = append(out, h)
		}
	}
	return out
}

var (
	hdrConnClose     = header{"Connection", "close"}
	hdrConnKeepAlive = header{"Connection", "keep-alive"}
)

// keepAliveHeader is the Keep-Alive line a server sends on a persistent
// HTTP/1.x response: its idle timeout and request limit.
func keepAliveHeader(s Server) header {
	return header{"Keep-Alive", "timeout=" + strconv.Itoa(int(max(s.KeepAliveTimeout, 0)/time.Second)) + ", max=" + strconv.Itoa(s.MaxRequests)}
}

// requestBlock returns the header block of a request the client (not a
// proxy) sent with the flags of m, as the package's byte counts have it:
// RequestBytes holds HTTP/1.1's Connection: close; HTTP/1.0's
// Connection: keep-alive is added to it. Its Bytes is what the client
// sent (HTTP/1.x).
func (c *Config) requestBlock(m *msg) headerBlock {
	switch {
	case m.keepAlive:
		return headerBlock{base: c.RequestBytes, lines: []header{hdrConnKeepAlive}}
	case m.close:
		return headerBlock{base: c.RequestBytes - hdrConnClose.bytes(), lines: []header{hdrConnClose}}
	}
	return headerBlock{base: c.RequestBytes}
}

// responseBlock returns the header block of an HTTP/1.x response of a
// server with settings s: ResponseHeaderBytes holds the Keep-Alive line
// (timeout, max) of a persistent response and HTTP/1.1's
// Connection: close of a closing one; HTTP/1.0's Connection: keep-alive
// is added to it.
func (c *Config) responseBlock(s Server, close, keepAlive bool) headerBlock {
	ka := keepAliveHeader(s)
	switch {
	case keepAlive:
		return headerBlock{base: c.ResponseHeaderBytes - ka.bytes(), lines: []header{hdrConnKeepAlive, ka}}
	case close:
		return headerBlock{base: c.ResponseHeaderBytes - hdrConnClose.bytes(), lines: []header{hdrConnClose}}
	case c.http10():
		return headerBlock{base: c.ResponseHeaderBytes}
	}
	return headerBlock{base: c.ResponseHeaderBytes - ka.bytes(), lines: []header{ka}}
}

// forwardBlock is the block a proxy forwards for b: its base and
// forwardable lines, and the proxy's Via.
func (px *proxy) forwardBlock(b headerBlock) headerBlock {
	lines := append(forwardable(b.lines), px.via)
	return headerBlock{base: b.base, lines: lines}
}

// withHop adds a hop's own connection-management lines to b: an
// HTTP/1.1 Connection: close (close), an HTTP/1.0 Connection: keep-alive
// (keepAlive), and a persistent response's Keep-Alive line (ka, nil for
// none).
func withHop(b headerBlock, close, keepAlive bool, ka *header) headerBlock {
	lines := append([]header(nil), b.lines...)
	switch {
	case close:
		lines = append(lines, hdrConnClose)
	case keepAlive:
		lines = append(lines, hdrConnKeepAlive)
	}
	if ka != nil {
		lines = append(lines, *ka)
	}
	return headerBlock{base: b.base, lines: lines}
}

// --- the agent ---

// take starts a proxy's work on a request its downstream side has read:
// after the proxy's think time it forwards it.
func (px *proxy) take(sc *serverConn, sr *srvReq) {
	if t := px.cfg.Server.ThinkTime; t > 0 {
		px.w.s.After(t, func() { px.forward(sc, sr) })
		return
	}
	px.forward(sc, sr)
}

// forward sends the request upstream through the proxy's pool for its
// hostname, as a new request of the proxy's client.
func (px *proxy) forward(sc *serverConn, sr *srvReq) {
	r := sr.req
	cl := px.cl
	sr.relayed = true
	ur := &request{
		index:      px.issued,
		host:       cl.pool(r.host.name),
		size:       r.size,
		method:     r.method,
		idempotent: r.idempotent,
		dnsStart:   -1,
		sendAt:     -1,
		firstByte:  -1,
		end:        -1,
		relay:      &relay{px: px, sc: sc, sr: sr, reqHdrs: px.forwardBlock(sr.hdrs)},
	}
	px.issued++
	px.metrics.Forwarded++
	cl.pending++
	cl.issue(ur)
}

// arrived hears of a message of an upstream response: a streaming
// proxy takes the header block when the first message of an attempt
// arrives and writes what it can downstream (stream); the body bytes of
// a replayed attempt count from 0 again, and only those beyond what was
// relayed go on. The last message is done's.
func (px *proxy) arrived(ur *request, m *msg, first bool) {
	rl := ur.relay
	sr := rl.sr
	if first {
		rl.got = 0
	}
	if m.kind == mRespBody || m.kind == mH2Data {
		rl.got += m.n
	}
	if !px.streams || m.last {
		return
	}
	if !sr.hdrIn {
		sr.hdrIn = true
		sr.hdrs = px.forwardBlock(rl.respHdrs)
	}
	sr.avail = max(sr.avail, rl.got)
	rl.sc.write()
	if px.onArrived != nil {
		px.onArrived(ur)
	}
}

// done hears that an upstream request ended: the proxy relays the rest
// of its response downstream, or answers 502 Bad Gateway when it
// failed; if it has begun the response it resets the downstream
// connection instead.
func (px *proxy) done(ur *request) {
	rl := ur.relay
	sr := rl.sr
	if ur.replayed {
		px.metrics.Replayed++
		if !ur.idempotent {
			px.unsafeReplays++ // never: RFC 9112 9.3.1 (tests check)
		}
	}
	begun := sr.hdrIn
	if ur.failed {
		px.metrics.Failed++
		if begun {
			px.aborts++
			rl.sc.abort()
			return
		}
		sr.badGateway = true
		if d := sr.req; !d.done {
			// The next proxy answered 502: its hop and those before
			// it hold the request, so this proxy's time upstream is
			// taken off the hop into it (hopEnded). Else the request
			// counts whole on the hop into this proxy.
			d.upNS, d.upHops = 0, nil
			if ur.gateway {
				d.upNS, d.upHops = int64(ur.end.Sub(ur.start)), ur.upHops
			}
		}
		sr.hdrs = headerBlock{base: 100, lines: []header{px.via}} // a short 502
		sr.left = 0
	} else {
		px.metrics.Answered++
		px.upNS += int64(ur.end.Sub(ur.start))
		if d := sr.req; !d.done {
			d.upNS, d.upHops = int64(ur.end.Sub(ur.start)), ur.upHops // the hop split (hopEnded)
		}
		px.metrics.RequestBytes += ur.reqBytes
		px.metrics.ResponseBytes += ur.respBytes
		if !begun {
			sr.hdrs = px.forwardBlock(rl.respHdrs)
		}
	}
	sr.avail = sr.body()
	sr.ready = true
	rl.sc.write()
}

// requestHeaders is the header block of the request in m as the proxy
// reads it: a proxy's forwarded block, else the client's.
func (px *proxy) requestHeaders(m *msg) headerBlock {
	if m.hdrs != nil {
		return *m.hdrs
	}
	return px.w.cfg.requestBlock(m)
}

// result returns the proxy's metrics.
func (px *proxy) result() ProxyMetrics {
	m := px.metrics
	m.Name = px.site.Name
	if m.Answered > 0 {
		m.Upstream = time.Duration(px.upNS / int64(m.Answered))
	}
	return m
}

// --- the world ---

// buildProxies adds each proxy of the topology to the world: a node
// with its own link from the core router, an endpoint listening on
// port 80 (its server agent) and dialling (its client agent).
func (w *world) buildProxies(core *link.Node) {
	cfg := &w.cfg
	if len(cfg.Topology.Proxies) > 0 {
		w.hops = map[hopKey]*hopAcc{}
	}
	byName := map[string]*proxy{}
	w.fronts = map[string]*proxy{}
	w.forward = make([]*proxy, len(cfg.Clients))
	for _, ps := range cfg.Topology.Proxies {
		px := &proxy{site: ps, w: w, fronts: map[string]bool{}}
		c := *cfg
		if ps.Server != nil {
			c.Server = *ps.Server
		}
		c.Model = ps.Model
		c.Clients = nil
		c = c.withDefaults()
		px.cfg = &c
		px.via = header{"Via", "1.1 " + ps.Name}
		px.streams = !ps.StoreAndForward && c.Server.Pipelining != PipeliningOutOfOrder
		px.node = w.net.AddNode(ps.Name)
		up, down := siteLink(ServerSite{Name: ps.Name, Link: ps.Link}, w.s, "proxy:")
		w.net.Connect(core, px.node, up, down)
		px.ep = w.stack.Endpoint(px.node)
		px.sv = newServerWith(w, px.cfg)
		px.sv.proxy = px
		px.ep.Listen(serverPort, px.cfg.TCP, px.accept)
		px.cl = newClient(w, px.cfg, px.ep)
		px.cl.proxy = px
		for _, h := range ps.Hosts {
			w.fronts[h] = px
			px.fronts[h] = true
		}
		for _, pop := range ps.For {
			for i, p := range cfg.Clients {
				if p.Name == pop {
					w.forward[i] = px
				}
			}
		}
		byName[ps.Name] = px
		w.proxies = append(w.proxies, px)
	}
	for _, px := range w.proxies {
		px.next = byName[px.site.Upstream]
	}
}

func (px *proxy) accept(tc *tcp.Conn) tcp.Handler {
	h := px.sv.accept(tc)
	if h != nil && h != tcp.DropSYN {
		px.metrics.Accepted++
	}
	return h
}

// resolve is DNS: the address a hostname is given, a reverse proxy
// fronting it or else its server site.
func (w *world) resolve(host string) link.NodeID {
	if px := w.fronts[host]; px != nil {
		return px.node.ID
	}
	return w.serverFor(host)
}

// nextHop returns the node cl's pool for host dials: without proxies the
// server site (serverFor); a proxy's pool, its Upstream, or for a
// hostname it fronts its site, or else DNS; a client of a population
// with a forward proxy, that proxy; any other client, DNS.
func (w *world) nextHop(cl *client, host string) link.NodeID {
	if w.proxies == nil {
		return w.serverFor(host)
	}
	if px := cl.proxy; px != nil {
		switch {
		case px.next != nil:
			return px.next.node.ID
		case px.fronts[host]:
			return w.serverFor(host)
		}
		return w.resolve(host)
	}
	if cl.via != nil {
		return cl.via.node.ID
	}
	return w.resolve(host)
}

// proxyMetrics fills Metrics.Proxies and the totals.
func (w *world) proxyMetrics(m *Metrics) {
	var ns int64
	answered := 0
	for _, px := range w.proxies {
		pm := px.result()
		m.Proxies = append(m.Proxies, pm)
		m.ProxyConnections += pm.Connections
		m.ProxyForwarded += pm.Forwarded
		m.ProxyFailed += pm.Failed
		answered += pm.Answered
		ns += px.upNS
	}
	if answered > 0 {
		m.ProxyUpstream = time.Duration(ns / int64(answered))
	}
	if w.hops != nil {
		m.Hops = w.hopMetrics()
	}
}

// validateProxies reports what makes the proxies of c.Topology unable
// to run: names, hostnames, populations and upstreams that do not
// resolve, negative settings, and routes that loop.
func (c *Config) validateProxies() error {
	ps := c.Topology.Proxies
	if len(ps) == 0 {
		return nil
	}
	var errs []error
	if len(c.Clients) == 0 {
		errs = append(errs, errors.New("httpmodel: topology: proxies need client populations (Config.Clients)"))
	}
	names := map[string]bool{}
	for _, s := range c.Topology.Servers {
		names[s.Name] = true
	}
	if len(c.Topology.Servers) == 0 {
		names["server"] = true
	}
	fronted := map[string]int{}
	forPop := map[string]int{}
	index := map[string]int{}
	for i, p := range ps {
		at := fmt.Sprintf("httpmodel: proxies[%d] (%s)", i, p.Name)
		switch {
		case p.Name == "":
			errs = append(errs, fmt.Errorf("httpmodel: proxies[%d]: a proxy needs a name", i))
		case names[p.Name]:
			errs = append(errs, fmt.Errorf("%s: name %q is already a server's or a proxy's", at, p.Name))
		}
		names[p.Name] = true
		index[p.Name] = i
		for _, h := range p.Hosts {
			if h == "" {
				errs = append(errs, fmt.Errorf("%s: an empty hostname", at))
				continue
			}
			if j, ok := fronted[h]; ok {
				errs = append(errs, fmt.Errorf("%s: host %q is already fronted by proxies[%d]", at, h, j))
				continue
			}
			fronted[h] = i
		}
		for _, f := range p.For {
			found := false
			for _, q := range c.Clients {
				found = found || q.Name == f
			}
			if !found {
				errs = append(errs, fmt.Errorf("%s: for: no population named %q", at, f))
			}
			if j, ok := forPop[f]; ok {
				errs = append(errs, fmt.Errorf("%s: population %q already uses proxies[%d]", at, f, j))
			}
			forPop[f] = i
		}
		l := p.Link
		if l.RTT < 0 || l.Bandwidth < 0 || l.Uplink < 0 || l.QueueBytes < 0 || l.QueuePackets < 0 {
			errs = append(errs, fmt.Errorf("%s: negative link rtt, bandwidth, queue", at))
		}
		if l.Loss < 0 || l.Loss >= 1 {
			errs = append(errs, fmt.Errorf("%s: link loss %v, want [0, 1)", at, l.Loss))
		}
		if s := p.Server; s != nil {
			if s.Backlog < 0 || s.MaxConnectionsPerClient < 0 || s.Workers < 0 || s.MemoryPerConn < 0 || s.MaxConnections < 0 || s.MaxRequests < 0 || s.ThinkTime < 0 {
				errs = append(errs, fmt.Errorf("%s: negative think time, max requests, backlog, max connections, workers or memory per connection", at))
			}
		}
		if p.Model.Connections < 0 || p.Model.Depth < 0 {
			errs = append(errs, fmt.Errorf("%s: negative connections or depth", at))
		}
		if c.http10() && p.Model.Kind == Pipelined {
			errs = append(errs, fmt.Errorf("%s: pipelined needs http version 1.1", at))
		}
		if c.http10() && p.Model.Kind == HTTP2 && p.Model.H2Upgrade && c.TLS == NoTLS {
			errs = append(errs, fmt.Errorf("%s: http2 by upgrade needs http version 1.1", at))
		}
	}
	for i, p := range ps {
		if p.Upstream != "" {
			if _, ok := index[p.Upstream]; !ok {
				errs = append(errs, fmt.Errorf("httpmodel: proxies[%d] (%s): upstream: no proxy named %q", i, p.Name, p.Upstream))
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Routes must end at a server: walk from every proxy for every
	// fronted hostname and for one that no proxy fronts.
	hosts := []string{""}
	for _, p := range ps {
		hosts = append(hosts, p.Hosts...)
	}
	for i := range ps {
		for _, h := range hosts {
			at, seen := i, map[int]bool{}
			for at >= 0 {
				if seen[at] {
					host := fmt.Sprintf("host %q", h)
					if h == "" {
						host = "a hostname no proxy fronts"
					}
					return fmt.Errorf("httpmodel: proxies[%d] (%s): the route of %s loops through proxy %q", i, ps[i].Name, host, ps[at].Name)
				}
				seen[at] = true
				p := ps[at]
				switch j, ok := fronted[h]; {
				case p.Upstream != "":
					at = index[p.Upstream]
				case ok && j == at:
					at = -1 // its server site
				case ok:
					at = j
				default:
					at = -1
				}
			}
		}
	}
	return nil
}
