package httpmodel

import (
	"time"

	"github.com/connsim/connsim/tcp"
)

// The read timeout.
//
// A TCP sender that gives up (tcp.Config.MaxRetries retransmission
// timeouts in a row, RFC 9293 3.8.3's R2) resets its connection; if that
// reset is lost, the peer never learns it. A client waiting for a
// response has nothing of its own to retransmit, so its TCP would wait
// forever, and so would the page. Browsers do not: Firefox gives up a
// connection on which nothing has arrived for
// network.http.response.timeout (300 s), and a proxy's upstream side
// has its own (nginx's proxy_read_timeout). The client here does the
// same: while it waits for the server (its TLS handshake in progress,
// or requests outstanding), if no byte has arrived for
// Config.ReadTimeout it resets the connection and retires it as on any
// connection lost under its requests: idempotent ones are replayed
// within their retry budget, others fail (RFC 9112 9.3.1).
//
// The timer is armed when the client starts waiting and stopped when it
// stops; when it fires having seen bytes arrive since it was armed it
// waits again, until a timeout after the last message that arrived (or,
// if bytes arrived but no message completed, a timeout from now), so a
// connection is given up a timeout after its last byte. A run in which
// nothing stalls never sees it fire (its events, and so its output, are
// those of a client without it).

// DefaultReadTimeout is Config.ReadTimeout when it is 0: Firefox's
// network.http.response.timeout.
const DefaultReadTimeout = 300 * time.Second

// readTimeout is the client's read timeout; negative: none.
func (c *Config) readTimeout() time.Duration {
	if c.ReadTimeout == 0 {
		return DefaultReadTimeout
	}
	return c.ReadTimeout
}

// waitsForServer reports whether c is owed bytes by the server: its TLS
// handshake is in progress, or requests are outstanding on it.
func (c *clientConn) waitsForServer() bool {
	return c.state == csTLS || c.state == csReady && len(c.inflight) > 0
}

// armRead starts the read timer unless it runs already.
func (c *clientConn) armRead() {
	d := c.cl.cfg.readTimeout()
	if d < 0 {
		return
	}
	if c.read == nil {
		c.read = c.cl.w.s.NewTimer(c.onRead)
	} else if c.read.Pending() {
		return
	}
	c.readMark = c.tc.Stats().BytesDelivered
	c.read.Reset(d)
}

func (c *clientConn) stopRead() {
	if c.read != nil {
		c.read.Stop()
	}
}

// onRead: the read timeout expired. Bytes that arrived meanwhile show
// the connection alive: wait again. Otherwise give the connection up.
func (c *clientConn) onRead() {
	if !c.waitsForServer() {
		return
	}
	if got := c.tc.Stats().BytesDelivered; got > c.readMark {
		c.readMark = got
		now, d := c.cl.w.s.Now(), c.cl.cfg.readTimeout()
		at := c.lastRecv.Add(d)
		if at <= now {
			at = now.Add(d)
		}
		c.read.ResetAt(at)
		return
	}
	c.cl.w.readTimeouts++
	c.stopStall()
	c.tc.Abort()
	c.retire(tcp.Aborted)
}
