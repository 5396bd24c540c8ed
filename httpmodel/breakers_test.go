package httpmodel

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// The tests of broken pipelining (breakers.go). The scenario: one
// pipelining connection, 100 ms RTT at 10 Mbit/s, an HTML of 10 KB and 20
// objects of 10 KB, all pipelined in one write once the HTML has
// arrived. A healthy server answers them in about one round trip; each
// broken one must be detected and survived (fallback on) or reported
// (fallback off), and never hang the simulator.

const breakerObjects = 20

func breakerConfig(p Pipelining) Config {
	cfg := DefaultConfig()
	cfg.Network = Network{RTT: 100 * time.Millisecond, Bandwidth: 10 * link.Mbps}
	cfg.Page = Page{HTML: 10_000, Objects: objects(breakerObjects, 10_000)}
	cfg.Model = Model{Kind: Pipelined}
	cfg.Server.Pipelining = p
	return cfg
}

// breakerCase is a broken server and what makes it show: serial is
// noticed only when its think times (which add up) outlast the client's
// timeout, so it runs with a think time longer than the timeout.
type breakerCase struct {
	p     Pipelining
	setup func(*Config)
}

var breakerCases = []breakerCase{
	{PipeliningSerial, func(c *Config) {
		c.Server.ThinkTime = 300 * time.Millisecond
		c.PipeliningTimeout = 200 * time.Millisecond
	}},
	{PipeliningCloseAfterFirst, nil},
	{PipeliningDropAfterFirst, nil},
	{PipeliningOutOfOrder, nil},
}

func (bc breakerCase) config(p Pipelining) Config {
	cfg := breakerConfig(p)
	if bc.setup != nil {
		bc.setup(&cfg)
	}
	return cfg
}

// sequentialAfter checks that no request sent at or after from overlaps
// another on its connection: sent while another was outstanding there.
func sequentialAfter(t *testing.T, res *Result, from time.Duration) {
	t.Helper()
	for _, r := range res.Requests {
		if r.Connection == 0 || r.SentAt < from {
			continue
		}
		for _, q := range res.Requests {
			if q.Index != r.Index && q.Connection == r.Connection && q.SentAt <= r.SentAt && q.End > r.SentAt {
				t.Errorf("request %d sent at %v on connection %d while request %d (sent %v, ended %v) was outstanding: pipelined after the fallback",
					r.Index, r.SentAt, r.Connection, q.Index, q.SentAt, q.End)
			}
		}
	}
}

// TestBreakersDetected: with fallback (the default) the client detects
// each broken server once, stops pipelining to the host, replays what was
// outstanding (each replayed request sent twice, on a connection where it
// waits for no other), answers every request exactly once, and pays for
// it: the page loads more slowly than with a healthy pipelining server
// under the same settings, which itself triggers no fallback.
func TestBreakersDetected(t *testing.T) {
	for _, bc := range breakerCases {
		t.Run(bc.p.String(), func(t *testing.T) {
			healthy := mustRun(t, bc.config(PipeliningOK), 1)
			if got := healthy.Metrics.PipeliningFallbacks; got != 0 {
				t.Fatalf("healthy server: %d fallbacks, want 0", got)
			}
			res := mustRun(t, bc.config(bc.p), 1) // every request once, none failed
			m := res.Metrics
			if m.PipeliningFallbacks != 1 {
				t.Errorf("PipeliningFallbacks = %d, want 1 (one host)", m.PipeliningFallbacks)
			}
			replayed := 0
			firstReplay := time.Duration(-1)
			for _, r := range res.Requests {
				if !r.Replayed {
					if r.Attempts != 1 {
						t.Errorf("request %d: %d attempts, not replayed", r.Index, r.Attempts)
					}
					continue
				}
				replayed++
				if r.Attempts != 2 {
					t.Errorf("request %d: %d attempts, want 2 (replayed once)", r.Index, r.Attempts)
				}
				if firstReplay < 0 || r.SentAt < firstReplay {
					firstReplay = r.SentAt
				}
			}
			// All but the one or two objects answered before the
			// break were outstanding.
			if replayed != m.Replayed || replayed < breakerObjects-2 {
				t.Errorf("%d requests replayed (Metrics.Replayed %d), want the %d or so outstanding at the break", replayed, m.Replayed, breakerObjects)
			}
			if m.Connections != 2 {
				t.Errorf("Connections = %d, want 2 (the broken one, then one persistent connection)", m.Connections)
			}
			sequentialAfter(t, res, firstReplay)
			if !(m.PLT > healthy.Metrics.PLT) {
				t.Errorf("PLT %v, healthy pipelining %v: want the break to cost time", m.PLT, healthy.Metrics.PLT)
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// TestBreakersDetectionCost checks the cost of each detection against
// the model: once the HTML is in, the first object's response takes a
// round trip; after the break the outstanding objects go one at a time
// on a new persistent connection (a handshake), each at least one round
// trip; in between the client waited for: close-after-first, nothing (the FIN follows the response);
// drop-after-first, the timeout; out-of-order, nothing (the first
// response read is the wrong one).
func TestBreakersDetectionCost(t *testing.T) {
	rtt := 100 * time.Millisecond
	for _, c := range []struct {
		p       Pipelining
		minWait time.Duration
	}{
		{PipeliningCloseAfterFirst, 0},
		{PipeliningDropAfterFirst, DefaultPipeliningTimeout},
		{PipeliningOutOfOrder, 0},
	} {
		t.Run(c.p.String(), func(t *testing.T) {
			res := mustRun(t, breakerConfig(c.p), 1)
			html := res.Requests[0].End
			replays := time.Duration(res.Metrics.Replayed)
			// The HTML, a round trip for the first object's response,
			// the wait, the new connection's handshake, then a round
			// trip per replayed object.
			min := html + rtt + c.minWait + rtt + replays*rtt
			// Above it: the responses' serialization (21 of 10.3 KB at
			// 10 Mbit/s, 173 ms) and the requests'.
			if res.Metrics.PLT < min || res.Metrics.PLT > min+300*time.Millisecond {
				t.Errorf("PLT %v, want %v to %v (HTML at %v + a round trip + wait %v + handshake + %d round trips, + 300 ms of serialization)",
					res.Metrics.PLT, min, min+300*time.Millisecond, html, c.minWait, res.Metrics.Replayed)
			}
		})
	}
}

// TestBreakersWithoutFallback: with fallback off the client behaves as a
// browser without defences, and every outcome is reported, none hangs:
//
//   - drop-after-first: the page stalls until the server's keep-alive
//     timeout closes the connection, and pipelines again on the next one:
//     a page load of several keep-alive timeouts; with a keep-alive longer
//     than the run's limit, the run ends at max_sim_time with the error
//     saying how many requests were left;
//   - out-of-order: responses taken for other requests' are failures:
//     every object of the pipeline fails and nothing is replayed;
//   - close-after-first: retried on close as any request cut off
//     (RFC 9112 9.3.1), pipelining again each time: many connections;
//   - serial: only slower (nothing is detected).
func TestBreakersWithoutFallback(t *testing.T) {
	t.Run("drop-after-first", func(t *testing.T) {
		cfg := breakerConfig(PipeliningDropAfterFirst)
		cfg.NoPipeliningFallback = true
		res := mustRun(t, cfg, 1)
		m := res.Metrics
		if m.PipeliningFallbacks != 0 {
			t.Errorf("PipeliningFallbacks = %d, want 0 with fallback off", m.PipeliningFallbacks)
		}
		if m.PLT < 5*defaultKeepAlive {
			t.Errorf("PLT %v, want several keep-alive timeouts (%v each): the stalls", m.PLT, defaultKeepAlive)
		}

		cfg.Server.KeepAliveTimeout = time.Hour
		cfg.MaxSimTime = time.Minute
		res = Run(cfg, 1)
		if res.Err == nil || !strings.Contains(res.Err.Error(), "max_sim_time") || !strings.Contains(res.Err.Error(), "19 requests wait on stalled pipelines") {
			t.Errorf("Err = %v, want the run ended at max_sim_time with the 19 requests dropped named as waiting on a stalled pipeline", res.Err)
		}
		if res.Metrics.EndOfRun > sim.Time(cfg.MaxSimTime) {
			t.Errorf("run ended at %v, after the limit %v", res.Metrics.EndOfRun, cfg.MaxSimTime)
		}
	})
	t.Run("out-of-order", func(t *testing.T) {
		cfg := breakerConfig(PipeliningOutOfOrder)
		cfg.NoPipeliningFallback = true
		res := Run(cfg, 1)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if err := checkRequests(res, true); err != nil {
			t.Fatal(err)
		}
		m := res.Metrics
		if m.Failed != breakerObjects || m.Replayed != 0 || m.PipeliningFallbacks != 0 {
			t.Errorf("failed %d, replayed %d, fallbacks %d: want all %d objects failed, none replayed, no fallback",
				m.Failed, m.Replayed, m.PipeliningFallbacks, breakerObjects)
		}
	})
	t.Run("close-after-first", func(t *testing.T) {
		cfg := breakerConfig(PipeliningCloseAfterFirst)
		on := mustRun(t, cfg, 1)
		cfg.NoPipeliningFallback = true
		res := mustRun(t, cfg, 1)
		m := res.Metrics
		if m.PipeliningFallbacks != 0 || m.Connections <= on.Metrics.Connections || m.Replayed <= on.Metrics.Replayed {
			t.Errorf("fallbacks %d, connections %d, replayed %d (with fallback: %d, %d): want no fallback, more connections and replays",
				m.PipeliningFallbacks, m.Connections, m.Replayed, on.Metrics.Connections, on.Metrics.Replayed)
		}
	})
	t.Run("serial", func(t *testing.T) {
		cfg := breakerCases[0].config(PipeliningSerial)
		cfg.NoPipeliningFallback = true
		res := mustRun(t, cfg, 1)
		if m := res.Metrics; m.PipeliningFallbacks != 0 || m.Replayed != 0 || m.Connections != 1 {
			t.Errorf("fallbacks %d, replayed %d, connections %d: want none, none, 1", m.PipeliningFallbacks, m.Replayed, m.Connections)
		}
	})
}

// TestBreakersSerialAddsThinkTimes: a serial server reads a request only
// once the response before it is written, so its think times add up
// where a healthy server's overlap. On the fast path with n objects that
// fit the first window, the healthy page takes 3 RTT + 2 think times, the
// serial one n-1 think times more; undetected (the timeout is longer).
func TestBreakersSerialAddsThinkTimes(t *testing.T) {
	const n = 6
	rtt := 20 * time.Millisecond
	for _, think := range []time.Duration{0, 10 * time.Millisecond, 50 * time.Millisecond} {
		t.Run(think.String(), func(t *testing.T) {
			cfg := fastConfig(Pipelined, rtt, Page{HTML: 1000, Objects: objects(n, 1000)})
			cfg.Server.ThinkTime = think
			healthy := mustRun(t, cfg, 1)
			cfg.Server.Pipelining = PipeliningSerial
			res := mustRun(t, cfg, 1)
			slack := serialization(res, fastRate)
			within(t, "healthy PLT", healthy.Metrics.PLT, 3*rtt+2*think, slack)
			within(t, "serial PLT", res.Metrics.PLT, 3*rtt+(n+1)*think, slack)
			if res.Metrics.PipeliningFallbacks != 0 {
				t.Errorf("%d fallbacks, want 0 (think time below the timeout)", res.Metrics.PipeliningFallbacks)
			}
		})
	}
}

// TestBreakersPOSTNeverReplayed: a page whose every fourth object is a
// POST, through each broken server, with fallback on and off, without
// loss and at 2 %: a POST is never pipelined (it waits for an idle
// connection), so no break ever catches one outstanding behind another
// request; it is sent once, and answered or reported failed, never
// replayed. Without loss and with fallback, every request is answered.
func TestBreakersPOSTNeverReplayed(t *testing.T) {
	for _, bc := range breakerCases {
		for _, off := range []bool{false, true} {
			for seed := uint64(1); seed <= 5; seed++ {
				loss := 0.02
				if seed == 1 {
					loss = 0
				}
				t.Run(fmt.Sprintf("%v/off=%v/loss=%v/seed=%d", bc.p, off, loss, seed), func(t *testing.T) {
					cfg := bc.config(bc.p)
					cfg.NoPipeliningFallback = off
					cfg.Network.Loss = loss
					for i := range cfg.Page.Objects {
						if i%4 == 3 {
							cfg.Page.Objects[i].Method = "POST"
						}
					}
					res := Run(cfg, seed)
					if res.Err != nil {
						t.Fatal(res.Err)
					}
					if err := checkRequests(res, true); err != nil {
						t.Fatal(err)
					}
					if loss == 0 && !off && res.Metrics.Failed > 0 {
						t.Errorf("%d requests failed without loss, with fallback: want none\n%s", res.Metrics.Failed, describe(res))
					}
					posts := 0
					for _, r := range res.Requests {
						if r.Method != "POST" {
							continue
						}
						posts++
						if r.Replayed || r.Attempts > 1 {
							t.Errorf("POST %d: replayed %v, %d attempts: a POST is never replayed", r.Index, r.Replayed, r.Attempts)
						}
					}
					if posts != breakerObjects/4 {
						t.Fatalf("%d POSTs in the timings, want %d", posts, breakerObjects/4)
					}
				})
			}
		}
	}
}

// TestBreakersConservationWithLoss: through each broken server, with
// fallback, at 0 to 5 % random loss in each direction over several seeds:
// every request ends exactly once, answered or failed (checkRequests:
// each index once, failures counted in Metrics.Failed), only idempotent
// requests are replayed, the replays are counted, and no run hangs or
// hits a limit.
func TestBreakersConservationWithLoss(t *testing.T) {
	for _, bc := range breakerCases {
		for _, loss := range []float64{0, 0.01, 0.05} {
			for seed := uint64(1); seed <= 4; seed++ {
				t.Run(fmt.Sprintf("%v/loss=%v/seed=%d", bc.p, loss, seed), func(t *testing.T) {
					cfg := bc.config(bc.p)
					cfg.Network.Loss = loss
					res := Run(cfg, seed)
					if res.Err != nil {
						t.Fatal(res.Err)
					}
					if err := checkRequests(res, true); err != nil {
						t.Fatalf("%v\n%s", err, describe(res))
					}
					replayed := 0
					for _, r := range res.Requests {
						if r.Replayed {
							replayed++
							if r.Method != "GET" {
								t.Errorf("request %d (%s) replayed", r.Index, r.Method)
							}
						}
					}
					if replayed == 0 || res.Metrics.Replayed < replayed {
						t.Errorf("%d requests replayed, Metrics.Replayed %d: want some, and every one counted", replayed, res.Metrics.Replayed)
					}
					if res.Metrics.PipeliningFallbacks != 1 {
						t.Errorf("PipeliningFallbacks = %d, want 1", res.Metrics.PipeliningFallbacks)
					}
				})
			}
		}
	}
}

// TestBreakersHealthyUnchanged: against a healthy server the fallback
// setting changes nothing: the same run, event for event, at 0 and 2 %
// loss.
func TestBreakersHealthyUnchanged(t *testing.T) {
	for _, loss := range []float64{0, 0.02} {
		for seed := uint64(1); seed <= 3; seed++ {
			cfg := breakerConfig(PipeliningOK)
			cfg.Network.Loss = loss
			on := Run(cfg, seed)
			cfg.NoPipeliningFallback = true
			off := Run(cfg, seed)
			if on.Err != nil || off.Err != nil {
				t.Fatalf("loss %v seed %d: %v, %v", loss, seed, on.Err, off.Err)
			}
			if on.Metrics.PLT != off.Metrics.PLT || on.Metrics.Events != off.Metrics.Events || on.Metrics.PipeliningFallbacks != 0 {
				t.Errorf("loss %v seed %d: PLT %v / %v, events %d / %d, fallbacks %d: want identical runs and no fallback",
					loss, seed, on.Metrics.PLT, off.Metrics.PLT, on.Metrics.Events, off.Metrics.Events, on.Metrics.PipeliningFallbacks)
			}
		}
	}
}

// TestPipeliningNames: every behaviour's name parses back to it; "" is ok;
// an unknown name is an error.
func TestPipeliningNames(t *testing.T) {
	for i := range pipeliningNames {
		p := Pipelining(i)
		got, err := ParsePipelining(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePipelining(%q) = %v, %v; want %v", p.String(), got, err, p)
		}
	}
	if got, err := ParsePipelining(""); err != nil || got != PipeliningOK {
		t.Errorf(`ParsePipelining("") = %v, %v; want ok`, got, err)
	}
	if _, err := ParsePipelining("broken"); err == nil {
		t.Error(`ParsePipelining("broken"): no error`)
	}
}

// FuzzParsePipelining: any text parses to a behaviour whose name it is
// ("" to ok) or is an error; never a panic.
func FuzzParsePipelining(f *testing.F) {
	for _, n := range pipeliningNames {
		f.Add(n)
	}
	f.Add("")
	f.Add("Drop-After-First")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePipelining(s)
		if err != nil {
			return
		}
		if want := s; want == "" && p != PipeliningOK || want != "" && p.String() != want {
			t.Fatalf("ParsePipelining(%q) = %v", s, p)
		}
	})
}

// TestBreakersPopulation: in a population each client finds the break
// for itself (its own pools): eight clients arriving 50 ms apart through
// each detected break, with fallback, each fall back once, every request
// is answered, and none fails; without fallback the out-of-order server
// fails the twenty objects of each client.
func TestBreakersPopulation(t *testing.T) {
	const n = 8
	for _, bc := range breakerCases[1:] {
		for _, off := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/off=%v", bc.p, off), func(t *testing.T) {
				cfg := bc.config(bc.p)
				cfg.NoPipeliningFallback = off
				cfg.Clients = []Population{{Name: "u", Count: n, Arrival: Arrival{Kind: Interval, Interval: 50 * time.Millisecond},
					Page: cfg.Page, Model: cfg.Model}}
				res := Run(cfg, 1)
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				// Each client's requests once each, every one ended.
				type key struct{ client, index int }
				seen := map[key]bool{}
				failed := 0
				for _, r := range res.Requests {
					k := key{r.Client, r.Index}
					if seen[k] || r.End < 0 {
						t.Fatalf("client %d request %d: seen before %v, end %v", r.Client, r.Index, seen[k], r.End)
					}
					seen[k] = true
					if r.Failed {
						failed++
					}
				}
				m := res.Metrics
				if failed != m.Failed {
					t.Errorf("%d request rows failed, Metrics.Failed %d", failed, m.Failed)
				}
				wantFallbacks, wantFailed := n, 0
				if off {
					wantFallbacks = 0
					if bc.p == PipeliningOutOfOrder {
						wantFailed = n * breakerObjects
					}
				}
				if m.PipeliningFallbacks != wantFallbacks || m.Failed != wantFailed || len(res.Requests) != n*(1+breakerObjects) {
					t.Errorf("fallbacks %d, failed %d, %d requests: want %d, %d, %d", m.PipeliningFallbacks, m.Failed, len(res.Requests), wantFallbacks, wantFailed, n*(1+breakerObjects))
				}
			})
		}
	}
}
