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
