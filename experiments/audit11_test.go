package experiments

import (
	"bytes"
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
)

// TestPopulationKeysMapAll (audit of issue 11): every key of a
// population reaches httpmodel. TestPopulationsLoadAndMap checks some;
// dropping access.bandwidth, access.uplink, access.loss, a queue in
// packets, visits or reading_time in populationConfig passed every test.
func TestPopulationKeysMapAll(t *testing.T) {
	const y = `name: keys
page: {html: 8KB, objects: [{size: 10KB, count: 2}]}
models: [parallel]
clients:
  - name: web
    count: 3
    visits: 4
    reading_time: 2s
    access: {rtt: 30ms, bandwidth: 20Mbps, uplink: 5Mbps, queue: 50 packets, loss: 1%}
`
	s, err := Load("keys.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ModelConfig(s, s.Models[0])
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Clients[0]
	if p.Visits != 4 || p.ReadingTime != 2*time.Second {
		t.Errorf("visits %d, reading time %v: want 4, 2s", p.Visits, p.ReadingTime)
	}
	a := p.Access
	if a.RTT != 30*time.Millisecond || a.Bandwidth != 20*link.Mbps || a.Uplink != 5*link.Mbps || a.QueuePackets != 50 || a.QueueBytes != 0 || a.Loss != 0.01 {
		t.Errorf("access %+v: want rtt 30ms, 20 Mbit/s down, 5 Mbit/s up, 50 packets, 1%% loss", a)
	}
}

// TestRequestsCSVMarks (audit of issue 11): requests.csv's refusals and
// replayed columns carry the requests' marks. Writing 0 in either
// column passed every test (the round trip reads back what was written).
func TestRequestsCSVMarks(t *testing.T) {
	s, err := Load("marks.yaml", []byte(`name: marks
network: {rtt: 20ms, bandwidth: 100Mbps}
server: {max_connections_per_client: 2, max_requests: 3}
page: {html: 8KB, objects: [{size: 10KB, count: 12}]}
models: [{pipelined: {depth: 4}}]
clients:
  - name: web
    count: 2
  - name: par
    count: 2
    model: parallel
`))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := Run(runs[0], false)
	if res.Row.Err != "" {
		t.Fatal(res.Row.Err)
	}
	refusals, replayed := 0, 0
	for _, r := range res.Requests {
		refusals += r.Refusals
		if r.Replayed {
			replayed++
		}
	}
	if refusals == 0 || replayed == 0 {
		t.Fatalf("%d refusals, %d replayed requests: the scenario should have both", refusals, replayed)
	}
	var buf bytes.Buffer
	if err := WriteRequestsCSV(&buf, s, res.Requests); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRequestsCSV(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(res.Requests) {
		t.Fatalf("%d rows read back, %d written", len(back), len(res.Requests))
	}
	for i, r := range back {
		w := res.Requests[i]
		if r.Client != w.Client || r.Refusals != w.Refusals || r.Replayed != w.Replayed {
			t.Errorf("row %d: client %q refusals %d replayed %v in requests.csv, want %q %d %v", i, r.Client, r.Refusals, r.Replayed, w.Client, w.Refusals, w.Replayed)
		}
	}
}

// TestPopulationPercentileColumns (audit of issue 11): plt_p50_ms,
// plt_p95_ms and plt_p99_ms are those percentiles of the run's client
// PLTs. Measuring p90 as plt_p95_ms (or p95 as p99) passed every test.
func TestPopulationPercentileColumns(t *testing.T) {
	s, err := Load("pct.yaml", []byte(`name: pct
network: {rtt: 20ms, bandwidth: 100Mbps}
server: {workers: 12, backlog: 8}
page: {html: 8KB, objects: [{size: 10KB, count: 6}]}
models: [parallel]
clients:
  - name: web
    count: 40
    arrival: {poisson: {rate: 20/s}}
    access: {rtt: 20ms, bandwidth: 10Mbps}
`))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := Run(runs[0], true)
	if res.Row.Err != "" {
		t.Fatal(res.Row.Err)
	}
	plts := make([]time.Duration, len(res.Trace.ClientPLTsMS))
	for i, ms := range res.Trace.ClientPLTsMS {
		plts[i] = time.Duration(ms * 1e6)
	}
	if len(plts) != 40 {
		t.Fatalf("%d client PLTs, want 40", len(plts))
	}
	near := func(a, b float64) bool { return a-b < 1e-3 && b-a < 1e-3 }
	m := res.Row.Metrics
	for _, c := range []struct {
		pct int
		got float64
	}{{50, m.PLTP50MS}, {95, m.PLTP95MS}, {99, m.PLTP99MS}} {
		if want := PLTPercentile(plts, c.pct); !near(c.got, want) {
			t.Errorf("p%d: %v ms in the row, %v ms from the clients' PLTs", c.pct, c.got, want)
		}
	}
	if near(m.PLTP95MS, PLTPercentile(plts, 90)) {
		t.Errorf("p95 equals p90 (%v ms): the scenario cannot tell them apart", m.PLTP95MS)
	}
	if near(m.PLTP99MS, PLTPercentile(plts, 95)) {
		t.Errorf("p99 equals p95 (%v ms): the scenario cannot tell them apart", m.PLTP99MS)
	}
}
