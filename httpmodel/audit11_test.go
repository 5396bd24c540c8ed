package httpmodel

import (
	"testing"
	"time"
)

// TestPerClientLimitFreedOnClose (audit of issue 11): a client address
// that has held MaxConnectionsPerClient connections may open new ones
// once those close. One client loads 20 objects over 6 parallel
// connections from a server that allows 2 per client and answers one
// request per connection (MaxRequests 1): the load needs 21 connections
// one after another, so it finishes without a failure only if the
// server forgets each closed connection in its per-client count.
// Removing the decrement in serverConn.release passed every other test.
func TestPerClientLimitFreedOnClose(t *testing.T) {
	cfg := popConfig(Population{Name: "c", Count: 3, Arrival: Arrival{Kind: Interval, Interval: 100 * time.Millisecond}, Page: popPage(20, 2000), Model: Model{Kind: Parallel}})
	cfg.Server = Server{MaxConnectionsPerClient: 2, MaxRequests: 1}
	res := Run(cfg, 1)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	m := res.Metrics
	if m.Failed != 0 || m.Refused == 0 {
		t.Errorf("%d requests failed, %d connections refused: want none failed (the limit frees as connections close) and some refused (the limit pressed)", m.Failed, m.Refused)
	}
	if m.Connections < 3*21 {
		t.Errorf("%d connections accepted or refused, want at least %d", m.Connections, 3*21)
	}
	checkConservation(t, cfg, res)
}
