package sim_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/connsim/connsim/sim"
)

// TestResetSameInstantAfterHeapPhase: a timer reset to the instant it is
// queued at takes a new sequence number and runs after the events queued
// meanwhile at that instant. Here the timer's slot last held an entry in
// a radix bucket above 0 (the queue had outgrown the short array); now the
// queue is short again and that old place must not count.
func TestResetSameInstantAfterHeapPhase(t *testing.T) {
	s := sim.New(1)
	var log []string
	tm := s.NewTimer(func() { log = append(log, "timer") })
	for i := range 17 {
		s.At(50, func() { log = append(log, fmt.Sprint("fill", i)) })
	}
	tm.ResetAt(100) // in the radix heap, in a bucket above 0
	tm.Stop()
	s.Run()
	log = log[:0]

	tm.ResetAt(200) // the queue is short again; the timer gets its old slot back
	s.At(200, func() { log = append(log, "event") })
	tm.ResetAt(200) // new sequence number: after the event
	s.Run()
	if want := []string{"event", "timer"}; !slices.Equal(log, want) {
		t.Fatalf("ran %v, want %v", log, want)
	}
}

// TestSchedulerMatchesModelAcrossModes drives a scheduler and the naive
// model of fuzz_test.go with random operations whose queue length swings
// across the short queue's capacity (16) and down to empty, again and
// again: one-shot events with many ties, self-re-arming timers, timers
// reset later, earlier and to the same instant, stopped, RunUntil and
// Step; between rounds the scheduler is released with events still
// queued (in either mode) and a new one taken, maybe the same. After
// every operation the firing order, Now, Pending, Events and each
// timer's Pending and When must agree.
func TestSchedulerMatchesModelAcrossModes(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 17))
	rounds := 300
	if testing.Short() {
		rounds = 60
	}
	var crossings, emptied, releasedBig, releasedSmall int
	for round := range rounds {
		sub := &subject{s: sim.New(uint64(round))}
		m := &model{}
		ntimers := 1 + r.IntN(maxTimers)
		for range ntimers {
			sp := timerSpec{rearm: r.IntN(2) == 0, every: sim.Time(r.IntN(16))}
			sub.newTimer(sp)
			m.timers = append(m.timers, sp)
			m.fires = append(m.fires, 0)
		}
		delta := func() sim.Time {
			switch x := r.IntN(20); {
			case x < 14:
				return sim.Time(r.IntN(8))
			case x < 18:
				return sim.Time(r.IntN(5000))
			default:
				return sim.Time(r.Int64N(1 << 40))
			}
		}
		checked := 0
		check := func(op int, desc string) {
			t.Helper()
			if !slices.Equal(sub.log[checked:], m.log[checked:]) || len(sub.log) != len(m.log) {
				t.Fatalf("round %d op %d (%s): firing order differs\nscheduler %v\n    model %v", round, op, desc, sub.log[checked:], m.log[checked:])
			}
			checked = len(sub.log)
			if sub.s.Now() != m.now || sub.s.Pending() != len(m.q) || sub.s.Events() != uint64(len(m.log)) {
				t.Fatalf("round %d op %d (%s): Now %d Pending %d Events %d, want %d %d %d", round, op, desc,
					sub.s.Now(), sub.s.Pending(), sub.s.Events(), m.now, len(m.q), len(m.log))
			}
			for k, tm := range sub.timers {
				i := m.timerIndex(k)
				if tm.Pending() != (i >= 0) || i >= 0 && tm.When() != m.q[i].at {
					t.Fatalf("round %d op %d (%s): timer %d Pending %v When %d; model index %d", round, op, desc, k, tm.Pending(), tm.When(), i)
				}
			}
		}
		grow := true
		prev := 0
		target := 17 + r.IntN(20)
		nops := 50 + r.IntN(400)
		for op := range nops {
			var desc string
			if grow && len(m.q) >= target {
				grow = false
			} else if !grow && len(m.q) == 0 {
				grow, target = true, 10+r.IntN(30)
			}
			x := r.IntN(10)
			switch {
			case grow && x < 5 || !grow && x == 0:
				at := m.now + delta()
				desc = fmt.Sprintf("At(%d)", at)
				sub.at(at, false, 0)
				m.at(at, false, 0)
			case x < 8:
				k := r.IntN(ntimers)
				var at sim.Time
				switch y := r.IntN(4); {
				case y == 0 && sub.timers[k].Pending():
					at = sub.timers[k].When() // the same instant
				case y == 1 && sub.timers[k].Pending():
					at = m.now + (sub.timers[k].When()-m.now)/2 // earlier
				case y == 2:
					k2 := r.IntN(ntimers) // another timer's instant
					at = m.now
					if sub.timers[k2].Pending() {
						at = sub.timers[k2].When()
					}
				default:
					at = m.now + delta()
				}
				if r.IntN(5) == 0 {
					desc = fmt.Sprintf("timer %d Stop", k)
					if got, want := sub.timers[k].Stop(), m.stop(k); got != want {
						t.Fatalf("round %d op %d (%s): Stop %v, want %v", round, op, desc, got, want)
					}
				} else {
					desc = fmt.Sprintf("timer %d ResetAt(%d)", k, at)
					sub.timers[k].ResetAt(at)
					m.resetAt(k, at)
				}
			case x == 8 && !grow:
				until := m.now + delta()
				desc = fmt.Sprintf("RunUntil(%d)", until)
				sub.s.RunUntil(until)
				m.runUntil(until)
			default:
				desc = "Step"
				if got, want := sub.s.Step(), m.step(); got != want {
					t.Fatalf("round %d op %d (%s): Step %v, want %v", round, op, desc, got, want)
				}
			}
			check(op, desc)
			if prev <= 16 && len(m.q) > 16 {
				crossings++
			}
			if prev > 0 && len(m.q) == 0 {
				emptied++
			}
			prev = len(m.q)
		}
		if r.IntN(3) == 0 {
			sub.s.Run()
			for m.step() {
			}
			check(-1, "final Run")
		}
		if len(m.q) > 16 {
			releasedBig++
		} else if len(m.q) > 0 {
			releasedSmall++
		}
		sub.s.Release()
	}
	// The operations must have exercised what they are for.
	if crossings < rounds || emptied < rounds || releasedBig < 10 || releasedSmall < 10 {
		t.Fatalf("queue grew past 16 %d times, emptied %d times; released with >16 events %d times, with 1..16 %d times",
			crossings, emptied, releasedBig, releasedSmall)
	}
}
