package sim_test

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// schedule runs a fixed pattern of one-shot events and timers, some still
// queued when it returns, and reports the order they ran in.
func schedule(s *sim.Scheduler) []int {
	var order []int
	for i := range 50 {
		d := time.Duration((i*7919)%97) * time.Millisecond
		s.After(d, func() { order = append(order, i) })
	}
	tm := s.NewTimer(func() { order = append(order, -1) })
	tm.Reset(40 * time.Millisecond)
	s.After(30*time.Millisecond, func() { tm.Reset(5 * time.Millisecond) })
	s.RunUntil(sim.Time(60 * time.Millisecond))
	return order
}

// TestReleasedSchedulerIsLikeNew: a scheduler released with events still
// queued and taken again by New starts at time 0 with an empty queue and
// runs the same events in the same order as a fresh one.
func TestReleasedSchedulerIsLikeNew(t *testing.T) {
	fresh := schedule(sim.New(3))
	for round := range 5 {
		s := sim.New(3)
		if s.Now() != 0 || s.Pending() != 0 || s.Events() != 0 || s.Seed() != 3 || s.Stopped() {
			t.Fatalf("round %d: New returned a used scheduler: now %v, pending %d, events %d, seed %d",
				round, s.Now(), s.Pending(), s.Events(), s.Seed())
		}
		got := schedule(s)
		if len(got) != len(fresh) {
			t.Fatalf("round %d: %d events ran, a fresh scheduler ran %d", round, len(got), len(fresh))
		}
		for i := range got {
			if got[i] != fresh[i] {
				t.Fatalf("round %d: event %d is %d, a fresh scheduler's is %d", round, i, got[i], fresh[i])
			}
		}
		if s.Pending() == 0 {
			t.Fatal("the pattern should leave events queued, to test that Release drops them")
		}
		s.Stop()
		s.Release()
	}
}
