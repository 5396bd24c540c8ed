package tcp

import (
	"testing"
	"time"
)

// TestAbortedConnectResetsSynAck (second audit of issue 11): a connect
// given up in SYN-SENT (Abort) while its SYN is on its way leaves the
// host with no such connection, so the SYN-ACK that comes back is
// answered with a reset (RFC 9293 3.10.7.1) and the server frees its
// SYN-RECEIVED connection one round trip after the SYN arrived. Before,
// the SYN-ACK was ignored and the server held the connection through
// its SYN-ACK retries (127 s): with httpmodel's populations, a client
// that abandoned a dial as its page load ended (abandonDials) left one
// of a thread-per-connection server's workers taken for two minutes.
func TestAbortedConnectResetsSynAck(t *testing.T) {
	const rtt = 100 * time.Millisecond
	p := newPath(pathConfig{rtt: rtt})
	srv := newRecorder(p.s)
	p.sep.Listen(80, DefaultConfig(), func(*Conn) Handler { return srv })
	cli := newRecorder(p.s)
	c := p.cep.Dial(p.server.ID, 80, DefaultConfig(), cli)
	// Give up a quarter RTT in: the SYN is halfway to the server.
	p.s.At(at(rtt/4), c.Abort)
	p.s.Run()
	if srv.connectedAt >= 0 {
		t.Errorf("the server's connection was established at %v; want it never established", srv.connectedAt)
	}
	if len(srv.closed) != 1 || srv.closed[0] != Reset {
		t.Fatalf("the server's connection closed %v; want once, by a reset", srv.closed)
	}
	// SYN arrives at rtt/2, its SYN-ACK at the client at rtt, the reset
	// back at the server at 3 rtt/2.
	if want := at(3 * rtt / 2); srv.closedAt != want {
		t.Errorf("the server's connection closed at %v; want %v (SYN, SYN-ACK, reset)", srv.closedAt, want)
	}
	if n, m := p.sep.Held(), p.cep.Held(); n != 0 || m != 0 {
		t.Errorf("the server holds %d connections at the end and the client %d, want 0 and 0 (both forgotten)", n, m)
	}
}
