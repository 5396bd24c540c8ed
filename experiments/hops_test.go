package experiments

import (
	"bytes"
	"io"
	"math"
	"strings"
	"testing"
)

// hopsOf runs s with workers and returns its hops.csv, and every run's
// hops and requests.
func hopsOf(t *testing.T, s *Spec, workers int) ([]byte, []Result) {
	t.Helper()
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := RunAll(runs, RunOptions{Workers: workers})
	var hops []HopRow
	for _, r := range res {
		hops = append(hops, r.Hops...)
	}
	var b bytes.Buffer
	if err := WriteHops(&b, s, hops, CSV); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), res
}

func libSpec(t *testing.T, name string) *Spec {
	t.Helper()
	data, err := LibraryYAML(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load("library/"+name+".yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHopsProxyHops runs the built-in proxy-hops in full: its hops.csv
// is the same bytes with 1 and 2 workers and matches the golden file;
// every run has the browser's hop to the edge and the edge's hop to the
// origin, in that order; their time_ms add up to the run's mean request
// time (requests.csv); connections per hop follow each hop's model (a
// short-lived hop one per request, a persistent or pipelined one
// connection); the edge's hop holds the round trips of its model when
// the browser does not pipeline; and the proxy's hop reuse is
// results.csv's proxy_reuse.
func TestHopsProxyHops(t *testing.T) {
	s := libSpec(t, "proxy-hops")
	one, res := hopsOf(t, s, 1)
	two, _ := hopsOf(t, s, 2)
	if !bytes.Equal(one, two) {
		t.Errorf("hops.csv differs between 1 and 2 workers:\n%s", lineDiff(string(one), string(two)))
	}
	golden(t, "proxy-hops.hops.golden.csv", one)
	for _, r := range res {
		row := r.Row
		if row.Err != "" {
			t.Fatalf("run %d: %s", row.Index, row.Err)
		}
		if len(r.Hops) != 2 || r.Hops[0].From+">"+r.Hops[0].To != "clients>edge" || r.Hops[1].From+">"+r.Hops[1].To != "edge>origin" {
			t.Fatalf("run %d: hops %+v", row.Index, r.Hops)
		}
		var mean float64
		for _, q := range r.Requests {
			mean += q.EndMS - q.StartMS
		}
		mean /= float64(len(r.Requests))
		if sum := r.Hops[0].TimeMS + r.Hops[1].TimeMS; math.Abs(sum-mean) > 1e-5 {
			t.Errorf("run %d: hops add up to %v ms, the requests' mean is %v ms", row.Index, sum, mean)
		}
		n := len(r.Requests)
		upstream := row.Point[2].Value == 0 // proxies: the first entry, a short-lived upstream
		for i, h := range r.Hops {
			short := (i == 0 && row.Model == "short-lived") || (i == 1 && upstream)
			want := 1
			if short {
				want = n
			}
			if h.Requests != n || h.Connections != want {
				t.Errorf("run %d (%s, proxies %v) hop %d: %d connections, %d requests; want %d, %d", row.Index, row.Model, row.Point[2].Value, h.Hop, h.Connections, h.Requests, want, n)
			}
		}
		// A browser that does not pipeline sends the edge one request
		// at a time, so the edge's hop holds its model's round trips to
		// the origin and no queueing: 2 per request short-lived (a
		// connect and the request), 10 in 9 requests persistent.
		if row.Model != "pipelined" {
			rtt := row.Point[1].Value
			want := 2 * rtt
			if !upstream {
				want = rtt * 10 / 9
			}
			if math.Abs(r.Hops[1].TimeMS-want) > 1e-5 {
				t.Errorf("run %d (%s, proxies %v, origin RTT %v): edge hop %v ms, want %v", row.Index, row.Model, row.Point[2].Value, rtt, r.Hops[1].TimeMS, want)
			}
		}
		// A pipelining browser's requests reach the edge at once and
		// wait there: with the origin far, the edge's hop holds most
		// of their time.
		if row.Model == "pipelined" && row.Point[0].Value == 10 && row.Point[1].Value == 100 && r.Hops[1].TimeMS < 10*r.Hops[0].TimeMS {
			t.Errorf("run %d (pipelined, far origin): edge hop %v ms, browser's %v ms: want the edge's 10 times more", row.Index, r.Hops[1].TimeMS, r.Hops[0].TimeMS)
		}
		if r.Hops[1].Reuse != round6(row.Metrics.ProxyReuse) {
			t.Errorf("run %d: edge hop reuse %v, proxy_reuse %v", row.Index, r.Hops[1].Reuse, row.Metrics.ProxyReuse)
		}
	}
}

// TestHopsNoProxies: a spec without proxies has no hops.
func TestHopsNoProxies(t *testing.T) {
	s := mustLoad(t, `name: t
clients: [{name: u, count: 2}]
page: {html: 5KB, objects: [{size: 5KB, count: 2}]}
models: [persistent]
`)
	if s.WantsHops() {
		t.Error("WantsHops without proxies")
	}
	_, res := hopsOf(t, s, 1)
	for _, r := range res {
		if r.Hops != nil {
			t.Errorf("run %d: hops %+v", r.Row.Index, r.Hops)
		}
	}
}

// TestHopsReadBack: HopsReader reads what HopsWriter wrote, and refuses
// rows that connsim does not write.
func TestHopsReadBack(t *testing.T) {
	s := libSpec(t, "proxy-hops")
	data, res := hopsOf(t, s, 2)
	hr, err := NewHopsReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var got []HopRow
	for {
		h, err := hr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h)
	}
	var again bytes.Buffer
	if err := WriteHops(&again, s, got, CSV); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), data) {
		t.Errorf("read back and written again, hops.csv differs:\n%s", lineDiff(again.String(), string(data)))
	}
	if len(got) != 2*len(res) {
		t.Errorf("%d rows of %d runs", len(got), len(res))
	}
	lines := strings.SplitN(string(data), "\n", 3)
	for _, tc := range []struct{ from, to string }{
		{",1,clients,", ",0,clients,"},      // hop 0
		{",9,9,1,", ",9,-9,1,"},             // negative requests
		{",9,9,1,", ",9,8,1,"},              // reuse not requests/connections
		{",clients,edge,", ",,edge,"},       // no from
		{",1,182.240977", ",1,x"},           // not a number
		{",1,182.240977", ",1,-182.240977"}, // negative time
	} {
		row := strings.Replace(lines[1], tc.from, tc.to, 1)
		if row == lines[1] {
			t.Fatalf("%q not in %q", tc.from, lines[1])
		}
		hr, err := NewHopsReader(strings.NewReader(lines[0] + "\n" + row + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hr.Read(); err == nil {
			t.Errorf("%s: read without an error", row)
		}
	}
}

// FuzzHopsReader: any bytes as hops.csv give rows or an error, never a
// panic; a row read back is one a hop can hold.
func FuzzHopsReader(f *testing.F) {
	f.Add([]byte("model,x,run,hop,from,to,connections,requests,reuse,time_ms\nshort-lived,1,0,1,clients,edge,9,9,1,182.2\n"))
	f.Add([]byte("model,run\n"))
	f.Add([]byte("model,run,hop\npersistent,0,1e99\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hr, err := NewHopsReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for range 100 {
			h, err := hr.Read()
			if err != nil {
				return
			}
			if h.Hop < 1 || h.Connections < 0 || h.Requests < 0 || !(h.TimeMS >= 0) {
				t.Fatalf("read %+v", h)
			}
		}
	})
}

// TestHopsEdgeReuse runs the built-in edge-reuse: its hops.csv matches
// the golden file; a run with the edge has the clients' hop (their
// connections: results.csv's connections) and the edge's (its reuse:
// proxy_reuse), and a run whose proxies value is [] has no hops.
func TestHopsEdgeReuse(t *testing.T) {
	s := libSpec(t, "edge-reuse")
	data, res := hopsOf(t, s, 2)
	golden(t, "edge-reuse.hops.golden.csv", data)
	for _, r := range res {
		row := r.Row
		if row.Point[0].Value == 0 { // proxies: [] (the first value)
			if r.Hops != nil {
				t.Errorf("run %d without a proxy: hops %+v", row.Index, r.Hops)
			}
			continue
		}
		if len(r.Hops) != 2 {
			t.Fatalf("run %d: hops %+v", row.Index, r.Hops)
		}
		if got := int64(r.Hops[0].Connections); got != row.Metrics.Connections {
			t.Errorf("run %d: clients' hop %v connections, results.csv %v", row.Index, got, row.Metrics.Connections)
		}
		if r.Hops[1].Reuse != round6(row.Metrics.ProxyReuse) {
			t.Errorf("run %d: edge hop reuse %v, proxy_reuse %v", row.Index, r.Hops[1].Reuse, row.Metrics.ProxyReuse)
		}
	}
}
