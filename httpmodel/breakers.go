package httpmodel

import (
	"fmt"
	"time"

	"github.com/connsim/connsim/tcp"
)

// Broken pipelining.
//
// Pipelining (RFC 9112 9.3.2) failed on the real web less for what it
// cost than for the servers and middleboxes that handled it wrongly, and
// for what a client had to do to survive them. Server.Pipelining makes
// the server behave as one of them; the client detects each break,
// falls back to persistent connections without pipelining for that host,
// and replays what was lost (idempotent requests only, RFC 9112 9.3.1).
//
// The server sees request boundaries (each request is a message), and
// calls a request pipelined when it arrives while the server is still
// busy with an earlier one on the connection: that one is not answered
// yet, or its response is not yet fully acknowledged (a request the
// client sent after it had the whole response carries the
// acknowledgement of it, so it is never pipelined). The breaks:
//
//	serial             reads (and so starts to process) a request only once it has written
//	                   the response to the one before: think times add up instead of
//	                   overlapping. Not a protocol violation; with think time 0 it costs
//	                   nothing. The client notices it only when a response waits longer
//	                   than its timeout.
//	close-after-first  once it has seen a pipelined request, closes the connection (FIN,
//	                   no Connection: close) after the next response it writes; requests
//	                   still arriving are answered with a reset, as by a closed socket.
//	drop-after-first   answers a request and silently discards every request pipelined
//	                   behind it (a parser that reads one request per read()); the
//	                   connection stays open and the keep-alive timer runs.
//	out-of-order       answers the pipelined requests that became ready together in
//	                   reverse order (a box that hands each to its own upstream and relays
//	                   what comes back first): a protocol violation.
//
// Every response carries its request's identity (msg.req), which an
// HTTP/1.x response on the wire does not: the model uses it to see a
// response that is not for the head of the connection's queue, as a real
// client sees one by its length or type not matching what it asked for.
//
// The client (Config.NoPipeliningFallback false, the default, as in
// browsers that pipelined) detects:
//
//   - a close with requests outstanding: the server closed the connection
//     (FIN, no Connection: close announced) while a request was
//     outstanding that had been sent before the last response ended,
//     i.e. pipelined behind it (a request sent on an idle connection and
//     lost to the keep-alive race is not a pipelining break), or reset it
//     with two or more requests outstanding;
//   - no response within the timeout: a response ended with requests
//     pipelined behind it, and no byte has arrived on the connection for
//     Config.PipeliningTimeout since (Firefox's
//     network.http.pipelining.reschedule-timeout, 1.5 s by default);
//   - a response it cannot match: its request is not the head of the
//     queue.
//
// On a detection it marks the host as not pipelinable for the rest of
// the run (every later request of the host waits for an idle persistent
// connection), closes the connection (a reset: the client stops
// reading; a connection whose responses cannot be matched or that has
// stalled cannot be trusted), and replays the requests outstanding on it
// on persistent connections without pipelining: idempotent ones only,
// non-idempotent ones fail (the client never pipelines them, so none is
// ever outstanding behind another). Metrics.PipeliningFallbacks counts
// the hosts that fell back, Metrics.Replayed the replays.
//
// Without fallback (Config.NoPipeliningFallback), the client behaves as a
// browser without these defences: it waits for a dropped request until
// the server's keep-alive timeout closes the connection (and then retries
// as on any close, RFC 9112 9.3.1, pipelining again), or until the run's
// time limit, reported as the run's error; it retries what a close cut
// off, pipelining again on the next connection after its first
// response; and it takes a response out of order for the head's, so every
// request outstanding on the connection got the wrong response: they are
// reported failed and the connection closed.

// Pipelining is how the server handles pipelined requests.
type Pipelining uint8

// The server's pipelining behaviours.
const (
	PipeliningOK              Pipelining = iota // answers pipelined requests in order, processing them together (RFC 9112 9.3.2)
	PipeliningSerial                            // processes one request at a time: the next only once the response before it is written
	PipeliningCloseAfterFirst                   // closes after the first response it writes once a request was pipelined
	PipeliningDropAfterFirst                    // discards requests pipelined behind an unfinished one
	PipeliningOutOfOrder                        // answers requests that became ready together last first
)

var pipeliningNames = [...]string{"ok", "serial", "close-after-first", "drop-after-first", "out-of-order"}

// String returns the behaviour's name in the experiment format.
func (p Pipelining) String() string {
	if int(p) < len(pipeliningNames) {
		return pipeliningNames[p]
	}
	return fmt.Sprintf("Pipelining(%d)", int(p))
}

// ParsePipelining returns the behaviour named s ("" is ok).
func ParsePipelining(s string) (Pipelining, error) {
	if s == "" {
		return PipeliningOK, nil
	}
	for i, n := range pipeliningNames {
		if n == s {
			return Pipelining(i), nil
		}
	}
	return 0, fmt.Errorf("httpmodel: unknown server pipelining %q", s)
}

// DefaultPipeliningTimeout is Config.PipeliningTimeout when it is 0:
// Firefox's network.http.pipelining.reschedule-timeout (1500 ms), the
// first of its timers to act on a stalled pipeline (its read-timeout,
// 30 s, restarted the transaction without pipelining). It is shorter
// than the servers' keep-alive timeouts (5 s and more), so a dropped
// request is found by the client rather than by the server closing an
// idle connection, and long enough that TCP's loss recovery (an RTO of
// 200 ms, then 400 ms) rarely looks like a stall.
const DefaultPipeliningTimeout = 1500 * time.Millisecond

// pipeliningTimeout is the detection timeout of a stalled pipeline.
func (c *Config) pipeliningTimeout() time.Duration {
	if c.PipeliningTimeout > 0 {
		return c.PipeliningTimeout
	}
	return DefaultPipeliningTimeout
}

// --- server ---

// busy reports whether an HTTP/1.x request arriving now is pipelined:
// an earlier request is not answered yet, or its response is not fully
// acknowledged.
func (sc *serverConn) busy() bool {
	return len(sc.pending) > 0 || sc.tc.Unacked() > 0
}

// arrive applies the server's Pipelining to an HTTP/1.x request as it
// arrives, before it is read: it notes a pipelined request, and reports
// whether the request is discarded (drop-after-first).
func (sc *serverConn) arrive(m *msg) (dropped bool) {
	p := sc.sv.cfg.Server.Pipelining
	if p == PipeliningOK || sc.h2 || m.kind != mRequest || m.upgrade || !sc.busy() {
		return false
	}
	sc.sawPipeline = true
	if p == PipeliningDropAfterFirst {
		sc.sv.dropped++
		return true
	}
	return false
}

// deferRead reports whether a request just added to pending waits to be
// read (serial: an earlier one is not answered yet).
func (sc *serverConn) deferRead() bool {
	return sc.sv.cfg.Server.Pipelining == PipeliningSerial && !sc.h2 && len(sc.pending) > 1
}

// readNext starts the processing of the next pending request of a serial
// server, now that the response before it is written; with no think time
// it is ready at once (write's loop goes on with it).
func (sc *serverConn) readNext() {
	if sc.sv.cfg.Server.Pipelining != PipeliningSerial || len(sc.pending) == 0 {
		return
	}
	sr := sc.pending[0]
	if sr.started {
		return
	}
	sr.started = true
	if px := sc.sv.proxy; px != nil {
		px.take(sc, sr)
		return
	}
	think := sc.sv.cfg.Server.ThinkTime
	if think <= 0 {
		sr.ready = true
		return
	}
	sc.sv.w.s.After(think, func() {
		sr.ready = true
		sc.write()
	})
}

// writeOutOfOrder is write for the out-of-order server: once every
// request that arrives at this instant has been read, it answers the
// ready ones last first.
func (sc *serverConn) writeOutOfOrder() {
	if sc.oooQueued {
		return
	}
	sc.oooQueued = true
	sc.sv.w.s.Defer(func() {
		sc.oooQueued = false
		if sc.closed {
			return
		}
		var ready, rest []*srvReq
		for _, sr := range sc.pending {
			if sr.ready {
				ready = append(ready, sr)
			} else {
				rest = append(rest, sr)
			}
		}
		sc.pending = rest
		for i := len(ready) - 1; i >= 0; i-- {
			if sc.respond(ready[i]) {
				return
			}
		}
		if len(sc.pending) == 0 {
			sc.armIdle()
		}
	})
}

// closesAbruptly reports whether the server closes the connection after
// the response it is writing (close-after-first).
func (sc *serverConn) closesAbruptly() bool {
	return sc.sv.cfg.Server.Pipelining == PipeliningCloseAfterFirst && sc.sawPipeline
}

// --- client ---

// fallbackOn reports whether c's client detects broken pipelines.
func (c *clientConn) fallbackOn() bool {
	return c.cl.cfg.Model.Kind == Pipelined && !c.cl.cfg.NoPipeliningFallback
}

// armStall starts the stall timer: a response has ended with requests
// pipelined behind it.
func (c *clientConn) armStall() {
	if !c.fallbackOn() {
		return
	}
	if c.stall == nil {
		c.stall = c.cl.w.s.NewTimer(c.onStall)
	}
	c.stallMark = c.tc.Stats().BytesDelivered
	c.stall.Reset(c.cl.cfg.pipeliningTimeout())
}

func (c *clientConn) stopStall() {
	if c.stall != nil {
		c.stall.Stop()
	}
}

// onStall: no response for the timeout. Bytes that arrived meanwhile
// (a large response's body, a retransmission filling a hole) show the
// connection alive: wait again.
func (c *clientConn) onStall() {
	if c.state != csReady || len(c.inflight) == 0 {
		return
	}
	if got := c.tc.Stats().BytesDelivered; got > c.stallMark {
		c.stallMark = got
		c.stall.Reset(c.cl.cfg.pipeliningTimeout())
		return
	}
	c.breakPipeline()
}

// fallBack marks c's host as not pipelinable, counting the first time.
func (c *clientConn) fallBack() {
	if p := c.pool; !p.noPipelining {
		p.noPipelining = true
		c.cl.w.fallbacks++
	}
}

// breakPipeline ends a connection whose pipeline broke: the host falls
// back, the connection is reset, and its outstanding requests replayed
// (retire).
func (c *clientConn) breakPipeline() {
	c.stopStall()
	c.fallBack()
	c.tc.Abort()
	c.retire(tcp.Aborted)
}

// mismatch handles a response whose request is not the head of the
// queue.
func (c *clientConn) mismatch() {
	if c.fallbackOn() {
		c.breakPipeline()
		return
	}
	// No defence: the response is taken for the head's, and every
	// request outstanding on the connection has (or will have) another
	// one's response: they fail, and the connection, out of step, is
	// closed.
	c.stopStall()
	lost := c.inflight
	c.inflight = nil
	c.unsafeInflight = 0
	c.tc.Abort()
	c.retire(tcp.Aborted)
	for _, r := range lost {
		c.cl.fail(r)
	}
}

// cutPipeline reports whether the server's close cut a pipeline: its FIN
// came with no Connection: close announced while the head of the queue
// had been sent before the last response on the connection ended
// (pipelined behind it), or its reset came while two or more requests
// were outstanding (a pipeline; the reset of a server that closed with
// pipelined requests still arriving can overtake, under loss, the FIN and
// the response before it).
func (c *clientConn) cutPipeline(reason tcp.CloseReason) bool {
	if !c.fallbackOn() || c.closer != nil || len(c.inflight) == 0 {
		return false
	}
	switch reason {
	case tcp.ClosedByPeer:
		return c.served > 0 && c.inflight[0].sendAt < c.lastRespEnd
	case tcp.Reset:
		return len(c.inflight) >= 2
	}
	return false
}

// explainStall adds to the error of a run that hit a limit (max_sim_time,
// max_events) how many of its unfinished requests wait on a pipeline
// that stalled: requests pipelined behind a response that ended, on a
// connection still open, which a client without fallback waits for
// indefinitely.
func (w *world) explainStall(err error) error {
	if err == nil || err == ErrInterrupted {
		return err
	}
	clients := w.clients
	if !w.pop {
		clients = []*client{w.cl}
	}
	stalled := 0
	for _, cl := range clients {
		if cl == nil {
			continue
		}
		if cl.cfg.Model.Kind != Pipelined || !cl.cfg.NoPipeliningFallback {
			continue // only a pipelining client without fallback waits on a stalled pipeline
		}
		for _, c := range cl.conns {
			if c.state == csReady && !c.h2 && c.served > 0 && len(c.inflight) > 0 && c.inflight[0].sendAt < c.lastRespEnd {
				stalled += len(c.inflight)
			}
		}
	}
	if stalled == 0 {
		return err
	}
	return fmt.Errorf("%w; %d requests wait on stalled pipelines (pipelined behind a response, never answered: a server that drops pipelined requests, and client.pipelining_fallback off)", err, stalled)
}
