package httpmodel

import (
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

const serverPort = 80

// server answers every hostname of the page (they all resolve to it).
type server struct {
	w     *world
	cfg   *Config
	proxy *proxy        // the downstream side of this proxy: it forwards instead of answering (proxy.go)
	open  int           // connections accepted and not yet closed
	conns []*serverConn // every connection accepted (single-client world; populations keep none)

	// The limits of Server (see accept). capacity is the connections
	// the application holds at most (MaxConnections, Workers; 0 = no
	// limit); backlog the connections waiting, in arrival order, some
	// of them gone (queued false) and skipped when met.
	capacity  int
	backlog   []*serverConn
	queued    int   // connections in backlog still waiting
	perClient []int // connections held (open or queued) per client node, indexed by NodeID; with MaxConnectionsPerClient
	served    int   // responses written in full
	dropped   int   // requests discarded unanswered (Server.Pipelining drop-after-first)

	// Statistics of the open count over time (see note).
	openMax, busyMax, queuedMax int
	lastChange                  sim.Time
	openArea                    int64 // integral of open over [0, lastChange], connection-nanoseconds
	lastOpen                    int
	series                      bool
	samples                     []ServerSample
	// Populations: ServerConnS is summed as connections close (in
	// integer nanoseconds), not from a record of every connection;
	// live holds the accepted connections not yet closed, each at its
	// index liveAt, for those still open at the end.
	pop    bool
	connNS int64
	live   []*serverConn
	// closing holds connections the application has seen closed (the
	// peer's FIN) whose TCP side has not finished closing (LAST-ACK):
	// they count until it has, as in the single-client world, and leave
	// once it has (sweepClosing), so the list stays short.
	closing []*serverConn
}

// serverConn is the server's side of one connection.
type serverConn struct {
	sv     *server
	tc     *tcp.Conn
	client *clientConn // learnt from the first request, for traces
	served int         // responses written
	// read counts the HTTP/1.x requests taken on the connection; one
	// behind the MaxRequests-th, which the server answers with close,
	// is never processed (RFC 9112 9.6), nor forwarded by a proxy.
	read   int
	closed bool // Close called or connection over
	slot   bool // holds one of the server's MaxConnections slots
	// lingering: closed to requests after MaxRequests, waiting for the
	// client to close (see linger).
	lingering bool
	idle      *sim.Timer
	// idleWhenDrained: the last response is still mostly unsent; the
	// keep-alive timer starts when it has drained into the "socket
	// buffer" (TCP's unsent bytes at or below SendLowWater), as a server
	// arms it once its last write returned.
	idleWhenDrained bool

	pending []*srvReq // HTTP/1.x requests in arrival order, answered in that order

	// HTTP/2
	h2          bool
	streams     []*srvReq // streams with response bytes left, round-robin order
	rr          int
	sentHeaders bool
	pumpQueued  bool
	prefaceDue  bool  // upgraded by h2c: the client's preface has not arrived
	settingsDue int64 // SETTINGS bytes to send with the next frames

	// Broken pipelining (Server.Pipelining, breakers.go): sawPipeline,
	// a request arrived while an earlier one was unfinished; oooQueued,
	// an out-of-order write waits for the end of the instant.
	sawPipeline bool
	oooQueued   bool

	openedAt, closedAt sim.Time

	// queued: waiting in the listen backlog (handshake done by the
	// kernel, not yet accepted by the application); early holds what
	// arrived meanwhile, read once accepted. connected: tcp's handshake
	// is complete.
	queued    bool
	held      bool // counted in perClient
	connected bool
	early     []*msg
	node      link.NodeID // the client's address
	liveAt    int         // index in server.live (populations)
}

// srvReq is a request the server is working on.
type srvReq struct {
	req        *request
	ready      bool // think time over
	started    bool // serial server: read, its think time begun
	close      bool // HTTP/1.x: the request did not ask for a persistent connection (see Config.persists)
	headerSent bool
	left       int64 // HTTP/2: body bytes not yet framed

	// A proxy's request (proxy.go): hdrs, the request's header block
	// as read, then the response's to relay; relayed, the response is
	// the upstream one; badGateway, the upstream request failed.
	// Streaming: hdrIn, the upstream header has arrived; avail, the
	// body bytes arrived that may be relayed.
	hdrs       headerBlock
	relayed    bool
	badGateway bool
	hdrIn      bool
	avail      int64

	// The HTTP/1.x response as written so far (respondHead): the
	// header is out, what it said, and the body bytes sent.
	hdrOut                   bool
	closing                  bool
	respClose, respKeepAlive bool
	blk                      *headerBlock
	sentBody                 int64
}

// sendable reports whether an HTTP/2 stream has a frame to send: a
// server's once its think time is over; a streaming proxy's once the
// upstream header has arrived (its HEADERS) and while body bytes have
// arrived that it has not framed.
func (sr *srvReq) sendable() bool {
	if !sr.relayed || sr.ready {
		return sr.ready
	}
	return sr.hdrIn && (!sr.headerSent || sr.req.size-sr.left < sr.avail)
}

var (
	_ tcp.Handler    = (*serverConn)(nil)
	_ tcp.SendSpacer = (*serverConn)(nil)
)

func newServer(w *world) *server { return newServerWith(w, &w.cfg) }

// newServerWith returns a server of w with the settings of cfg (a
// topology's site has its own Server).
func newServerWith(w *world, cfg *Config) *server {
	sv := &server{w: w, cfg: cfg, pop: w.pop}
	srv := cfg.Server
	for _, c := range []int{srv.MaxConnections, srv.Workers} {
		if c > 0 && (sv.capacity == 0 || c < sv.capacity) {
			sv.capacity = c
		}
	}
	sv.series = cfg.ServerSeries || cfg.Trace
	return sv
}

// accept decides on a connection request (a SYN), in this order:
//
//   - the client address holds MaxConnectionsPerClient connections
//     (open or in the backlog): refuse with a reset;
//   - the application holds fewer than its capacity (MaxConnections,
//     Workers, the smaller one; 0 = no limit): accept;
//   - else, with a Backlog and room in it: the kernel completes the
//     handshake and the connection waits in the backlog, unread, until
//     the application accepts it (when one it holds closes);
//   - else, with a Backlog: drop the SYN unanswered (Linux's full accept
//     queue with tcp_abort_on_overflow=0); the client retransmits it;
//   - else (no backlog): refuse with a reset.
func (sv *server) accept(tc *tcp.Conn) tcp.Handler {
	srv := &sv.cfg.Server
	node := tc.RemoteNode()
	if m := srv.MaxConnectionsPerClient; m > 0 {
		for int(node) >= len(sv.perClient) {
			sv.perClient = append(sv.perClient, 0)
		}
		if sv.perClient[node] >= m {
			sv.w.serverRefused++
			return nil
		}
	}
	now := sv.w.s.Now()
	var sc *serverConn
	if sv.capacity == 0 || sv.open < sv.capacity {
		sv.open++
		sc = &serverConn{sv: sv, tc: tc, slot: true, openedAt: now, closedAt: -1}
	} else if srv.Backlog > 0 && sv.queued < srv.Backlog {
		sc = &serverConn{sv: sv, tc: tc, queued: true, openedAt: now, closedAt: -1}
		sv.backlog = append(sv.backlog, sc)
		sv.queued++
	} else if srv.Backlog > 0 {
		sv.w.synDrops++
		return tcp.DropSYN
	} else {
		sv.w.serverRefused++
		return nil
	}
	sc.node = node
	if srv.MaxConnectionsPerClient > 0 {
		sc.held = true
		sv.perClient[node]++
	}
	sc.idle = sv.w.s.NewTimer(sc.onIdle)
	if sv.pop {
		sc.liveAt = len(sv.live)
		sv.live = append(sv.live, sc)
	} else {
		sv.conns = append(sv.conns, sc)
	}
	sv.changed()
	return sc
}

// changed records a change of the open, busy or backlog counts: the
// time-weighted integral, the peaks and, when asked, the series.
func (sv *server) changed() {
	now := sv.w.s.Now()
	sv.openArea += int64(sv.lastOpen) * int64(now.Sub(sv.lastChange))
	sv.lastChange = now
	sv.lastOpen = sv.open
	sv.openMax = max(sv.openMax, sv.open)
	sv.queuedMax = max(sv.queuedMax, sv.queued)
	busy := sv.busy()
	sv.busyMax = max(sv.busyMax, busy)
	if sv.series {
		smp := ServerSample{Time: now, Open: sv.open, Busy: busy, Backlog: sv.queued}
		n := len(sv.samples)
		switch {
		case n > 0 && sv.samples[n-1].Time == now:
			sv.samples[n-1] = smp // the state at the end of the instant
		case n == 0 || sv.samples[n-1].Open != smp.Open || sv.samples[n-1].Busy != smp.Busy || sv.samples[n-1].Backlog != smp.Backlog:
			sv.samples = append(sv.samples, smp)
		}
	}
	if sv.w.fleet != nil {
		sv.w.fleet.changed() // a topology of several servers: their sums
	}
	if sv.w.observe != nil {
		sv.w.observe(sv)
	}
}

// busy is the workers held: with Workers, one per open connection.
func (sv *server) busy() int {
	if sv.cfg.Server.Workers > 0 {
		return sv.open
	}
	return 0
}

// area returns the integral of open connections over [0, now].
func (sv *server) area(now sim.Time) int64 {
	return sv.openArea + int64(sv.lastOpen)*int64(now.Sub(sv.lastChange))
}

// admit hands a freed slot to the oldest connection in the backlog.
func (sv *server) admit() {
	for sv.queued > 0 && (sv.capacity == 0 || sv.open < sv.capacity) {
		sc := sv.backlog[0]
		sv.backlog[0] = nil
		sv.backlog = sv.backlog[1:]
		if !sc.queued {
			continue // gone while it waited
		}
		sc.queued = false
		sv.queued--
		sv.open++
		sc.slot = true
		if sc.connected {
			sc.idle.Reset(sc.clientWait())
		}
		early := sc.early
		sc.early = nil
		for _, m := range early {
			sc.Delivered(sc.tc, m)
		}
	}
	if len(sv.backlog) == 0 {
		sv.backlog = nil // let the old array go
	}
}

// Connected implements tcp.Handler: wait for the first request (see
// clientWait); a connection in the backlog waits for the application.
func (sc *serverConn) Connected(*tcp.Conn) {
	sc.connected = true
	if sc.queued {
		return
	}
	sc.idle.Reset(sc.clientWait())
}

// handshaking restarts the wait for the first request when a handshake
// message arrives: the keep-alive timeout bounds idleness, and a
// connection in its TLS handshake is not idle.
func (sc *serverConn) handshaking() {
	if !sc.closed && sc.served == 0 && len(sc.pending) == 0 && len(sc.streams) == 0 {
		sc.idle.Reset(sc.clientWait())
	}
}

// clientWait is how long the server waits for the client when the
// connection is not idle after a response: for a new connection's first
// request (and each message of its TLS handshake), for the client's
// HTTP/2 preface after an h2c Upgrade, and for the client's close during
// a lingering close. Servers time these apart from keep-alive, and
// longer (nginx's client_header_timeout, Apache's Timeout, Node's
// headersTimeout): keep-alive closes a connection that has become idle
// after a response, which one waiting for the client's first bytes has
// not. The wait is the keep-alive timeout when that is longer, else the
// default (5 s), so a short keep-alive (1 ms, or 0: close at once) never
// closes a connection before its first request, however long that
// request's first flight takes to arrive (HTTP/2's preface and requests
// in one segment take 1.06 ms at 10 Mbit/s).
func (sc *serverConn) clientWait() time.Duration {
	return max(sc.sv.cfg.Server.KeepAliveTimeout, defaultKeepAlive)
}

// idleWait is how long a connection that has answered every request it
// read stays open: the keep-alive timeout, 0 for "close at once"; while
// an h2c Upgrade waits for the client's preface, clientWait.
func (sc *serverConn) idleWait() time.Duration {
	if sc.prefaceDue {
		return sc.clientWait()
	}
	return max(sc.sv.cfg.Server.KeepAliveTimeout, 0)
}

// armIdle starts the keep-alive timer once nothing is left to answer: at
// once if the responses written are (nearly) all sent, else when they
// have drained (SendSpace).
func (sc *serverConn) armIdle() {
	if sc.tc.Unsent() > sc.tc.Config().SendLowWater {
		sc.idleWhenDrained = true
		return
	}
	sc.idleWhenDrained = false
	sc.idle.Reset(sc.idleWait())
}

func (sc *serverConn) onIdle() {
	if sc.lingering {
		sc.lingering = false
		sc.release()
		sc.tc.Close()
		return
	}
	if !sc.closed && len(sc.pending) == 0 && len(sc.streams) == 0 {
		sc.close()
	}
}

// linger ends a connection the server decided to close (MaxRequests)
// while the client may still be sending pipelined requests: it answers
// nothing more, but goes on reading, and closes once the client, told by
// the response's Connection: close, has closed its side (tcp then closes
// this side too), or after the keep-alive timeout at the latest. This is
// the staged close of RFC 9112 9.6 ("lingering close"): closing at once
// would make TCP answer the requests still arriving with a reset, which
// discards the responses not yet delivered. (tcp has no half-close, so
// the server's FIN follows the client's instead of preceding it.)
func (sc *serverConn) linger() {
	sc.closed = true
	sc.lingering = true
	sc.idleWhenDrained = false
	sc.idle.Reset(sc.clientWait())
}

// close closes the connection after what was written, and frees its slot:
// MaxConnections counts the connections the server application holds.
func (sc *serverConn) close() {
	sc.closed = true
	sc.idle.Stop()
	sc.idleWhenDrained = false
	sc.release()
	sc.tc.Close()
}

func (sc *serverConn) release() {
	sv := sc.sv
	if sc.held {
		sc.held = false
		sv.perClient[sc.node]--
	}
	switch {
	case sc.slot:
		sc.slot = false
		sv.open--
		sv.admit()
	case sc.queued:
		sc.queued = false
		sc.early = nil
		sv.queued--
	default:
		return
	}
	sv.changed()
}

// Delivered implements tcp.Handler.
func (sc *serverConn) Delivered(tc *tcp.Conn, tag any) {
	m := tag.(*msg)
	cfg := sc.sv.cfg
	if sc.queued {
		sc.early = append(sc.early, m) // unread until accepted
		return
	}
	if sc.serverTLS(tc, m) {
		return
	}
	switch m.kind {
	case mH2Preface:
		sc.handshaking()
		// After an h2c Upgrade the connection may now become idle: the
		// pump below re-arms the idle timer if nothing is left.
		sc.prefaceDue = false
		// The server's SETTINGS (after an Upgrade they went out with
		// the 101, and only the acknowledgement of the client's is
		// left) leave with the first frames of the responses to the
		// requests that came with the preface.
		if sc.h2 {
			sc.settingsDue = h2SettingsAck
		} else {
			sc.h2 = true
			sc.settingsDue = h2ServerSettings
		}
		sc.schedulePump()
		return
	}
	if sc.closed {
		return // a request after we decided to close: never answered here
	}
	if m.kind == mRequest && !sc.h2 {
		if sc.read >= cfg.Server.MaxRequests {
			// Pipelined behind the request whose response will
			// say close: a server "MUST NOT process any further
			// requests received on that connection" (RFC 9112
			// 9.6); the client sends it again on another.
			return
		}
		sc.read++
	}
	if sc.arrive(m) {
		return // discarded (drop-after-first): the keep-alive timer runs on
	}
	sc.idle.Stop()
	sc.idleWhenDrained = false
	if sc.client == nil {
		sc.client = m.req.conn
	}
	sr := &srvReq{req: m.req, close: m.kind == mRequest && !cfg.persists(m), left: m.req.size}
	upgrade := m.kind == mRequest && m.upgrade && !sc.h2
	if upgrade {
		// HTTP/1.1 Upgrade: h2c. Switch, then answer as stream 1.
		sc.h2 = true
		sc.prefaceDue = true
		tc.Cork()
		tc.Send(upgradeSwitching, &msg{kind: mSwitching})
		tc.Send(h2ServerSettings-h2SettingsAck, &msg{kind: mH2Settings})
		tc.Uncork()
	}
	if sc.h2 {
		sc.streams = append(sc.streams, sr)
	} else {
		sc.pending = append(sc.pending, sr)
	}
	if px := sc.sv.proxy; px != nil {
		sr.hdrs = px.requestHeaders(m)
	}
	if sc.deferRead() {
		return // serial: read once the responses before it are written
	}
	sr.started = true
	if px := sc.sv.proxy; px != nil {
		px.take(sc, sr) // think, forward, relay: sr is ready when the response is
		return
	}
	think := cfg.Server.ThinkTime
	if think <= 0 {
		sr.ready = true
		sc.write()
		return
	}
	sc.sv.w.s.After(think, func() {
		sr.ready = true
		sc.write()
	})
}

func (sc *serverConn) write() {
	if sc.closed {
		return
	}
	if sc.h2 {
		sc.schedulePump()
		return
	}
	if sc.sv.cfg.Server.Pipelining == PipeliningOutOfOrder {
		sc.writeOutOfOrder()
		return
	}
	for len(sc.pending) > 0 && sc.pending[0].ready {
		sr := sc.pending[0]
		sc.pending = sc.pending[1:]
		if sc.respond(sr) {
			return
		}
		sc.readNext()
	}
	if len(sc.pending) == 0 {
		sc.armIdle()
	} else if sc.sv.proxy != nil {
		sc.stream(sc.pending[0])
	}
}

// respond writes the response to sr (what of it a streaming proxy has
// not written yet, see stream) and reports whether the connection is
// closing after it.
func (sc *serverConn) respond(sr *srvReq) (closed bool) {
	tc := sc.tc
	tc.Cork()
	if !sr.hdrOut {
		sc.respondHead(sr)
	}
	if body := sr.body() - sr.sentBody; body > 0 {
		sc.sendBody(sr, body, true)
	}
	tc.Uncork()
	return sc.respondEnd(sr)
}

// body is the response's body bytes: none in a 502.
func (sr *srvReq) body() int64 {
	if sr.badGateway {
		return 0
	}
	return sr.req.size
}

// respondHead decides whether the connection persists after sr's
// response and writes its header.
func (sc *serverConn) respondHead(sr *srvReq) {
	cfg := sc.sv.cfg
	tc := sc.tc
	sc.served++
	// Persistence (RFC 9112 9.3): close after this response if
	// the client did not ask for persistence, or the connection
	// reached MaxRequests. HTTP/1.1 announces the close with
	// Connection: close (counted in ResponseHeaderBytes);
	// HTTP/1.0 keeps a connection only by echoing Connection:
	// keep-alive (with the Keep-Alive header, counted in
	// ResponseHeaderBytes), and says nothing when it closes.
	closing := sr.close || sc.served >= cfg.Server.MaxRequests
	sc.sv.served++
	r := sr.req
	hdr := cfg.ResponseHeaderBytes
	var close, keepAlive bool
	if cfg.http10() {
		keepAlive = !closing
		if keepAlive {
			hdr += connKeepAliveLen
		}
	} else {
		close = closing
	}
	body := sr.body()
	// Header blocks are listed (proxy.go) only where a proxy is on the
	// hop: a proxy builds its response's from the upstream one; a
	// server answering a proxy tells it what its block holds.
	var blk *headerBlock
	if sr.relayed {
		var ka *header
		if !closing {
			k := keepAliveHeader(cfg.Server)
			ka = &k
		}
		b := withHop(sr.hdrs, close, keepAlive, ka)
		blk = &b
		hdr = b.Bytes()
	} else if r.relay != nil {
		b := cfg.responseBlock(cfg.Server, close, keepAlive)
		blk = &b
	}
	r.respBytes = hdr + body
	sr.hdrOut, sr.closing, sr.respClose, sr.respKeepAlive, sr.blk = true, closing, close, keepAlive, blk
	// A message of 0 bytes has nothing to send: a response without
	// header bytes is its body alone (Validate refuses a response of
	// 0 bytes in all, which the client could not see arrive).
	if hdr > 0 || body == 0 {
		tc.Send(hdr, &msg{kind: mRespHeader, req: r, close: close, keepAlive: keepAlive, last: body == 0, badGateway: sr.badGateway, hdrs: blk})
	}
}

// relayChunk is how much of a response body a server writes as one
// message to a proxy, which relays each as it arrives (a proxy's read
// buffer: nginx's proxy_buffer_size is one 4 KiB page).
const relayChunk = 4096

// sendBody writes n bytes of sr's body, the last ones if last. To a
// proxy the bytes go in relayChunk messages, so that it can stream
// them on.
func (sc *serverConn) sendBody(sr *srvReq, n int64, last bool) {
	r := sr.req
	sr.sentBody += n
	for n > 0 {
		c := n
		if r.relay != nil {
			c = min(n, relayChunk)
		}
		n -= c
		sc.tc.Send(c, &msg{kind: mRespBody, req: r, close: sr.respClose, keepAlive: sr.respKeepAlive, last: last && n == 0, hdrs: sr.blk, n: c})
	}
}

// respondEnd closes the connection after a complete response when
// that was decided (respondHead) or the server breaks pipelining that
// way, and reports whether it did.
func (sc *serverConn) respondEnd(sr *srvReq) (closed bool) {
	if sr.closing {
		sc.pending = nil
		if sr.close {
			// The client did not ask for persistence (Connection:
			// close, or HTTP/1.0 without keep-alive) and sends
			// nothing more: close now (FIN after the response).
			sc.close()
		} else {
			sc.linger()
		}
		return true
	}
	if sc.closesAbruptly() {
		// close-after-first: a close the response did not
		// announce; what the client pipelined is lost.
		sc.pending = nil
		sc.close()
		return true
	}
	return false
}

// stream writes what a proxy has of the response to sr, the head of
// the pending requests, before it is complete: the header once the
// upstream one has arrived, then the body bytes as they arrive.
func (sc *serverConn) stream(sr *srvReq) {
	if !sr.hdrIn || sr.ready {
		return
	}
	tc := sc.tc
	tc.Cork()
	if !sr.hdrOut {
		sc.respondHead(sr)
	}
	if n := sr.avail - sr.sentBody; n > 0 {
		sc.sendBody(sr, n, false)
	}
	tc.Uncork()
}

// abort resets the connection: a proxy that has begun a response whose
// upstream request then failed can only cut it (RFC 9112 9.6 gives it
// no way to announce the failure after the header).
func (sc *serverConn) abort() {
	if sc.closed {
		return
	}
	sc.closed = true
	sc.idle.Stop()
	sc.idleWhenDrained = false
	sc.release()
	sc.tc.Abort()
}

// pump writes HTTP/2 frames, one frame per ready stream in turn
// (round-robin, no priorities), while the connection's unsent bytes stay
// at or below its low-water mark; SendSpace resumes it.
func (sc *serverConn) pump() {
	cfg := sc.sv.cfg
	tc := sc.tc
	low := tc.Config().SendLowWater
	// The frames of one pass leave as one write (a server's writev), so
	// small frames share segments.
	tc.Cork()
	defer tc.Uncork()
	if sc.settingsDue > 0 {
		tc.Send(sc.settingsDue, &msg{kind: mH2Settings})
		sc.settingsDue = 0
	}
	for tc.Unsent() <= low && len(sc.streams) > 0 {
		var sr *srvReq
		for range sc.streams {
			if sc.rr >= len(sc.streams) {
				sc.rr = 0
			}
			if sc.streams[sc.rr].sendable() {
				sr = sc.streams[sc.rr]
				break
			}
			sc.rr++
		}
		if sr == nil {
			break
		}
		r := sr.req
		if !sr.headerSent {
			sr.headerSent = true
			base := cfg.ResponseHeaderBytes
			var blk *headerBlock
			if sr.relayed {
				base = sr.hdrs.Bytes() // HTTP/2 carries no hop-by-hop lines (RFC 9113 8.2.2)
				blk = &sr.hdrs
			} else if r.relay != nil {
				blk = &headerBlock{base: base}
			}
			n := h2HeaderBytes(base, !sc.sentHeaders)
			sc.sentHeaders = true
			r.respBytes += n
			tc.Send(n, &msg{kind: mH2Headers, req: r, last: sr.left == 0, badGateway: sr.badGateway, hdrs: blk})
		} else {
			n := min(sr.left, h2MaxFrame)
			if !sr.ready {
				n = min(n, sr.avail-(r.size-sr.left)) // streaming: what has arrived
			}
			sr.left -= n
			r.respBytes += n + h2FrameHeader
			tc.Send(n+h2FrameHeader, &msg{kind: mH2Data, req: r, last: sr.left == 0, n: n})
		}
		if sr.left == 0 {
			sc.served++
			sc.sv.served++
			sc.streams = append(sc.streams[:sc.rr], sc.streams[sc.rr+1:]...)
		} else {
			sc.rr++
		}
	}
	if len(sc.streams) == 0 {
		sc.armIdle()
	}
}

// schedulePump runs pump once, after every callback already queued for
// this instant: frames that arrived together are all read before the
// server writes (an event loop drains its socket first), so streams that
// became ready together share the round-robin from the first frame.
func (sc *serverConn) schedulePump() {
	if !sc.pumpQueued {
		sc.pumpQueued = true
		sc.sv.w.s.Defer(sc.deferredPump)
	}
}

func (sc *serverConn) deferredPump() {
	sc.pumpQueued = false
	if !sc.closed {
		sc.pump()
	}
}

// SendSpace implements tcp.SendSpacer: HTTP/2 writes more frames; an
// HTTP/1.x connection whose last response has drained starts its
// keep-alive timer.
func (sc *serverConn) SendSpace(*tcp.Conn) {
	if sc.closed {
		return
	}
	if sc.h2 {
		sc.pump()
		return
	}
	if sc.idleWhenDrained && len(sc.pending) == 0 {
		sc.armIdle()
	}
}

// Closed implements tcp.Handler.
func (sc *serverConn) Closed(tc *tcp.Conn, _ tcp.CloseReason) {
	sc.closed = true
	sc.lingering = false
	sc.idle.Stop()
	sc.idleWhenDrained = false
	sc.release()
	if sv := sc.sv; sv.pop && sc.liveAt >= 0 {
		// Forget the connection, keeping what server_conn_s needs: the
		// time its TCP side closed, which a close the peer began has
		// not reached yet (ClosedAt is -1 in LAST-ACK).
		if at := tc.Stats().ClosedAt; at >= 0 {
			sv.connNS += int64(at.Sub(sc.openedAt))
		} else {
			sv.closing = append(sv.closing, sc)
		}
		sv.sweepClosing()
		last := sv.live[len(sv.live)-1]
		sv.live[sc.liveAt] = last
		last.liveAt = sc.liveAt
		sv.live[len(sv.live)-1] = nil
		sv.live = sv.live[:len(sv.live)-1]
		sc.liveAt = -1
	}
}

// sweepClosing counts the connections of closing whose TCP side has
// closed since, and drops them.
func (sv *server) sweepClosing() {
	keep := sv.closing[:0]
	for _, sc := range sv.closing {
		if at := sc.tc.Stats().ClosedAt; at >= 0 {
			sv.connNS += int64(at.Sub(sc.openedAt))
		} else {
			keep = append(keep, sc)
		}
	}
	clear(sv.closing[len(keep):])
	sv.closing = keep
}
