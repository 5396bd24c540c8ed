package httpmodel

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestReadTimeoutLostReset: at 25% loss with a TCP that gives up after
// two retransmission timeouts, a side that gives up resets its
// connection, and that reset is sometimes lost: without a read timeout
// the client waited forever and the run ran out of events with clients
// unfinished. With it every run ends, for every model, in the single
// client and in a population, each request once, answered or failed,
// and some connections are given up by the timeout.
func TestReadTimeoutLostReset(t *testing.T) {
	for _, pop := range []bool{false, true} {
		for _, k := range []Kind{ShortLived, Persistent, Pipelined, Parallel, HTTP2} {
			t.Run(fmt.Sprintf("pop=%v/%v", pop, k), func(t *testing.T) {
				timeouts := 0
				for seed := uint64(1); seed <= 60; seed++ {
					cfg := DefaultConfig()
					cfg.Network.Loss = 0.25
					cfg.TCP.MaxRetries = 2
					cfg.MaxSimTime = 10 * time.Hour
					cfg.Model.Kind = k
					cfg.Page.Objects = objects(6, 5000)
					if pop {
						cfg.Clients = []Population{{Name: "u", Count: 3, Arrival: Arrival{Kind: Interval, Interval: 100 * time.Millisecond}, Page: cfg.Page, Model: cfg.Model}}
					}
					if err := cfg.Validate(); err != nil {
						t.Fatal(err)
					}
					w := build(cfg, seed)
					if pop {
						w.scheduleArrivals()
					} else {
						w.cl.startVisit()
					}
					if err := w.run(); err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
					timeouts += w.readTimeouts
					res := w.result()
					if pop {
						requestsOnce(t, res, 3*7)
					} else if err := checkRequests(res, true); err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
				}
				if timeouts == 0 {
					t.Errorf("no read timeout in 60 runs: is the case still produced?")
				}
			})
		}
	}
}

// TestReadTimeoutStalledPipeline: a client without pipelining fallback
// whose pipelined requests a server drops, behind a keep-alive timeout
// longer than the run, waited until the run's limit; with a read
// timeout it gives the connection up a timeout after its last byte and replays what was outstanding: the page loads, every request
// ends or, dropped again on every attempt, failed.
func TestReadTimeoutStalledPipeline(t *testing.T) {
	for _, rt := range []time.Duration{5 * time.Second, 20 * time.Second} {
		t.Run(rt.String(), func(t *testing.T) {
			cfg := breakerConfig(PipeliningDropAfterFirst)
			cfg.NoPipeliningFallback = true
			cfg.Server.KeepAliveTimeout = time.Hour
			cfg.MaxSimTime = time.Hour
			cfg.ReadTimeout = rt
			res := Run(cfg, 1)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if err := checkRequests(res, true); err != nil {
				t.Fatal(err)
			}
			if res.Metrics.Replayed == 0 {
				t.Errorf("nothing replayed: want the dropped requests replayed after the timeout")
			}
			// Each connection given up (all but the last, or all
			// when the last requests failed) cost a timeout after its
			// last byte; the rest is the page's own time, about 1 s.
			conns := time.Duration(res.Metrics.Connections)
			plt := res.Metrics.PLT
			if rest := plt % rt; plt < (conns-1)*rt || plt > conns*rt+2*time.Second || rest > 2*time.Second {
				t.Errorf("PLT %v with %d connections: want %d or %d read timeouts of %v, and about 1 s", plt, conns, conns-1, conns, rt)
			}
			cfg.ReadTimeout = -1
			if res := Run(cfg, 1); res.Err == nil {
				t.Errorf("read timeout off: the run ended without error, want it stopped at max_sim_time")
			}
		})
	}
}

// TestReadTimeoutSilentWhenHealthy: in runs where nothing stalls the
// read timer never fires: the same run, to the event, with it on and
// off, at 0 and 2% loss.
func TestReadTimeoutSilentWhenHealthy(t *testing.T) {
	for _, k := range []Kind{Persistent, Pipelined, HTTP2} {
		for _, loss := range []float64{0, 0.02} {
			cfg := breakerConfig(PipeliningOK)
			cfg.Model.Kind = k
			cfg.TLS = TLS13
			cfg.Network.Loss = loss
			on := Run(cfg, 3)
			cfg.ReadTimeout = -1
			off := Run(cfg, 3)
			if on.Err != nil || off.Err != nil || on.Metrics.Events != off.Metrics.Events || on.Metrics.PLT != off.Metrics.PLT {
				t.Errorf("%v loss %v: events %d / %d, PLT %v / %v, errors %v / %v: want identical runs", k, loss, on.Metrics.Events, off.Metrics.Events, on.Metrics.PLT, off.Metrics.PLT, on.Err, off.Err)
			}
		}
	}
}

// TestReadTimeoutOnlyWhileWaiting: the read timer runs only while the
// client is owed bytes. A response that takes longer than the timeout
// but keeps arriving is not given up, and a connection idle between
// visits for longer than the timeout is not touched: the same run, to
// the event, as without a read timeout, except for the timer's own
// re-arming during the long response.
func TestReadTimeoutOnlyWhileWaiting(t *testing.T) {
	t.Run("slow response", func(t *testing.T) {
		cfg := breakerConfig(PipeliningOK)
		cfg.Model.Kind = Persistent
		cfg.Page = Page{HTML: 2_000_000} // 1.6 s at 10 Mbit/s
		cfg.ReadTimeout = 300 * time.Millisecond
		on := mustRun(t, cfg, 1)
		cfg.ReadTimeout = -1
		off := mustRun(t, cfg, 1)
		if on.Metrics.PLT != off.Metrics.PLT || on.Metrics.Connections != 1 || on.Metrics.Retransmits != off.Metrics.Retransmits {
			t.Errorf("PLT %v, %d connections; without read timeout %v: want the same load on one connection", on.Metrics.PLT, on.Metrics.Connections, off.Metrics.PLT)
		}
	})
	t.Run("idle between visits", func(t *testing.T) {
		cfg := breakerConfig(PipeliningOK)
		cfg.Model.Kind = Persistent
		cfg.TLS = TLS13
		cfg.Visits = 3
		cfg.ReadingTime = 3 * time.Second
		cfg.Server.KeepAliveTimeout = time.Minute
		cfg.ReadTimeout = time.Second
		on := mustRun(t, cfg, 1)
		cfg.ReadTimeout = -1
		off := mustRun(t, cfg, 1)
		if on.Metrics.Events != off.Metrics.Events || on.Metrics.Connections != 1 {
			t.Errorf("%d events on %d connections, %d without read timeout: want the same run on one connection", on.Metrics.Events, on.Metrics.Connections, off.Metrics.Events)
		}
	})
}

// TestReadTimeoutOffReported: without a read timeout a lost reset leaves
// the client waiting forever; the run still ends (the simulator runs out
// of events), with an error naming the unfinished clients, and never
// blames a stalled pipeline on a client that does not pipeline or that
// has its fallback on.
func TestReadTimeoutOffReported(t *testing.T) {
	for _, k := range []Kind{Persistent, Pipelined, HTTP2} {
		errs := 0
		for seed := uint64(1); seed <= 60; seed++ {
			cfg := DefaultConfig()
			cfg.Network.Loss = 0.25
			cfg.TCP.MaxRetries = 2
			cfg.ReadTimeout = -1
			cfg.Model.Kind = k
			cfg.Page.Objects = objects(6, 5000)
			cfg.Clients = []Population{{Name: "u", Count: 3, Arrival: Arrival{Kind: Interval, Interval: 100 * time.Millisecond}, Page: cfg.Page, Model: cfg.Model}}
			res := Run(cfg, seed)
			if res.Err == nil {
				continue
			}
			errs++
			if msg := res.Err.Error(); !strings.Contains(msg, "clients unfinished") || strings.Contains(msg, "stalled pipelines") {
				t.Errorf("%v seed %d: %v: want the unfinished clients named, no stalled pipeline", k, seed, msg)
			}
		}
		if errs == 0 {
			t.Errorf("%v: no run left a client waiting: is the case still produced?", k)
		}
	}
}
