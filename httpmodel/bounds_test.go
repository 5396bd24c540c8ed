package httpmodel

import (
	"strconv"
	"testing"
	"time"
)

// pipelinedMany is one connection pipelining n zero-byte objects, every
// request of the page outstanding at once: the case where a dispatch
// that scans the in-flight requests costs O(n) per request.
func pipelinedMany(n int) Config {
	cfg := fastConfig(Pipelined, 50*time.Millisecond, Page{HTML: 1000, Objects: objects(n, 0)})
	cfg.Server.MaxRequests = n + 1 // one connection carries the page
	return cfg
}

// TestPipelinedDispatchLinear checks that handing requests to a pipelined
// connection costs O(1) per request however many are in flight: the
// requests examined on the dispatch path (Client.examined) grow linearly
// with the page, not with its square. Before the in-flight requests were
// counted instead of scanned (for a non-idempotent one), each canTake
// looked at every outstanding request: n(n+1)/2 examined, and a 30,000
// object run took 51 s.
func TestPipelinedDispatchLinear(t *testing.T) {
	var perReq [2]float64
	for i, n := range []int{2000, 8000} {
		w := build(pipelinedMany(n), 1)
		w.cl.startVisit()
		if err := w.run(); err != nil {
			t.Fatalf("n=%d: run: %v", n, err)
		}
		res := w.result()
		if res.Metrics.Failed != 0 || res.Metrics.Connections != 1 {
			t.Fatalf("n=%d: failed=%d connections=%d, want 0 and 1", n, res.Metrics.Failed, res.Metrics.Connections)
		}
		perReq[i] = float64(w.cl.examined) / float64(n+1)
		if perReq[i] > 4 {
			t.Errorf("n=%d: %d requests examined while dispatching, %.1f per request; want at most 4 (O(1) per request)", n, w.cl.examined, perReq[i])
		}
	}
	if perReq[1] > 1.1*perReq[0] {
		t.Errorf("requests examined per request grew from %.2f (2000 objects) to %.2f (8000): dispatch is not O(1) per request", perReq[0], perReq[1])
	}
}

// TestManyHostsPoolLookup checks that a page with an object on each of
// many hostnames finds each host's pool without scanning the others: one
// pool per host, and every request on its own host.
func TestManyHostsPoolLookup(t *testing.T) {
	const n = 3000
	page := Page{HTML: 1000, Objects: objects(n, 100)}
	for i := range page.Objects {
		page.Objects[i].Host = "h" + strconv.Itoa(i) + ".example.com"
	}
	res := mustRun(t, fastConfig(Persistent, 20*time.Millisecond, page), 1)
	if got := res.Metrics.Connections; got != n+1 {
		t.Errorf("Connections = %d, want %d (one per host)", got, n+1)
	}
	for _, r := range res.Requests[1:] {
		if want := page.Objects[r.Index-1].Host; r.Host != want {
			t.Fatalf("request %d went to %s, want %s", r.Index, r.Host, want)
		}
	}
}

// BenchmarkPipelinedManyObjects is one pipelined page load of 30,000
// zero-byte objects with the default server (100 requests per
// connection, so about 300 connections, each replaying what the previous
// one left unanswered): the issue-15 case that took 51 s when a dispatch
// scanned the in-flight requests. Target: well under 2 s per load.
func BenchmarkPipelinedManyObjects(b *testing.B) {
	cfg := fastConfig(Pipelined, 100*time.Millisecond, Page{HTML: 1000, Objects: objects(30000, 0)})
	var events uint64
	for b.Loop() {
		res := Run(cfg, 1)
		if res.Err != nil || res.Metrics.Failed != 0 {
			b.Fatalf("run failed: err=%v failed=%d", res.Err, res.Metrics.Failed)
		}
		events = res.Metrics.Events
	}
	b.ReportMetric(float64(events), "events/load")
}
