package tcp

import (
	"testing"
	"time"
)

// TestNoConnectedAfterReset (audit of issue 10, the upcall queue): a
// server connection whose handshake-completing ACK and a reset arrive at
// the same instant is closed before its deferred Connected upcall runs:
// the handler hears Closed only, never Connected on a closed
// connection. The client aborts in its own Connected, so its ACK and RST
// leave at one instant and, on a link of no serialization time, arrive
// at one instant. No test caught nextUpcall calling Connected on a
// connection closed since the call was queued.
func TestNoConnectedAfterReset(t *testing.T) {
	p := newPath(pathConfig{rtt: 40 * time.Millisecond}) // rate 0: no serialization time
	srv := newRecorder(p.s)
	connectedClosed := false
	srv.onConnected = func(c *Conn) {
		if c.State() == Closed {
			connectedClosed = true
		}
	}
	var sc *Conn
	p.sep.Listen(80, DefaultConfig(), func(c *Conn) Handler { sc = c; return srv })
	cli := newRecorder(p.s)
	cli.onConnected = func(c *Conn) { c.Abort() }
	p.cep.Dial(p.server.ID, 80, DefaultConfig(), cli)
	p.s.Run()
	if cli.connectCalls != 1 || len(cli.closed) != 1 || cli.closed[0] != Aborted {
		t.Fatalf("client: %d Connected, closed %v; want one Connected and Aborted", cli.connectCalls, cli.closed)
	}
	if sc == nil || sc.State() != Closed {
		t.Fatal("the server connection was not accepted, or is not closed")
	}
	if connectedClosed || srv.connectCalls != 0 {
		t.Errorf("server heard Connected %d times (on a closed connection: %v); want none, its reset came at the same instant",
			srv.connectCalls, connectedClosed)
	}
	if len(srv.closed) != 1 {
		t.Errorf("server heard Closed %d times (%v), want once", len(srv.closed), srv.closed)
	}
}

// TestClosedGoesToTheHandlerOfItsTime (audit of issue 10, the upcall
// queue): Closed goes to the handler the connection had when it closed,
// not to one set in the same instant after it (upcall.h): a connection
// aborted and then given another handler before the deferred call runs
// tells the first. No test caught nextUpcall reading the connection's
// current handler.
func TestClosedGoesToTheHandlerOfItsTime(t *testing.T) {
	p := newPath(pathConfig{rtt: 40 * time.Millisecond})
	p.sep.Listen(80, DefaultConfig(), func(c *Conn) Handler { return newRecorder(p.s) })
	cli, later := newRecorder(p.s), newRecorder(p.s)
	cli.onConnected = func(c *Conn) {
		c.Abort()
		c.SetHandler(later)
	}
	p.cep.Dial(p.server.ID, 80, DefaultConfig(), cli)
	p.s.Run()
	if len(cli.closed) != 1 || cli.closed[0] != Aborted || len(later.closed) != 0 {
		t.Errorf("Closed heard by the handler at the abort %v, by the one set after it %v; want [Aborted] and none",
			cli.closed, later.closed)
	}
}
