package experiments

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim/link"
)

const serversYAML = `name: topo
network: {rtt: 20ms, bandwidth: 100Mbps, loss: 0.005}
server: {workers: 8, backlog: 4, keep_alive_timeout: 1s, max_connections_per_client: 6}
page:
  html: 8KB
  objects: [{size: 10KB, count: 4}, {size: 20KB, count: 4, host: cdn.example.net}]
models: [parallel, http2]
clients:
  - name: web
    count: 6
    arrival: {interval: 30ms}
    access: {rtt: 10ms, bandwidth: 20Mbps}
servers:
  - name: origin
    hosts: [example.com]
  - name: cdn
    hosts: [cdn.example.net]
    link: {rtt: 40ms, bandwidth: 50Mbps, queue: 64KiB, loss: 0.01}
    server: {max_connections_per_client: 2, workers: 0}
`

// goTopology is serversYAML's server side written in Go, as httpmodel
// takes it.
func goTopology() httpmodel.Topology {
	origin := httpmodel.Server{Workers: 8, Backlog: 4, KeepAliveTimeout: time.Second, MaxRequests: 100, MaxConnectionsPerClient: 6}
	cdn := origin
	cdn.MaxConnectionsPerClient, cdn.Workers = 2, 0
	return httpmodel.Topology{Servers: []httpmodel.ServerSite{
		{Name: "origin", Hosts: []string{"example.com"}, Server: &origin},
		{Name: "cdn", Hosts: []string{"cdn.example.net"}, Server: &cdn,
			Link: httpmodel.Access{RTT: 40 * time.Millisecond, Bandwidth: 50 * link.Mbps, QueueBytes: 64 << 10, Loss: 0.01}},
	}}
}

// servers: maps to httpmodel's Topology (a key left out of an entry's
// server: is the top-level server:'s), and the topology built in Go
// gives the same results, run by run.
func TestServersMapAndGoTopologySameRows(t *testing.T) {
	s, err := Load("topo.yaml", []byte(serversYAML))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range runs {
		cfg, err := ModelConfig(rc.Point.Spec, rc.Model)
		if err != nil {
			t.Fatal(err)
		}
		if want := goTopology(); !reflect.DeepEqual(cfg.Topology, want) {
			t.Fatalf("topology\n%+v\nwant\n%+v", cfg.Topology, want)
		}
		goCfg := cfg
		goCfg.Topology = goTopology()
		a, b := httpmodel.Run(cfg, rc.Seed), httpmodel.Run(goCfg, rc.Seed)
		if a.Err != nil {
			t.Fatal(a.Err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the YAML and the Go topology differ: %+v\n%+v", rc.Model.Label, a.Metrics, b.Metrics)
		}
		if len(a.Metrics.Servers) != 2 || a.Metrics.Servers[1].RequestsServed != 6*4 {
			t.Errorf("%s: servers %+v, want the cdn to serve 24 requests", rc.Model.Label, a.Metrics.Servers)
		}
	}
	// The same experiment built in Go (no file) gives the same rows.
	g := s.clone()
	g.src = nil
	g.Servers[1].Server = g.Server
	g.Servers[1].Server.MaxConnectionsPerClient, g.Servers[1].Server.Workers = 2, 0
	g.Servers[0].Server = g.Server
	gruns, err := g.Runs()
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := RunAll(runs, RunOptions{}), RunAll(gruns, RunOptions{})
	var ba, bb bytes.Buffer
	rows := func(rs []Result) (out []Row) {
		for _, r := range rs {
			out = append(out, r.Row)
		}
		return out
	}
	if err := WriteResultsCSV(&ba, s, rows(ra)); err != nil {
		t.Fatal(err)
	}
	if err := WriteResultsCSV(&bb, g, rows(rb)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ba.Bytes(), bb.Bytes()) || ba.Len() == 0 {
		t.Errorf("results.csv of the file and of the spec built in Go differ:\n%s\n%s", ba.String(), bb.String())
	}
	for _, r := range ra {
		if r.Row.Err != "" {
			t.Errorf("%s: %s", r.Row.Model, r.Row.Err)
		}
	}
}

// Sweeps set servers[i].* keys like any key; a sweep of the top-level
// server: reaches the entries that do not set the key; a point leaves
// the base spec as it was; the resolved file loads to the same spec and
// the same points.
func TestServersSweep(t *testing.T) {
	y := serversYAML + `sweep:
  servers[1].link.rtt: [10ms, 80ms]
  servers[1].server.backlog: [0, 16]
  server.workers: [8, 30]
`
	s, err := Load("topo.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 8 {
		t.Fatalf("%d points, want 8", len(pts))
	}
	last := pts[len(pts)-1].Spec
	cfg, err := ModelConfig(last, last.Models[0])
	if err != nil {
		t.Fatal(err)
	}
	origin, cdn := cfg.Topology.Servers[0], cfg.Topology.Servers[1]
	if cdn.Link.RTT != 80*time.Millisecond || cdn.Server.Backlog != 16 || cdn.Server.Workers != 0 || cdn.Server.MaxConnectionsPerClient != 2 {
		t.Errorf("cdn at the last point: %+v %+v", cdn.Link, *cdn.Server)
	}
	if origin.Server.Workers != 30 || origin.Server.Backlog != 4 || cfg.Server.Workers != 30 {
		t.Errorf("origin at the last point: %+v (the swept server.workers must reach it)", *origin.Server)
	}
	if s.Servers[1].Link.RTT != Duration(40*time.Millisecond) || s.Servers[1].Server.Backlog != 4 || s.Servers[0].Server.Workers != 8 {
		t.Errorf("a point changed the base spec: %+v", s.Servers)
	}
	b, err := s.MarshalResolved()
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Load("resolved.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	pts2, err := s2.Points()
	if err != nil {
		t.Fatal(err)
	}
	for i := range pts {
		c1, _ := ModelConfig(pts[i].Spec, pts[i].Spec.Models[0])
		c2, _ := ModelConfig(pts2[i].Spec, pts2[i].Spec.Models[0])
		if !reflect.DeepEqual(c1.Topology, c2.Topology) {
			t.Errorf("point %d: the resolved file's servers differ:\n%+v %+v\n%+v %+v", i, *c1.Topology.Servers[0].Server, *c1.Topology.Servers[1].Server, *c2.Topology.Servers[0].Server, *c2.Topology.Servers[1].Server)
		}
	}
	b2, _ := s2.MarshalResolved()
	if !bytes.Equal(b, b2) {
		t.Errorf("resolved file changes on reload:\n%s\n----\n%s", b, b2)
	}
}

// Problems in servers: are reported at their line and column, with
// their key.
func TestServersErrors(t *testing.T) {
	const head = "name: p\npage: {html: 1KB}\nmodels: [persistent]\n"
	const clients = "clients: [{name: a}]\n"
	for _, c := range []struct{ yaml, want string }{
		{clients + "servers: [{name: a, hosts: [example.com]}, {name: b, hosts: [x.org, example.com]}]",
			`p.yaml:5:69: servers[1].hosts[1]: host "example.com" is already served by servers[0]`},
		{clients + "servers: [{name: a}, {name: a, hosts: [x.org]}]", `p.yaml:5:29: servers[1].name: "a" is already the name of servers[0]`},
		{clients + "servers: [{name: a}, {name: b}]", "p.yaml:5:22: servers[1].hosts: list the hostnames"},
		{clients + "servers: [{name: a, hostz: [x.org]}]", "p.yaml:5:21: servers[0].hostz: unknown key (known: name, hosts, link, server); did you mean hosts?"},
		{clients + "servers: [{hosts: [x.org]}]", "p.yaml:5:11: servers[0].name: required"},
		{clients + "servers: [{name: A}]", `p.yaml:5:18: servers[0].name: "A" is not a server name`},
		{clients + "servers: [{name: a, hosts: [Bad_Host]}]", `p.yaml:5:29: servers[0].hosts[0]: "Bad_Host" is not a hostname`},
		{clients + "servers: [{name: a, link: {loss: 2}}]", "p.yaml:5:34: servers[0].link.loss:"},
		// In the file's range 0..1, but httpmodel's link needs < 1: its
		// error is placed at the key, not at models[0].
		{clients + "servers: [{name: a, link: {loss: 1}}]", "p.yaml:5:34: servers[0].link.loss: link loss 1, want [0, 1)"},
		{clients + "servers: [{name: a, link: {rtt: -1s}}]", "p.yaml:5:33: servers[0].link.rtt:"},
		{clients + "servers: [{name: a, server: {workers: -1}}]", "p.yaml:5:39: servers[0].server.workers: -1 is out of range 0..100000"},
		{clients + "servers: [{name: a, server: {workerz: 1}}]", "servers[0].server.workerz: unknown key"},
		{"servers: [{name: a}]", "p.yaml:4:10: servers: servers: need clients:"},
		{clients + "servers: {name: a}", "p.yaml:5:10: servers: want a list"},
		{clients + "servers: [{name: a}]\nsweep:\n  servers[3].link.rtt: [1ms]", "sweep.servers[3].link.rtt"},
	} {
		_, err := Load("p.yaml", []byte(head+c.yaml+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.yaml, err, c.want)
		}
		var list ErrorList
		if err != nil && !errors.As(err, &list) {
			t.Errorf("%s: %T, want an ErrorList", c.yaml, err)
		}
	}
}

// The cdn's slower link shows in its objects alone: the request rows of
// cdn.example.net take at least one extra 40 ms RTT, those of
// example.com are as without the link.
func TestServersSlowLinkInRows(t *testing.T) {
	y := strings.Replace(serversYAML, "network: {rtt: 20ms, bandwidth: 100Mbps, loss: 0.005}", "network: {rtt: 20ms, bandwidth: 100Mbps}", 1)
	y = strings.Replace(y, "link: {rtt: 40ms, bandwidth: 50Mbps, queue: 64KiB, loss: 0.01}", "link: {rtt: 40ms}", 1)
	y += "sweep:\n  servers[1].link.rtt: [0s, 40ms]\n"
	s, err := Load("topo.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := RunAll(runs, RunOptions{})
	// runs: rtt 0s (parallel, http2), rtt 40ms (parallel, http2)
	for m := range 2 {
		fast, slow := res[m], res[2+m]
		if len(fast.Requests) != len(slow.Requests) {
			t.Fatalf("%d and %d requests", len(fast.Requests), len(slow.Requests))
		}
		var cdnDelta, originDelta float64
		for i, f := range fast.Requests {
			d := (slow.Requests[i].EndMS - slow.Requests[i].StartMS) - (f.EndMS - f.StartMS)
			if f.Host == "cdn.example.net" {
				cdnDelta = math.Max(cdnDelta, d)
			} else if f.Request == 0 && f.Client == "web#0" {
				originDelta = d // the first HTML, before any cdn request
			}
		}
		if cdnDelta < 40 || math.Abs(originDelta) > 0.5 {
			t.Errorf("%s: cdn objects %.1f ms slower (want >= 40), the HTML %.1f ms (want 0)", fast.Row.Model, cdnDelta, originDelta)
		}
	}
}

// FuzzServers loads specs whose servers: entry is arbitrary text: never
// a panic; an error names the file; a spec that loads writes a resolved
// file that loads to the same file, and maps to a topology httpmodel
// accepts.
func FuzzServers(f *testing.F) {
	for _, s := range []string{
		"[{name: a, hosts: [example.com]}, {name: b, hosts: [x.org], link: {rtt: 5ms}}]",
		"[{name: a, server: {workers: 3}}]",
		"[{name: a, hosts: [a.b]}, {name: b, hosts: [a.b]}]",
		"[{name: b, link: {queue: 3 packets, loss: 1%, uplink: 1Mbps}}]",
		"[{name: a, server: {workers: 0, keep_alive_timeout: 0s}}, {name: b, hosts: [x.org], server: {}}]",
		"{}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, servers string) {
		y := "name: p\npage: {html: 1KB, objects: [{size: 1KB, host: x.org}]}\nmodels: [persistent]\nclients: [{name: a}]\nservers: " + servers + "\n"
		s, err := Load("fuzz.yaml", []byte(y))
		if err != nil {
			for _, l := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(l, "fuzz.yaml") {
					t.Fatalf("problem without the file name: %q", l)
				}
			}
			return
		}
		b, err := s.MarshalResolved()
		if err != nil {
			t.Fatal(err)
		}
		s2, err := Load("resolved.yaml", b)
		if err != nil {
			t.Fatalf("the resolved file does not load: %v\n%s", err, b)
		}
		if b2, _ := s2.MarshalResolved(); !bytes.Equal(b, b2) {
			t.Fatalf("resolved file changes on reload:\n%s\n----\n%s", b, b2)
		}
		pts, err := s.Points()
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := ModelConfig(pts[0].Spec, pts[0].Spec.Models[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("loaded, but httpmodel refuses it: %v", err)
		}
	})
}

// One entry without a link is the world without servers:, to the byte:
// results.csv and requests.csv are the same whatever its name.
func TestServersOneEntryIsDefault(t *testing.T) {
	base := strings.SplitN(serversYAML, "servers:\n", 2)[0]
	outputs := func(y string) (string, string) {
		s, err := Load("one.yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		runs, err := s.Runs()
		if err != nil {
			t.Fatal(err)
		}
		var rows []Row
		var reqs []RequestRow
		for _, r := range RunAll(runs, RunOptions{}) {
			rows = append(rows, r.Row)
			reqs = append(reqs, r.Requests...)
		}
		var a, b bytes.Buffer
		if err := WriteResultsCSV(&a, s, rows); err != nil {
			t.Fatal(err)
		}
		if err := WriteRequestsCSV(&b, s, reqs); err != nil {
			t.Fatal(err)
		}
		return a.String(), b.String()
	}
	r0, q0 := outputs(base)
	r1, q1 := outputs(base + "servers: [{name: origin, server: {workers: 8}}]\n")
	if r0 != r1 || q0 != q1 || !strings.Contains(r0, "parallel") {
		t.Errorf("one server entry changes the output:\n%s\n%s", r0, r1)
	}
}

// A sweep may set the whole servers: list (one server against two), and
// a hostname that a sweep value makes served twice is reported at that
// value, with its point.
func TestServersSweepWholeAndTwice(t *testing.T) {
	const head = `name: sw
page:
  html: 8KB
  objects: [{size: 10KB, count: 4}, {size: 20KB, count: 4, host: cdn.example.net}]
models: [parallel]
server: {workers: 8}
clients: [{name: web, count: 3}]
`
	s, err := Load("sw.yaml", []byte(head+`servers: [{name: origin}]
sweep:
  servers:
    - [{name: origin}]
    - [{name: origin, hosts: [example.com]}, {name: cdn, hosts: [cdn.example.net], link: {rtt: 50ms}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	var n []int
	for _, p := range pts {
		cfg, err := ModelConfig(p.Spec, p.Spec.Models[0])
		if err != nil {
			t.Fatal(err)
		}
		n = append(n, len(cfg.Topology.Servers))
		for _, st := range cfg.Topology.Servers {
			if st.Server.Workers != 8 {
				t.Errorf("%s: workers %d, want server:'s 8", st.Name, st.Server.Workers)
			}
		}
	}
	if !reflect.DeepEqual(n, []int{1, 2}) {
		t.Errorf("servers per point %v, want [1 2]", n)
	}
	_, err = Load("sw.yaml", []byte(head+`servers: [{name: origin, hosts: [example.com]}, {name: cdn, hosts: [cdn.example.net]}]
sweep:
  servers[1].hosts: [[cdn.example.net], [example.com]]
`))
	want := `sw.yaml:10:42: servers[1].hosts[0]: host "example.com" is already served by servers[0] (at sweep point servers[1].hosts=[example.com])`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestServersPlanMatchesPoints: the points a Plan builds for its runs
// (without checking them again) give the servers the same inherited
// settings as the checked points of Points: a servers: entry that leaves
// server.workers out follows the swept top-level value in both.
func TestServersPlanMatchesPoints(t *testing.T) {
	y := serversYAML + `sweep:
  servers[1].link.rtt: [10ms, 80ms]
  server.workers: [8, 30]
`
	s, err := Load("topo.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.Plan()
	if err != nil {
		t.Fatal(err)
	}
	perPoint := plan.Len() / len(pts)
	for i, p := range pts {
		rc := plan.Run(i * perPoint)
		want, err := ModelConfig(p.Spec, p.Spec.Models[0])
		if err != nil {
			t.Fatal(err)
		}
		got, err := ModelConfig(rc.Point.Spec, rc.Point.Spec.Models[0])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Topology, want.Topology) {
			t.Errorf("point %d: the plan's servers %+v, Points' %+v", i, got.Topology, want.Topology)
		}
		if w := got.Topology.Servers[0].Server.Workers; w != rc.Point.Spec.Server.Workers {
			t.Errorf("point %d: origin has %d workers, the swept server.workers is %d", i, w, rc.Point.Spec.Server.Workers)
		}
	}
}

// TestProxiesPlanMatchesPoints: as for servers:, a Plan's points give a
// proxies: entry the swept top-level server: keys it leaves out, also in
// a file with proxies and no servers:.
func TestProxiesPlanMatchesPoints(t *testing.T) {
	s := mustLoad(t, `name: pp
page: {html: 8KB, objects: [{size: 5KB, count: 2}]}
clients: [{name: web, count: 2}]
proxies:
  - {name: edge, hosts: [example.com], server: {think_time: 1ms}}
sweep:
  server.workers: [8, 30]
`)
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.Plan()
	if err != nil {
		t.Fatal(err)
	}
	perPoint := plan.Len() / len(pts)
	for i, p := range pts {
		rc := plan.Run(i * perPoint)
		want, got := p.Spec.Proxies[0].Server, rc.Point.Spec.Proxies[0].Server
		if got != want || got.Workers != rc.Point.Spec.Server.Workers {
			t.Errorf("point %d: the plan's proxy server %+v, Points' %+v (swept workers %d)", i, got, want, rc.Point.Spec.Server.Workers)
		}
	}
}
