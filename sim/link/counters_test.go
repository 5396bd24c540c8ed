package link

import (
	"fmt"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// TestAsymmetricLink: each direction of a duplex link has its own rate
// and delay (Network.Connect takes one Config per direction). A packet
// sent on an idle pipe arrives after its serialization at that
// direction's rate plus that direction's delay; the rows swap and vary
// the two, so a pipe that took the other direction's settings fails.
func TestAsymmetricLink(t *testing.T) {
	tests := []struct {
		ab, ba Config
	}{
		{Config{Rate: 1 * Mbps, Delay: 5 * time.Millisecond}, Config{Rate: 10 * Mbps, Delay: 20 * time.Millisecond}},
		{Config{Rate: 10 * Mbps, Delay: 20 * time.Millisecond}, Config{Rate: 1 * Mbps, Delay: 5 * time.Millisecond}},
		{Config{Rate: 100 * Mbps, Delay: 0}, Config{Rate: 0, Delay: 300 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v,%v/%v,%v", tt.ab.Rate, tt.ab.Delay, tt.ba.Rate, tt.ba.Delay), func(t *testing.T) {
			s := sim.New(1)
			n := New(s)
			a, b := n.AddNode("a"), n.AddNode("b")
			ab, ba := n.Connect(a, b, tt.ab, tt.ba)
			if ab.From() != a || ab.To() != b || ba.From() != b || ba.To() != a {
				t.Fatalf("pipes join the wrong nodes")
			}
			if ab.Config().Rate != tt.ab.Rate || ba.Config().Delay != tt.ba.Delay {
				t.Fatalf("pipe configs swapped")
			}
			ka, kb := &sink{s: s}, &sink{s: s}
			a.SetReceiver(ka)
			b.SetReceiver(kb)
			const size = 1500
			a.Send(Packet{Dst: b.ID, Size: size})
			b.Send(Packet{Dst: a.ID, Size: size})
			s.Run()
			if len(kb.got) != 1 || len(ka.got) != 1 {
				t.Fatalf("delivered %d to b and %d to a, want 1 each", len(kb.got), len(ka.got))
			}
			if got, want := kb.when[0], sim.Time(tt.ab.Rate.TxTime(size)+tt.ab.Delay); got != want {
				t.Errorf("a->b arrival at %v, want %v (a->b rate and delay)", got, want)
			}
			if got, want := ka.when[0], sim.Time(tt.ba.Rate.TxTime(size)+tt.ba.Delay); got != want {
				t.Errorf("b->a arrival at %v, want %v (b->a rate and delay)", got, want)
			}
		})
	}
}

// TestQueueCounters pins a pipe's counters on a scripted burst. Packets
// of 1000, 500, 1500, 200 and 800 bytes are handed to an idle 1 Mbit/s
// pipe at t = 0, and one of 600 bytes at t = 9 ms. The first goes into
// service at once (the packet being serialized is not queued); the others
// wait. Serialization takes 8 us a byte: the 1000-byte packet leaves the
// wire at 8 ms, and the 500-byte one is in service from 8 to 12 ms, so at
// 9 ms the queue holds 1500 + 200 + 800 (unlimited) or 1500 (with a
// 2100-byte limit, which took 500 + 1500 = 2000 and tail-dropped 200 and
// 800: 2200 and 2800 would not fit). The pipe has no propagation delay,
// so packets arrive as their serialization ends, back to back.
//   - unlimited: queued bytes after each arrival 500, 2000, 2200, 3000
//     (4 packets), then 2500 + 600 = 3100 (4 packets again): high-water
//     3100 bytes, 4 packets; all 6 serialized, 4600 bytes.
//   - QueueBytes 2100: 500, 2000, drop, drop, then 1500 + 600 = 2100,
//     which fits exactly: high-water 2100 bytes, 2 packets; 4
//     serialized, 3600 bytes; 2 queue drops.
//   - QueuePackets 2: 500, 2000 (2 packets), drop, drop, then 1500 + 600
//     (2 packets again): high-water 2100 bytes, 2 packets; the same.
//
// Network.Stats sums the pipes (the idle reverse pipe adds nothing).
func TestQueueCounters(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		maxBytes   int64
		maxPackets int
		packets    int64
		bytes      int64
		queueDrops int64
		arrivals   []float64 // ms
	}{
		{"unlimited", Config{Rate: Mbps}, 3100, 4, 6, 4600, 0, []float64{8, 12, 24, 25.6, 32, 36.8}},
		{"bytes", Config{Rate: Mbps, QueueBytes: 2100}, 2100, 2, 4, 3600, 2, []float64{8, 12, 24, 28.8}},
		{"packets", Config{Rate: Mbps, QueuePackets: 2}, 2100, 2, 4, 3600, 2, []float64{8, 12, 24, 28.8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, a, b, ab, k := twoNodes(tt.cfg)
			for i, size := range []int32{1000, 500, 1500, 200, 800} {
				a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: size})
			}
			s.At(sim.Time(9*time.Millisecond), func() { a.Send(Packet{Dst: b.ID, Seq: 5, Size: 600}) })
			s.Run()
			st := ab.Stats()
			if st.MaxQueueBytes != tt.maxBytes || st.MaxQueuePackets != tt.maxPackets {
				t.Errorf("high-water mark %d bytes, %d packets; want %d, %d", st.MaxQueueBytes, st.MaxQueuePackets, tt.maxBytes, tt.maxPackets)
			}
			if st.Packets != tt.packets || st.Bytes != tt.bytes || st.Delivered != tt.packets || st.QueueDrops != tt.queueDrops || st.LossDrops != 0 {
				t.Errorf("serialized %d packets, %d bytes; delivered %d; drops %d queue, %d loss; want %d, %d, %d, %d, 0",
					st.Packets, st.Bytes, st.Delivered, st.QueueDrops, st.LossDrops, tt.packets, tt.bytes, tt.packets, tt.queueDrops)
			}
			var got []float64
			for _, w := range k.when {
				got = append(got, w.Milliseconds())
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.arrivals) {
				t.Errorf("arrivals at %v ms, want %v (back to back, no delay)", got, tt.arrivals)
			}
			if qb, qp := ab.QueueLen(); qb != 0 || qp != 0 {
				t.Errorf("queue holds %d bytes, %d packets at the end; want empty", qb, qp)
			}
			if ns := a.Network().Stats(); ns.Bytes != tt.bytes || ns.Packets != tt.packets || ns.MaxQueueBytes != tt.maxBytes {
				t.Errorf("network stats %+v, want the pipe's", ns)
			}
		})
	}
}
