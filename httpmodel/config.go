package httpmodel

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// Kind is a connection model.
type Kind uint8

// The connection models of the experiment format.
const (
	ShortLived Kind = iota // one connection per request (HTTP/1.0 without keep-alive)
	Persistent             // keep-alive connections, one request at a time each
	Pipelined              // keep-alive connections, requests pipelined
	Parallel               // like Persistent with six connections per host by default
	Sharded                // like Parallel, objects spread over several hostnames
	HTTP2                  // one multiplexed connection per origin
)

var kindNames = [...]string{"short-lived", "persistent", "pipelined", "parallel", "sharded", "http2"}

// String returns the model's name in the experiment format.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind returns the model named s.
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("httpmodel: unknown model %q", s)
}

// Model is a connection model with its options.
type Model struct {
	Kind        Kind
	Connections int  // per host; 0 = the model's default (1; parallel and sharded 6)
	Depth       int  // pipelined: requests outstanding per connection; 0 = unlimited
	Shards      int  // sharded: hostnames, 0 = 2; http2: the site's shard hostnames, 0 = 1 (see doc); other models ignore it
	H2Upgrade   bool // http2 without TLS: start with an HTTP/1.1 Upgrade instead of prior knowledge (HTTP/1.1 only)
	// NoCoalesce (http2): each hostname gets its own connections, as if
	// every hostname were a different server; off (the default), the
	// hostnames of one server share its connections (RFC 9113 9.1.1).
	NoCoalesce bool

	// BindOnDial (sequential models: persistent, parallel, sharded):
	// the request that makes the client dial a connection is bound to
	// it and waits for its handshake, as a worker that takes an object
	// from the queue and then connects; later requests bind late (the
	// first connection to become free). Off (the default): every
	// request binds late, as browsers and net/http do, so a connection
	// that frees up before the new ones are ready takes the next
	// waiting request. package linuxref sets it to match its reference
	// client.
	BindOnDial bool
}

// connsPerHost returns the connection limit per host.
func (m Model) connsPerHost() int {
	if m.Connections > 0 {
		return m.Connections
	}
	if m.Kind == Parallel || m.Kind == Sharded {
		return 6
	}
	return 1
}

// requestsPerConn returns how many requests one connection takes at a
// time: 1 for the sequential models, the depth for pipelining, the
// streams limit for HTTP/2; 0 = any number (unlimited pipelining).
func (m Model) requestsPerConn() int {
	switch m.Kind {
	case Pipelined:
		return m.Depth
	case HTTP2:
		return h2MaxStreams
	}
	return 1
}

func (m Model) shards() int {
	switch {
	case m.Kind != Sharded && m.Kind != HTTP2:
		return 1
	case m.Shards > 0:
		return m.Shards
	case m.Kind == HTTP2:
		return 1
	}
	return 2
}

// TLS is the TLS version whose handshake runs on each new connection
// (a full one, or resumed with Config.TLSResumption: tls.go).
type TLS uint8

// TLS versions.
const (
	NoTLS TLS = iota
	TLS12     // two round trips before the first request
	TLS13     // one round trip
)

// Object is one resource of a page.
type Object struct {
	Host   string // hostname; "" = the page's host
	Size   int64  // response body bytes
	Method string // "" = GET
}

// Page is what the client loads: the HTML first, then its objects once
// the HTML has arrived. It is plain data, so that pages can come from
// anywhere (a spec, a HAR file).
type Page struct {
	Host    string // the page's hostname; "" = "example.com"
	HTML    int64  // body bytes of the HTML document
	Objects []Object
}

// Network is the path between client and server: one bottleneck link.
type Network struct {
	RTT          time.Duration  // round-trip propagation delay (RTT/2 each way)
	Bandwidth    link.Bandwidth // server->client rate (and client->server unless Uplink is set)
	Uplink       link.Bandwidth // client->server rate; 0 = Bandwidth
	QueueBytes   int64          // drop-tail queue per direction, bytes; 0 = unlimited unless QueuePackets
	QueuePackets int            // drop-tail queue per direction, packets; 0 = no packet limit
	Loss         float64        // random loss probability per packet, each direction
	DNS          time.Duration  // one DNS lookup (once per hostname per client)
}

// defaultKeepAlive is Server.KeepAliveTimeout when it is 0.
const defaultKeepAlive = 5 * time.Second

// CloseWhenIdle, as Server.KeepAliveTimeout, closes a persistent
// connection as soon as it becomes idle after a response: the server has
// answered every request it received and the last response has drained
// to TCP. A new connection still waits for its first request (as long as
// with the default timeout), and requests that arrive together are all
// answered first.
const CloseWhenIdle time.Duration = -1

// Server is the server's behaviour.
type Server struct {
	ThinkTime        time.Duration // processing time per request
	KeepAliveTimeout time.Duration // idle persistent connections close after this; 0 = 5s; CloseWhenIdle (negative) = as soon as idle after a response
	MaxRequests      int           // requests per persistent connection; 0 = 100
	MaxConnections   int           // open connections beyond which new ones are refused (or wait, see Backlog); 0 = unlimited

	// Backlog is the listen backlog (accept queue): with MaxConnections
	// or Workers taken, a new connection completes its handshake and
	// waits here, unread, until one frees; beyond Backlog waiting, SYNs
	// are dropped without an answer (Linux with tcp_abort_on_overflow=0)
	// and the client's SYN retransmission timer retries. 0 = no queue: a
	// connection beyond the limit is refused at once with a reset.
	Backlog int
	// MaxConnectionsPerClient limits the connections one client address
	// may hold (open or in the backlog); beyond it the SYN is refused
	// with a reset and counted as refused. 0 = unlimited.
	MaxConnectionsPerClient int
	// Workers: 0 = event-driven (no per-connection worker); N = thread per
	// connection: a connection holds a worker from accept until it
	// closes, idle keep-alive included, and connections beyond N wait in
	// the backlog.
	Workers int
	// MemoryPerConn is the bytes an open connection costs the server
	// (Metrics.ServerMemoryMax reports the peak).
	MemoryPerConn int64
	// Pipelining is how the server handles pipelined HTTP/1.1 requests:
	// PipeliningOK (the zero value) as RFC 9112 9.3.2 says, or one of the
	// broken behaviours of real servers and middleboxes (breakers.go).
	Pipelining Pipelining
}

// Config is everything one page-load run needs.
type Config struct {
	Network Network
	TCP     tcp.Config
	TLS     TLS

	// TLSResumption: a client that has a session ticket for a host
	// (from an earlier handshake with it) resumes the session on new
	// connections: TLS 1.2's abbreviated handshake, 1 round trip
	// instead of 2; TLS 1.3 PSK resumption, 1 round trip with fewer
	// bytes. TLS0RTT (TLS 1.3 and TLSResumption only): a resuming
	// client sends its requests with safe methods as early data, with
	// the ClientHello. See tls.go. Both off: every connection pays a
	// full handshake.
	TLSResumption bool
	TLS0RTT       bool

	HTTPVersion         string // "1.0" or "1.1" (default): the default persistence rules; see package doc
	RequestBytes        int64  // HTTP/1.1 request headers on the wire; 0 = 400 (see package doc for HTTP/1.0)
	ResponseHeaderBytes int64  // HTTP/1.1 response headers on the wire; 0 = none (DefaultConfig has 300; see package doc for HTTP/1.0)

	Visits      int           // page loads one after another; 0 = 1
	ReadingTime time.Duration // pause between visits

	// The client's defence against broken pipelines (breakers.go).
	// NoPipeliningFallback turns it off; by default a pipelining client
	// detects a broken pipeline, stops pipelining to that host and
	// replays what was lost. PipeliningTimeout is how long it waits for
	// a response with requests pipelined behind it before it calls the
	// pipeline stalled; 0 = DefaultPipeliningTimeout (1.5 s).
	NoPipeliningFallback bool
	PipeliningTimeout    time.Duration

	// ReadTimeout is how long a client (and a proxy's upstream side)
	// waits on a connection for a byte of what it is owed (the TLS
	// handshake's, or a response's) before it gives the connection up
	// (readtimeout.go); 0 = DefaultReadTimeout (300 s), negative =
	// never.
	ReadTimeout time.Duration

	Server Server
	Page   Page
	Model  Model

	// Clients are populations of clients, each client with its own
	// address and access link to the bottleneck. Empty: the single
	// client of Page, Model, Visits and ReadingTime, directly on the
	// bottleneck, as before populations existed.
	Clients []Population

	// Topology is the server side of a world of populations: servers,
	// the hostnames each serves, their links. Zero: one server behind
	// the bottleneck serving every hostname with Server.
	Topology Topology

	MaxSimTime time.Duration // the page loads must finish by then; 0 = 10 minutes
	MaxEvents  uint64        // events budget; 0 = 500 million

	// Trace keeps per-connection cwnd traces and packet records (the
	// single-client world only), and the server series.
	Trace bool
	// ServerSeries records Result.ServerSeries, the server's open
	// connections, busy workers and backlog at every change (Trace
	// records it too). Off, it costs nothing.
	ServerSeries bool

	// Stop, when set, is read between events (sim.Scheduler.SetInterrupt):
	// once it is true the run ends with Result.Err ErrInterrupted. It is
	// how a signal ends a long run; nil never stops.
	Stop *atomic.Bool

	// Tap, when set, is called once the run's network is built, before
	// any packet is sent, and returns a tracer that sees every packet
	// event of the run (beside Trace's own): how package capture writes
	// packet captures. nil costs nothing: the network has no tracer
	// unless Trace is set.
	Tap func(TapWorld) link.Tracer

	// Scripted loss models for tests (server->client and client->server
	// pipes); when set they replace Network.Loss in their direction.
	lossDown, lossUp link.LossModel
}

// http10 reports whether the client and server speak HTTP/1.0.
func (c *Config) http10() bool { return c.HTTPVersion == "1.0" }

// Validate reports a configuration that cannot run: an HTTP version other
// than "1.0" or "1.1" (or "" for 1.1), an HTTP/1.1 mechanism asked of
// an HTTP/1.0 client: pipelining (RFC 9112 9.3.2) or the h2c Upgrade
// (RFC 9110 7.8; with TLS, HTTP/2 starts by ALPN and is allowed), an
// HTTP/1.x response of 0 bytes on the wire (ResponseHeaderBytes 0 and a
// body of 0 bytes: TCP carries no message of 0 bytes, so the client could
// never see it arrive), or TCP settings that [tcp.Config.Validate]
// refuses. [Run] calls it first.
func (c Config) Validate() error {
	switch c.HTTPVersion {
	case "", "1.1", "1.0":
	default:
		return fmt.Errorf("httpmodel: http version %q is not supported (use 1.0 or 1.1)", c.HTTPVersion)
	}
	if c.http10() {
		if c.Model.Kind == Pipelined {
			return errors.New("httpmodel: pipelined needs http version 1.1: pipelining is an HTTP/1.1 mechanism")
		}
		if c.Model.Kind == HTTP2 && c.Model.H2Upgrade && c.TLS == NoTLS {
			return errors.New("httpmodel: http2 by upgrade needs http version 1.1: the h2c Upgrade is an HTTP/1.1 mechanism (use prior knowledge or TLS)")
		}
	}
	if err := c.validateTLS(); err != nil {
		return err
	}
	if c.ResponseHeaderBytes < 0 || c.RequestBytes < 0 {
		return fmt.Errorf("httpmodel: header bytes %d (request) and %d (response): want 0 or more", c.RequestBytes, c.ResponseHeaderBytes)
	}
	if c.ResponseHeaderBytes == 0 && c.Model.Kind != HTTP2 {
		if c.Page.HTML == 0 {
			return ErrEmptyResponse
		}
		for _, o := range c.Page.Objects {
			if o.Size == 0 {
				return ErrEmptyResponse
			}
		}
	}
	if err := c.TCP.Validate(); err != nil {
		return fmt.Errorf("httpmodel: tcp: %w", err)
	}
	return errors.Join(c.validatePopulations(), c.validateTopology(), c.validateProxies())
}

// ErrEmptyResponse is the error of [Config.Validate] for an HTTP/1.x
// response of 0 bytes on the wire: no response header bytes and an
// object (or the HTML) of 0 bytes.
var ErrEmptyResponse = errors.New("httpmodel: a response of 0 bytes on the wire (0 response header bytes and an object of 0 bytes) cannot be seen to arrive; give the responses header bytes or the objects a size")

// DefaultConfig returns the settings that a zero field of Config stands
// for, written out: HTTP/1.1 with 400-byte requests and 300-byte response
// headers, one visit, a server that keeps idle connections 5 s and
// serves 100 requests on each, the page on example.com, 10 minutes and
// 500 million events at most, and [tcp.DefaultConfig]. Start from it to
// set a field to 0 where 0 means something of its own:
// ResponseHeaderBytes 0 is no header bytes at all (responses are their
// bodies alone).
func DefaultConfig() Config {
	return Config{
		TCP:                 tcp.DefaultConfig(),
		HTTPVersion:         "1.1",
		RequestBytes:        400,
		ResponseHeaderBytes: 300,
		Visits:              1,
		Server:              Server{KeepAliveTimeout: defaultKeepAlive, MaxRequests: 100},
		Page:                Page{Host: "example.com"},
		MaxSimTime:          10 * time.Minute,
		MaxEvents:           500_000_000,
	}
}

func (c Config) withDefaults() Config {
	if c.HTTPVersion == "" {
		c.HTTPVersion = "1.1"
	}
	if c.RequestBytes == 0 {
		c.RequestBytes = 400
	}
	if c.Visits == 0 {
		c.Visits = 1
	}
	if c.Server.KeepAliveTimeout == 0 {
		c.Server.KeepAliveTimeout = defaultKeepAlive
	}
	if c.Server.MaxRequests == 0 {
		c.Server.MaxRequests = 100
	}
	if c.Page.Host == "" {
		c.Page.Host = "example.com"
	}
	if c.MaxSimTime == 0 {
		c.MaxSimTime = 10 * time.Minute
	}
	if c.MaxEvents == 0 {
		c.MaxEvents = 500_000_000
	}
	if c.Network.Uplink == 0 {
		c.Network.Uplink = c.Network.Bandwidth
	}
	return c
}

// Sizes of the protocol messages that are not in the spec, in bytes on
// the wire above TCP. They are typical values, written down so they can
// be checked and changed in one place.
const (
	tlsClientHello    = 300              // ClientHello with key share and SNI
	tlsServerFlight   = 4000             // ServerHello ... Finished, with a certificate chain
	tlsClientFinish12 = 150              // ClientKeyExchange, ChangeCipherSpec, Finished
	tlsServerFinish12 = 60               // ChangeCipherSpec, Finished
	tlsClientFinish13 = 80               // Finished (sent with the first request)
	h2Preface         = 24 + 9 + 18 + 13 // connection preface, SETTINGS, WINDOW_UPDATE
	h2ServerSettings  = 9 + 18 + 9       // SETTINGS and SETTINGS ack
	h2SettingsAck     = 9
	h2FrameHeader     = 9
	h2MaxFrame        = 16384
	upgradeExtraReq   = 70 // Upgrade: h2c, HTTP2-Settings, Connection headers
	upgradeSwitching  = 70 // HTTP/1.1 101 Switching Protocols

	// The connection-management headers of HTTP/1.x. RequestBytes and
	// ResponseHeaderBytes are HTTP/1.1 messages as each model sends
	// them: they hold the server's Keep-Alive header (timeout, max) and
	// HTTP/1.1's Connection: close (short-lived's requests, a response
	// that closes), so these cost nothing extra. HTTP/1.1 leaves
	// persistence implicit; HTTP/1.0 asks for it with
	// Connection: keep-alive on the requests of the persistent models and
	// on the responses that echo it, added to those sizes, and says
	// nothing when it closes (its default).
	connKeepAliveLen = int64(len("Connection: keep-alive\r\n")) // HTTP/1.0: added to requests and responses that keep the connection
)

// h2HeaderBytes returns the size of a HEADERS frame for a header block
// of n bytes: the first on a connection goes out in full (HPACK literals
// with indexing); later ones mostly reference the dynamic table, about a
// fifth of the size (at least 20 bytes).
func h2HeaderBytes(n int64, first bool) int64 {
	if first {
		return h2FrameHeader + n
	}
	return h2FrameHeader + max(20, n/5)
}

// TapWorld is what a packet tap (Config.Tap) may know of a run: the
// network, who is who on it, and what the application's messages are.
type TapWorld struct {
	Network *link.Network
	Server  *link.Node
	// Router is the node between the populations' clients and the
	// server; nil in the single-client world. Every other node is a
	// client.
	Router *link.Node
	// Up and Down are the bottleneck's two directions: towards the
	// server, and from it.
	Up, Down *link.Pipe
	// TCP is the run's TCP configuration (Config.TCP): the options its
	// segments carry.
	TCP tcp.Config
	// Stack is the run's TCP: a tap may read its connections (tests
	// compare a capture's figures with theirs).
	Stack *tcp.Stack
	// Message describes message k of the connection that sent p, with
	// the sequence number just past its last byte (tcp.Stack.Message);
	// ok is false when the sender no longer holds it. Called as p is
	// sent (link.Sent), it finds every message p's payload overlaps.
	Message func(p *link.Packet, k uint32) (end int64, m Message, ok bool)
}

// MessageKind says what an application message is, for a packet tap.
type MessageKind uint8

// Message kinds. HTTP/2 frames, TLS records and the h2c upgrade's
// messages are MsgOther: a tap writes them as filler.
const (
	MsgOther          MessageKind = iota
	MsgRequest                    // HTTP/1.x request: request line and headers
	MsgResponseHeader             // HTTP/1.x status line and headers
	MsgResponseBody               // HTTP/1.x response body
)

// Message describes one application message for a packet tap: enough to
// write plausible HTTP/1.x header lines of the size the model counts.
type Message struct {
	Kind       MessageKind
	HTTP10     bool   // the client and server speak HTTP/1.0
	TLS        bool   // the connection runs TLS: its bytes would be encrypted
	Request    int    // the request it belongs to (Timing.Index); -1 none
	VisitIndex int    // 0 = the HTML, i = the page's object i (1-based)
	Host       string // the hostname requested
	Method     string
	BodyBytes  int64 // the response body's size (its Content-Length)
	// Close: a request's or response's "Connection: close"; KeepAlive:
	// its "Connection: keep-alive" (HTTP/1.0, with Keep-Alive on a
	// response).
	Close, KeepAlive bool
}
