package httpmodel

import (
	"container/heap"
	"fmt"
	"slices"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// Connection retry policy of the client (browser-like; values chosen to be
// visible in experiments, not copied from one browser).
const (
	maxAttempts     = 4                      // connections a request may lose without warning before it fails
	maxRefusals     = 6                      // rounds of refused connects in a row, with no connection open, before a host's waiting requests fail
	refusalBackoff0 = 500 * time.Millisecond // first wait after a refused connect; doubles
)

// client is the browser: one connection pool per hostname.
type client struct {
	w   *world
	cfg *Config // the world's, or its population's (Page, Model, Visits, ReadingTime)
	ep  *tcp.Endpoint
	// index is the client's global index (Timing.Client); idle: an idle
	// flood client (Population.Idle); traced: its connections are
	// traced (Config.Trace, single-client world).
	index  int
	idle   bool
	traced bool
	uplink link.Bandwidth // its first hop's uplink rate, for Timing.Send
	// proxy: this is the upstream side of a proxy, whose requests are
	// the ones it forwards (finish hands them back to it); via: the
	// forward proxy of the client's population (proxy.go).
	proxy, via *proxy
	pools      []*hostPool // in first-use order
	// byName finds a pool by hostname without a scan: a page may have as
	// many hosts as objects. It is only looked up, never iterated.
	byName map[string]*hostPool
	conns  []*clientConn
	// tickets: the hosts it holds a TLS session ticket for (tls.go).
	tickets map[string]bool

	visit      int
	visitStart sim.Time
	pending    int // requests of the current visit not yet finished
	requests   []*request
	reqBlock   []request // allocated, not yet used
	visitEnds  []sim.Time
	finished   bool

	// batch collects the connections fed while a page's objects are
	// issued, so that what each of them takes leaves as one write.
	batch    []*clientConn
	batching bool

	// examined counts the requests looked at while handing requests to
	// connections (canTake checks, searches of a connection's in-flight
	// list): the dispatch work, which tests check grows linearly with
	// the requests sent, however many are outstanding at once.
	examined int
}

// hostPool is the per-hostname state: DNS, connections, waiting requests
// (net/http Transport's idle list, wait queue and per-host count).
type hostPool struct {
	cl        *client
	name      string
	resolved  bool
	resolving bool
	group     *hostPool   // HTTP/2: the pool whose connections this host coalesces onto
	server    link.NodeID // the node that serves the hostname (world.serverFor), dialled by the pool

	open int // connections open or connecting (retire counts each once)
	// free holds, in dial order (a heap by id), every connection of the
	// pool that may take a request (and some that no longer may, dropped
	// when dispatch meets them): dispatch offers the waiting requests to
	// these only, as if it went through every connection in dial order,
	// without a pass over every connection for each request.
	free       connHeap
	keep       []*clientConn // dispatch's scratch list
	waiting    []*request    // FIFO
	connecting int
	// boundConnecting counts the connections on their way that were
	// dialled for a request of their own (Model.BindOnDial): they do
	// not serve the waiting ones.
	boundConnecting int
	limit           int

	noPipelineNext bool     // the next new connection replays a failed pipeline
	noPipelining   bool     // a pipeline to this host broke: no more pipelining (breakers.go)
	refusals       int      // rounds of refused connects in a row
	gen            int      // dial generation: refusals of one round count once
	retryAt        sim.Time // no new dial before this
	retryArmed     bool
}

type connState uint8

const (
	csConnecting connState = iota
	csTLS
	csReady
	csClosed
)

// clientConn is one client connection.
type clientConn struct {
	id    int // 1-based, in dial order across the run
	pool  *hostPool
	tc    *tcp.Conn
	state connState
	cl    *client

	dialAt, establishedAt, readyAt sim.Time

	inflight []*request // sent, response not complete, in order
	// unsafeInflight counts the non-idempotent requests in inflight, so
	// that canTake need not scan them: a pipeline may hold thousands.
	unsafeInflight int
	served         int
	persistent     bool     // more requests may follow on this connection
	closer         *request // its response said Connection: close: requests after it were not processed
	noPipeline     bool     // replaying after a failure: one request until a response
	sentAny        bool
	gen            int      // the pool's dial generation when dialled
	inBatch        bool     // listed in client.batch
	offered        bool     // in its pool's free heap
	bound          *request // Model.BindOnDial: the request this connection was dialled for, not yet sent
	boundDial      bool     // it was dialled with a bound request (counted in hostPool.boundConnecting)

	// Pipelining fallback (breakers.go): when the last response on it
	// ended; the stall timer (no response for the timeout with requests
	// pipelined behind) and the bytes delivered when it was armed.
	lastRespEnd sim.Time
	stall       *sim.Timer
	stallMark   int64

	// The read timeout (readtimeout.go): its timer, armed while the
	// client waits for the server, and the bytes delivered when it was
	// armed.
	read     *sim.Timer
	readMark int64
	lastRecv sim.Time // when the last message from the server arrived

	// HTTP/2
	h2          bool
	h2Ready     bool // preface sent (or 101 received): streams may be opened
	upgrading   bool // first request sent with Upgrade, waiting for 101
	sentHeaders bool // a HEADERS frame has been sent (HPACK state warm)
	tlsStep     int
	resumed     bool // TLS: its handshake resumes a session (tls.go)
	early       bool // TLS 1.3 0-RTT: it sends early data until the handshake completes

	trace *connTrace
}

var _ tcp.Handler = (*clientConn)(nil)

func newClient(w *world, cfg *Config, ep *tcp.Endpoint) *client {
	cl := &client{w: w, cfg: cfg, ep: ep, byName: map[string]*hostPool{}, uplink: cfg.Network.Uplink}
	cl.requests = make([]*request, 0, cfg.Visits*(1+len(cfg.Page.Objects)))
	return cl
}

func (cl *client) pool(name string) *hostPool {
	if p := cl.byName[name]; p != nil {
		return p
	}
	p := &hostPool{cl: cl, name: name, limit: cl.cfg.Model.connsPerHost(), retryAt: -1, server: cl.w.nextHop(cl, name)}
	if cl.cfg.Model.Kind == HTTP2 && !cl.cfg.Model.NoCoalesce {
		// A host that resolves to the server of an earlier host
		// coalesces onto that pool's connections (RFC 9113 9.1.1).
		// With one server that is the first pool (no scan: a page may
		// have as many hosts as objects). Model.NoCoalesce: every
		// host keeps its own pool and connections.
		if cl.w.route == nil && len(cl.pools) > 0 {
			p.group = cl.pools[0]
		}
		for i := 0; cl.w.route != nil && i < len(cl.pools); i++ {
			if q := cl.pools[i]; q.group == nil && q.server == p.server {
				p.group = q
				break
			}
		}
	}
	cl.pools = append(cl.pools, p)
	cl.byName[name] = p
	return p
}

// startVisit loads the page: the HTML first.
func (cl *client) startVisit() {
	now := cl.w.s.Now()
	cl.visitStart = now
	page := cl.cfg.Page
	html := cl.newRequest(page.Host, page.HTML, "GET", 0)
	cl.issue(html)
}

func (cl *client) newRequest(host string, size int64, method string, visitIndex int) *request {
	if len(cl.reqBlock) == 0 {
		// Requests are allocated a page at a time.
		cl.reqBlock = make([]request, 1+len(cl.cfg.Page.Objects))
	}
	r := &cl.reqBlock[0]
	cl.reqBlock = cl.reqBlock[1:]
	*r = request{
		index:      len(cl.requests),
		visit:      cl.visit,
		visitIndex: visitIndex,
		host:       cl.pool(host),
		size:       size,
		method:     method,
		idempotent: idempotent(method),
		dnsStart:   -1,
		sendAt:     -1,
		firstByte:  -1,
		end:        -1,
	}
	if r.method == "" {
		r.method = "GET"
	}
	cl.requests = append(cl.requests, r)
	cl.pending++
	return r
}

func (cl *client) issue(r *request) {
	r.start = cl.w.s.Now()
	r.host.waiting = append(r.host.waiting, r)
	r.host.dispatch()
}

// objectHost returns the hostname object i is fetched from: sharding
// spreads the page host's objects round-robin over the shard names, the
// first of which is the page host itself.
func (cl *client) objectHost(i int, o Object) string {
	page := cl.cfg.Page
	host := o.Host
	if host == "" {
		host = page.Host
	}
	n := cl.cfg.Model.shards()
	if host != page.Host || n <= 1 {
		return host
	}
	if s := i % n; s > 0 {
		return fmt.Sprintf("shard%d.%s", s, page.Host)
	}
	return host
}

// finish records a completed (or failed) request and moves the page on.
func (cl *client) finish(r *request) {
	if r.done {
		panic(fmt.Sprintf("httpmodel: request %d finished twice", r.index))
	}
	r.done = true
	r.end = cl.w.s.Now()
	cl.pending--
	if cl.w.hops != nil {
		cl.w.hopEnded(cl, r)
	}
	if cl.proxy != nil {
		cl.proxy.done(r) // a proxy relays the response (or a 502)
		return
	}
	if r.visitIndex == 0 && !r.failed {
		// The HTML has arrived: request its objects, in page order, as
		// one batch: connections are dialled in request order, and
		// what a connection takes from the batch leaves as one write.
		// (A failed HTML reveals no objects.)
		cl.batching = true
		for i, o := range cl.cfg.Page.Objects {
			or := cl.newRequest(cl.objectHost(i, o), o.Size, o.Method, i+1)
			cl.issue(or)
		}
		cl.batching = false
		for _, c := range cl.batch {
			c.inBatch = false
			c.tc.Uncork()
		}
		clear(cl.batch)
		cl.batch = cl.batch[:0]
	}
	if cl.pending == 0 {
		cl.visitEnds = append(cl.visitEnds, cl.w.s.Now())
		cl.visit++
		if cl.visit < cl.cfg.Visits {
			cl.w.s.After(cl.cfg.ReadingTime, cl.startVisit)
		} else {
			cl.finished = true
			cl.w.clientFinished(cl)
		}
	}
}

func (cl *client) fail(r *request) {
	r.failed = true
	if cl.proxy == nil {
		cl.w.failed++ // a proxy's failure is its client's, reported there
	}
	cl.finish(r)
}

// startIdle is an idle flood client's visit: it opens its connections,
// Model's per-host limit for each host of the page, at once, and sends
// nothing on them. It has no requests and is finished from the start;
// refused connections are not retried.
func (cl *client) startIdle() {
	cl.finished = true
	hosts := []string{cl.cfg.Page.Host}
	for i, o := range cl.cfg.Page.Objects {
		if h := cl.objectHost(i, o); !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	for _, h := range hosts {
		p := cl.pool(h)
		if p.group != nil {
			continue // HTTP/2: coalesced onto an earlier host's connections
		}
		p.resolved = true
		for p.open < p.limit {
			p.dial()
		}
	}
}

// --- per-host pool ---

// dispatch hands waiting requests to ready connections and opens new
// connections, up to the limit, for what is left.
func (p *hostPool) dispatch() {
	if len(p.waiting) == 0 {
		return
	}
	cl := p.cl
	if !p.resolved {
		p.resolve()
		return
	}
	if p.group != nil {
		// HTTP/2 coalescing: the lookup is this host's, the connection
		// the group's.
		g := p.group
		g.waiting = append(g.waiting, p.waiting...)
		p.waiting = p.waiting[:0]
		g.dispatch()
		return
	}
	// Offer the waiting requests to the connections that may take one,
	// in dial order; those that may take more stay offered.
	keep := p.keep[:0]
	for len(p.waiting) > 0 && len(p.free) > 0 {
		c := heap.Pop(&p.free).(*clientConn)
		c.feed()
		if c.mayTake(true) {
			keep = append(keep, c)
		} else {
			c.offered = false
		}
	}
	for i, c := range keep {
		heap.Push(&p.free, c)
		keep[i] = nil
	}
	p.keep = keep[:0]
	if len(p.waiting) == 0 {
		return
	}
	now := cl.w.s.Now()
	if p.retryAt > now {
		if !p.retryArmed {
			p.retryArmed = true
			cl.w.s.At(p.retryAt, func() { p.retryArmed = false; p.dispatch() })
		}
		return
	}
	// Open, at once, as many connections as what is still waiting after
	// every ready connection took its share needs, beyond those already
	// on their way, up to the limit: one per request, or with
	// pipelining and HTTP/2 one per depth (streams) of requests, and a
	// single one when a connection takes any number.
	per := cl.cfg.Model.requestsPerConn()
	if p.noPipelining {
		per = 1 // fell back: persistent connections, one request each at a time
	}
	need := 1 - p.connecting
	if per > 0 {
		need = (len(p.waiting)+per-1)/per - p.connecting
	}
	bind := cl.cfg.Model.BindOnDial && per == 1
	if bind {
		// Connections on their way with a request of their own do not
		// serve the waiting ones.
		need = len(p.waiting) - (p.connecting - p.boundConnecting)
	}
	for ; need > 0 && p.open < p.limit; need-- {
		c := p.dial()
		if bind {
			c.bound, c.boundDial = p.waiting[0], true
			p.waiting = p.waiting[1:]
			p.boundConnecting++
		}
	}
}

func (p *hostPool) resolve() {
	if p.resolving {
		return
	}
	cl := p.cl
	d := cl.cfg.Network.DNS
	first := p.waiting[0]
	if d <= 0 {
		p.resolved = true
		p.dispatch()
		return
	}
	p.resolving = true
	first.dnsStart = cl.w.s.Now()
	cl.w.s.After(d, func() {
		p.resolving = false
		p.resolved = true
		first.dnsEnd = cl.w.s.Now()
		p.dispatch()
	})
}

func (p *hostPool) dial() *clientConn {
	cl := p.cl
	c := &clientConn{
		id:         len(cl.conns) + 1,
		pool:       p,
		cl:         cl,
		dialAt:     cl.w.s.Now(),
		persistent: cl.cfg.Model.Kind != ShortLived,
		noPipeline: p.noPipelineNext,
		h2:         cl.cfg.Model.Kind == HTTP2,
		gen:        p.gen,
	}
	p.noPipelineNext = false
	cl.conns = append(cl.conns, c)
	p.open++
	p.connecting++
	if cl.proxy != nil {
		cl.proxy.metrics.Connections++
	} else {
		cl.w.dials++
	}
	if cl.w.hops != nil {
		cl.w.hop(cl.proxy, p.server).conns++
	}
	if cl.traced {
		c.trace = cl.w.newConnTrace(c)
	}
	c.tc = cl.ep.Dial(p.server, serverPort, cl.w.cfg.TCP, c)
	if c.tc.ID() != c.id-1 && cl.proxy == nil { // a proxy's endpoint also accepts
		panic(fmt.Sprintf("httpmodel: client connection %d has tcp index %d", c.id, c.tc.ID()))
	}
	return c
}

// offer adds c to the connections that dispatch offers requests to, now
// that it may take one (it became ready, a response completed, an h2c
// upgrade finished).
func (p *hostPool) offer(c *clientConn) {
	if !c.offered {
		c.offered = true
		heap.Push(&p.free, c)
	}
}

// connHeap orders connections by id (dial order), for container/heap.
type connHeap []*clientConn

func (h connHeap) Len() int           { return len(h) }
func (h connHeap) Less(i, j int) bool { return h[i].id < h[j].id }
func (h connHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *connHeap) Push(x any)        { *h = append(*h, x.(*clientConn)) }
func (h *connHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return c
}

// --- connection ---

// Connected implements tcp.Handler.
func (c *clientConn) Connected(tc *tcp.Conn) {
	now := c.cl.w.s.Now()
	c.establishedAt = now
	c.pool.refusals = 0
	if c.cl.idle {
		c.ready() // an idle client sends nothing, not even a TLS hello
		return
	}
	switch c.cl.cfg.TLS {
	case TLS12, TLS13:
		c.state = csTLS
		c.startTLS(tc)
		c.armRead()
	default:
		c.ready()
	}
}

func (c *clientConn) ready() {
	c.state = csReady
	if len(c.inflight) == 0 {
		c.stopRead() // the TLS handshake is done; requests re-arm it
	}
	c.readyAt = c.cl.w.s.Now()
	if w := c.cl.w; w.pop && c.cl.proxy == nil {
		w.handshakes += c.readyAt.Sub(c.dialAt)
	}
	c.pool.connecting--
	if c.boundDial {
		c.pool.boundConnecting--
		c.boundDial = false
	}
	c.pool.offer(c)
	c.feed()
	c.pool.dispatch()
}

// canTake reports whether r may be sent on c now.
func (c *clientConn) canTake(r *request) bool {
	return c.mayTake(r.idempotent) && (!c.early || safeMethod(r.method))
}

// mayTake reports whether c may be sent a request now, idempotent or not.
// mayTake(true) is whether it may take any request (a non-idempotent one
// is never pipelined).
func (c *clientConn) mayTake(idempotent bool) bool {
	c.cl.examined++
	if (c.state != csReady && !c.early) || c.tc.Closing() {
		return false
	}
	m := c.cl.cfg.Model
	if c.h2 {
		if c.upgrading {
			return false
		}
		return len(c.inflight) < h2MaxStreams
	}
	if m.Kind == ShortLived {
		return !c.sentAny // one request per connection
	}
	if !c.persistent {
		return false
	}
	if len(c.inflight) == 0 {
		return true
	}
	if m.Kind != Pipelined || c.noPipeline || c.pool.noPipelining || !idempotent {
		return false
	}
	if c.unsafeInflight > 0 {
		return false // never pipeline behind a non-idempotent request
	}
	return m.Depth == 0 || len(c.inflight) < m.Depth
}

// feed sends the waiting requests that c can take, first come first
// served, as one write.
func (c *clientConn) feed() {
	p := c.pool
	if r := c.bound; r != nil {
		if !c.canTake(r) {
			return
		}
		c.bound = nil
		c.tc.Cork()
		c.send(r)
		c.tc.Uncork()
		return
	}
	if len(p.waiting) == 0 || !c.canTake(p.waiting[0]) {
		return
	}
	c.tc.Cork()
	if c.h2 && !c.h2Ready {
		c.startH2()
	}
	for len(p.waiting) > 0 && c.canTake(p.waiting[0]) {
		r := p.waiting[0]
		p.waiting = p.waiting[1:]
		c.send(r)
	}
	if cl := c.cl; cl.batching && (c.h2 || cl.cfg.Model.Kind == Pipelined) {
		// More of the batch may follow on this connection: write
		// when the batch is complete.
		if !c.inBatch {
			c.inBatch = true
			cl.batch = append(cl.batch, c)
		}
		return
	}
	c.tc.Uncork()
}

func (c *clientConn) send(r *request) {
	cl := c.cl
	r.conn = c
	r.firstOnNew = !c.sentAny
	r.sendAt = cl.w.s.Now()
	r.attempts++
	c.sentAny = true
	c.inflight = append(c.inflight, r)
	c.armRead()
	if !r.idempotent {
		c.unsafeInflight++
	}
	size := cl.cfg.RequestBytes
	m := &msg{kind: mRequest, req: r}
	// Persistence (RFC 9112 9.3): HTTP/1.1 connections persist unless
	// the request says Connection: close (short-lived; its bytes are
	// counted in RequestBytes); HTTP/1.0 ones only if it says
	// Connection: keep-alive (the persistent models), and short-lived
	// sends nothing, close being the default. HTTP/2 frames carry no
	// Connection header.
	if cl.cfg.http10() {
		m.keepAlive = cl.cfg.Model.Kind != ShortLived && !c.h2
		if m.keepAlive {
			size += connKeepAliveLen
		}
	} else {
		m.close = cl.cfg.Model.Kind == ShortLived
	}
	if rl := r.relay; rl != nil {
		// A proxy's request: what it forwards, and this hop's own
		// connection-management lines (none on HTTP/2).
		blk := withHop(rl.reqHdrs, m.close, m.keepAlive, nil)
		m.hdrs = &blk
		size = blk.Bytes()
	}
	if c.h2 {
		if c.upgrading {
			size += upgradeExtraReq
			m.upgrade = true
		} else {
			m.kind = mH2Headers
			size = h2HeaderBytes(size, !c.sentHeaders)
			c.sentHeaders = true
		}
	}
	r.reqBytes = size
	c.tc.Send(size, m)
}

// Delivered implements tcp.Handler.
func (c *clientConn) Delivered(tc *tcp.Conn, tag any) {
	m := tag.(*msg)
	now := c.cl.w.s.Now()
	c.lastRecv = now
	switch m.kind {
	case mTLSServerFlight:
		c.tlsServerFlight(tc)
		return
	case mTLSServerFinish:
		c.storeTicket()
		c.ready()
		return
	case mTLSTicket:
		c.storeTicket()
		return
	case mH2Settings:
		return
	case mSwitching:
		c.upgrading = false
		c.pool.offer(c)
		tc.Cork()
		c.startH2()
		c.feed()
		tc.Uncork()
		return
	}
	if c.state == csClosed {
		return // a response arriving after the client reset the connection
	}
	r := m.req
	if len(c.inflight) == 0 || (!c.h2 && c.inflight[0] != r) {
		if c.h2 {
			panic(fmt.Sprintf("httpmodel: connection %d got a response for no stream", c.id))
		}
		c.mismatch() // a response the client cannot match (breakers.go)
		return
	}
	c.stopStall() // the head's response has begun
	first := r.firstByte < 0
	if first {
		r.firstByte = now
		if rl := r.relay; rl != nil && m.hdrs != nil {
			rl.respHdrs = *m.hdrs // a proxy reads the response's header block
		}
	}
	if rl := r.relay; rl != nil {
		rl.px.arrived(r, m, first) // a streaming proxy relays what has arrived
	}
	if (m.kind == mRespHeader || m.kind == mRespBody) && !c.cl.cfg.persists(m) {
		c.persistent = false
		c.closer = r
	}
	if !m.last {
		return
	}
	c.removeInflight(r)
	c.served++
	c.noPipeline = false
	c.lastRespEnd = now
	if len(c.inflight) > 0 && !c.h2 {
		c.armStall() // requests were pipelined behind it
	}
	if c.trace != nil {
		c.trace.responseEnds = append(c.trace.responseEnds, now)
	}
	if m.badGateway {
		r.gateway = true
		c.cl.fail(r) // a proxy could not get the response
	} else {
		c.cl.finish(r)
	}
	if c.closer == r {
		// The server announced that it closes after this response:
		// the client closes the connection now that it has read it
		// (RFC 9112 9.6), and what it pipelined behind goes back to
		// the queue.
		tc.Close()
		c.retire(tcp.ClosedLocally)
		return
	}
	if c.state == csReady {
		c.pool.offer(c)
		c.feed()
		c.pool.dispatch()
	}
}

// removeInflight takes r, whose response is complete, out of inflight.
// HTTP/1.x answers in order, so r is the head: popping it costs O(1)
// however long the pipeline is. HTTP/2 streams end in any order, but at
// most h2MaxStreams are open.
func (c *clientConn) removeInflight(r *request) {
	if !r.idempotent {
		c.unsafeInflight--
	}
	if c.inflight[0] == r {
		c.inflight[0] = nil
		c.inflight = c.inflight[1:]
	} else {
		i := slices.Index(c.inflight, r)
		c.cl.examined += i + 1
		c.inflight = slices.Delete(c.inflight, i, i+1)
	}
	if len(c.inflight) == 0 {
		c.stopRead()
	}
}

func (c *clientConn) startH2() {
	cl := c.cl
	if cl.cfg.TLS == NoTLS && cl.cfg.Model.H2Upgrade && !c.sentAny {
		// h2c by Upgrade: the first request goes out as HTTP/1.1.
		c.upgrading = true
		r := c.pool.waiting[0]
		c.pool.waiting = c.pool.waiting[1:]
		c.send(r)
		c.h2Ready = true
		return
	}
	c.h2Ready = true
	c.tc.Send(h2Preface, &msg{kind: mH2Preface})
}

// Closed implements tcp.Handler.
func (c *clientConn) Closed(tc *tcp.Conn, reason tcp.CloseReason) {
	if c.trace != nil {
		c.trace.closedAt = c.cl.w.s.Now()
	}
	if c.state != csClosed {
		c.retire(reason)
	}
}

// retire takes c out of its pool for good: it takes no more requests, its
// unanswered ones go back to the queue (or fail), and the pool may dial
// in its place. A connection that ends before it was ready (refused, timed
// out, closed during the TLS handshake) is a failed connection attempt.
func (c *clientConn) retire(reason tcp.CloseReason) {
	cl := c.cl
	p := c.pool
	now := cl.w.s.Now()
	wasConnecting := c.state == csConnecting || c.state == csTLS
	if c.cutPipeline(reason) {
		c.fallBack() // the server closed in the middle of a pipeline (breakers.go)
	}
	c.stopStall()
	c.stopRead()
	c.state = csClosed
	p.open--
	if wasConnecting {
		p.connecting--
	}
	if c.boundDial {
		p.boundConnecting--
		c.boundDial = false
	}
	if r := c.bound; r != nil {
		// Dialled for r and closed before sending it: r waits again,
		// first in line.
		c.bound = nil
		p.waiting = append([]*request{r}, p.waiting...)
	}
	if wasConnecting {
		cl.w.refused++
		if r := c.bound; r != nil {
			r.refusals++
		}
		for _, r := range p.waiting {
			r.refusals++
		}
		// Connections dialled together and refused together are one
		// round of refusals: the backoff doubles per round.
		if c.gen == p.gen {
			p.gen++
			p.refusals++
			p.retryAt = now.Add(refusalBackoff0 << min(p.refusals-1, 4))
		}
		if p.refusals >= maxRefusals && p.open == 0 {
			waiting := p.waiting
			p.waiting = nil
			for _, r := range waiting {
				cl.fail(r)
			}
		}
	}
	// Unanswered requests go back to the front of the queue (idempotent
	// ones; RFC 9112 9.3.1), and the next connection does not pipeline
	// until a response has come back (RFC 9112 9.3.2). Requests behind a
	// response that announced Connection: close were not processed
	// (RFC 9112 9.6), so replaying them does not count against the
	// request's retry budget; other losses (a reset, a timeout, a close
	// the client did not see coming) do.
	if len(c.inflight) > 0 {
		inflight := c.inflight
		c.inflight = nil
		c.unsafeInflight = 0
		// A server that closes a connection in order (its FIN came
		// first) after answering on it has answered every request it
		// read: what is left was not processed, as behind a
		// Connection: close, and the connection made progress, so
		// replaying does not count a strike. This is the keep-alive
		// race, which a short keep-alive timeout (or 0: close as soon
		// as idle) loses on every reuse of a connection.
		idleClosed := reason == tcp.ClosedByPeer && c.served > 0
		var replay []*request
		for _, r := range inflight {
			r.conn = nil
			r.firstByte = -1
			r.respBytes = 0
			if (c.closer == nil && !idleClosed) || c.closer == r {
				r.strikes++
			}
			if !r.idempotent || r.strikes >= maxAttempts {
				cl.fail(r)
				continue
			}
			replay = append(replay, r)
		}
		if len(replay) > 0 {
			cl.w.replayed += len(replay)
			for _, r := range replay {
				r.replayed = true
			}
			p.noPipelineNext = cl.cfg.Model.Kind == Pipelined
			p.waiting = append(replay, p.waiting...)
		}
	}
	p.dispatch()
}

// h2MaxStreams is the server's SETTINGS_MAX_CONCURRENT_STREAMS (nginx's
// and many servers' default).
const h2MaxStreams = 128
