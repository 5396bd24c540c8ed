package httpmodel

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// popPage returns a page of an HTML document and n objects of size bytes.
func popPage(n int, size int64) Page {
	return Page{HTML: 8000, Objects: objects(n, size)}
}

// popConfig returns a world of populations on a 100 Mbit/s bottleneck of
// 20 ms RTT, each client with a 20 Mbit/s access link of 20 ms RTT.
func popConfig(pops ...Population) Config {
	cfg := DefaultConfig()
	cfg.Network = Network{RTT: 20 * time.Millisecond, Bandwidth: 100 * link.Mbps, QueueBytes: 256 << 10}
	for i := range pops {
		if pops[i].Access == (Access{}) {
			pops[i].Access = Access{RTT: 20 * time.Millisecond, Bandwidth: 20 * link.Mbps, QueueBytes: 64 << 10}
		}
	}
	cfg.Clients = pops
	return cfg
}

// runObserved runs cfg like Run, calling observe after every change of
// the server's counts and onArrive at each client's arrival.
func runObserved(t *testing.T, cfg Config, seed uint64, observe func(*server), onArrive func(int, sim.Time)) *Result {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	w := build(cfg, seed)
	w.observe = observe
	w.onArrive = onArrive
	w.scheduleArrivals()
	err := w.run()
	res := w.result()
	res.Err = err
	return res
}

// percentile returns the p-quantile (nearest rank) of ds; a negative
// duration (an unfinished client) counts as infinite.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	for i, d := range s {
		if d < 0 {
			s[i] = math.MaxInt64
		}
	}
	slices.Sort(s)
	k := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(k, 0)]
}

// TestPopulationConservation: over every connection model, several
// population mixes (one at once, Poisson beside an idle flood, three
// populations at intervals with visits) and servers that refuse (max
// connections without backlog, a per-client limit) or queue (few
// workers, a small backlog), with and without loss, every request of
// every client is answered exactly once or reported failed: nothing
// vanishes, nothing is answered twice, and the counts of refusals,
// replays and failures agree with the request timings.
func TestPopulationConservation(t *testing.T) {
	mixes := []struct {
		name   string
		pops   func(m Model) []Population
		server Server
	}{
		{"at-once/max-conns-rst", func(m Model) []Population {
			return []Population{{Name: "a", Count: 12, Page: popPage(6, 6000), Model: m}}
		}, Server{MaxConnections: 10}},
		{"poisson+idle/workers-backlog", func(m Model) []Population {
			return []Population{
				{Name: "web", Count: 15, Arrival: Arrival{Kind: Poisson, Rate: 30}, Page: popPage(8, 4000), Model: m},
				{Name: "flood", Count: 3, Idle: true, Page: popPage(8, 4000), Model: m},
			}
		}, Server{Workers: 12, Backlog: 6, KeepAliveTimeout: time.Second}},
		{"intervals/per-client", func(m Model) []Population {
			return []Population{
				{Name: "x", Count: 5, Arrival: Arrival{Kind: Interval, Interval: 30 * time.Millisecond}, Page: popPage(5, 3000), Model: m, Visits: 2, ReadingTime: 200 * time.Millisecond},
				{Name: "y", Count: 5, Arrival: Arrival{Kind: Interval, Interval: 50 * time.Millisecond, Start: 10 * time.Millisecond}, Page: popPage(3, 20000), Model: m, Access: Access{RTT: 60 * time.Millisecond, Bandwidth: 5 * link.Mbps, Loss: 0.01}},
				{Name: "z", Count: 4, Page: Page{HTML: 3000, Objects: []Object{{Size: 1000}, {Size: 2000, Method: "POST"}, {Size: 1500}}}, Model: m},
			}
		}, Server{MaxConnectionsPerClient: 2, MaxRequests: 3}},
	}
	models := []Model{
		{Kind: ShortLived}, {Kind: Persistent}, {Kind: Pipelined, Depth: 4},
		{Kind: Parallel}, {Kind: Sharded}, {Kind: HTTP2},
	}
	for _, mix := range mixes {
		for _, m := range models {
			for _, loss := range []float64{0, 0.02} {
				name := fmt.Sprintf("%s/%v/loss=%v", mix.name, m.Kind, loss)
				t.Run(name, func(t *testing.T) {
					pops := mix.pops(m)
					cfg := popConfig(pops...)
					cfg.Server = mix.server
					cfg.Network.Loss = loss
					res := Run(cfg, 7)
					if res.Err != nil {
						t.Fatal(res.Err)
					}
					checkConservation(t, cfg, res)
				})
			}
		}
	}
}

// checkConservation checks that every request of every non-idle client
// is accounted for once, answered or failed.
func checkConservation(t *testing.T, cfg Config, res *Result) {
	t.Helper()
	type key struct{ client, index int }
	seen := map[key]bool{} // looked up only
	failed, replayed, answered := 0, 0, 0
	perClient := map[int]int{}
	for _, r := range res.Requests {
		k := key{r.Client, r.Index}
		if seen[k] {
			t.Fatalf("request %d of client %d reported twice", r.Index, r.Client)
		}
		seen[k] = true
		perClient[r.Client]++
		switch {
		case r.Failed:
			failed++
		case r.End >= 0 && r.FirstByte >= 0 && r.Bytes > 0:
			answered++
		default:
			t.Errorf("request %d of client %d neither answered nor failed: %+v", r.Index, r.Client, r)
		}
		if r.Replayed {
			replayed++
		}
	}
	g := 0
	for _, p := range cfg.Clients {
		for k := range p.Count {
			want := 0
			if !p.Idle {
				visits := max(p.Visits, 1)
				want = visits * (1 + len(p.Page.Objects))
			}
			if got := perClient[g+k]; got != want && !(got < want && failed > 0) {
				t.Errorf("client %s#%d: %d requests reported, want %d", p.Name, k, got, want)
			}
		}
		g += p.Count
	}
	m := res.Metrics
	if failed != m.Failed {
		t.Errorf("%d requests failed in the timings, Metrics.Failed %d", failed, m.Failed)
	}
	if replayed > m.Replayed {
		t.Errorf("%d requests marked replayed, Metrics.Replayed %d", replayed, m.Replayed)
	}
	if answered > m.RequestsServed {
		t.Errorf("%d requests answered, server served %d", answered, m.RequestsServed)
	}
	if answered+failed != len(res.Requests) {
		t.Errorf("%d answered + %d failed != %d requests", answered, failed, len(res.Requests))
	}
	t.Logf("requests %d answered %d failed %d replayed %d refused %d syn drops %d", len(res.Requests), answered, failed, m.Replayed, m.Refused, m.SYNDrops)
}

// TestServerLimitsNeverExceeded: an observer called at every change of
// the server's counts checks that it never holds more than
// MaxConnections (or Workers) connections, never more than
// MaxConnectionsPerClient for one client address, and that the backlog
// never exceeds its size, under a load that presses on every limit.
func TestServerLimitsNeverExceeded(t *testing.T) {
	for _, srv := range []Server{
		{MaxConnections: 20},
		{MaxConnections: 20, Backlog: 5},
		{Workers: 16, Backlog: 8},
		{Workers: 30, MaxConnections: 24, Backlog: 4, MaxConnectionsPerClient: 3},
		{MaxConnectionsPerClient: 2},
	} {
		t.Run(fmt.Sprintf("%+v", srv), func(t *testing.T) {
			cfg := popConfig(
				Population{Name: "web", Count: 40, Arrival: Arrival{Kind: Poisson, Rate: 100}, Page: popPage(10, 5000), Model: Model{Kind: Parallel}},
				Population{Name: "flood", Count: 4, Idle: true, Page: popPage(10, 5000), Model: Model{Kind: Sharded, Shards: 3}},
			)
			cfg.Server = srv
			cfg.Server.KeepAliveTimeout = 500 * time.Millisecond
			capacity := 0
			for _, c := range []int{srv.MaxConnections, srv.Workers} {
				if c > 0 && (capacity == 0 || c < capacity) {
					capacity = c
				}
			}
			changes, pressed := 0, false
			observe := func(sv *server) {
				changes++
				if capacity > 0 && sv.open > capacity {
					t.Fatalf("at %v: %d connections open, capacity %d", sv.w.s.Now(), sv.open, capacity)
				}
				if capacity > 0 && sv.open == capacity {
					pressed = true
				}
				if sv.queued > srv.Backlog {
					t.Fatalf("at %v: backlog %d, size %d", sv.w.s.Now(), sv.queued, srv.Backlog)
				}
				if srv.Workers > 0 && sv.busy() > srv.Workers {
					t.Fatalf("at %v: %d workers busy of %d", sv.w.s.Now(), sv.busy(), srv.Workers)
				}
				for n, c := range sv.perClient {
					if c > srv.MaxConnectionsPerClient {
						t.Fatalf("at %v: client node %d holds %d connections, limit %d", sv.w.s.Now(), n, c, srv.MaxConnectionsPerClient)
					}
					if c == srv.MaxConnectionsPerClient {
						pressed = true
					}
				}
			}
			res := runObserved(t, cfg, 3, observe, nil)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if !pressed {
				t.Errorf("no limit was reached: the test tests nothing")
			}
			m := res.Metrics
			if capacity > 0 && m.ServerOpenMax > capacity || m.BacklogMax > srv.Backlog {
				t.Errorf("ServerOpenMax %d (capacity %d), BacklogMax %d (size %d)", m.ServerOpenMax, capacity, m.BacklogMax, srv.Backlog)
			}
			checkConservation(t, cfg, res)
			t.Logf("%d changes; open max %d mean %.2f, backlog max %d, refused %d, syn drops %d, p95 %v",
				changes, m.ServerOpenMax, m.ServerOpenMean, m.BacklogMax, m.Refused, m.SYNDrops, percentile(m.ClientPLTs, 0.95))
		})
	}
}

// TestPoissonArrivals: arrivals are a pure function of the seed, the
// mean gap is 1/Rate (2,000 gaps: the mean's standard error is 2.2%,
// the tolerance 8%), and another seed draws other arrivals.
func TestPoissonArrivals(t *testing.T) {
	const n, rate = 2000, 500.0
	arrivals := func(seed uint64) []sim.Time {
		cfg := popConfig(Population{Name: "p", Count: n, Arrival: Arrival{Kind: Poisson, Rate: rate, Start: time.Second}, Page: Page{HTML: 1000}, Model: Model{Kind: Persistent}})
		at := make([]sim.Time, n)
		res := runObserved(t, cfg, seed, nil, func(i int, now sim.Time) { at[i] = now })
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return at
	}
	a, b, c := arrivals(1), arrivals(1), arrivals(2)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different arrivals")
	}
	if slices.Equal(a, c) {
		t.Fatalf("seeds 1 and 2 drew the same arrivals")
	}
	if a[0] != sim.Time(time.Second) {
		t.Errorf("first arrival at %v, want Start (1s)", a[0])
	}
	mean := a[n-1].Sub(a[0]).Seconds() / float64(n-1)
	if want := 1 / rate; math.Abs(mean-want)/want > 0.08 {
		t.Errorf("mean gap %.6fs, want %.6fs within 8%%", mean, want)
	}
}

// TestIntervalAndAllAtOnceArrivals: Interval spaces clients exactly;
// AllAtOnce starts every client at Start.
func TestIntervalAndAllAtOnceArrivals(t *testing.T) {
	cfg := popConfig(
		Population{Name: "i", Count: 5, Arrival: Arrival{Kind: Interval, Interval: 100 * time.Millisecond, Start: 50 * time.Millisecond}, Page: Page{HTML: 1000}},
		Population{Name: "a", Count: 3, Arrival: Arrival{Start: 70 * time.Millisecond}, Page: Page{HTML: 1000}},
	)
	at := make([]sim.Time, 8)
	if res := runObserved(t, cfg, 1, nil, func(i int, now sim.Time) { at[i] = now }); res.Err != nil {
		t.Fatal(res.Err)
	}
	want := []sim.Time{50e6, 150e6, 250e6, 350e6, 450e6, 70e6, 70e6, 70e6}
	if !slices.Equal(at, want) {
		t.Errorf("arrivals %v, want %v", at, want)
	}
}

// TestPopulationDeterministic: two runs of one mixed world with loss
// give the same metrics, timings and server series.
func TestPopulationDeterministic(t *testing.T) {
	cfg := popConfig(
		Population{Name: "web", Count: 30, Arrival: Arrival{Kind: Poisson, Rate: 50}, Page: popPage(10, 5000), Model: Model{Kind: Parallel}},
		Population{Name: "flood", Count: 2, Idle: true, Page: popPage(1, 5000)},
	)
	cfg.Network.Loss = 0.01
	cfg.Server = Server{Workers: 20, Backlog: 10}
	cfg.ServerSeries = true
	a, b := Run(cfg, 9), Run(cfg, 9)
	if fmt.Sprint(a.Metrics) != fmt.Sprint(b.Metrics) || !slices.Equal(a.Requests, b.Requests) || !slices.Equal(a.ServerSeries, b.ServerSeries) {
		t.Fatal("two runs of the same world differ")
	}
	if len(a.ServerSeries) == 0 {
		t.Fatal("no server series with ServerSeries set")
	}
	if c := Run(cfg, 10); slices.Equal(a.Requests, c.Requests) {
		t.Error("another seed gave the same timings: loss or arrivals ignore the seed")
	}
	cfg.ServerSeries = false
	if d := Run(cfg, 9); d.ServerSeries != nil || fmt.Sprint(d.Metrics) != fmt.Sprint(a.Metrics) {
		t.Error("ServerSeries off: a series was recorded, or the run changed")
	}
}
