package httpmodel

import (
	"slices"
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// TestMaxQueueBytes checks Metrics.MaxQueueBytes, named as
// link.PipeStats.MaxQueueBytes: a 1 MB response into a 30 kB drop-tail
// queue fills the downlink queue, so the high-water mark is above zero and
// within the capacity, and it is the largest of the two directions'.
func TestMaxQueueBytes(t *testing.T) {
	const capacity = 30_000
	cfg := Config{
		Network: Network{RTT: 40 * time.Millisecond, Bandwidth: 10 * link.Mbps, QueueBytes: capacity},
		TCP:     tcp.DefaultConfig(),
		Page:    Page{HTML: 1_000_000},
		Model:   Model{Kind: Persistent},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// Run's steps, to keep the world for its pipes.
	w := build(cfg, 1)
	w.cl.startVisit()
	if err := w.run(); err != nil {
		t.Fatal(err)
	}
	res := w.result()
	got := res.Metrics.MaxQueueBytes
	if got <= 0 || got > capacity {
		t.Errorf("MaxQueueBytes = %d, want in (0, %d]", got, capacity)
	}
	if want := max(w.up.Stats().MaxQueueBytes, w.down.Stats().MaxQueueBytes); got != want {
		t.Errorf("MaxQueueBytes = %d, want %d, the larger of the two pipes'", got, want)
	}
}

// TestLastLoadEnd checks Metrics.LastLoadEnd, the end of the last page
// load, apart from EndOfRun, which includes the keep-alive tail (the
// server closing the idle connections KeepAliveTimeout later).
//
//   - One client, one visit starting at 0: LastLoadEnd is its PLT.
//   - Ten clients all arriving at 0, one visit each: LastLoadEnd is the
//     largest of their PLTs.
//
// In both EndOfRun is more than 4 s later: the last connection closes
// KeepAliveTimeout (5 s) after its last response drained, which was
// before the load ended (well under a second into the run).
func TestLastLoadEnd(t *testing.T) {
	check := func(t *testing.T, m Metrics, want time.Duration) {
		t.Helper()
		if got := time.Duration(m.LastLoadEnd); got != want {
			t.Errorf("LastLoadEnd = %v, want %v", got, want)
		}
		if tail := m.EndOfRun.Sub(m.LastLoadEnd); tail < 4*time.Second {
			t.Errorf("EndOfRun %v, LastLoadEnd %v: want most of the 5 s keep-alive tail between them", m.EndOfRun, m.LastLoadEnd)
		}
	}
	t.Run("single-client", func(t *testing.T) {
		cfg := fastConfig(Parallel, 40*time.Millisecond, Page{HTML: 1000, Objects: objects(8, 5000)})
		cfg.Server.KeepAliveTimeout = 5 * time.Second
		res := mustRun(t, cfg, 1)
		check(t, res.Metrics, res.Metrics.PLT)
	})
	t.Run("populations", func(t *testing.T) {
		cfg := popConfig(Population{Name: "web", Count: 10, Page: popPage(6, 10_000), Model: Model{Kind: Parallel}})
		cfg.Server.KeepAliveTimeout = 5 * time.Second
		res := Run(cfg, 1)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		check(t, res.Metrics, slices.Max(res.Metrics.ClientPLTs))
	})
}
