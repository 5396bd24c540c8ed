package sim

import (
	"runtime"
	"testing"
)

// TestShortQueueModeSwitch checks the queue's two forms as the package
// documents them (20e7953, 15cd7d9): up to shortCap events are a sorted
// array, the 17th moves them all into the radix heap with the base at
// Now, the heap holds the queue until it is empty, and the next event
// starts a short queue again; a scheduler whose queue never outgrew the
// array has not allocated the radix buckets. These are what the two
// commits buy (a cheaper take for a handful of events, 2 KB less per
// short run) and are invisible in the order of events, which the model
// tests check.
func TestShortQueueModeSwitch(t *testing.T) {
	// Empty the pool of released schedulers (a sync.Pool is cleared by
	// two collections), so that New builds a fresh one.
	runtime.GC()
	runtime.GC()
	s := New(1)
	if s.buckets[0] != nil {
		t.Fatalf("a new scheduler has radix buckets")
	}
	nop := func() {}
	tm := s.NewTimer(nop)

	// A first heap phase, at time 0, leaves the base at an event's time.
	fill := func(n int) {
		for i := range n {
			s.At(s.Now()+Time(i%5)*100, nop)
		}
	}
	fill(shortCap)
	if s.radix || s.nshort != shortCap || s.buckets[0] != nil {
		t.Fatalf("%d events: radix %v, %d in the short queue, buckets allocated %v; want a full short queue and no buckets",
			shortCap, s.radix, s.nshort, s.buckets[0] != nil)
	}
	s.Step()
	tm.ResetAt(s.Now() + 250) // the 16th again: still short
	if s.radix {
		t.Fatalf("%d events: in the radix heap", s.Pending())
	}
	s.At(s.Now()+50, nop) // the 17th
	if !s.radix || s.nshort != 0 || s.base != s.Now() {
		t.Fatalf("%d events: radix %v, %d in the short queue, base %d at Now %d; want the radix heap based at Now",
			s.Pending(), s.radix, s.nshort, s.base, s.Now())
	}
	// Every bucket starts with room, carved out of one array (makeBuckets).
	for k, b := range s.buckets {
		if cap(b) < initialBucketCap {
			t.Fatalf("in the radix heap, bucket %d has room for %d entries, want %d", k, cap(b), initialBucketCap)
		}
	}
	// Down to one event: still the heap.
	for s.Pending() > 1 {
		s.Step()
		if !s.radix {
			t.Fatalf("%d events left: back in the short queue before the heap emptied", s.Pending())
		}
	}
	s.At(s.Now()+7, nop)
	if !s.radix {
		t.Fatalf("an event added to a non-empty heap went to the short queue")
	}
	s.Run()

	// Empty: the next event starts a short queue.
	s.RunUntil(s.Now() + 1000)
	s.At(s.Now()+3, nop)
	if s.radix || s.nshort != 1 {
		t.Fatalf("first event after the heap emptied: radix %v, %d in the short queue", s.radix, s.nshort)
	}
	// A second heap phase, later: based at the new Now, not where the
	// first left its base.
	fill(shortCap)
	if !s.radix || s.base != s.Now() {
		t.Fatalf("second heap phase: radix %v, base %d at Now %d", s.radix, s.base, s.Now())
	}
	// A timer stopped in the heap, down to empty, and the queue is short
	// again.
	tm.ResetAt(s.Now() + 1)
	tm.Stop()
	s.Run()
	tm.ResetAt(s.Now() + 1)
	if s.radix || s.nshort != 1 {
		t.Fatalf("after the heap drained: radix %v, %d in the short queue", s.radix, s.nshort)
	}
}
