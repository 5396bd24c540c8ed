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
//	short-lived  1 (option)        one, then the server closes    Connection: close (HTTP/1.0 style)
//	persistent   1 (option)        sequential                     keep-alive
//	pipelined    1 (option)        up to depth outstanding        responses in order: head-of-line blocking
//	parallel     6 (option)        sequential                     browser-like
//	sharded      6 per shard       sequential                     objects round-robin over shard hostnames
//	http2        1 (option)        up to 128 streams              one connection for all hostnames (coalescing)
//
// Pipelining (RFC 9112 9.3.2): only idempotent requests are pipelined; a
// POST waits for an idle connection and nothing is pipelined behind it.
// Requests issued together leave as one write, so small requests share
// segments. When a connection closes with requests unanswered, the
// idempotent ones are replayed at the head of the queue on a new
// connection, which does not pipeline until a response has come back;
// non-idempotent ones fail (RFC 9112 9.3.1). A request is sent on at most
// four connections before it is reported failed.
//
// The server answers requests on a connection in order, each after
// Server.ThinkTime (requests are worked on concurrently, responses leave
// in order). It closes a persistent connection after MaxRequests
// responses, or after KeepAliveTimeout without a request, and immediately
// after a response to a request that asked for Connection: close. With
// MaxConnections open it refuses new connections with a reset; the client
// retries after 0.5 s, doubling, and reports the host's requests failed
// after six refusals in a row with no connection open.
//
// HTTP/2: streams are answered as their think time ends; response frames
// (at most 16 KiB of DATA plus a 9-byte header) go out round-robin across
// the ready streams, one frame each in turn, and the server keeps at most
// 16 KiB unsent in TCP's buffer (tcp.Config.SendLowWater) so a new stream
// does not queue behind earlier responses. Header blocks shrink after the
// first on a connection (HPACK: a fifth of the HTTP/1.x size, at least 20
// bytes). The connection starts by prior knowledge (client preface and
// SETTINGS with the first requests), by an HTTP/1.1 Upgrade (Model.H2Upgrade:
// the first request goes alone, the rest after 101 Switching Protocols),
// or, with TLS, by ALPN at no extra round trip. Flow control windows are
// taken as large enough never to bind (browsers advertise megabytes).
//
// TLS adds its handshake messages as bytes on the connection: TLS 1.3 one
// round trip (the client's Finished leaves with the first request), TLS
// 1.2 two. Record framing overhead is not modelled.
//
// DNS costs Network.DNS once per hostname per client, with no packets;
// later visits use the cached answer. There is no HTTP cache: every visit
// fetches every object.
//
// # HTTP/1.0 and 1.1
//
// The model, not the version, decides persistence: short-lived sends
// Connection: close; the others keep connections alive (with HTTP/1.0 that
// is the Keep-Alive extension). Config.HTTPVersion is recorded and
// reserved for server behaviours that differ by version.
//
// # Timings
//
// Every request gets a HAR-like timeline ([Timing]) whose phases add up:
// queued (blocked) + dns + connect + tls + send + wait + receive =
// end - start. dns, connect and tls are charged to the request that
// waited for them (the first on a new connection); send is the
// serialization time of the request on the uplink; wait runs to the first
// response byte (the response headers' arrival) and receive to the last.
package httpmodel
