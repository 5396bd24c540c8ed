// Package httpmodel puts HTTP agents on top of package tcp: a browser-like
// client that loads a page, a server, and the connection models of
// HTTP/1.x and HTTP/2 whose costs connsim measures.
//
// # The run
//
// [Run] builds one world: a client node and a server node joined by one
// bottleneck link (rate, RTT/2 propagation each way, a drop-tail queue in
// each direction, optional random loss drawn from the named streams
// "link:down:loss" and "link:up:loss"), a TCP endpoint on each, and the
// agents. The client loads the [Page] Config.Visits times; the run goes on
// after the last load until the server has closed its idle connections,
// so that server_conn_s counts the whole cost of keep-alive.
//
// # Connection management
//
// The client keeps one pool per hostname, shaped like net/http's
// Transport: open connections in dial order, a FIFO of waiting requests,
// a per-host limit. A request that finds no usable connection waits; the
// client then opens new connections up to the limit at once, and any
// connection that becomes free takes the oldest waiting request (late
// binding, first come first served).
//
//	model        connections/host  requests per connection        notes
//	short-lived  1 (option)        one, then the server closes    HTTP/1.1: Connection: close; HTTP/1.0: no header
//	persistent   1 (option)        sequential                     keep-alive
//	pipelined    1 (option)        up to depth outstanding        responses in order: head-of-line blocking; HTTP/1.1 only
//	parallel     6 (option)        sequential                     browser-like
//	sharded      6 per shard       sequential                     objects round-robin over shard hostnames
//	http2        1 (option)        up to 128 streams              one connection for all hostnames of a server (coalescing; option)
//
// A page's objects are issued together when the HTML has arrived, in page
// order: a request that finds an idle connection of its host is written at
// once, and each one that waits makes the client dial one more connection
// while the host is under its limit, so connections are numbered in
// request order: with sharding and no DNS cost they alternate between the
// hosts, object i going to shard i mod Shards. A hostname whose DNS
// lookup has not ended dials nothing: with Network.DNS set, the page's
// host (looked up before the HTML) dials as its objects are issued, while
// every other hostname starts its lookup with its first request and
// queues the rest; the lookups started together end together and are
// handled in the order they started, each host dialling at once every
// connection its waiting requests need. So the connections are numbered
// host by host: the page host's, then each other hostname's in the order
// of its first request. A pipelining or
// HTTP/2 connection takes several requests: the client dials one more
// connection per depth (per 128 streams) of waiting requests, counting
// those already being opened, all at once up to the limit; with unlimited
// depth one connection takes them all, and only one is opened. What one
// pipelining or HTTP/2 connection takes from the batch leaves as one
// write, after the SYNs of the connections dialled for the same batch, so
// small requests share segments.
//
// Pipelining (RFC 9112 9.3.2): only idempotent requests are pipelined; a
// POST waits for an idle connection and nothing is pipelined behind it.
// When a connection closes with requests unanswered, the idempotent ones
// are replayed at the head of the queue on a new connection, which does
// not pipeline until a response has come back; non-idempotent ones fail
// (RFC 9112 9.3.1). Requests pipelined behind a response that announced
// Connection: close were not processed (RFC 9112 9.6) and are replayed
// freely, and so are requests lost when the server closed, in order, a
// connection that had answered on it (the keep-alive race: the server
// read nothing it did not answer); a request lost with a connection that
// ended otherwise (a reset, a timeout, a close before any response)
// counts a strike, and the fourth strike reports it failed.
//
// Servers and middleboxes that broke pipelining (Server.Pipelining:
// serial, close-after-first, drop-after-first, out-of-order) and the
// client's defence against them (detection of a close that cuts a
// pipeline, a stall of Config.PipeliningTimeout, a response out of order;
// then no more pipelining to that host, and a replay of the idempotent
// requests outstanding) are described in breakers.go.
//
// The server answers requests on a connection in order, each after
// Server.ThinkTime (requests are worked on concurrently, responses leave
// in order). It closes a persistent connection after KeepAliveTimeout
// without a request (counted from when its last response has drained to
// TCP's send low-water mark, as a server arms the timer when its last
// write returns; with CloseWhenIdle as soon as the last response has
// drained). Waiting for the client is timed apart, as servers do
// (nginx's client_header_timeout, Apache's Timeout): a new connection's
// first request (a TLS handshake message restarts that wait), an h2c
// client's preface and a lingering close get the keep-alive timeout or
// the default 5 s, whichever is longer, so a short keep-alive never closes
// a connection before its first request. It closes immediately after a response to a request that did not ask
// for persistence (Connection: close; under HTTP/1.0, no keep-alive).
// After MaxRequests responses (HTTP/1.x) it announces the close
// (Connection: close; under HTTP/1.0, no keep-alive echo) and closes in
// stages (RFC 9112 9.6, "lingering
// close"): it answers nothing more but goes on reading, so that requests
// still arriving do not make TCP reset the connection and discard the
// responses not yet delivered; a request pipelined behind the
// MaxRequests-th is read but never processed (a proxy does not forward
// it), and the client sends it again on another connection; the client closes the connection once it
// has read that response, and the server's side closes with it (or after
// KeepAliveTimeout at the latest). With MaxConnections open (connections
// the server application holds: a slot frees when it closes) it refuses
// new connections with a reset. Connections dialled together and refused
// together are one round of refusals; the client retries after 0.5 s,
// doubling per round, and reports the host's waiting requests failed after
// six rounds in a row with no connection open. Any connection that ends
// before it is ready (refused, timed out, closed during its TLS
// handshake) counts as a refused connection attempt.
//
// HTTP/2 coalescing (RFC 9113 9.1.1): every hostname resolves to the one
// server, so the requests of every hostname go on the connections of the
// page's host, and Model.Connections limits them all together; each
// hostname still costs its own DNS lookup. Sharding is an HTTP/1.x
// workaround for the per-host limit that HTTP/2 makes pointless, but a
// site sharded for its HTTP/1.x visitors serves its HTTP/2 visitors from
// the same hostnames: Model.Shards on http2 (default 1) spreads the
// page host's objects over the shard hostnames as sharded does, and so
// does a page whose objects name them. With coalescing they share one
// connection and cost only their lookups. Model.NoCoalesce turns
// coalescing off, as for hostnames a client cannot prove to be one
// server (RFC 9113 9.1.1 asks for the same address and a certificate
// valid for both): each hostname then opens its own connection, with
// its own handshake and slow start, and Model.Connections limits each
// hostname's.
//
// HTTP/2: streams are answered as their think time ends; response frames
// (at most 16 KiB of DATA plus a 9-byte header) go out round-robin across
// the ready streams, one frame each in turn, and the server keeps at most
// 16 KiB unsent in TCP's buffer (tcp.Config.SendLowWater) so a new stream
// does not queue behind earlier responses. The server reads every frame
// that arrived at one instant before it writes (streams that arrive
// together share the round-robin from the first frame), and the frames of
// one pass leave as one write. MaxRequests does not apply to HTTP/2. Header blocks shrink after the
// first on a connection (HPACK: a fifth of the HTTP/1.x size, at least 20
// bytes). The connection starts by prior knowledge (client preface and
// SETTINGS with the first requests), by an HTTP/1.1 Upgrade (Model.H2Upgrade:
// the first request goes alone, the rest after 101 Switching Protocols),
// or, with TLS, by ALPN at no extra round trip. Flow control windows are
// taken as large enough never to bind (browsers advertise megabytes).
//
// TLS adds its handshake messages as bytes on the connection: TLS 1.3 one
// round trip (the client's Finished leaves with the first request), TLS
// 1.2 two. Record framing overhead is not modelled. With
// Config.TLSResumption a client resumes with a session ticket per
// hostname after its first handshake with the host: TLS 1.2's
// abbreviated handshake takes one round trip (RFC 5077), TLS 1.3's PSK
// resumption the same one as a full handshake with fewer bytes (RFC
// 8446 2.2); Config.TLS0RTT adds TLS 1.3 early data, the requests with
// safe methods sent with the ClientHello (RFC 8446 2.3, RFC 8470). tls.go
// has the model and its round-trip arithmetic.
//
// DNS costs Network.DNS once per hostname per client, with no packets;
// later visits use the cached answer. There is no HTTP cache: every visit
// fetches every object.
//
// # Populations
//
// Config.Clients replaces the single client with populations of clients
// ([Population]); without them the world is the one above, unchanged.
// Each client has its own node (address), TCP endpoint and access link
// ([Access]: rate, RTT/2 each way, drop-tail queue, loss from the streams
// "access:<name>#<k>:up:loss" and ":down:loss") to a router, and the
// router reaches the server over the bottleneck, Config.Network, built
// as the single-client world's link (same loss streams). A client sees
// an RTT of Access.RTT + Network.RTT. By default one server serves every
// hostname of every page; Config.Topology gives several (see # Topology).
// Clients arrive all at once, at an interval,
// or as a Poisson process (exponential gaps of mean 1/Rate from the
// stream "arrivals:<name>"); each arrival creates its client, and a
// client whose last page load has ended leaves only its request timings
// and PLT behind: once the last of its connections is over (the server
// closes idle ones) its endpoint, node and access link leave the run,
// their counters kept in the totals. A run holds the clients still
// active, not every client it has had. A client whose page loads are
// done gives up its connection attempts still unanswered (a SYN dropped
// by a full backlog and being retried, or on its way), as a browser
// cancels a connect no request needs; they count in Metrics.Abandoned,
// not in Refused, and the connections it has stay open until the server
// closes them. An idle population
// (Population.Idle) opens Model's connections to each host of its page
// and sends nothing (an idle flood, as slowloris without the trickle);
// its connections are not reopened when closed or refused.
//
// Server limits ([Server]): the application holds at most its capacity,
// the smaller of MaxConnections and Workers. Workers models a
// thread-per-connection server (Apache prefork/worker, a thread pool
// per connection): a connection holds a worker from accept to close,
// idle keep-alive included; Workers 0 is an event-driven server (nginx),
// limited by MaxConnections alone. A connection request beyond the
// capacity waits in the listen backlog (its handshake completes in the
// kernel; what the client sends waits unread, and the first-request
// timer starts when the application accepts it, oldest first, as a
// slot frees); with the backlog full the SYN is dropped unanswered,
// as Linux does with net.ipv4.tcp_abort_on_overflow=0 (listen(2); the
// accept-queue check in tcp_conn_request, counted as ListenOverflows),
// and the client's SYN retransmission timer retries after 1 s,
// doubling (RFC 6298 5.7 and Linux's TCP_TIMEOUT_INIT), up to
// tcp.Config.SynRetries (6: about 127 s) before the attempt counts as
// refused (unless the client's page loads end first: see above). Without a backlog a request beyond the capacity is refused
// at once with a reset, as before. MaxConnectionsPerClient counts, per
// client address, the connections open or waiting, and resets the
// ones beyond it (a DoS defence that heavy sharding trips). A refused
// connection is retried by the client's pool as described above (0.5 s
// doubling per round of refusals; the host's waiting requests fail after
// six rounds with no connection open); each waiting request counts the
// attempts refused while it waited (Timing.Refusals), and a replayed
// request is marked (Timing.Replayed).
//
// Metrics of a population run: ClientPLTs (each non-idle client's first
// page load, -1 if it did not finish; PLT is their median), the server's
// responses served, its open connections (maximum, and the mean weighted
// by time from 0 to the end of the last page load), busy workers,
// backlog, dropped SYNs, memory (peak open connections times
// MemoryPerConn), server_conn_s (summed as connections close), and with
// Config.ServerSeries a sample of open, busy and backlog at each instant
// they change (nothing is recorded without it). Connection traces
// (Config.Trace) are kept for the single-client world only. Request
// timings carry their client's global index; Timing.Index counts within
// the client.
//
// Message boundaries travel with the packets: every segment carries
// where the messages in it end (link.Packet's MsgCount, MsgEnds,
// LastEnd; see package tcp), so an agent on the path (a proxy, a packet
// capture) sees where a request, a response or an HTTP/2 frame ends, and
// the receiving side hears of a message from what arrives. What a message
// is (its tag: request or response, which request) is the payload's
// meaning: it stays in the sender's table of messages, looked up by the
// number the packets give, as a parser would read it from the bytes.
//
// # Topology
//
// A world of populations is a small graph of nodes, links and agents:
//
//	client#k --access--> router ==bottleneck== core --link--> server site
//	                                                \--link--> server site ...
//
// Each client node runs a client agent (its host pools), each server
// site's node a server agent listening on port 80. Config.Topology lists
// the sites ([ServerSite]): a name, the hostnames the site serves, its
// own link from the far end of the bottleneck ([Access]: Bandwidth
// towards the clients, Uplink towards the server, RTT/2 each way, queue,
// loss from the streams "server:<name>:up:loss" and ":down:loss") and
// its own [Server] settings (nil: Config.Server). A route table, built
// once when the world is built (hostname -> site node; a hostname no
// site lists goes to the first site), is looked up once per host pool
// of a client, which dials that node from then on: DNS, in effect,
// answers each hostname with its site's address, and no packet looks
// anything up beyond the nodes' routes (a slice indexed by node). HTTP/2
// coalesces only hostnames that reach the same site (RFC 9113 9.1.1:
// the connection must go to the same address). The core router sends
// everything not for a site back over the bottleneck. The zero Topology
// is one site, "server", serving every hostname with Config.Server; a
// Topology of one site without a link is that same world, node for node
// and event for event: the bottleneck then ends at the server itself,
// with no core router. A path to a site has an RTT of
// Access.RTT + Network.RTT + its Link.RTT, so a site with a slower link
// adds the difference once per round trip on that hop (connect, each
// request and response, each congestion-window round).
//
// A site is a node with agents on it: a server site runs a server
// agent, a proxy (# Proxies) a server agent and a client agent.
//
// Each server measures itself (Metrics.Servers, [ServerMetrics], in
// Topology order; every population run has them, one for the default
// topology). The aggregate server metrics combine them as follows.
// Counts and integrals add up: RequestsServed, SYNDrops, ServerConnS,
// and ServerOpenMean (the mean of a sum is the sum of the means). Peaks
// are the peak of the sum, not the sum of the peaks: ServerOpenMax,
// BusyWorkersMax, BacklogMax and ServerMemoryMax are the most held by
// all servers at the same instant (the servers' totals are added at
// every change of any of them), because they answer "how much did the
// server side hold at once", what a fleet is provisioned for; the sum
// of the peaks would count peaks that never coincide. So the aggregate
// peak lies between the largest server's peak and the sum of them. The
// ServerSeries of a run of several servers is likewise the series of
// the sums. With one server every aggregate is that server's, computed
// as before, to the byte.
//
// # Proxies
//
// Topology.Proxies ([ProxySite]) puts proxies between the clients and
// the servers. Connection management is hop by hop: each hop has its
// own connections, model, limits and link.
//
//	client#k --access--> router ==bottleneck== core --link--> proxy
//	                                                \--link--> server site
//
// A proxy is a node off the core router with its own link (as a server
// site's; loss from "proxy:<name>:up:loss" and ":down:loss") and one
// endpoint that both listens and dials. On it run a server agent, the
// same as a server's (Server limits, backlog, keep-alive and
// first-request timers, MaxRequests, Server.Pipelining's broken
// behaviours, ThinkTime as the time it takes before it forwards), and a
// client agent, the same as a browser's without a page: one pool per
// hostname with the proxy's Model, shared by every downstream client,
// so a reverse proxy reuses its warm origin connections across clients;
// it has the browser's dispatch, retry, replay and pipelining fallback
// rules. Behind a proxy a server sees one client, the proxy's address:
// its MaxConnectionsPerClient limits the proxy's connections to it, all
// of its clients' together. A path from a client to the proxy has an
// RTT of Access.RTT + Network.RTT + the proxy's Link.RTT; from the
// proxy to a site, the proxy's Link.RTT + the site's; from a proxy to
// a proxy, both links.
//
// Routes. DNS answers a hostname with the reverse proxy that fronts it
// (ProxySite.Hosts), else with its server site. A client of a
// population listed in a forward proxy's For sends every request to
// that proxy; other clients dial what DNS answers. A proxy sends a
// request to its Upstream proxy if it has one (a chain), else a
// hostname it fronts to the hostname's server site, and any other
// hostname where DNS sends it. Config.Validate refuses routes that
// loop. A forward proxy's clients keep their per-host pools (each
// hostname its own connections to the proxy; browsers share one pool
// per proxy, which is not modelled).
//
// Forwarding. The proxy forwards a request when all of it has arrived
// (requests are headers only: idempotent ones carry no body, a POST's
// body is not modelled), after its think time, as a new request of its
// client agent for the same hostname, method and response size. It
// streams the response back, as real proxies do: a server answering a
// proxy writes the body in 4 KiB messages (a proxy's read buffer, as
// nginx's proxy_buffer_size; an HTTP/2 upstream's DATA frames are up to
// 16 KiB), and the proxy writes the header downstream when the upstream
// one has arrived and each piece of the body as it arrives, so the two
// hops' transfers overlap and a response's first byte reaches the
// client about one upstream round trip after the proxy asked for it,
// not after the whole body. With ProxySite.StoreAndForward (and always
// for a proxy whose Server.Pipelining is out-of-order) it relays a
// response only once its last byte has arrived: each response's first
// downstream byte then waits for its whole transfer on the upstream
// hop, so a response of B bytes costs about B/rate (and the upstream
// slow-start rounds) more than through a streaming proxy; responses
// within one 4 KiB piece are not affected, and streaming small pieces
// costs a few more packets. Over HTTP/1.x the responses of one
// downstream connection leave in request order (one that is ready
// waits behind an earlier one still upstream; only the head streams);
// over HTTP/2 each stream as its bytes arrive. An upstream request that
// fails (refused connections, lost connections beyond the retry
// budget, a non-idempotent request lost, which is never replayed) is
// answered 502 Bad Gateway (headers only), and the client reports its
// request failed: Metrics.Failed counts the clients' failures only,
// each once; ProxyMetrics.Failed counts the proxy's. If the proxy has
// already begun relaying that response it cannot announce the failure
// and resets the downstream connection (all its requests, as a reset
// does: the client replays the idempotent ones).
//
// Hop-by-hop headers (RFC 9110 7.6.1). Messages that cross a proxy carry
// a listed header block (base bytes for the start line and end-to-end
// headers, and header lines one by one, see proxy.go): the proxy
// forwards the base and the end-to-end lines, drops Connection, every
// field Connection names, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding and Upgrade, and adds "Via: 1.1 <name>" and its own
// connection-management lines for the next hop: Connection: close when
// its upstream model is short-lived (HTTP/1.1), Connection: keep-alive
// for a persistent HTTP/1.0 hop, and on its responses its own
// Keep-Alive (timeout, max) or Connection: close. The byte count of a
// block is what the hop carries, so header bytes differ per hop (an
// HTTP/2 hop carries no connection-specific fields, RFC 9113 8.2.2, and
// its HEADERS frames are HPACK-sized from the block). Clients and
// servers not talking to a proxy send exactly the bytes they always
// did: RequestBytes and ResponseHeaderBytes are read as such blocks
// (see # HTTP/1.0 and 1.1). Persistence is per hop: a client's
// Connection: close ends only its connection to the proxy; the
// origin's Keep-Alive (its timeout and MaxRequests) governs only the
// proxy's connections to it; the proxy's own Server settings govern its
// clients' connections.
//
// Protocols per hop: each hop's protocol is its model, so HTTP/1.1 from
// the clients and HTTP/2 to the origin (or the reverse) is a population
// model and a proxy model. HTTPVersion and TLS are the world's: every
// hop speaks that version and does its own TLS handshake (a proxy that
// terminates TLS, as an edge does; CONNECT tunnels are not modelled).
//
// Broken pipelining as a proxy's setting (Server.Pipelining of the
// ProxySite) is detected by pipelining clients as for a server; an
// origin that breaks pipelining is detected by a proxy whose Model
// pipelines, which falls back for that host. A proxy's out-of-order
// writes each response as its upstream response completes.
//
// Metrics: Connections, Handshakes, Failed and the PLTs are the
// clients'; Replayed and PipeliningFallbacks count every hop's (a
// proxy's client agent replays and falls back like a browser's); the
// server metrics are the server sites', except SYNDrops, which counts
// every server agent's, proxies' included. Each proxy's own are in
// Metrics.Proxies ([ProxyMetrics]: upstream connections, requests
// forwarded, answered and failed, the mean time a request spent on the
// upstream hop, replays, header and response bytes upstream), and
// ProxyConnections, ProxyForwarded, ProxyFailed and ProxyUpstream sum
// them. There is no HTTP cache at a proxy: every request goes to the
// origin.
//
// Metrics.Hops ([HopMetrics]) splits the requests' time by hop: each
// proxy leaves on the downstream request the time it spent upstream on
// it, and each hop counts its connections, its answered requests and
// their time less the next hop's, so the hops a request crossed add up
// exactly to its time at the client. It is kept only when there are
// proxies (a field of the request and one map entry per hop).
//
// # Scale
//
// A run's cost grows linearly with its connections (the scale tests load
// a page of n objects over n concurrent connections, n up to 64,000).
// A host pool offers waiting requests to the connections that may take
// one from a heap ordered by dial order: O(log n) per connection offered
// or taken, with no pass over the pool, and the connection chosen is the
// one a walk of the pool in dial order would choose (an idle stack
// would be O(1) but would choose the most recently freed one, which
// changes results). The tcp endpoints forget closed connections (see
// tcp's # Scale). The single-client world keeps a small record of each
// client and server connection for its metrics and timings, which hold
// the closed tcp.Conn (about 1.3 KB with its buffers released). A
// population run keeps, per client that has left, its first PLT and its
// request timings (Result.Requests: about 215 bytes a request) and some
// 250 bytes more (slots indexed by client or node ID); everything else
// of the client goes once its last connection is over (see #
// Populations).
//
// # HTTP/1.0 and 1.1
//
// Config.HTTPVersion sets the default persistence rules of RFC 9112 9.3
// for client and server alike. Under HTTP/1.1 a connection persists
// unless a message says Connection: close: short-lived sends it, the
// other models send nothing, and a server that closes (after a
// short-lived request, or at MaxRequests) says so on its last response.
// Under HTTP/1.0 a connection persists only when the request asks for it
// (RFC 9112 C.2.2): the persistent models (persistent, parallel, sharded)
// send Connection: keep-alive, and the server echoes it, with its
// Keep-Alive header, on every response after which it keeps the
// connection; short-lived sends nothing extra (close is the default), and
// the server closes after the response. A response without the echo (at
// MaxRequests) tells the client that the server closes.
//
// Header bytes: RequestBytes and ResponseHeaderBytes are HTTP/1.1
// messages. They hold the server's Keep-Alive header and HTTP/1.1's
// Connection: close, which cost nothing extra (so HTTP/1.1's figures are
// those of the spec); HTTP/1.0's Connection: keep-alive adds 24 bytes to
// each request of the persistent models and to each response that echoes
// it. Short-lived costs the same bytes under both versions.
//
// Pipelining and the h2c Upgrade are HTTP/1.1 mechanisms: [Config.Validate]
// (and so [Run]) refuses the pipelined model, at any depth, and http2 with
// Model.H2Upgrade and no TLS, under HTTP/1.0. HTTP/2 by prior knowledge or
// ALPN does not use HTTP/1.x persistence, and runs the same under either
// version.
//
// # Timings
//
// Every request gets a HAR-like timeline ([Timing]) whose phases add up
// exactly: queued (blocked) + dns + connect + tls + send + wait + receive
// = end - start. dns is charged to the request that started the lookup;
// connect and tls to the first request sent on a new connection (a replay
// included), for the part of the handshakes it waited for; send is the
// serialization time of the request's bytes on the uplink (as written:
// HTTP/1.x headers, or an HTTP/2 HEADERS frame); wait runs to the first
// response byte (the response headers' arrival) and receive to the last.
// Time not in another phase is queued.
package httpmodel
