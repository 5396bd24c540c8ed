package experiments

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/httpmodel"
	"gonum.org/v1/gonum/stat"
)

const popYAML = `name: pop
network: {rtt: 20ms, bandwidth: 100Mbps}
server: {workers: 8, backlog: 4, max_connections_per_client: 6, memory_per_connection: 64KB, keep_alive_timeout: 1s}
page: {html: 8KB, objects: [{size: 10KB, count: 4}]}
models: [parallel, short-lived]
clients:
  - name: web
    count: 6
    arrival: {poisson: {rate: 20/s}, start: 10ms}
    access: {rtt: 20ms, bandwidth: 20Mbps, queue: 64KiB}
  - name: flood
    count: 2
    arrival: {interval: 50ms}
    idle: true
    model: {parallel: {connections: 4}}
    page: {html: 100}
  - name: late
    arrival: all at once
sweep:
  clients[0].count: [4, 6]
  clients[0].arrival.poisson.rate: [10/s, 20/s]
  clients[0].access.rtt: [20ms, 40ms]
`

// A spec with clients: maps every key to httpmodel, sweeps population
// keys like any key, and leaves the base spec unchanged by a point.
func TestPopulationsLoadAndMap(t *testing.T) {
	s, err := Load("pop.yaml", []byte(popYAML))
	if err != nil {
		t.Fatal(err)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 8 {
		t.Fatalf("got %d points, want 8", len(pts))
	}
	last := pts[len(pts)-1].Spec
	cfg, err := ModelConfig(last, last.Models[1])
	if err != nil {
		t.Fatal(err)
	}
	if s.Clients[0].Count != 6 || s.Clients[0].Access.RTT != Duration(20*time.Millisecond) {
		t.Errorf("a point changed the base spec: %+v", s.Clients[0])
	}
	web, flood, late := cfg.Clients[0], cfg.Clients[1], cfg.Clients[2]
	if web.Count != 6 || web.Arrival.Kind != httpmodel.Poisson || web.Arrival.Rate != 20 || web.Arrival.Start != 10*time.Millisecond ||
		web.Access.RTT != 40*time.Millisecond || web.Access.QueueBytes != 64<<10 || web.Model.Kind != httpmodel.ShortLived || len(web.Page.Objects) != 4 {
		t.Errorf("web: %+v", web)
	}
	if flood.Arrival.Kind != httpmodel.Interval || !flood.Idle || flood.Model.Kind != httpmodel.Parallel || flood.Model.Connections != 4 ||
		flood.Page.HTML != 100 || flood.Page.Host != "example.com" {
		t.Errorf("flood: %+v", flood)
	}
	if late.Count != 1 || late.Arrival.Kind != httpmodel.AllAtOnce || late.Visits != 1 {
		t.Errorf("late: %+v", late)
	}
	sv := cfg.Server
	if sv.Workers != 8 || sv.Backlog != 4 || sv.MaxConnectionsPerClient != 6 || sv.MemoryPerConn != 64000 {
		t.Errorf("server: %+v", sv)
	}
	// The resolved file reads back to the same spec.
	b, err := s.MarshalResolved()
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Load("resolved.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	b2, _ := s2.MarshalResolved()
	if !bytes.Equal(b, b2) {
		t.Errorf("resolved file changes on reload:\n%s\n----\n%s", b, b2)
	}
	if u := KeyUnit("clients[0].arrival.poisson.rate"); u.Unit != "clients/s" || u.Name != "arrival rate" {
		t.Errorf("rate unit %+v", u)
	}
}

// Problems in clients: are reported at their line and column.
func TestPopulationsErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"clients: [{count: 2}]", "p.yaml:4:11: clients[0].name: required"},
		{"clients: [{name: a, count: 0}]", "p.yaml:4:28: clients[0].count: 0 is out of range 1..100000"},
		{"clients: [{name: a}, {name: a}]", `p.yaml:4:29: clients[1].name: "a" is already the name of clients[0]`},
		{"clients: [{name: a, arrival: soon}]", `p.yaml:4:30: clients[0].arrival: "soon" is not an arrival`},
		{"clients: [{name: a, arrival: {poisson: {rate: 1/s}, interval: 1s}}]", "p.yaml:4:30: clients[0].arrival: give one arrival process"},
		{"clients: [{name: a, model: fast}]", `p.yaml:4:28: clients[0].model: unknown model "fast"`},
		{"clients: [{name: a, acess: {}}]", "did you mean access?"},
		{"server: {workers: -1}", "server.workers: -1 is out of range 0..100000"},
	} {
		_, err := Load("p.yaml", []byte("name: p\npage: {html: 1KB}\nmodels: [persistent]\n"+c.yaml+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.yaml, err, c.want)
		}
	}
}

// PLTPercentile is nearest rank, the quantile summary.csv uses
// (stat.Empirical), with unfinished clients ranked last.
func TestPLTPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	for _, c := range []struct {
		plts []time.Duration
		pct  int
		want float64
	}{
		{ms(40, 10, 30, 20), 50, 20},
		{ms(40, 10, 30, 20), 95, 40},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 95, 19},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 99, 20},
		{ms(5), 99, 5},
		{append(ms(1, 2, 3), -1), 50, 2},
		{append(ms(1, 2, 3), -1), 95, math.NaN()},
		{nil, 50, math.NaN()},
	} {
		got := PLTPercentile(c.plts, c.pct)
		if got != c.want && !(math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("p%d of %v: got %v, want %v", c.pct, c.plts, got, c.want)
		}
	}
	// Against gonum's empirical quantile on finished clients.
	var d []time.Duration
	var f []float64
	for i := range 37 {
		v := (i*7919)%101 + 1
		d = append(d, time.Duration(v)*time.Millisecond)
	}
	for _, x := range d {
		f = append(f, float64(x)/1e6)
	}
	slices.Sort(f)
	for _, p := range []int{1, 25, 50, 75, 95, 99, 100} {
		if got, want := PLTPercentile(d, p), stat.Quantile(float64(p)/100, stat.Empirical, f, nil); got != want {
			t.Errorf("p%d: got %v, gonum %v", p, got, want)
		}
	}
}

// A spec with clients: has the population columns in results.csv,
// summary.csv and requests.csv; reading them back and writing again
// gives the same bytes (connsim merge).
func TestPopulationColumnsRoundTrip(t *testing.T) {
	s, err := Load("pop.yaml", []byte(popYAML))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := RunAll(runs[:4], RunOptions{})
	var rows []Row
	var reqs []RequestRow
	for _, r := range res {
		if r.Row.Err != "" {
			t.Fatalf("%s: %s", r.Row.Model, r.Row.Err)
		}
		rows = append(rows, r.Row)
		reqs = append(reqs, r.Requests...)
	}
	r0 := rows[0]
	if r0.PLTP50MS != r0.PLTMS || !(r0.PLTP95MS >= r0.PLTP50MS) || !(r0.PLTP99MS >= r0.PLTP95MS) || r0.RequestsPerS <= 0 ||
		r0.ServerOpenMax < 1 || r0.BusyWorkersMax > 8 || r0.ServerMemoryMax != r0.ServerOpenMax*64000 {
		t.Errorf("population metrics: %+v", r0.Metrics)
	}
	var web, flood int
	for _, q := range reqs {
		switch {
		case strings.HasPrefix(q.Client, "web#"):
			web++
		case strings.HasPrefix(q.Client, "late#"):
		default:
			flood++
		}
	}
	if web == 0 || flood != 0 {
		t.Errorf("requests: %d of web clients, %d of others (idle clients send none)", web, flood)
	}
	var res1, sum1, req1 bytes.Buffer
	if err := WriteResultsCSV(&res1, s, rows); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummaryCSV(&sum1, s, rows); err != nil {
		t.Fatal(err)
	}
	if err := WriteRequestsCSV(&req1, s, reqs); err != nil {
		t.Fatal(err)
	}
	header := strings.SplitN(res1.String(), "\n", 2)[0]
	if !strings.HasSuffix(header, ",revisit_plt_ms,"+strings.Join(PopulationMetricNames, ",")+",error") {
		t.Errorf("results header %s", header)
	}
	if h := strings.SplitN(req1.String(), "\n", 2)[0]; !strings.HasSuffix(h, ",visit,queued_ms,client,refusals,replayed") {
		t.Errorf("requests header %s", h)
	}
	if h := strings.SplitN(sum1.String(), "\n", 2)[0]; !strings.Contains(h, ",failed_median,failed_p25,failed_p75,abandoned_median,abandoned_p25,abandoned_p75,failed") {
		t.Errorf("summary header %s", h)
	}
	back, err := ReadResultsCSV(bytes.NewReader(res1.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.IndexRows(back); err != nil {
		t.Fatal(err)
	}
	backReq, err := ReadRequestsCSV(bytes.NewReader(req1.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var res2, sum2, req2 bytes.Buffer
	WriteResultsCSV(&res2, s, back)
	WriteSummaryCSV(&sum2, s, back)
	WriteRequestsCSV(&req2, s, backReq)
	for _, c := range []struct {
		name string
		a, b *bytes.Buffer
	}{{"results", &res1, &res2}, {"summary", &sum1, &sum2}, {"requests", &req1, &req2}} {
		if !bytes.Equal(c.a.Bytes(), c.b.Bytes()) {
			t.Errorf("%s.csv differs after a read and write", c.name)
		}
	}
}
