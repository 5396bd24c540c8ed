package httpmodel

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// BenchmarkPageLoad loads one page of 1 HTML and 40 objects of 10 KB
// over one persistent connection on a 10 Mbit/s, 50 ms path: the cost of
// one typical run. Target: at least 2,000 loads/s on one core.
func BenchmarkPageLoad(b *testing.B) {
	cfg := Config{
		ResponseHeaderBytes: 300, // 0 would be none
		Network:             Network{RTT: 50 * time.Millisecond, Bandwidth: 10 * link.Mbps},
		TCP:                 tcp.DefaultConfig(),
		Page:                Page{HTML: 10_000, Objects: make([]Object, 40)},
		Model:               Model{Kind: Persistent},
	}
	for i := range cfg.Page.Objects {
		cfg.Page.Objects[i].Size = 10_000
	}
	b.ReportAllocs()
	var events uint64
	for b.Loop() {
		res := Run(cfg, 1)
		if res.Err != nil || res.Metrics.Failed != 0 {
			b.Fatalf("run failed: err=%v failed=%d", res.Err, res.Metrics.Failed)
		}
		events = res.Metrics.Events
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "loads/s")
	b.ReportMetric(float64(events), "events/load")
}

// BenchmarkSmallPageLoad loads a page of a 10 KB HTML and two 5 KB
// objects over one persistent connection on a 20 ms path: one run of a
// large sweep, where setting up and tearing down the world weighs as
// much as the events.
func BenchmarkSmallPageLoad(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Network = Network{RTT: 20 * time.Millisecond, Bandwidth: 10 * link.Mbps}
	cfg.Page = Page{HTML: 10_000, Objects: []Object{{Size: 5_000}, {Size: 5_000}}}
	cfg.Model = Model{Kind: Persistent}
	b.ReportAllocs()
	for b.Loop() {
		res := Run(cfg, 1)
		if res.Err != nil || res.Metrics.Failed != 0 {
			b.Fatalf("run failed: err=%v failed=%d", res.Err, res.Metrics.Failed)
		}
	}
}
