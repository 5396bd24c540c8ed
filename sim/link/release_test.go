package link

import (
	"sync"
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
	if n1.pipes[0].inFlight() == 0 || n1.pipes[0].nwait == 0 {
		t.Fatal("the test needs packets queued and in flight at the release")
	}
	n1.Release()
	n1.sched.Release()
	if n1.flying.free != nil || n1.pipes[0].line.Len() != 0 {
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

// TestIdlePoolSpills: once no FIFO holds a block, a pool keeps its first
// free block and hands the others on to the shared pool as one chain; a
// pool that runs dry takes such a chain before allocating, and a network
// built on the spilled blocks delivers what a fresh one does.
func TestIdlePoolSpills(t *testing.T) {
	var shared sync.Pool
	pl := pool[int]{shared: &shared}
	var q, r fifo[int]
	for i := range 3 * blockLen {
		q.push(&pl, i)
		r.push(&pl, i)
	}
	if pl.out != 6 {
		t.Fatalf("%d blocks out, want 6", pl.out)
	}
	for q.Len() > 0 {
		q.discard(&pl)
	}
	if pl.free == nil || pl.free.next == nil {
		t.Fatal("a pool whose blocks are still partly in use spilled")
	}
	for r.Len() > 0 {
		r.discard(&pl)
	}
	if pl.out != 0 || pl.free == nil || pl.free.next != nil {
		t.Fatalf("idle pool: %d out, free %v; want 0 out and one block kept", pl.out, pl.free)
	}
	kept := pl.free
	b, _ := shared.Get().(*block[int])
	n := 0
	for c := b; c != nil; c = c.next {
		if c == kept {
			t.Fatal("the kept block was spilled too")
		}
		n++
	}
	if b != nil && n != 5 { // the race detector's sync.Pool may drop a Put
		t.Fatalf("spilled a chain of %d blocks, want 5", n)
	}
	if b != nil {
		shared.Put(b)
		var dry pool[int]
		dry.shared = &shared
		if got := dry.get(); got != b && !raceEnabled {
			t.Fatal("a dry pool allocated instead of taking the spilled chain")
		}
	}

	// Whole networks: the second starts from blocks the first spilled.
	send := func() *sink {
		s, a, b, _, k := twoNodes(Config{Rate: 10 * Mbps, Delay: 20 * time.Millisecond, QueuePackets: 100})
		for i := range 40 {
			a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 1500})
		}
		s.Run()
		if a.net.flying.out != 0 {
			t.Fatalf("a quiet network has %d blocks out", a.net.flying.out)
		}
		return k
	}
	k1, k2 := send(), send()
	if len(k1.got) != 40 || len(k2.got) != 40 {
		t.Fatalf("delivered %d and %d packets, want 40", len(k1.got), len(k2.got))
	}
	for i := range k2.got {
		if k2.got[i] != k1.got[i] || k2.when[i] != k1.when[i] {
			t.Fatalf("packet %d differs on the second network: %+v at %v against %+v at %v",
				i, k2.got[i], k2.when[i], k1.got[i], k1.when[i])
		}
	}
}
