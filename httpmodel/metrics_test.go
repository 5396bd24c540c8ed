package httpmodel

import (
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
