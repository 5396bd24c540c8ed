package link

import (
	"testing"
	"time"
)

// TestReleasedBlocksAreReused: a network released with packets queued and
// in flight gives up its blocks, and the next network (which starts from
// them) delivers its packets as a fresh network does.
func TestReleasedBlocksAreReused(t *testing.T) {
	cfg := Config{Rate: 10 * Mbps, Delay: 20 * time.Millisecond, QueuePackets: 100}
	send := func() (*sink, *Network) {
		s, a, b, _, k := twoNodes(cfg)
		for i := range 40 {
			a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 1500})
		}
		s.RunUntil(s.Now().Add(30 * time.Millisecond)) // some delivered, some queued and in flight
		return k, a.net
	}
	k1, n1 := send()
	if n1.pipes[0].queue.Len() == 0 || n1.pipes[0].flight.Len() == 0 {
		t.Fatal("the test needs packets queued and in flight at the release")
	}
	n1.Release()
	n1.sched.Release()
	if n1.packets.free != nil || n1.flying.free != nil || n1.pipes[0].queue.Len() != 0 {
		t.Fatal("a released network still holds blocks")
	}
	k2, _ := send()
	if len(k2.got) != len(k1.got) {
		t.Fatalf("after a release %d packets arrived, on a fresh network %d", len(k2.got), len(k1.got))
	}
	for i := range k2.got {
		if k2.got[i] != k1.got[i] || k2.when[i] != k1.when[i] {
			t.Fatalf("packet %d differs after a release: %+v at %v against %+v at %v",
				i, k2.got[i], k2.when[i], k1.got[i], k1.when[i])
		}
	}
}

// TestPoolTakeBounds: take hands on at most max blocks, cut from the rest.
func TestPoolTakeBounds(t *testing.T) {
	var pl pool[int]
	for range 10 {
		pl.put(new(block[int]))
	}
	b := pl.take(4)
	n := 0
	for ; b != nil; b = b.next {
		n++
	}
	if n != 4 || pl.free != nil {
		t.Fatalf("take(4) of 10 blocks gave %d and left %v", n, pl.free)
	}
	if pl.take(4) != nil {
		t.Fatal("take of an empty pool is not nil")
	}
}
