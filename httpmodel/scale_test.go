package httpmodel

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// Scale (issue 11): one client loading a page of n objects of 1 KB over n
// concurrent connections (parallel, n connections per host) on a fast
// path. Every connection is dialled at the same instant, so the server has
// n connections in SYN-RECEIVED at once and the client's pool n
// connections to hand requests to: the scans the issue measured (a linear
// search of the SYN-RECEIVED list per SYN, a pass over the pool per
// dispatch) make such a run quadratic in n.

// scaleConfig returns the run configuration of a page of n objects of
// 1 KB over n parallel connections.
func scaleConfig(n int) Config {
	return Config{
		Network: Network{RTT: 20 * time.Millisecond, Bandwidth: 10 * link.Gbps},
		TCP:     tcp.DefaultConfig(),
		Page:    Page{HTML: 1000, Objects: objects(n, 1000)},
		Model:   Model{Kind: Parallel, Connections: n},
	}
}

// runScale runs scaleConfig(n) and checks that every request was served,
// each on a connection of its own.
func runScale(tb testing.TB, n int) *Result {
	tb.Helper()
	res := Run(scaleConfig(n), 1)
	if res.Err != nil || res.Metrics.Failed != 0 {
		tb.Fatalf("n=%d: err=%v failed=%d", n, res.Err, res.Metrics.Failed)
	}
	if got, want := res.Metrics.Connections, n; got != want {
		tb.Fatalf("n=%d: %d connections, want %d", n, got, want)
	}
	return res
}

// TestScaleConcurrentConnections loads a page of 1,000 and 8,000 objects
// over as many concurrent connections (30,000 and 64,000 without -short:
// seconds each).
func TestScaleConcurrentConnections(t *testing.T) {
	ns := []int{1000, 8000}
	if !testing.Short() {
		ns = append(ns, 30_000, 64_000)
	}
	for _, n := range ns {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			start := time.Now()
			runScale(t, n)
			t.Logf("n=%d: %v wall", n, time.Since(start))
		})
	}
}

// BenchmarkScale loads a page of n objects over n concurrent connections
// (see scaleConfig): the cost of a run as the number of connections
// grows, which should be linear.
func BenchmarkScale(b *testing.B) {
	for _, n := range []int{1000, 8000, 30_000, 64_000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				runScale(b, n)
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/float64(n)*1e6, "µs/conn")
		})
	}
}

// BenchmarkMemoryPerConn reports the heap held per open connection: n
// connections are dialled and established (client and server side, with
// their HTTP state) and the run is stopped while all are open, before any
// request is answered.
func BenchmarkMemoryPerConn(b *testing.B) {
	const n = 20_000
	for b.Loop() {
		cfg := scaleConfig(n)
		cfg.Network.DNS = 0
		w := build(cfg, 1)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		w.cl.startVisit()
		// The HTML's connection is established after one RTT and its
		// response is in after two; the objects' connections are
		// dialled then and established a third RTT on, their requests
		// reaching the server half an RTT later. Stop in between: every
		// connection is open, none has been answered.
		stop := w.s.Now().Add(33 * cfg.Network.RTT / 10)
		for w.s.Step() && w.s.Now() < stop {
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		open := 0
		for _, c := range w.cep.Conns() {
			if c != nil && c.State() != tcp.Closed {
				open++
			}
		}
		if open < n {
			b.Fatalf("%d connections open, want at least %d", open, n)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(open), "bytes/conn")
		runtime.KeepAlive(w)
	}
}
