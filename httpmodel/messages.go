package httpmodel

import "github.com/connsim/connsim/sim"

// msgKind says what a message on a connection is. Messages are the tags of
// tcp.Conn.Send: their bytes are counted, and the tag surfaces at the peer
// when the last byte has arrived in order.
type msgKind uint8

const (
	mRequest         msgKind = iota // HTTP/1.x request (headers; idempotent requests carry no body)
	mRespHeader                     // HTTP/1.x response status line and headers
	mRespBody                       // HTTP/1.x response body
	mTLSClientHello                 // TLS ClientHello
	mTLSServerFlight                // ServerHello ... (certificate) ... ServerHelloDone / Finished
	mTLSClientFinish                // TLS 1.2 ClientKeyExchange..Finished, or TLS 1.3 Finished
	mTLSServerFinish                // TLS 1.2 ChangeCipherSpec, Finished
	mH2Preface                      // client connection preface and SETTINGS
	mH2Settings                     // server SETTINGS (and ack)
	mH2Headers                      // HEADERS frame: a request, or a response's headers
	mH2Data                         // DATA frame of a response
	mSwitching                      // 101 Switching Protocols (HTTP/1.1 Upgrade to h2c)
	mTLSTicket                      // TLS 1.3 NewSessionTicket, after the handshake (tls.go)
)

// msg is a message tag. The server reads from req only what a request
// carries on the wire: method, target (hence size) and Connection header.
type msg struct {
	kind msgKind
	req  *request
	last bool // response: this message completes it
	// close: a request's "Connection: close", or a response announcing
	// that the server will close the connection after it (HTTP/1.1).
	close bool
	// keepAlive: a request's "Connection: keep-alive", or a response
	// echoing it with a Keep-Alive header (HTTP/1.0).
	keepAlive bool
	// upgrade: an HTTP/1.1 request asking to switch to h2c (Upgrade).
	upgrade bool
	// resumed: a TLS handshake message of a resumed session (tls.go).
	resumed bool
	// badGateway: a proxy's 502 response, its upstream request failed.
	badGateway bool
	// hdrs: the header block, listed (proxy.go), on messages a proxy
	// sends or a server sends to a proxy; nil: the sender's as the
	// configuration has it (Config.requestBlock).
	hdrs *headerBlock
	// n: a body message's or DATA frame's body bytes (a proxy counts
	// what has arrived).
	n int64
}

// persists reports whether an HTTP/1.x request or response keeps its
// connection open by the default persistence rules of its version (RFC
// 9112 9.3): HTTP/1.1 unless it says Connection: close, HTTP/1.0 only if
// it says Connection: keep-alive.
func (c *Config) persists(m *msg) bool {
	if c.http10() {
		return m.keepAlive
	}
	return !m.close
}

// request is one HTTP request of a visit, with its timeline.
type request struct {
	index      int // in issue order across the run
	visit      int
	visitIndex int // 0 = the HTML
	host       *hostPool
	size       int64 // response body bytes
	method     string
	idempotent bool

	start      sim.Time // issued by the page
	dnsStart   sim.Time // -1 unless this request waited for its host's lookup
	dnsEnd     sim.Time
	conn       *clientConn
	firstOnNew bool // the first request sent on a newly opened connection
	sendAt     sim.Time
	firstByte  sim.Time
	end        sim.Time
	reqBytes   int64 // request bytes on the wire above TCP (last attempt)
	respBytes  int64 // response bytes on the wire (headers + body + framing)
	attempts   int   // connections the request was sent on
	strikes    int   // connections lost under it without a Connection: close warning
	done       bool
	failed     bool
	refusals   int       // connection attempts of its host refused while it waited
	replayed   bool      // sent again after its connection closed under it
	relay      *relay    // a proxy's upstream request: what it answers (proxy.go)
	gateway    bool      // answered 502 by the proxy it was sent to (hops: it counts on this hop)
	upNS       int64     // with proxies: the time the proxy it was sent to spent upstream on it (its last answered attempt; hops)
	upHops     []hopTime // with proxies: what the proxy it was sent to spent on each hop beyond for it (its last attempt; hops)
}

func idempotent(method string) bool {
	switch method {
	case "", "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE":
		return true
	}
	return false
}
