package httpmodel

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
)

// twoServers returns a Topology of server "a" (the page's host,
// example.com, and the default for any other hostname) and server "b"
// (the hosts given), b's link of rtt.
func twoServers(bRTT time.Duration, bHosts ...string) Topology {
	return Topology{Servers: []ServerSite{
		{Name: "a", Hosts: []string{"example.com"}},
		{Name: "b", Hosts: bHosts, Link: Access{RTT: bRTT}},
	}}
}

// runPop runs a world of populations and fails the test on an error.
func runPop(t *testing.T, cfg Config, seed uint64) *Result {
	t.Helper()
	res := Run(cfg, seed)
	if res.Err != nil {
		t.Fatalf("Run: %v", res.Err)
	}
	return res
}

// TestTopologyDefaultIsOneServer: a Topology of one site named "server"
// without a link is the default world, to the event and the byte; its
// one ServerMetrics repeats the aggregates.
func TestTopologyDefaultIsOneServer(t *testing.T) {
	pops := func() []Population {
		return []Population{
			{Name: "web", Count: 20, Arrival: Arrival{Kind: Poisson, Rate: 50}, Page: popPage(8, 5000), Model: Model{Kind: Sharded, Shards: 3}},
			{Name: "flood", Count: 2, Idle: true, Page: popPage(8, 5000), Model: Model{Kind: Parallel}},
		}
	}
	base := popConfig(pops()...)
	base.Server = Server{Workers: 20, Backlog: 4, MaxConnectionsPerClient: 4, KeepAliveTimeout: time.Second, MemoryPerConn: 1000}
	base.Network.Loss = 0.01
	base.ServerSeries = true
	explicit := base
	srv := base.Server
	explicit.Topology = Topology{Servers: []ServerSite{{Name: "server", Hosts: []string{"example.com"}, Server: &srv}}}
	want, got := runPop(t, base, 5), runPop(t, explicit, 5)
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("an explicit one-server topology differs from the default:\n%+v\n%+v", want.Metrics, got.Metrics)
	}
	m := want.Metrics
	if len(m.Servers) != 1 {
		t.Fatalf("%d server metrics, want 1", len(m.Servers))
	}
	s := m.Servers[0]
	if s.Name != "server" || s.RequestsServed != m.RequestsServed || s.ServerOpenMax != m.ServerOpenMax || s.ServerOpenMean != m.ServerOpenMean ||
		s.BusyWorkersMax != m.BusyWorkersMax || s.BacklogMax != m.BacklogMax || s.ServerMemoryMax != m.ServerMemoryMax ||
		s.SYNDrops != m.SYNDrops || s.ServerConnS != m.ServerConnS {
		t.Errorf("the one server's metrics %+v differ from the aggregates %+v", s, m)
	}
	if s.Refused == 0 || s.Accepted == 0 {
		t.Errorf("want refusals (per-client limit) and accepts: %+v", s)
	}
}

// TestTopologyRoutesHostsToTheirServer: a page whose objects are spread
// over hostnames served by two servers: each server answers exactly the
// requests of its hostnames, and every connection it accepts carries
// only those. HTTP/2 coalesces only hostnames of one server (RFC 9113
// 9.1.1: the same address).
func TestTopologyRoutesHostsToTheirServer(t *testing.T) {
	page := Page{HTML: 6000}
	for i := range 12 {
		h := []string{"", "img.example.com", "cdn.example.net", "static.example.com"}[i%4]
		page.Objects = append(page.Objects, Object{Host: h, Size: 3000})
	}
	hostsB := []string{"cdn.example.net", "shard1.example.com"}
	for _, m := range []Model{{Kind: Sharded, Shards: 2}, {Kind: HTTP2}, {Kind: ShortLived}, {Kind: Pipelined, Depth: 3}} {
		t.Run(m.Kind.String(), func(t *testing.T) {
			cfg := popConfig(Population{Name: "web", Count: 6, Arrival: Arrival{Kind: Interval, Interval: 20 * time.Millisecond}, Page: page, Model: m})
			cfg.Topology = twoServers(10*time.Millisecond, hostsB...)
			servedBy := func(h string) string {
				if slices.Contains(hostsB, h) {
					return "b"
				}
				return "a" // example.com, and the default for the rest
			}
			bad := 0
			res := runObserved(t, cfg, 3, func(sv *server) {
				name := "a"
				if sv != sv.w.sites[0].sv {
					name = "b"
				}
				for _, sc := range sv.live {
					if sc.client == nil {
						continue
					}
					host := sc.client.pool.name
					if g := sc.client.pool.group; g != nil {
						host = g.name
					}
					if servedBy(host) != name {
						bad++
					}
				}
			}, nil)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if bad > 0 {
				t.Errorf("%d times a server held a connection of a hostname it does not serve", bad)
			}
			want := map[string]int{}
			for _, r := range res.Requests {
				if r.Failed {
					t.Fatalf("request failed: %+v", r)
				}
				want[servedBy(r.Host)]++
			}
			got := map[string]int{}
			for _, s := range res.Metrics.Servers {
				got[s.Name] = s.RequestsServed
			}
			if !reflect.DeepEqual(got, want) || want["a"] == 0 || want["b"] == 0 {
				t.Errorf("requests served per server %v, want %v", got, want)
			}
			if res.Metrics.RequestsServed != want["a"]+want["b"] {
				t.Errorf("RequestsServed %d, want the sum %d", res.Metrics.RequestsServed, want["a"]+want["b"])
			}
		})
	}
}

// TestTopologySlowLinkDelaysOnlyItsObjects: the same world twice, server
// b's link once instant and once of 100 ms RTT. A request's round trip
// on a warm connection (SentAt to End, a small object in one segment)
// and a connect each cross b's link once there and back: b's objects
// take one extra RTT (100 ms) for each, a's nothing.
func TestTopologySlowLinkDelaysOnlyItsObjects(t *testing.T) {
	const extra = 100 * time.Millisecond
	page := Page{HTML: 1000}
	for i := range 8 {
		page.Objects = append(page.Objects, Object{Host: []string{"", "b.example.com"}[i%2], Size: 800})
	}
	run := func(rtt time.Duration) *Result {
		cfg := popConfig(Population{Name: "one", Count: 1, Page: page, Model: Model{Kind: Persistent},
			Access: Access{RTT: 10 * time.Millisecond, Bandwidth: link.Gbps}})
		cfg.Network.Bandwidth = link.Gbps
		cfg.Topology = twoServers(rtt, "b.example.com")
		return runPop(t, cfg, 1)
	}
	fast, slow := run(0), run(extra)
	if len(fast.Requests) != len(slow.Requests) {
		t.Fatalf("%d and %d requests", len(fast.Requests), len(slow.Requests))
	}
	for i, f := range fast.Requests {
		s := slow.Requests[i]
		rt := (s.End - s.SentAt) - (f.End - f.SentAt)
		conn := s.Connect - f.Connect
		want := time.Duration(0)
		if f.Host == "b.example.com" {
			want = extra
		}
		if d := rt - want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("request %d (%s): round trip %v longer over the slow link, want %v", i, f.Host, rt, want)
		}
		if f.Connect > 0 && (conn-want < -time.Millisecond || conn-want > time.Millisecond) {
			t.Errorf("request %d (%s): connect %v longer over the slow link, want %v", i, f.Host, conn, want)
		}
	}
}

// TestTopologyPerClientLimitIsPerServer: max_connections_per_client is
// each server's own limit on one client address: a client with six
// connections to each of two servers (sharded over hostnames of both)
// trips a limit of 4 on each server, and never more than 4 are held by
// one server; a limit of 6 per server is not tripped, though the client
// holds 12 in all.
func TestTopologyPerClientLimitIsPerServer(t *testing.T) {
	for _, tc := range []struct {
		limit   int
		refused bool
	}{{4, true}, {6, false}} {
		t.Run(fmt.Sprint(tc.limit), func(t *testing.T) {
			cfg := popConfig(Population{Name: "web", Count: 5, Arrival: Arrival{Kind: Interval, Interval: 50 * time.Millisecond},
				Page: popPage(24, 4000), Model: Model{Kind: Sharded, Shards: 2}})
			cfg.Server = Server{MaxConnectionsPerClient: tc.limit}
			cfg.Topology = twoServers(5*time.Millisecond, "shard1.example.com")
			most := 0
			res := runObserved(t, cfg, 2, func(sv *server) {
				for _, n := range sv.perClient {
					most = max(most, n)
				}
			}, nil)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if most > tc.limit {
				t.Errorf("a server held %d connections of one client, limit %d", most, tc.limit)
			}
			for _, s := range res.Metrics.Servers {
				if (s.Refused > 0) != tc.refused {
					t.Errorf("server %s refused %d, want refusals %v", s.Name, s.Refused, tc.refused)
				}
			}
			if tc.refused && most != tc.limit {
				t.Errorf("most held %d, want the limit %d reached", most, tc.limit)
			}
		})
	}
}

// TestTopologyConservation: every request is answered once or reported
// failed over three servers (own limits, lossy links) and every model,
// and the aggregates combine the servers' metrics as documented: sums
// of requests, refusals, SYN drops and server_conn_s; the peak of the
// sum of open connections between the largest server's peak and the sum
// of the peaks.
func TestTopologyConservation(t *testing.T) {
	page := Page{HTML: 5000}
	for i := range 10 {
		page.Objects = append(page.Objects, Object{Host: []string{"", "img.example.com", "api.example.org"}[i%3], Size: int64(2000 + 500*i)})
	}
	models := []Model{{Kind: ShortLived}, {Kind: Persistent}, {Kind: Pipelined, Depth: 4}, {Kind: Parallel}, {Kind: Sharded}, {Kind: HTTP2}}
	for _, m := range models {
		t.Run(m.Kind.String(), func(t *testing.T) {
			cfg := popConfig(
				Population{Name: "web", Count: 12, Arrival: Arrival{Kind: Poisson, Rate: 40}, Page: page, Model: m},
				Population{Name: "flood", Count: 2, Idle: true, Page: page, Model: m},
				Population{Name: "far", Count: 4, Arrival: Arrival{Kind: Interval, Interval: 40 * time.Millisecond}, Page: page, Model: m,
					Visits: 2, ReadingTime: 100 * time.Millisecond, Access: Access{RTT: 60 * time.Millisecond, Bandwidth: 5 * link.Mbps, Loss: 0.01}},
			)
			cfg.Network.Loss = 0.01
			cfg.Topology = Topology{Servers: []ServerSite{
				{Name: "origin", Hosts: []string{"example.com"}, Server: &Server{MaxConnectionsPerClient: 2, MaxRequests: 3}},
				{Name: "media", Hosts: []string{"img.example.com", "shard1.example.com"}, Link: Access{RTT: 30 * time.Millisecond, Loss: 0.02},
					Server: &Server{Workers: 10, Backlog: 3, KeepAliveTimeout: 500 * time.Millisecond}},
				{Name: "api", Hosts: []string{"api.example.org"}, Link: Access{RTT: 5 * time.Millisecond, Bandwidth: 20 * link.Mbps, QueueBytes: 32 << 10},
					Server: &Server{MaxConnections: 6}},
			}}
			res := Run(cfg, 11)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			checkConservation(t, cfg, res)
			m := res.Metrics
			served, syn, peak, sumPeaks := 0, 0, 0, 0
			var connS float64
			for _, s := range m.Servers {
				served += s.RequestsServed
				syn += s.SYNDrops
				connS += s.ServerConnS
				peak = max(peak, s.ServerOpenMax)
				sumPeaks += s.ServerOpenMax
			}
			if served != m.RequestsServed || syn != m.SYNDrops {
				t.Errorf("sums: served %d syn drops %d, aggregates %d %d", served, syn, m.RequestsServed, m.SYNDrops)
			}
			if math.Abs(connS-m.ServerConnS) > 1e-6 {
				t.Errorf("server_conn_s %v, the servers' sum %v", m.ServerConnS, connS)
			}
			if m.ServerOpenMax < peak || m.ServerOpenMax > sumPeaks {
				t.Errorf("server_open_max %d, want between %d and %d", m.ServerOpenMax, peak, sumPeaks)
			}
		})
	}
}

// TestTopologyValidate: what a Topology cannot be.
func TestTopologyValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no clients", func(c *Config) { c.Clients = nil }, "need client populations"},
		{"no name", func(c *Config) { c.Topology.Servers[1].Name = "" }, "needs a name"},
		{"same name", func(c *Config) { c.Topology.Servers[1].Name = "a" }, `server name "a" is already the name of servers[0]`},
		{"host twice", func(c *Config) { c.Topology.Servers[1].Hosts = []string{"example.com"} }, `host "example.com" is already served by servers[0]`},
		{"loss", func(c *Config) { c.Topology.Servers[1].Link.Loss = 1 }, "link loss 1"},
		{"negative", func(c *Config) { c.Topology.Servers[0].Link.RTT = -1 }, "negative link"},
		{"server", func(c *Config) { c.Topology.Servers[0].Server = &Server{Workers: -1} }, "servers[0] (a): negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := popConfig(Population{Name: "web", Count: 1, Page: popPage(2, 1000)})
			cfg.Topology = twoServers(0, "b.example.com")
			tc.edit(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if res := Run(cfg, 1); res.Err == nil {
				t.Fatal("Run ran an invalid topology")
			}
		})
	}
}

// BenchmarkTopology: 5,000 clients arriving at 1,000 per second, each
// loading ten objects spread over three hostnames, with one server for
// all of them and with a server for each: the route table and the
// fleet's sums cost next to nothing per event.
func BenchmarkTopology(b *testing.B) {
	page := Page{HTML: 8000}
	for i := range 10 {
		page.Objects = append(page.Objects, Object{Host: []string{"", "img.example.com", "api.example.org"}[i%3], Size: 6000})
	}
	for _, servers := range []int{1, 3} {
		b.Run(fmt.Sprint(servers), func(b *testing.B) {
			cfg := popConfig(Population{Name: "web", Count: 5000, Arrival: Arrival{Kind: Poisson, Rate: 1000}, Page: page, Model: Model{Kind: Parallel}})
			cfg.Network.Bandwidth = 10 * link.Gbps
			if servers == 3 {
				cfg.Topology = Topology{Servers: []ServerSite{
					{Name: "origin", Hosts: []string{"example.com"}},
					{Name: "img", Hosts: []string{"img.example.com"}, Link: Access{RTT: 10 * time.Millisecond}},
					{Name: "api", Hosts: []string{"api.example.org"}, Link: Access{RTT: 30 * time.Millisecond}},
				}}
			}
			var events uint64
			for b.Loop() {
				res := Run(cfg, 1)
				if res.Err != nil {
					b.Fatal(res.Err)
				}
				events = res.Metrics.Events
			}
			b.ReportMetric(float64(events), "events/run")
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
