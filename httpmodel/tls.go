package httpmodel

import (
	"errors"

	"github.com/connsim/connsim/tcp"
)

// TLS session resumption and TLS 1.3 early data (0-RTT).
//
// Without Config.TLSResumption every connection pays a full handshake
// (the model before resumption existed, byte for byte):
//
//	TLS 1.2 (RFC 5246 7.3): ClientHello -> ServerHello, Certificate,
//	ServerHelloDone -> ClientKeyExchange, ChangeCipherSpec, Finished ->
//	ChangeCipherSpec, Finished; the request follows: 2 round trips.
//	TLS 1.3 (RFC 8446 2): ClientHello -> ServerHello ... Finished ->
//	Finished with the request: 1 round trip.
//
// With it, the client keeps a session ticket per hostname (the SNI it
// sent; browsers cache sessions per host) once a handshake with that
// host has given it one, for the rest of the run (every visit: the
// browser keeps its cache), and later connections to the host resume:
//
//	TLS 1.2 abbreviated handshake (RFC 5246 7.3, session tickets RFC
//	5077 3.1): ClientHello with the ticket -> ServerHello, NewSessionTicket,
//	ChangeCipherSpec, Finished -> ChangeCipherSpec, Finished with the
//	request: 1 round trip instead of 2, and no certificate.
//	TLS 1.3 PSK resumption (RFC 8446 2.2): the same one round trip as a
//	full handshake, with a smaller server flight (no Certificate nor
//	CertificateVerify) and a larger ClientHello (the ticket).
//
// The ticket arrives as the RFCs send it: TLS 1.2 in the server's last
// flight (with its Finished, RFC 5077 3.3), so a connection dialled
// before the first handshake with the host completed does a full
// handshake; TLS 1.3 after the server has read the client's Finished
// (RFC 8446 4.6.1: NewSessionTicket), so about one round trip after the
// handshake, just ahead of the first response. The server sends a new
// ticket in every handshake, resumed ones included, as servers do; the
// client reuses the one it holds for parallel connections (a TLS 1.2
// session is reusable; TLS 1.3 servers hand out several tickets,
// RFC 8446 C.4), so every connection to a host after the first ticket
// resumes. The NewSessionTicket bytes are counted only with resumption
// on, so that runs without it stay as they were.
//
// A caveat of that reuse: a short-lived connection that sent its request
// in early data gets no new ticket (the server has answered and closed
// before the client's Finished, which NewSessionTicket waits for, reaches
// it), so every later short-lived 0-RTT connection resumes with the ticket
// of the last full handshake. A client whose TLS 1.3 tickets are
// single-use (RFC 8446 C.4: clients SHOULD NOT reuse a ticket; 8.1: a
// server may accept early data once per ticket) would run out after as
// many connections as the server handed it tickets, and pay a 1-RTT
// handshake on the next; the model's short-lived 0-RTT numbers are the
// best case.
//
// With Config.TLS0RTT (TLS 1.3 and resumption only) a resuming client
// sends early data (RFC 8446 2.3): the requests it may send go with the
// ClientHello, before the handshake has completed, and keep going until
// the server's flight arrives; then EndOfEarlyData and Finished. Early
// data can be replayed by an attacker (RFC 8446 8), so only requests
// with safe methods go early (RFC 8470 2.1: GET, HEAD, OPTIONS, TRACE);
// a POST (or any other method) waits for the handshake, and requests
// behind it in the queue wait too (the queue is first come, first
// served). The server answers early requests at once (it accepts all
// early data; no anti-replay rejection is modelled).
//
// The first byte of the first response on a new connection, in round
// trips from the SYN, with messages small enough to take no time on the
// wire (TCP's handshake 1, then):
//
//	no TLS          2  SYN; request
//	TLS 1.2 full    4  SYN; ClientHello; ClientKeyExchange..Finished; request
//	TLS 1.2 resumed 3  SYN; ClientHello; Finished with the request
//	TLS 1.3 full    3  SYN; ClientHello; Finished with the request
//	TLS 1.3 resumed 3  the same, fewer bytes
//	TLS 1.3 0-RTT   2  SYN; ClientHello with the request
//
// (tls_test.go holds the model to these.)

// Sizes of the resumption messages, bytes on the wire above TCP, beside
// the full handshake's in config.go.
const (
	tlsTicket          = 200 // a session ticket: NewSessionTicket, or the ticket (pre_shared_key) in a ClientHello
	tlsServerResumed12 = 150 // TLS 1.2 abbreviated: ServerHello, ChangeCipherSpec, Finished
	tlsServerResumed13 = 250 // TLS 1.3 PSK: ServerHello, EncryptedExtensions, Finished
	tlsClientResumed12 = 60  // TLS 1.2 abbreviated: ChangeCipherSpec, Finished
	tlsEndOfEarlyData  = 20  // TLS 1.3 EndOfEarlyData, before the client's Finished
)

// safeMethod reports whether a request may go in early data: a safe
// method (RFC 9110 9.2.1), which RFC 8470 2.1 lets a client send in
// early data absent other information. PUT and DELETE are idempotent
// but not safe.
func safeMethod(method string) bool {
	switch method {
	case "", "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return false
}

// startTLS sends the ClientHello of a new connection: with a ticket for
// its host (resumption on) a resuming one, and with 0-RTT on the
// requests that may go early with it.
func (c *clientConn) startTLS(tc *tcp.Conn) {
	cfg := c.cl.cfg
	c.resumed = cfg.TLSResumption && c.cl.tickets[c.pool.name]
	size := tcp.Bytes(tlsClientHello)
	if c.resumed {
		size += tlsTicket
	}
	if !c.resumed || !cfg.TLS0RTT || cfg.TLS != TLS13 {
		tc.Send(size, &msg{kind: mTLSClientHello, resumed: c.resumed})
		return
	}
	// 0-RTT: the connection takes safe requests from now on, before the
	// handshake has completed (canTake).
	c.early = true
	tc.Cork()
	tc.Send(size, &msg{kind: mTLSClientHello, resumed: true})
	c.pool.offer(c)
	c.feed()
	c.pool.dispatch()
	tc.Uncork()
}

// tlsServerFlight handles the server's first flight on the client.
func (c *clientConn) tlsServerFlight(tc *tcp.Conn) {
	cfg := c.cl.cfg
	switch {
	case cfg.TLS == TLS13:
		// Finished (after EndOfEarlyData if it sent early data), then
		// requests at once (1-RTT).
		size := tcp.Bytes(tlsClientFinish13)
		if c.early {
			size += tlsEndOfEarlyData
			c.early = false
		}
		tc.Cork()
		tc.Send(size, &msg{kind: mTLSClientFinish, resumed: c.resumed})
		c.ready()
		tc.Uncork()
	case c.resumed:
		// TLS 1.2 abbreviated: the server has sent its Finished (and a
		// new ticket); ChangeCipherSpec and Finished go with the
		// requests.
		c.storeTicket()
		tc.Cork()
		tc.Send(tlsClientResumed12, &msg{kind: mTLSClientFinish, resumed: true})
		c.ready()
		tc.Uncork()
	default:
		tc.Send(tlsClientFinish12, &msg{kind: mTLSClientFinish})
	}
}

// storeTicket records that the client holds a session ticket for the
// connection's host (resumption on).
func (c *clientConn) storeTicket() {
	cl := c.cl
	if !cl.cfg.TLSResumption {
		return
	}
	if cl.tickets == nil {
		cl.tickets = map[string]bool{}
	}
	cl.tickets[c.pool.name] = true
}

// serverTLS answers a TLS handshake message on the server and reports
// whether m was one.
func (sc *serverConn) serverTLS(tc *tcp.Conn, m *msg) bool {
	cfg := sc.sv.cfg
	switch m.kind {
	case mTLSClientHello:
		sc.handshaking()
		size := tcp.Bytes(tlsServerFlight)
		switch {
		case m.resumed && cfg.TLS == TLS12:
			size = tlsServerResumed12 + tlsTicket // a new ticket in the abbreviated handshake (RFC 5077 3.1)
		case m.resumed:
			size = tlsServerResumed13
		}
		tc.Send(size, &msg{kind: mTLSServerFlight, resumed: m.resumed})
	case mTLSClientFinish:
		sc.handshaking()
		switch {
		case cfg.TLS == TLS12 && !m.resumed:
			size := tcp.Bytes(tlsServerFinish12)
			if cfg.TLSResumption {
				size += tlsTicket // NewSessionTicket before ChangeCipherSpec (RFC 5077 3.3)
			}
			tc.Send(size, &msg{kind: mTLSServerFinish})
		case cfg.TLS == TLS13 && cfg.TLSResumption:
			tc.Send(tlsTicket, &msg{kind: mTLSTicket}) // RFC 8446 4.6.1
		}
	default:
		return false
	}
	return true
}

// validateTLS checks the resumption settings: 0-RTT needs TLS 1.3 and
// resumption (early data is sent under a resumed session's key).
func (c *Config) validateTLS() error {
	if !c.TLS0RTT {
		return nil
	}
	if c.TLS != TLS13 {
		return errTLS0RTTVersion
	}
	if !c.TLSResumption {
		return errTLS0RTTResumption
	}
	return nil
}

var (
	errTLS0RTTVersion    = errors.New("httpmodel: tls 0-RTT needs TLS 1.3: early data is a TLS 1.3 mechanism (RFC 8446 2.3)")
	errTLS0RTTResumption = errors.New("httpmodel: tls 0-RTT needs resumption: early data is sent under a resumed session's key (RFC 8446 2.3)")
)
