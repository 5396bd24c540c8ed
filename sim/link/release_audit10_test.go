package link

import (
	"testing"
	"time"
)

// TestReleaseEmptiesEveryFIFO (audit of issue 10): Release hands back the
// blocks of every pipe's queue and of its packets in flight, so that no
// pipe of the released network holds a block the next network may be
// given: after it every queue and every flight FIFO is empty, in both
// directions. TestReleasedBlocksAreReused looked at one queue only; no
// test caught Release leaving the packets in flight (and their blocks)
// on the pipes.
func TestReleaseEmptiesEveryFIFO(t *testing.T) {
	cfg := Config{Rate: 10 * Mbps, Delay: 20 * time.Millisecond, QueuePackets: 100}
	s, a, b, _, _ := twoNodes(cfg)
	b.SetReceiver(&sink{s: s})
	a.SetReceiver(&sink{s: s})
	for i := range 40 {
		a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 1500})
		b.Send(Packet{Dst: a.ID, Seq: int64(i), Size: 1500})
	}
	s.RunUntil(s.Now().Add(30 * time.Millisecond))
	n := a.net
	for _, p := range n.pipes {
		if p.inFlight() == 0 || p.nwait == 0 {
			t.Fatal("the test needs packets queued and in flight on both pipes at the release")
		}
	}
	n.Release()
	for i, p := range n.pipes {
		if p.line.Len() != 0 || p.nwait != 0 || p.inFlight() != 0 || p.line.head != nil {
			t.Errorf("pipe %d still holds %d packets (%d queued, %d flying) after Release", i, p.line.Len(), p.nwait, p.inFlight())
		}
	}
	s.Release()
}
