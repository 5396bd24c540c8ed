package httpmodel

import (
	"math"
	"testing"
	"time"
)

// server_conn_s counts a server connection until its TCP side has
// closed, in a population run as in the single-client world, also when
// the client closes first (max_requests: the server's last response says
// close, the client sends the first FIN, the server sits in LAST-ACK for
// a moment). One client in a population with no access link sees the
// same connections as the single client, so the sums are equal; before
// this was fixed, the population run added minus the open time of each
// connection the client closed (15.303 s against 15.415 s here), and the
// sum went negative with many clients.
func TestServerConnSecondsWhenTheClientCloses(t *testing.T) {
	for _, mr := range []int{0, 3} {
		cfg := popConfig()
		cfg.Clients = nil
		cfg.Page = popPage(10, 10000)
		cfg.Model = Model{Kind: Parallel}
		cfg.Server = Server{MaxRequests: mr, KeepAliveTimeout: 2 * time.Second}
		single := Run(cfg, 1)
		pc := cfg
		pc.Clients = []Population{{Name: "c", Count: 1, Page: cfg.Page, Model: cfg.Model}}
		pop := Run(pc, 1)
		if single.Err != nil || pop.Err != nil {
			t.Fatalf("max_requests %d: %v, %v", mr, single.Err, pop.Err)
		}
		s, p := single.Metrics.ServerConnS, pop.Metrics.ServerConnS
		t.Logf("max_requests %d: single %.6f, population %.6f", mr, s, p)
		if p <= 0 || math.Abs(p-s) > 1e-9 {
			t.Errorf("max_requests %d: server_conn_s %.3f with one population client, %.3f in the single-client world", mr, p, s)
		}
	}
	// Many clients closing first: never negative.
	cfg := popConfig()
	cfg.Server.MaxRequests = 2
	res := Run(cfg, 1)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	t.Logf("many clients: %.6f", res.Metrics.ServerConnS)
	if res.Metrics.ServerConnS <= 0 {
		t.Errorf("server_conn_s %v with clients closing first, want > 0", res.Metrics.ServerConnS)
	}
}
