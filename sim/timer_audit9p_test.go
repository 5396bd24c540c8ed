package sim_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/connsim/connsim/sim"
)

// TestTimerArmedAndStoppedInOwnCallback covers what a Timer's callback may
// do to its own timer while it keeps its slot (the timer is running):
// arm it and stop it again, stop it unarmed, arm, stop and arm it again,
// arm it for the current instant. Each time the timer must end in the
// state the calls leave it in, fire only when armed, and never share a
// slot with a timer made afterwards: a slot given up both by Stop and
// again when the callback returns (were the running timer's Stop to free
// it) would be handed to two timers, or the second release would index
// the table with -1.
func TestTimerArmedAndStoppedInOwnCallback(t *testing.T) {
	s := sim.New(1)
	var log []string
	note := func(what string) { log = append(log, fmt.Sprintf("%s@%d", what, s.Now())) }

	var a, c, d, e *sim.Timer
	aFires := 0
	a = s.NewTimer(func() {
		aFires++
		note("a")
		switch aFires {
		case 1:
			a.ResetAt(s.Now() + 5)
			if !a.Stop() {
				t.Errorf("a.Stop after re-arming in its callback = false, want true")
			}
			if a.Pending() {
				t.Errorf("a pending after Stop in its callback")
			}
		case 2:
			if a.Stop() {
				t.Errorf("a.Stop in its callback, not re-armed = true, want false")
			}
		case 3:
			a.ResetAt(s.Now() + 5)
			a.Stop()
			a.ResetAt(s.Now() + 7)
			if !a.Pending() || a.When() != s.Now()+7 {
				t.Errorf("a after re-arm, stop, re-arm: Pending %v When %v, want true %v", a.Pending(), a.When(), s.Now()+7)
			}
		case 4:
			s.At(s.Now(), func() { note("x") })
			a.ResetAt(s.Now()) // again at this instant, after x
		}
	})
	// c and d are made after a's slot may have been given up twice; each
	// must run its own callback at its own time.
	a.ResetAt(10)
	s.At(11, func() {
		c = s.NewTimer(func() { note("c") })
		d = s.NewTimer(func() { note("d") })
		e = s.NewTimer(func() { note("e") })
		c.ResetAt(20)
		d.ResetAt(21)
		a.ResetAt(30)
		e.ResetAt(22)
	})
	s.Run()
	want := []string{"a@10", "c@20", "d@21", "e@22", "a@30"}
	if !slices.Equal(log, want) {
		t.Fatalf("after stopping itself: fired %v, want %v", log, want)
	}
	log = nil
	a.ResetAt(s.Now() + 10) // third firing: arm, stop, arm
	s.Run()
	want = []string{"a@40", "a@47", "x@47", "a@47"}
	if !slices.Equal(log, want) {
		t.Fatalf("re-armed in its callback: fired %v, want %v", log, want)
	}
	if a.Pending() || c.Pending() || d.Pending() || e.Pending() || s.Pending() != 0 {
		t.Fatalf("timers still pending after Run: a %v c %v d %v e %v, Pending %d", a.Pending(), c.Pending(), d.Pending(), e.Pending(), s.Pending())
	}
	// The slots must still be distinct: arm all four at one instant and
	// stop two; the other two run, in arming order.
	log = nil
	now := s.Now()
	e.ResetAt(now + 1)
	a.ResetAt(now + 1)
	c.ResetAt(now + 1)
	d.ResetAt(now + 1)
	c.Stop()
	e.Stop()
	s.Run()
	want = []string{fmt.Sprintf("a@%d", now+1), fmt.Sprintf("d@%d", now+1)}
	if !slices.Equal(log, want) {
		t.Fatalf("four timers at one instant, two stopped: fired %v, want %v", log, want)
	}
}

// TestTimerStopsAnotherAtSameInstant: a Timer's callback stops, and
// another re-arms, a timer due at the same instant (in bucket 0, which
// keeps sequence order), and the re-armed one runs after everything
// already queued for that instant.
func TestTimerStopsAnotherAtSameInstant(t *testing.T) {
	s := sim.New(1)
	var log []string
	note := func(what string) { log = append(log, fmt.Sprintf("%s@%d", what, s.Now())) }
	var a, b, c *sim.Timer
	a = s.NewTimer(func() {
		note("a")
		b.Stop()
		c.ResetAt(s.Now()) // same instant as before: moves behind y
	})
	b = s.NewTimer(func() { note("b") })
	c = s.NewTimer(func() { note("c") })
	a.ResetAt(5)
	b.ResetAt(5)
	c.ResetAt(5)
	s.At(5, func() { note("y") })
	s.Run()
	want := []string{"a@5", "y@5", "c@5"}
	if !slices.Equal(log, want) {
		t.Fatalf("fired %v, want %v", log, want)
	}
}
