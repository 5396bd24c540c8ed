package httpmodel

import (
	"runtime"
	"testing"
	"unsafe"
)

// heapAfterPopulation runs n clients of the scale page arriving as a
// Poisson process at 1,000/s to the end, and returns the heap in use
// after a collection with the world still alive, the bytes of the
// request timings' array (the run's output, kept on purpose) and the
// world.
func heapAfterPopulation(t *testing.T, n int) (heap, timings uint64, w *world) {
	t.Helper()
	cfg := popScaleConfig(n, Arrival{Kind: Poisson, Rate: 1000})
	w = build(cfg.withDefaults(), 1)
	w.scheduleArrivals()
	if err := w.run(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, uint64(cap(w.timings)) * uint64(unsafe.Sizeof(Timing{})), w
}

// TestMemoryPerFinishedClient checks that a client that has left costs
// a bounded few hundred bytes beyond its request timings: 1,000 and
// 4,000 Poisson clients are run to the end, and the heap's growth per
// extra client, the timings' array taken out, must stay under 1 KB. (A
// finished client's connections were once kept reachable by the
// scheduler's stale queue slots, 35 KB each, and its node, access link
// and endpoint by the network and the stack, 12 KB.) The network and
// stack must hold nothing of the clients at the end, and no packet may
// have been addressed to a client that had left.
func TestMemoryPerFinishedClient(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 5,000 clients")
	}
	const small, large = 1000, 4000
	h1, t1, w1 := heapAfterPopulation(t, small)
	runtime.KeepAlive(w1)
	w1 = nil
	h2, t2, w2 := heapAfterPopulation(t, large)
	slope := (float64(h2) - float64(h1)) / (large - small)
	rest := (float64(h2-t2) - float64(h1-t1)) / (large - small)
	t.Logf("heap %d -> %d bytes: %.0f bytes per client, %.0f beyond its timings", h1, h2, slope, rest)
	if rest > 1024 {
		t.Errorf("a finished client holds %.0f bytes beyond its request timings, want at most 1024", rest)
	}
	if got := len(w2.net.Pipes()); got != 2 {
		t.Errorf("%d pipes left at the end, want 2 (the bottleneck)", got)
	}
	if got := len(w2.net.Nodes()); got != 2 {
		t.Errorf("%d nodes left at the end, want 2 (server and router)", got)
	}
	if u := w2.net.Unrouted(); u != 0 {
		t.Errorf("%d packets addressed to clients that had left, want 0", u)
	}
	runtime.KeepAlive(w2)
}
