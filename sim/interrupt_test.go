package sim_test

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// TestInterruptStopsBetweenEvents: a set interrupt flag stops Run within
// 1024 events and Interrupted says so; an unset flag changes nothing (the
// same events run as without one), and Stop alone is not an interrupt.
func TestInterruptStopsBetweenEvents(t *testing.T) {
	chain := func(s *sim.Scheduler, n int, onEvent func(i int)) {
		i := 0
		var f func()
		f = func() {
			i++
			if onEvent != nil {
				onEvent(i)
			}
			if i < n {
				s.After(1, f)
			}
		}
		s.After(1, f)
	}

	var flag atomic.Bool
	s := sim.New(1)
	s.SetInterrupt(&flag)
	chain(s, 100_000, func(i int) {
		if i == 5000 {
			flag.Store(true) // as a signal handler would, from anywhere
		}
	})
	s.Run()
	if !s.Interrupted() || !s.Stopped() {
		t.Fatalf("Interrupted %v, Stopped %v; want both", s.Interrupted(), s.Stopped())
	}
	if n := s.Events(); n < 5000 || n > 5000+1024 {
		t.Errorf("ran %d events after the flag was set at 5000; want at most 1024 more", n)
	}
	if s.Step() {
		t.Errorf("Step ran an event after the interrupt")
	}

	var unset atomic.Bool
	a, b := sim.New(1), sim.New(1)
	a.SetInterrupt(&unset)
	chain(a, 10_000, nil)
	chain(b, 10_000, nil)
	a.Run()
	b.Run()
	if a.Interrupted() || a.Events() != b.Events() || a.Now() != b.Now() {
		t.Errorf("unset flag: interrupted %v, %d events at %v; without a flag %d at %v",
			a.Interrupted(), a.Events(), a.Now(), b.Events(), b.Now())
	}

	// Set before the first event: nothing runs.
	var set atomic.Bool
	set.Store(true)
	c := sim.New(1)
	c.SetInterrupt(&set)
	chain(c, 10, nil)
	c.RunUntil(100)
	if c.Events() != 0 || !c.Interrupted() {
		t.Errorf("flag set before the run: %d events, interrupted %v; want 0 and true", c.Events(), c.Interrupted())
	}

	d := sim.New(1)
	d.Stop()
	if d.Interrupted() {
		t.Errorf("Stop alone reports Interrupted")
	}
}

// BenchmarkSchedulerHoldInterruptible is BenchmarkSchedulerHold with an
// interrupt flag set (never true), as every run of connsim run has: the
// cost of the stop check on the hot path.
func BenchmarkSchedulerHoldInterruptible(b *testing.B) {
	s := sim.New(1)
	var flag atomic.Bool
	s.SetInterrupt(&flag)
	rng := rand.New(rand.NewPCG(1, 2))
	const maxIncrement = int64(2 * time.Millisecond)
	var hold func()
	hold = func() {
		s.After(time.Duration(1+rng.Int64N(maxIncrement)), hold)
	}
	for range 10_000 {
		s.After(time.Duration(rng.Int64N(maxIncrement)), hold)
	}
	for range 10_000 {
		s.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.Step()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
