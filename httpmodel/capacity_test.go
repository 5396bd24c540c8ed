package httpmodel

import (
	"testing"
	"time"
)

// TestServerCapacityCrossover is the server-capacity experiment reduced:
// a thread-per-connection server of 24 workers (backlog 64) and clients
// loading a 10-object page over 6 connections, arriving as a Poisson
// process. Keep-alive with a 15 s timeout wins while few clients arrive
// (no handshake per object: p95 PLT 227 ms against 266 ms), but each
// client then holds 6 workers for 15 s after its load, so past about
// 24/(6*15 s) = 0.27 clients/s the workers run out, SYNs queue and are
// dropped, and short-lived connections, which hold a worker only while
// a request is served, serve the same clients in a fraction of the time.
func TestServerCapacityCrossover(t *testing.T) {
	p95 := func(rate float64, m Model, ka time.Duration) time.Duration {
		cfg := popConfig(Population{Name: "web", Count: 40, Arrival: Arrival{Kind: Poisson, Rate: rate}, Page: popPage(10, 10000), Model: m})
		cfg.Server = Server{Workers: 24, Backlog: 64, KeepAliveTimeout: ka}
		cfg.MaxSimTime = time.Hour
		res := Run(cfg, 1)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		checkConservation(t, cfg, res)
		if res.Metrics.BusyWorkersMax > 24 {
			t.Errorf("%d workers busy of 24", res.Metrics.BusyWorkersMax)
		}
		return percentile(res.Metrics.ClientPLTs, 0.95)
	}
	short := Model{Kind: ShortLived, Connections: 6}
	keep := Model{Kind: Parallel}
	lowShort, lowKeep := p95(0.05, short, 0), p95(0.05, keep, 15*time.Second)
	highShort, highKeep := p95(1, short, 0), p95(1, keep, 15*time.Second)
	t.Logf("p95 PLT at 0.05/s: short-lived %v, keep-alive %v; at 1/s: short-lived %v, keep-alive %v", lowShort, lowKeep, highShort, highKeep)
	if lowKeep >= lowShort {
		t.Errorf("at 0.05 clients/s keep-alive p95 %v, short-lived %v: want keep-alive faster", lowKeep, lowShort)
	}
	if highShort*10 >= highKeep {
		t.Errorf("at 1 client/s short-lived p95 %v, keep-alive %v: want short-lived at least 10x faster", highShort, highKeep)
	}
}

// TestIdleFloodDefence is the idle-flood experiment reduced: 30 clients
// (Poisson, 0.5/s, from 5 s) load a page from a thread-per-connection
// server of 100 workers with a 10 s keep-alive; an idle population
// opens 10 connections a second and sends nothing. The flood takes the
// workers (the server waits max(keep-alive, 5 s) for a first request)
// and the clients' p95 PLT grows from 227 ms to seconds. A 1 s
// keep-alive (the first-request wait falls to 5 s), a limit of 6
// connections per client address, or an event-driven server (no worker
// per connection, a high connection limit) each bring it back under
// 1.5 s.
func TestIdleFloodDefence(t *testing.T) {
	run := func(srv Server, flood bool, seed uint64) time.Duration {
		pops := []Population{{Name: "web", Count: 30, Arrival: Arrival{Kind: Poisson, Rate: 0.5, Start: 5 * time.Second}, Page: popPage(10, 10000), Model: Model{Kind: Parallel}}}
		if flood {
			pops = append(pops, Population{Name: "flood", Count: 60, Arrival: Arrival{Kind: Interval, Interval: time.Second}, Idle: true, Page: Page{HTML: 100}, Model: Model{Kind: Parallel, Connections: 10}})
		}
		cfg := popConfig(pops...)
		cfg.Server = srv
		res := Run(cfg, seed)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		checkConservation(t, cfg, res)
		return percentile(res.Metrics.ClientPLTs, 0.95)
	}
	threads := Server{Workers: 100, Backlog: 32, KeepAliveTimeout: 10 * time.Second}
	shortKA := threads
	shortKA.KeepAliveTimeout = time.Second
	perClient := threads
	perClient.MaxConnectionsPerClient = 6
	// Several seeds: the claims must not hang on one draw of arrivals.
	for _, seed := range []uint64{1, 2, 9} {
		calm := run(threads, false, seed)
		flooded := run(threads, true, seed)
		t.Logf("seed %d: p95 PLT: no flood %v, flood %v", seed, calm, flooded)
		if flooded < 10*calm {
			t.Fatalf("seed %d: the flood raised p95 from %v only to %v: want it starved (10x)", seed, calm, flooded)
		}
		for _, d := range []struct {
			name string
			srv  Server
			max  time.Duration // p95 under the flood at most
		}{
			// A short keep-alive and an event-driven server defend
			// fully; a per-client limit leaves the users' own
			// connections to compete with the flood for the workers
			// left, and defends in part (it at least halves p95).
			{"keep-alive 1s", shortKA, 1500 * time.Millisecond},
			{"6 per client", perClient, flooded / 2},
			{"event-driven", Server{MaxConnections: 10000, KeepAliveTimeout: 10 * time.Second}, 1500 * time.Millisecond},
		} {
			got := run(d.srv, true, seed)
			t.Logf("seed %d: %s under flood: p95 %v", seed, d.name, got)
			if got > d.max {
				t.Errorf("seed %d: %s: p95 PLT %v under the flood, want at most %v", seed, d.name, got, d.max)
			}
		}
	}
}
