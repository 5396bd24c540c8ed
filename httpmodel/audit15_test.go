package httpmodel

import (
	"testing"
	"time"
)

// TestPipelined30000Fast is issue 15's acceptance case in wall-clock
// time: one pipelined page load of 30,000 zero-byte objects (the load of
// BenchmarkPipelinedManyObjects). The issue asks for under 2 s; on a
// 2-CPU machine it takes 1.6-2.0 s alone and 2.2 s while the other
// packages' tests run, so the test allows 5 s, which still tells linear
// from quadratic: it took 51 s when each dispatch scanned the in-flight
// requests. The examined counter
// of TestPipelinedDispatchLinear sees only the scans that count
// themselves: an uncounted scan of c.inflight in mayTake passed it and
// took 67 s here. Best of three, to ride out a busy machine; skipped
// with -short.
func TestPipelined30000Fast(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30,000-object load")
	}
	cfg := fastConfig(Pipelined, 100*time.Millisecond, Page{HTML: 1000, Objects: objects(30000, 0)})
	const limit = 5 * time.Second
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		res := Run(cfg, 1)
		took := time.Since(start)
		if res.Err != nil || res.Metrics.Failed != 0 {
			t.Fatalf("run failed: err=%v failed=%d", res.Err, res.Metrics.Failed)
		}
		best = min(best, took)
		if best < limit {
			break
		}
		if took > 4*limit {
			break // not noise
		}
	}
	t.Logf("30,000 pipelined objects in %v", best)
	if best >= limit {
		t.Errorf("30,000 pipelined objects took %v; want under %v (issue 15: 2 s)", best, limit)
	}
}

// TestShortKeepAliveFirstRequest: a keep-alive timeout shorter than a new
// connection's first flight takes to arrive must not close it before its
// first request: servers time that wait apart from keep-alive. HTTP/2's
// first flight (preface and ten requests, one 1,274-byte segment) takes
// 1.06 ms at 10 Mbit/s; with a 1 ms keep-alive every request after the
// HTML used to fail on connections closed before they were read.
func TestShortKeepAliveFirstRequest(t *testing.T) {
	for _, kind := range []Kind{HTTP2, Pipelined, Persistent, Parallel} {
		cfg := fastConfig(kind, 50*time.Millisecond, Page{HTML: 20000, Objects: objects(10, 10000)})
		cfg.Network.Bandwidth, cfg.Network.Uplink = 10e6, 10e6
		cfg.Server.KeepAliveTimeout = time.Millisecond
		res := Run(cfg, 1)
		if res.Err != nil || res.Metrics.Failed != 0 {
			t.Errorf("%v, 1 ms keep-alive: err %v, %d requests failed; want none", kind, res.Err, res.Metrics.Failed)
		}
	}
}
