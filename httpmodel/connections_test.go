package httpmodel

import (
	"testing"
	"time"
)

// TestConnectionsCountsDials: Metrics.Connections is the connections the
// client opened (dialed), refused ones included, as docs/experiment-format.md's
// connections metric ("TCP connections opened") says; Handshakes sums
// only the handshakes that completed. Parallel, limit 2, 10 objects,
// R = 50 ms (see TestMaxConnections): c1..c6 are dialed, c3..c6 refused,
// so 6 connections and two handshakes of one RTT each (plus the
// segments' serialization).
func TestConnectionsCountsDials(t *testing.T) {
	const rtt = 50 * time.Millisecond
	cfg := fastConfig(Parallel, rtt, Page{HTML: 1000, Objects: objects(10, 1000)})
	cfg.Model = Model{Kind: Parallel}
	cfg.Server.MaxConnections = 2
	res := Run(cfg, 1)
	if res.Err != nil {
		t.Fatalf("Err = %v, want nil", res.Err)
	}
	m := res.Metrics
	if m.Connections != 6 || m.Refused != 4 {
		t.Errorf("Connections = %d, Refused = %d; want 6 dialed, 4 refused\n%s", m.Connections, m.Refused, describe(res))
	}
	if m.Handshakes < 2*rtt || m.Handshakes > 2*rtt+time.Millisecond {
		t.Errorf("Handshakes = %v, want %v plus serialization (the two completed handshakes)", m.Handshakes, 2*rtt)
	}
	if len(res.Conns) != 0 {
		t.Errorf("%d connection traces without Config.Trace, want none", len(res.Conns))
	}
}
