package httpmodel

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

var allKinds = []Kind{ShortLived, Persistent, Pipelined, Parallel, Sharded, HTTP2}

// TestPhasesAddUp checks the HAR-like timeline of every request of every
// model under variations that exercise each phase (DNS, TLS 1.2 and 1.3,
// random loss, a second visit, server think time, an h2c Upgrade):
// every phase >= 0, queued+dns+connect+tls+send+wait+receive == end-start
// exactly, and Start <= SentAt <= FirstByte <= End. It also checks that
// each phase shows up somewhere, so that the sum is not trivially made of
// "queued" alone.
func TestPhasesAddUp(t *testing.T) {
	variants := []struct {
		name string
		set  func(c *Config)
	}{
		{"plain", func(*Config) {}},
		{"dns+tls13", func(c *Config) { c.Network.DNS = 20 * time.Millisecond; c.TLS = TLS13 }},
		{"tls12+think", func(c *Config) { c.TLS = TLS12; c.Server.ThinkTime = 5 * time.Millisecond }},
		{"loss+visits", func(c *Config) {
			c.Network.Loss = 0.03
			c.Visits = 3
			c.ReadingTime = 2 * time.Second
			c.Server.KeepAliveTimeout = 3 * time.Second
		}},
		{"h2c-upgrade+dns", func(c *Config) { c.Model.H2Upgrade = true; c.Network.DNS = 10 * time.Millisecond }},
	}
	for _, k := range allKinds {
		for _, v := range variants {
			t.Run(fmt.Sprintf("%v/%s", k, v.name), func(t *testing.T) {
				cfg := Config{
					ResponseHeaderBytes: 300, // 0 would be none
					Network:             Network{RTT: 40 * time.Millisecond, Bandwidth: 20 * link.Mbps, QueueBytes: 100_000},
					TCP:                 tcp.DefaultConfig(),
					Page:                lossPage(),
					Model:               Model{Kind: k},
				}
				v.set(&cfg)
				res := Run(cfg, 7)
				if res.Err != nil {
					t.Fatalf("Err = %v", res.Err)
				}
				if err := checkRequests(res, false); err != nil {
					t.Fatalf("%v\n%s", err, describe(res))
				}
				var seen [7]bool
				for _, r := range res.Requests {
					for i, p := range []time.Duration{r.Queued, r.DNS, r.Connect, r.TLS, r.Send, r.Wait, r.Receive} {
						seen[i] = seen[i] || p > 0
					}
				}
				// Which phases must appear (1), must not (-1), or may (0).
				// Requests queue for a connection in the models that
				// send one request at a time per connection; pipelining
				// and HTTP/2 write all of a page's objects at once.
				b := func(x bool) int {
					if x {
						return 1
					}
					return -1
				}
				want := [7]int{1, b(cfg.Network.DNS > 0), 1, b(cfg.TLS != NoTLS), 1, 1, 1}
				if k == Pipelined || k == HTTP2 {
					want[0] = 0
				}
				for i, name := range []string{"queued", "dns", "connect", "tls", "send", "wait", "receive"} {
					if want[i] > 0 && !seen[i] {
						t.Errorf("no request has a %s phase > 0", name)
					}
					if want[i] < 0 && seen[i] {
						t.Errorf("a request has a %s phase > 0, want none", name)
					}
				}
			})
		}
	}
}

// TestDeterministic checks that a run is a pure function of its
// configuration and seed: two runs with the same seed give deep-equal
// results (metrics, every timing, connection traces with every packet),
// for every model, with random loss, several visits and tracing on.
func TestDeterministic(t *testing.T) {
	for _, k := range allKinds {
		t.Run(k.String(), func(t *testing.T) {
			cfg := Config{
				ResponseHeaderBytes: 300, // 0 would be none
				Network:             Network{RTT: 30 * time.Millisecond, Bandwidth: 10 * link.Mbps, QueueBytes: 30_000, Loss: 0.02, DNS: 5 * time.Millisecond},
				TCP:                 tcp.DefaultConfig(),
				TLS:                 TLS13,
				Page:                lossPage(),
				Model:               Model{Kind: k},
				Visits:              2,
				ReadingTime:         time.Second,
				Trace:               true,
			}
			a, b := Run(cfg, 42), Run(cfg, 42)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("two runs with seed 42 differ:\n%s\n%s", describe(a), describe(b))
			}
			if len(a.Conns) == 0 || len(a.Conns[0].Segments) == 0 || len(a.Conns[0].Cwnd) == 0 {
				t.Errorf("traces are empty: %d connections", len(a.Conns))
			}
		})
	}
}

// randomConfig draws a configuration from r: any model and options, pages
// of 0..20 objects (0..100 KB, some POST, some on another host), RTTs of
// 1..300 ms, 1..100 Mbit/s, loss up to 5%, queues from 3 KB, 1..3 visits
// with pauses up to 10 s, keep-alive timeouts from 0.5 s, max_requests,
// max_connections, think time, DNS, TLS.
func randomConfig(r *rand.Rand) Config {
	pick := func(p float64) bool { return r.Float64() < p }
	ms := func(lo, hi int) time.Duration { return time.Duration(lo+r.IntN(hi-lo+1)) * time.Millisecond }
	cfg := Config{
		ResponseHeaderBytes: 300, // 0 would be none
		Network: Network{
			RTT:       ms(1, 300),
			Bandwidth: link.Bandwidth(1+r.IntN(100)) * link.Mbps,
		},
		TCP:   tcp.DefaultConfig(),
		TLS:   TLS(r.IntN(3)),
		Model: Model{Kind: allKinds[r.IntN(len(allKinds))]},
		Page:  Page{HTML: int64(r.IntN(60_000))},
	}
	if pick(0.3) {
		cfg.Network.Uplink = link.Bandwidth(1+r.IntN(20)) * link.Mbps
	}
	if pick(0.5) {
		cfg.Network.QueueBytes = int64(3000 + r.IntN(200_000))
	}
	if pick(0.2) {
		cfg.Network.QueuePackets = 2 + r.IntN(100)
	}
	if pick(0.5) {
		cfg.Network.Loss = r.Float64() * 0.05
	}
	if pick(0.4) {
		cfg.Network.DNS = ms(1, 100)
	}
	if pick(0.3) {
		cfg.TCP.CC = "cubic"
	}
	cfg.TCP.SlowStartAfterIdle = pick(0.7)
	cfg.TCP.DelayedAck = pick(0.8)
	if pick(0.3) {
		cfg.TCP.InitialWindow = 1 + r.IntN(20)
	}
	if pick(0.3) {
		cfg.Model.Connections = 1 + r.IntN(8)
	}
	if pick(0.3) {
		cfg.Model.Depth = 1 + r.IntN(5)
	}
	if pick(0.5) {
		cfg.Model.Shards = 1 + r.IntN(4)
	}
	cfg.Model.H2Upgrade = pick(0.3)
	if pick(0.2) {
		cfg.HTTPVersion = "1.0"
	}
	if pick(0.3) {
		cfg.RequestBytes = int64(100 + r.IntN(3000))
	}
	if pick(0.3) {
		cfg.ResponseHeaderBytes = int64(100 + r.IntN(1000))
	}
	cfg.Visits = 1 + r.IntN(3)
	cfg.ReadingTime = ms(0, 10_000)
	if pick(0.5) {
		cfg.Server.KeepAliveTimeout = ms(500, 10_000)
	}
	if pick(0.4) {
		cfg.Server.MaxRequests = 1 + r.IntN(10)
	}
	if pick(0.3) {
		cfg.Server.MaxConnections = 1 + r.IntN(4)
	}
	if pick(0.3) {
		cfg.Server.ThinkTime = ms(0, 50)
	}
	methods := []string{"", "GET", "POST", "HEAD", "PUT"}
	hosts := []string{"", "", "", "cdn.example.net"}
	for range r.IntN(21) {
		cfg.Page.Objects = append(cfg.Page.Objects, Object{
			Host:   hosts[r.IntN(len(hosts))],
			Size:   int64(r.IntN(100_000)),
			Method: methods[r.IntN(len(methods))],
		})
	}
	if cfg.Validate() != nil {
		// HTTP/1.0 with pipelining or an h2c Upgrade: Run refuses it
		// (TestHTTPVersionRefusesHTTP11Mechanisms); run it as 1.1.
		cfg.HTTPVersion = "1.1"
	}
	return cfg
}

// TestRandomConfigurations is a property test over random configurations
// (randomConfig, from fixed seeds, so failures reproduce): whatever the
// model, page, path, loss, queue, visits and server limits, a run must not
// panic, must finish with Err == nil under the default limits (10 minutes
// of simulated time, 500 million events), and must account for every
// request: each index once, finished (End >= 0), either answered with a
// consistent timeline or Failed and counted in Metrics.Failed; each visit
// issues its HTML and, unless the HTML failed, every object; PLT > 0, one
// PLT per visit, and at least one connection.
func TestRandomConfigurations(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 50
	}
	// What the configurations exercised, so that the properties are not
	// checked only on easy runs.
	var refused, failed, replayed, drops, multiVisit int
	for i := range n {
		r := rand.New(rand.NewPCG(uint64(i), 0x5eed))
		cfg := randomConfig(r)
		t.Run(fmt.Sprintf("config=%d", i), func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic: %v\nconfig: %+v", p, cfg)
				}
			}()
			res := Run(cfg, uint64(i))
			if err := checkRandomRun(cfg, res); err != nil {
				t.Fatalf("%v\nconfig: %+v\n%s", err, cfg, describe(res))
			}
			m := res.Metrics
			refused += min(m.Refused, 1)
			failed += min(m.Failed, 1)
			replayed += min(m.Replayed, 1)
			drops += int(min(m.Drops, 1))
			multiVisit += min(cfg.Visits-1, 1)
		})
	}
	t.Logf("%d configurations: %d with refusals, %d with failed requests, %d with replays, %d with drops, %d with several visits",
		n, refused, failed, replayed, drops, multiVisit)
	if !testing.Short() && (refused == 0 || failed == 0 || replayed == 0 || drops == 0 || multiVisit == 0) {
		t.Errorf("the configurations missed a behaviour: refused %d, failed %d, replayed %d, drops %d, multi-visit %d (want each > 0)",
			refused, failed, replayed, drops, multiVisit)
	}
}

func checkRandomRun(cfg Config, res *Result) error {
	m := res.Metrics
	if res.Err != nil {
		return fmt.Errorf("Err = %v, want nil", res.Err)
	}
	if err := checkRequests(res, true); err != nil {
		return err
	}
	visits := max(cfg.Visits, 1)
	perVisit := make([]int, visits)
	htmlFailed := make([]bool, visits)
	for _, r := range res.Requests {
		if r.Visit < 0 || r.Visit >= visits {
			return fmt.Errorf("request %d in visit %d of %d", r.Index, r.Visit, visits)
		}
		perVisit[r.Visit]++
		if r.Failed && r.Index == firstOfVisit(res, r.Visit) {
			htmlFailed[r.Visit] = true
		}
	}
	for v, got := range perVisit {
		want := 1 + len(cfg.Page.Objects)
		if htmlFailed[v] {
			want = 1
		}
		if got != want {
			return fmt.Errorf("visit %d has %d requests, want %d", v, got, want)
		}
	}
	if m.PLT <= 0 {
		return fmt.Errorf("PLT = %v, want > 0", m.PLT)
	}
	if len(m.VisitPLTs) != visits {
		return fmt.Errorf("%d visit PLTs, want %d", len(m.VisitPLTs), visits)
	}
	if (visits > 1) != (m.RevisitPLT > 0) {
		return fmt.Errorf("RevisitPLT = %v with %d visits", m.RevisitPLT, visits)
	}
	if m.Connections < 1 {
		return fmt.Errorf("Connections = %d, want >= 1", m.Connections)
	}
	return nil
}

func firstOfVisit(res *Result, v int) int {
	for _, r := range res.Requests {
		if r.Visit == v {
			return r.Index
		}
	}
	return -1
}
