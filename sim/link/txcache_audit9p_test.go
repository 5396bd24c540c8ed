package link

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// TestSerializationTimePerPacketSize sends packets of changing sizes
// back to back, the first of size 0 (a pipe's cached serialization time
// starts empty, not at size 0's), and checks that each takes its own
// size's serialization time: a pipe keeps the time of the last size it
// saw and must compute it again whenever the size changes.
func TestSerializationTimePerPacketSize(t *testing.T) {
	const rate, delay = 10 * Mbps, 5 * time.Millisecond
	s, a, b, _, k := twoNodes(Config{Rate: rate, Delay: delay})
	sizes := []int32{0, 40, 1500, 1500, 40, 0, 0, 1500, 576}
	for i, size := range sizes {
		a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: size})
	}
	s.Run()
	if len(k.got) != len(sizes) {
		t.Fatalf("delivered %d packets, want %d", len(k.got), len(sizes))
	}
	var done time.Duration
	for i, size := range sizes {
		done += rate.TxTime(int64(size))
		if want := sim.Time(0).Add(done + delay); k.when[i] != want || k.got[i].Seq != int64(i) {
			t.Errorf("packet %d (%d bytes): seq %d at %v, want seq %d at %v", i, size, k.got[i].Seq, k.when[i], i, want)
		}
	}
}
