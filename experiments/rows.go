package experiments

import "github.com/connsim/connsim/sim/link"

// This file holds the result types: what one run yields and what the
// writers and package plots consume. A plot is a view of these rows, never
// a side effect of a run.

// AxisValue is one swept key's value at a point, as a plain number in the
// units of the output files: durations in ms, rates in bit/s, sizes in
// bytes, probabilities and counts as is.
type AxisValue struct {
	Key   string  // the sweep key as written, e.g. "network.rtt"
	Value float64 // plain number, e.g. 100 for 100ms
	Text  string  // the value as written in the spec, e.g. "100ms"
	Label string  // the value's name from the spec's labels (ext), e.g. "LAN"; "" when none
	Unit  Unit    // how figures show the key's values (Spec.AxisUnit)
}

// Metrics are the run metrics (docs/experiment-format.md), one field per column; the
// table in metrics.go says how each is named, shown and read.
type Metrics struct {
	PLTMS        float64 // plt_ms: first visit's page load time
	Connections  int64   // connections: TCP connections opened
	HandshakesMS float64 // handshakes_ms: TCP+TLS handshake time summed over connections
	Packets      int64   // packets: sent by both sides, SYN/FIN/pure ACKs included
	Bytes        int64   // bytes: on the wire, headers included
	Retransmits  int64   // retransmits: segments retransmitted
	Drops        int64   // drops: queue overflow or random loss
	ServerConnS  float64 // server_conn_s: integral of open server connections over time
	Events       int64   // events: simulator events executed
	RevisitPLTMS float64 // revisit_plt_ms: last visit's load time; NaN when visits == 1

	// With clients: (populationMetrics); zero otherwise.
	PLTP50MS        float64 // plt_p50_ms: median first-visit PLT across clients (nearest rank)
	PLTP95MS        float64 // plt_p95_ms
	PLTP99MS        float64 // plt_p99_ms
	RequestsPerS    float64 // requests_per_s: responses served / the end of the last page load, per second
	ServerOpenMean  float64 // server_open_mean: time-weighted mean of open server connections until the last page load ended
	ServerOpenMax   int64   // server_open_max
	BusyWorkersMax  int64   // busy_workers_max
	BacklogMax      int64   // backlog_max: connections waiting in the listen backlog, max
	ServerMemoryMax int64   // server_memory_max_bytes: server_open_max * server.memory_per_connection
	SYNDrops        int64   // syn_drops: SYNs dropped unanswered with the backlog full
	Refused         int64   // refused: connection attempts that failed before the connection was ready
	Replayed        int64   // replayed: requests sent again after their connection closed
	Failed          int64   // failed: requests that could not be completed
	Abandoned       int64   // abandoned: connection attempts (SYN unanswered) a client gave up when its page loads were done

	// With server.pipelining set or swept (pipeliningMetrics); zero otherwise.
	PipeliningFallbacks int64 // pipelining_fallbacks: hosts a client stopped pipelining to after a broken pipeline

	// With proxies: (proxyMetrics); zero otherwise.
	ProxyConnections int64   // proxy_connections: upstream connections the proxies opened
	ProxyReuse       float64 // proxy_reuse: requests forwarded per upstream connection; NaN without one
	ProxyUpstreamMS  float64 // proxy_upstream_ms: mean time a forwarded request spent on the upstream hop; NaN if none answered

	// With http.request_bytes swept or set, and no clients:
	// (requestMetrics); zero otherwise.
	ClientDataPackets int64 // client_data_packets: segments with payload the client sent (requests), retransmissions included
}

// Row is one run: a line of results.csv.
type Row struct {
	Index int         // global run index in expansion order
	Model string      // the model's label
	Point []AxisValue // swept keys, in sweep order
	Run   int         // repetition, 0-based
	Seed  uint64      // the run's seed
	Metrics
	Err string // non-empty when the run failed (e.g. a limit was exceeded)
}

// RequestRow is one request of one run: a line of requests.csv. Times are
// milliseconds from the start of the page load; the phase durations follow
// HAR's timings (a phase that did not happen is 0).
type RequestRow struct {
	Model      string
	Point      []AxisValue
	Run        int
	Request    int    // index in the order the page issues requests (visit-major)
	Visit      int    // which page visit, 0-based (extension column "visit")
	Host       string // hostname requested
	Connection int    // client connection number, 1-based, unique per run
	Bytes      int64  // response bytes on the wire (headers + body)
	StartMS    float64
	DNSMS      float64
	ConnectMS  float64
	TLSMS      float64
	SendMS     float64
	WaitMS     float64
	ReceiveMS  float64
	EndMS      float64
	QueuedMS   float64 // time blocked waiting for a connection (HAR "blocked")

	// Extension columns client, refusals, replayed: written only with
	// clients:, but Refusals and Replayed are set for every run (a
	// single client is refused and replays too), so figures can mark
	// them. Read back from a file without the columns they are zero:
	// see Trace.Marks.
	Client   string // the client, "population#k"; "" without clients:
	Refusals int    // connection attempts of its host refused while it waited for a connection
	Replayed bool   // sent again after a connection closed under it

	// VisitStartMS is when the request's visit started, in ms of run
	// time; not a column of requests.csv (read back it is 0). HAR output
	// places a population's page loads in time with it.
	VisitStartMS float64
}

// RequestMark is what a waterfall marks on one request: the connection
// attempts refused while it waited, and whether it was replayed.
type RequestMark struct {
	Request  int // RequestRow.Request
	Refusals int
	Replayed bool
}

// CwndSample is one point of a connection's congestion-window trace.
type CwndSample struct {
	TimeMS   float64
	Cwnd     int64 // bytes
	SSThresh int64 // bytes; a huge value means "not set yet"
}

// SegmentSample is one packet of a connection, for time-sequence plots.
type SegmentSample struct {
	TimeMS     float64
	Seq        int64 // first byte's sequence number, relative to the ISN
	Len        int64 // payload bytes (0 for a pure ACK)
	Ack        int64 // cumulative ACK carried, relative to the peer's ISN
	FromClient bool
	Retransmit bool
	Dropped    bool // lost on the path (never arrived)
	// ArriveMS is when the packet reached the other end (TimeMS is when
	// its sender handed it to the network); NaN when it never did, 0 in
	// a trace that does not record it.
	ArriveMS float64
	Flags    link.Flags // SYN, FIN, RST, PSH, ACK
}

// ConnTrace is the trace of one client connection in one run.
type ConnTrace struct {
	Connection int    // matches RequestRow.Connection
	Host       string // hostname the connection serves
	OpenMS     float64
	CloseMS    float64 // NaN when still open at the end of the run
	Cwnd       []CwndSample
	Segments   []SegmentSample // client->server and server->client packets
	// Responses lists when each response on the connection completed, for
	// marking request boundaries on cwnd plots.
	ResponseEndsMS []float64
}

// Trace is the detailed record of one run, kept only for the runs that a
// waterfall, cwnd, sequence, server or cdf plot asks for.
type Trace struct {
	Model string
	Point []AxisValue
	Run   int
	Conns []ConnTrace
	// Marks are the run's requests that waited through refused
	// connection attempts or were replayed, in request order: what a
	// waterfall marks, for runs whose requests.csv has no refusals and
	// replayed columns (a spec without clients:, read back by merge).
	Marks []RequestMark

	// With clients: (the server and cdf figures).
	Server       []ServerSample // the server's state at each change
	ClientPLTsMS []float64      // each non-idle client's first-visit PLT, population order; NaN if it did not finish
}

// ServerSample is the server's state from TimeMS until the next sample.
type ServerSample struct {
	TimeMS  float64
	Open    int // connections the server application holds
	Busy    int // workers held (server.workers > 0)
	Backlog int // connections waiting in the listen backlog
}
