package experiments_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// http2-coalescing: with coalescing HTTP/2 opens one connection and pays
// one handshake whatever the shard count, and sharding leaves its load
// time unchanged; without coalescing each hostname opens a connection of
// its own, with its own handshake, and every sharded point is slower
// than the coalesced one, on both paths. Sharded HTTP/1.1 needs the
// shards on the fast path (the contrast the experiment draws).
func TestLibraryHTTP2Coalescing(t *testing.T) {
	s := libLoad(t, "http2-coalescing")
	a, ok := s.Sweep.Axis("network")
	if !ok || len(a.Values) != 2 {
		t.Fatalf("want the network section swept over two paths, got %+v", a)
	}
	labels := libModelLabels(s)
	if len(labels) != 3 {
		t.Fatalf("models %v: want sharded HTTP/1.1, HTTP/2 coalesced, HTTP/2 without coalescing", labels)
	}
	h1, co, nc := labels[0], labels[1], labels[2]
	res := libRun(t, s, libKeep{"model.shards": {"1", "2", "8"}}, 0)
	for _, path := range []string{"network=" + a.Values[0].Text, "network=" + a.Values[1].Text} {
		name := a.Values[0].Label
		if path != "network="+a.Values[0].Text {
			name = a.Values[1].Label
		}
		at := func(shards int) []string { return []string{path, fmt.Sprintf("model.shards=%d", shards)} }
		one := libMetric(t, res, "plt_ms", co, at(1)...)
		for _, n := range []int{1, 2, 8} {
			// Coalesced: one connection, one handshake, the same PLT.
			if got := libMetric(t, res, "connections", co, at(n)...); got != 1 {
				t.Errorf("%s, %s, %d shards: %v connections, want 1", name, co, n, got)
			}
			plt := libMetric(t, res, "plt_ms", co, at(n)...)
			if math.Abs(plt-one) > 0.02*one {
				t.Errorf("%s, %s: %.0f ms with %d shards, %.0f with 1: want the same (sharding buys nothing)", name, co, plt, n, one)
			}
			// Not coalesced: a connection per hostname.
			if got := libMetric(t, res, "connections", nc, at(n)...); got != float64(n) {
				t.Errorf("%s, %s, %d shards: %v connections, want %d", name, nc, n, got, n)
			}
			if n == 1 {
				continue
			}
			if ncPLT := libMetric(t, res, "plt_ms", nc, at(n)...); !(ncPLT > plt*1.02) {
				t.Errorf("%s, %d shards: %s %.0f ms, %s %.0f ms: want the handshakes and slow starts of the extra connections to cost time", name, n, nc, ncPLT, co, plt)
			}
		}
		// Each connection pays at least its TCP and TLS 1.3 handshakes
		// (2 round trips of 200 ms).
		for _, n := range []int{2, 8} {
			if hs := libHandshakes(t, res, nc, at(n)...); hs < float64(n)*400 {
				t.Errorf("%s, %s, %d shards: handshakes %.0f ms, want at least %d × 400 ms", name, nc, n, hs, n)
			}
			if hs := libHandshakes(t, res, co, at(n)...); hs >= 2*400 {
				t.Errorf("%s, %s, %d shards: handshakes %.0f ms, want those of one connection", name, co, n, hs)
			}
		}
	}
	// The contrast: HTTP/1.1 needs the shards on the fast path.
	fast := "network=" + a.Values[0].Text
	if h1One, h1Eight := libMetric(t, res, "plt_ms", h1, fast, "model.shards=1"), libMetric(t, res, "plt_ms", h1, fast, "model.shards=8"); !(h1Eight < h1One*2/3) {
		t.Errorf("fast path, %s: %.0f ms with 1 shard, %.0f with 8: want at least a third less", h1, h1One, h1Eight)
	}
}

// libHandshakes returns the handshake time (handshakes_ms) of the one run
// of model at a point.
func libHandshakes(t *testing.T, res []experiments.Result, model string, at ...string) float64 {
	t.Helper()
	for _, r := range res {
		if libAt(r.Row, model, at...) {
			return r.Row.Metrics.HandshakesMS
		}
	}
	t.Fatalf("no run of %q at %v", model, at)
	return 0
}
