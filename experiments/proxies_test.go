package experiments

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

const proxiesYAML = `name: p
network: {rtt: 0ms, bandwidth: 100Mbps}
page: {html: 8KB, objects: [{size: 5KB, count: 4}]}
models: [persistent]
clients:
  - {name: web, count: 3, arrival: {interval: 100ms}, access: {rtt: 20ms}}
  - {name: office, count: 2, access: {rtt: 5ms}}
servers:
  - {name: origin, hosts: [example.com], link: {rtt: 50ms}}
proxies:
  - name: edge
    hosts: [example.com]
    model: {http2: {}}
    server: {think_time: 1ms}
  - name: corp
    for: [office]
    link: {rtt: 2ms}
    model: short-lived
    store_and_forward: true
`

// TestProxiesYAML: a spec with proxies loads, runs, has the proxy
// columns (and the pipelining column) after the population columns, and
// its numbers say what the topology is: the edge reuses one HTTP/2
// connection for every request; the corporate proxy (short-lived) one
// connection per request.
func TestProxiesYAML(t *testing.T) {
	s := mustLoad(t, proxiesYAML)
	want := slices.Concat(MetricNames, PopulationMetricNames, PipeliningMetricNames, ProxyMetricNames)
	if got := s.MetricNames(); !slices.Equal(got, want) {
		t.Fatalf("columns %v, want %v", got, want)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ModelConfig(pts[0].Spec, pts[0].Spec.Models[0])
	if err != nil {
		t.Fatal(err)
	}
	ps := cfg.Topology.Proxies
	if len(ps) != 2 || ps[0].Name != "edge" || ps[0].Model.Kind.String() != "http2" || ps[1].Model.Kind.String() != "short-lived" ||
		ps[0].Server.ThinkTime.Milliseconds() != 1 || ps[1].Link.RTT.Milliseconds() != 2 || !slices.Equal(ps[1].For, []string{"office"}) ||
		ps[0].StoreAndForward || !ps[1].StoreAndForward {
		t.Fatalf("proxies %+v", ps)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := RunAll(runs, RunOptions{Workers: 1})
	r := res[0].Row
	if r.Err != "" {
		t.Fatal(r.Err)
	}
	// 5 clients x 5 requests; the office's 10 through corp, short-lived
	// (10 connections), then all 25 through the edge on one connection.
	if r.Failed != 0 || r.ProxyConnections != 11 || math.Abs(r.ProxyReuse-35.0/11) > 1e-6 || !(r.ProxyUpstreamMS > 50) {
		t.Errorf("failed %d, proxy connections %d, reuse %v, upstream %v ms: want 0, 11, %v, > 50", r.Failed, r.ProxyConnections, r.ProxyReuse, r.ProxyUpstreamMS, 35.0/11)
	}
}

// TestProxiesResolvedRoundTrip: the resolved file of a spec with proxies
// reloads to the same file, and a proxy's server: keeps only the keys
// the file set (the rest follow the top-level server:).
func TestProxiesResolvedRoundTrip(t *testing.T) {
	s := mustLoad(t, proxiesYAML+"server: {workers: 7}\n")
	if s.Proxies[0].Server.Workers != 7 || s.Proxies[0].Server.ThinkTime.Std().Milliseconds() != 1 {
		t.Errorf("edge server %+v: want workers 7 inherited, think time 1ms", s.Proxies[0].Server)
	}
	b, err := s.MarshalResolved()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(b), "workers: 7") != 1 {
		t.Errorf("workers written %d times, want once (top level):\n%s", strings.Count(string(b), "workers: 7"), b)
	}
	s2, err := Load("resolved.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if b2, _ := s2.MarshalResolved(); !bytes.Equal(b, b2) {
		t.Fatalf("resolved file changes on reload:\n%s\n----\n%s", b, b2)
	}
}

// TestProxiesSweep: every scalar key of a proxy entry is a sweep key;
// a proxy's model, like a population's, is swept with the whole list.
func TestProxiesSweep(t *testing.T) {
	s := mustLoad(t, proxiesYAML+"sweep:\n  proxies[0].link.rtt: [0ms, 30ms]\n  proxies[1].server.keep_alive_timeout: [1s, 10s]\n")
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 4 {
		t.Fatalf("%d points, want 4", len(pts))
	}
	last := pts[3].Spec
	if last.Proxies[0].Link.RTT.Std().Milliseconds() != 30 || last.Proxies[1].Server.KeepAliveTimeout.Std().Seconds() != 10 {
		t.Errorf("last point's proxies %+v", last.Proxies)
	}
	if s.Proxies[0].Link.RTT != 0 {
		t.Errorf("a point's values reached the spec: %+v", s.Proxies[0])
	}
	s = mustLoad(t, proxiesYAML+"sweep:\n  proxies:\n    - [{name: e, hosts: [example.com], model: short-lived}]\n    - [{name: e, hosts: [example.com], model: {pipelined: {depth: 4}}}]\n")
	pts, err = s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].Spec.Proxies[0].Model.Name != "short-lived" || pts[1].Spec.Proxies[0].Model.Depth != 4 {
		t.Errorf("points of a swept proxies: %d, %+v", len(pts), pts[len(pts)-1].Spec.Proxies)
	}
	if got := loadErr(t, proxiesYAML+"sweep:\n  proxies[0].model: [persistent]\n"); !strings.Contains(got, "proxies[0].model cannot be swept") {
		t.Errorf("a swept model: %s", got)
	}
}

// TestProxiesErrors: each problem at its line and column, with its key.
func TestProxiesErrors(t *testing.T) {
	base := strings.SplitN(proxiesYAML, "proxies:\n", 2)[0]
	for _, c := range []struct{ proxies, want string }{
		{"  - {hosts: [example.com]}\n", "test.yaml:11:5: proxies[0].name: required"},
		{"  - {name: Edge}\n", `test.yaml:11:12: proxies[0].name: "Edge" is not a proxy name`},
		{"  - {name: origin}\n", `test.yaml:11:12: proxies[0].name: "origin" is already the name of servers[0]`},
		{"  - {name: a, hosts: [x.org]}\n  - {name: b, hosts: [x.org]}\n", `test.yaml:12:23: proxies[1].hosts[0]: host "x.org" is already fronted by proxies[0]`},
		{"  - {name: a, for: [nobody]}\n", `test.yaml:11:21: proxies[0].for[0]: no population (clients[].name) is called "nobody"`},
		{"  - {name: a, for: [web]}\n  - {name: b, for: [web]}\n", `test.yaml:12:21: proxies[1].for[0]: population "web" already uses proxies[0]`},
		{"  - {name: a, upstream: b}\n", `test.yaml:11:25: proxies[0].upstream: no proxy is called "b"`},
		{"  - {name: a, upstream: a}\n", `test.yaml:11:25: proxies[0].upstream: a proxy cannot be its own upstream`},
		{"  - {name: a, model: fast}\n", `test.yaml:11:22: proxies[0].model: unknown model "fast"`},
		{"  - {name: a, link: {rtt: -1ms}}\n", `test.yaml:11:27: proxies[0].link.rtt`},
		{"  - {name: a, server: {pipelining: sometimes}}\n", `test.yaml:11:36: proxies[0].server.pipelining`},
		{"  - {name: a, colour: red}\n", `test.yaml:11:15: proxies[0].colour: unknown key`},
		{"  - {name: a, for: [web], upstream: b}\n  - {name: b, hosts: [example.com], upstream: a}\n", `proxies[0].upstream: the route of a hostname no proxy fronts loops through proxy "a"`},
	} {
		got := loadErr(t, base+"proxies:\n"+c.proxies)
		if !strings.Contains(got, c.want) {
			t.Errorf("%q:\n got %s\nwant %s", c.proxies, got, c.want)
		}
	}
	if got := loadErr(t, "name: x\nproxies: [{name: a}]\n"); !strings.Contains(got, "test.yaml:2:10: proxies: proxies: need clients:") {
		t.Errorf("without clients: %s", got)
	}
}

// FuzzProxies: whatever proxies: holds, Load reports problems at the
// file, or gives a spec whose resolved file reloads to the same file
// and whose configuration httpmodel accepts.
func FuzzProxies(f *testing.F) {
	for _, s := range []string{
		"[{name: e, hosts: [example.com], model: http2}]",
		"[{name: f, for: [a], upstream: e}, {name: e, hosts: [x.org]}]",
		"[{name: e, link: {rtt: 5ms, loss: 1%, queue: 3 packets}, server: {pipelining: serial, workers: 2}}]",
		"[{name: a, upstream: b}, {name: b, upstream: a}]",
		"[{name: e, model: {pipelined: {depth: 3}}, store_and_forward: true}]",
		"{}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, proxies string) {
		y := "name: p\npage: {html: 1KB, objects: [{size: 1KB, host: x.org}]}\nmodels: [persistent]\nclients: [{name: a}]\nproxies: " + proxies + "\n"
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

// TestGoldenProxyLibrary runs the built-in proxy-hops and edge-reuse in
// full and compares their results.csv and summary.csv byte for byte
// with the golden files, as TestGoldenPipeliningBreakers does: a change
// to the proxy agent, the header model or the relay that moves any
// number shows up here.
func TestGoldenProxyLibrary(t *testing.T) {
	for _, name := range []string{"proxy-hops", "edge-reuse"} {
		t.Run(name, func(t *testing.T) {
			data, err := LibraryYAML(name)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Load("library/"+name+".yaml", data)
			if err != nil {
				t.Fatal(err)
			}
			runs, err := s.Runs()
			if err != nil {
				t.Fatal(err)
			}
			results, summary, _ := csvOf(t, s, runs, 2)
			golden(t, name+".results.golden.csv", results)
			golden(t, name+".summary.golden.csv", summary)
		})
	}
}
