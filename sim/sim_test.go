package sim_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// ms converts a count of milliseconds to a sim.Time.
func ms(n int64) sim.Time { return sim.Time(n * int64(time.Millisecond)) }

// firing is one entry of a firing log: which callback ran, and when.
type firing struct {
	name string
	at   sim.Time
}

func (f firing) String() string { return fmt.Sprintf("%s@%v", f.name, f.at) }

// logger records callbacks in the order the scheduler runs them.
type logger struct {
	s   *sim.Scheduler
	got []firing
}

// fn returns a callback that appends name and the current time to the log.
func (l *logger) fn(name string) func() {
	return func() { l.got = append(l.got, firing{name, l.s.Now()}) }
}

// checkLog fails the test if the log differs from want.
func checkLog(t *testing.T, got, want []firing) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("firing order:\n got %v\nwant %v", got, want)
	}
}

// TestFIFOAtSameInstant schedules several events for one instant through
// At, After and Defer, in an order that differs from their names, and
// checks that events at equal times run in the order they were scheduled,
// whatever the queue layout.
func TestFIFOAtSameInstant(t *testing.T) {
	tests := []struct {
		name     string
		schedule func(s *sim.Scheduler, l *logger)
		want     []firing
	}{
		{
			name: "At only",
			schedule: func(s *sim.Scheduler, l *logger) {
				for _, n := range []string{"e", "b", "d", "a", "c"} {
					s.At(ms(5), l.fn(n))
				}
			},
			want: []firing{{"e", ms(5)}, {"b", ms(5)}, {"d", ms(5)}, {"a", ms(5)}, {"c", ms(5)}},
		},
		{
			name: "At and After mixed",
			schedule: func(s *sim.Scheduler, l *logger) {
				s.After(5*time.Millisecond, l.fn("1"))
				s.At(ms(9), l.fn("late"))
				s.At(ms(5), l.fn("2"))
				s.At(ms(1), l.fn("early"))
				s.After(5*time.Millisecond, l.fn("3"))
			},
			want: []firing{{"early", ms(1)}, {"1", ms(5)}, {"2", ms(5)}, {"3", ms(5)}, {"late", ms(9)}},
		},
		{
			name: "many ties interleaved with other times",
			schedule: func(s *sim.Scheduler, l *logger) {
				for i := range 100 {
					s.At(ms(int64(i%3)), l.fn(fmt.Sprint(i)))
				}
			},
			want: func() []firing {
				var w []firing
				for k := range 3 {
					for i := k; i < 100; i += 3 {
						w = append(w, firing{fmt.Sprint(i), ms(int64(k))})
					}
				}
				return w
			}(),
		},
		{
			name: "Defer runs after events already queued for now",
			schedule: func(s *sim.Scheduler, l *logger) {
				s.At(ms(2), func() {
					l.fn("first")()
					s.Defer(l.fn("deferred"))
					s.At(s.Now(), l.fn("at-now"))
				})
				s.At(ms(2), l.fn("second"))
				s.At(ms(3), l.fn("later"))
			},
			want: []firing{{"first", ms(2)}, {"second", ms(2)}, {"deferred", ms(2)}, {"at-now", ms(2)}, {"later", ms(3)}},
		},
		{
			name: "callback scheduling at its own instant goes last",
			schedule: func(s *sim.Scheduler, l *logger) {
				s.At(0, func() {
					l.fn("a")()
					s.After(0, l.fn("a-child"))
				})
				s.At(0, l.fn("b"))
				s.Defer(l.fn("c"))
			},
			want: []firing{{"a", 0}, {"b", 0}, {"c", 0}, {"a-child", 0}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.New(1)
			l := &logger{s: s}
			tc.schedule(s, l)
			s.Run()
			checkLog(t, l.got, tc.want)
		})
	}
}

// TestTimerResetGetsNewSeq checks that re-arming a timer gives it a new
// sequence number: a timer reset to the same instant as an event that is
// already queued runs after that event, even when the timer was armed
// (for that very instant or another) before the event was scheduled.
func TestTimerResetGetsNewSeq(t *testing.T) {
	tests := []struct {
		name string
		arm  func(s *sim.Scheduler, tm *sim.Timer, l *logger)
		want []firing
	}{
		{
			name: "armed earlier for another time, reset onto the event's instant",
			arm: func(s *sim.Scheduler, tm *sim.Timer, l *logger) {
				tm.ResetAt(ms(3))
				s.At(ms(10), l.fn("event"))
				tm.ResetAt(ms(10))
			},
			want: []firing{{"event", ms(10)}, {"timer", ms(10)}},
		},
		{
			name: "armed earlier for the same instant, reset to it again",
			arm: func(s *sim.Scheduler, tm *sim.Timer, l *logger) {
				tm.ResetAt(ms(10))
				s.At(ms(10), l.fn("event"))
				tm.ResetAt(ms(10))
			},
			want: []firing{{"event", ms(10)}, {"timer", ms(10)}},
		},
		{
			name: "armed later, pulled back onto the event's instant with Reset",
			arm: func(s *sim.Scheduler, tm *sim.Timer, l *logger) {
				tm.ResetAt(ms(50))
				s.After(10*time.Millisecond, l.fn("event"))
				tm.Reset(10 * time.Millisecond)
			},
			want: []firing{{"event", ms(10)}, {"timer", ms(10)}},
		},
		{
			name: "stopped and re-armed",
			arm: func(s *sim.Scheduler, tm *sim.Timer, l *logger) {
				tm.ResetAt(ms(10))
				s.At(ms(10), l.fn("event"))
				tm.Stop()
				tm.ResetAt(ms(10))
			},
			want: []firing{{"event", ms(10)}, {"timer", ms(10)}},
		},
		{
			name: "not reset: armed first, so runs first",
			arm: func(s *sim.Scheduler, tm *sim.Timer, l *logger) {
				tm.ResetAt(ms(10))
				s.At(ms(10), l.fn("event"))
			},
			want: []firing{{"timer", ms(10)}, {"event", ms(10)}},
		},
		{
			name: "reset between two events at the same instant",
			arm: func(s *sim.Scheduler, tm *sim.Timer, l *logger) {
				tm.ResetAt(ms(1))
				s.At(ms(10), l.fn("event1"))
				tm.ResetAt(ms(10))
				s.At(ms(10), l.fn("event2"))
			},
			want: []firing{{"event1", ms(10)}, {"timer", ms(10)}, {"event2", ms(10)}},
		},
		{
			name: "reset from a callback at the timer's instant",
			arm: func(s *sim.Scheduler, tm *sim.Timer, l *logger) {
				tm.ResetAt(ms(10))
				s.At(ms(10), l.fn("event1"))
				s.At(ms(5), func() { tm.ResetAt(ms(10)) })
				s.At(ms(10), l.fn("event2"))
			},
			want: []firing{{"event1", ms(10)}, {"event2", ms(10)}, {"timer", ms(10)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.New(1)
			l := &logger{s: s}
			tm := s.NewTimer(l.fn("timer"))
			tc.arm(s, tm, l)
			s.Run()
			checkLog(t, l.got, tc.want)
		})
	}
}

// TestTimerStopAndRearm walks one timer through its life: a new timer is
// stopped; Reset arms it (Pending, When); Stop disarms it and reports
// whether it was armed; a stopped timer never fires; a re-armed one fires
// exactly once at its last deadline; and a timer can re-arm itself from
// its own callback, as a periodic timer does.
func TestTimerStopAndRearm(t *testing.T) {
	s := sim.New(1)
	l := &logger{s: s}
	tm := s.NewTimer(l.fn("timer"))

	if tm.Pending() {
		t.Fatalf("new timer: Pending() = true, want false")
	}
	if got := tm.Stop(); got {
		t.Fatalf("Stop on a new timer = true, want false")
	}

	tm.Reset(5 * time.Millisecond)
	if !tm.Pending() {
		t.Fatalf("after Reset: Pending() = false, want true")
	}
	if got, want := tm.When(), ms(5); got != want {
		t.Fatalf("After Reset(5ms): When() = %v, want %v", got, want)
	}
	if got, want := s.Pending(), 1; got != want {
		t.Fatalf("scheduler Pending() = %d, want %d", got, want)
	}
	if got := tm.Stop(); !got {
		t.Fatalf("Stop on an armed timer = false, want true")
	}
	if tm.Pending() {
		t.Fatalf("after Stop: Pending() = true, want false")
	}
	if got := tm.Stop(); got {
		t.Fatalf("second Stop = true, want false")
	}
	if got, want := s.Pending(), 0; got != want {
		t.Fatalf("scheduler Pending() after Stop = %d, want %d", got, want)
	}
	s.Run()
	checkLog(t, l.got, nil)

	// Re-arm several times; only the last deadline counts.
	tm.Reset(7 * time.Millisecond)
	tm.Reset(3 * time.Millisecond)
	tm.ResetAt(ms(4))
	if got, want := s.Pending(), 1; got != want {
		t.Fatalf("scheduler Pending() after three resets = %d, want %d", got, want)
	}
	s.Run()
	checkLog(t, l.got, []firing{{"timer", ms(4)}})
	if tm.Pending() {
		t.Fatalf("after firing: Pending() = true, want false")
	}
	if got := tm.Stop(); got {
		t.Fatalf("Stop after firing = true, want false")
	}

	// Stopped among other events: the others still run, in order.
	l.got = nil
	s.At(ms(6), l.fn("a"))
	tm.ResetAt(ms(6))
	s.At(ms(6), l.fn("b"))
	s.At(ms(5), func() { tm.Stop() })
	s.Run()
	checkLog(t, l.got, []firing{{"a", ms(6)}, {"b", ms(6)}})

	// Periodic: the callback re-arms its own timer.
	l.got = nil
	var periodic *sim.Timer
	n := 0
	periodic = s.NewTimer(func() {
		if periodic.Pending() {
			t.Errorf("inside its callback: Pending() = true, want false")
		}
		l.fn("tick")()
		if n++; n < 3 {
			periodic.Reset(10 * time.Millisecond)
		}
	})
	periodic.Reset(10 * time.Millisecond)
	s.Run()
	checkLog(t, l.got, []firing{{"tick", ms(16)}, {"tick", ms(26)}, {"tick", ms(36)}})
}

// TestRunUntilSetsNow checks that RunUntil(t) runs exactly the events at or
// before t (including ones those events schedule), leaves later events
// queued, and then sets Now to t; and that it never moves time backwards.
func TestRunUntilSetsNow(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(s *sim.Scheduler, l *logger)
		until       sim.Time
		wantNow     sim.Time
		wantFired   []firing
		wantPending int
	}{
		{
			name:    "empty queue",
			setup:   func(s *sim.Scheduler, l *logger) {},
			until:   ms(7),
			wantNow: ms(7),
		},
		{
			name: "events before, at and after t",
			setup: func(s *sim.Scheduler, l *logger) {
				s.At(ms(1), l.fn("before"))
				s.At(ms(5), l.fn("at"))
				s.At(ms(6), l.fn("after"))
			},
			until:       ms(5),
			wantNow:     ms(5),
			wantFired:   []firing{{"before", ms(1)}, {"at", ms(5)}},
			wantPending: 1,
		},
		{
			name: "last event before t",
			setup: func(s *sim.Scheduler, l *logger) {
				s.At(ms(2), l.fn("a"))
			},
			until:     ms(9),
			wantNow:   ms(9),
			wantFired: []firing{{"a", ms(2)}},
		},
		{
			name: "events scheduled by callbacks at or before t also run",
			setup: func(s *sim.Scheduler, l *logger) {
				s.At(ms(1), func() {
					l.fn("parent")()
					s.After(4*time.Millisecond, l.fn("child-at-t"))
					s.After(5*time.Millisecond, l.fn("child-after-t"))
				})
			},
			until:       ms(5),
			wantNow:     ms(5),
			wantFired:   []firing{{"parent", ms(1)}, {"child-at-t", ms(5)}},
			wantPending: 1,
		},
		{
			name: "timer at t fires, timer after t waits",
			setup: func(s *sim.Scheduler, l *logger) {
				s.NewTimer(l.fn("t1")).ResetAt(ms(3))
				s.NewTimer(l.fn("t2")).ResetAt(ms(4))
			},
			until:       ms(3),
			wantNow:     ms(3),
			wantFired:   []firing{{"t1", ms(3)}},
			wantPending: 1,
		},
		{
			name: "t before Now leaves Now alone",
			setup: func(s *sim.Scheduler, l *logger) {
				s.At(ms(8), l.fn("a"))
				s.Run()
				l.got = nil
				s.At(ms(9), l.fn("b"))
			},
			until:       ms(2),
			wantNow:     ms(8),
			wantPending: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.New(1)
			l := &logger{s: s}
			tc.setup(s, l)
			s.RunUntil(tc.until)
			if got := s.Now(); got != tc.wantNow {
				t.Errorf("Now() = %v, want %v", got, tc.wantNow)
			}
			if got := s.Pending(); got != tc.wantPending {
				t.Errorf("Pending() = %d, want %d", got, tc.wantPending)
			}
			checkLog(t, l.got, tc.wantFired)
		})
	}
}

// TestAtInPastPanics checks that scheduling into the past, with a negative
// delay, or re-arming a timer into the past is a programming error that
// panics with a message prefixed "sim: ", and that the boundary cases
// (exactly Now, zero delay) are accepted.
func TestAtInPastPanics(t *testing.T) {
	// setup returns a scheduler at Now = 10ms with a timer.
	setup := func() (*sim.Scheduler, *sim.Timer) {
		s := sim.New(1)
		s.RunUntil(ms(10))
		return s, s.NewTimer(func() {})
	}
	nop := func() {}
	tests := []struct {
		name      string
		call      func(s *sim.Scheduler, tm *sim.Timer)
		wantPanic string // "" means no panic; else a substring of the message
	}{
		{"At before Now", func(s *sim.Scheduler, _ *sim.Timer) { s.At(ms(9), nop) }, "sim: At("},
		{"At 1ns before Now", func(s *sim.Scheduler, _ *sim.Timer) { s.At(ms(10)-1, nop) }, "sim: At("},
		{"At negative time", func(s *sim.Scheduler, _ *sim.Timer) { s.At(-1, nop) }, "sim: At("},
		{"After negative", func(s *sim.Scheduler, _ *sim.Timer) { s.After(-time.Nanosecond, nop) }, "sim: After("},
		{"Timer.Reset negative", func(_ *sim.Scheduler, tm *sim.Timer) { tm.Reset(-time.Millisecond) }, "sim: Timer.Reset("},
		{"Timer.ResetAt before Now", func(_ *sim.Scheduler, tm *sim.Timer) { tm.ResetAt(ms(1)) }, "sim: Timer.ResetAt("},
		{"armed Timer.ResetAt before Now", func(_ *sim.Scheduler, tm *sim.Timer) {
			tm.ResetAt(ms(20))
			tm.ResetAt(ms(1))
		}, "sim: Timer.ResetAt("},
		{"At Now is fine", func(s *sim.Scheduler, _ *sim.Timer) { s.At(ms(10), nop) }, ""},
		{"After 0 is fine", func(s *sim.Scheduler, _ *sim.Timer) { s.After(0, nop) }, ""},
		{"Defer is fine", func(s *sim.Scheduler, _ *sim.Timer) { s.Defer(nop) }, ""},
		{"Timer.Reset 0 is fine", func(_ *sim.Scheduler, tm *sim.Timer) { tm.Reset(0) }, ""},
		{"Timer.ResetAt Now is fine", func(_ *sim.Scheduler, tm *sim.Timer) { tm.ResetAt(ms(10)) }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, tm := setup()
			got := func() (msg string) {
				defer func() {
					if r := recover(); r != nil {
						msg = fmt.Sprint(r)
						if msg == "" {
							msg = "(empty panic)"
						}
					}
				}()
				tc.call(s, tm)
				return ""
			}()
			switch {
			case tc.wantPanic == "" && got != "":
				t.Fatalf("panicked with %q, want no panic", got)
			case tc.wantPanic != "" && !strings.Contains(got, tc.wantPanic):
				t.Fatalf("panic = %q, want a panic containing %q", got, tc.wantPanic)
			}
			if got, want := s.Now(), ms(10); got != want {
				t.Errorf("Now() after call = %v, want %v", got, want)
			}
		})
	}
}

// TestTimeNeverGoesBackwards drives a scheduler with thousands of random
// one-shot events and 32 timers that callbacks keep scheduling, re-arming
// and stopping, and checks after every event that Now never decreases,
// that each one-shot event runs exactly at the time it was scheduled for,
// and that a timer fires at the deadline it last reported through When.
func TestTimeNeverGoesBackwards(t *testing.T) {
	s := sim.New(42)
	rng := s.Stream("test")
	const budget = 20000 // one-shot events to schedule in total
	scheduled, ran, timerFires := 0, 0, 0
	last := s.Now()

	check := func(what string, want sim.Time) {
		now := s.Now()
		if now < last {
			t.Fatalf("%s: Now went backwards: %v after %v", what, now, last)
		}
		if now != want {
			t.Fatalf("%s: ran at %v, want %v", what, now, want)
		}
		last = now
	}

	timers := make([]*sim.Timer, 32)
	deadline := make([]sim.Time, len(timers))
	var act func()
	for i := range timers {
		timers[i] = s.NewTimer(func() {
			timerFires++
			check(fmt.Sprintf("timer %d", i), deadline[i])
			act()
		})
	}
	// delay draws a delay with many exact ties (0 and small values).
	delay := func() time.Duration {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return time.Duration(rng.IntN(4))
		default:
			return time.Duration(rng.Int64N(int64(time.Second)))
		}
	}
	var schedule func()
	schedule = func() {
		if scheduled >= budget {
			return
		}
		scheduled++
		at := s.Now().Add(delay())
		s.At(at, func() {
			ran++
			check("event", at)
			act()
		})
	}
	// act is what every callback does: schedule more events and play with
	// the timers.
	act = func() {
		for range rng.IntN(3) {
			schedule()
		}
		i := rng.IntN(len(timers))
		switch rng.IntN(3) {
		case 0:
			timers[i].Stop()
		default:
			timers[i].Reset(delay())
			deadline[i] = timers[i].When()
		}
	}
	for range 500 {
		schedule()
	}
	s.Run()
	if ran != scheduled {
		t.Errorf("ran %d one-shot events, want %d", ran, scheduled)
	}
	if got, want := s.Events(), uint64(ran+timerFires); got != want {
		t.Errorf("Events() = %d, want %d", got, want)
	}
	if s.Pending() != 0 {
		t.Errorf("Pending() after Run = %d, want 0", s.Pending())
	}
	if timerFires == 0 {
		t.Errorf("no timer fired; the test does not exercise timers")
	}
}

// TestStopHaltsRun checks that Stop called from a callback makes Run return
// after that callback, leaves the remaining events queued, and that Step
// and RunUntil do nothing afterwards (RunUntil does not advance Now).
func TestStopHaltsRun(t *testing.T) {
	s := sim.New(1)
	l := &logger{s: s}
	s.At(ms(1), l.fn("a"))
	s.At(ms(2), func() {
		l.fn("stopper")()
		s.Stop()
	})
	s.At(ms(2), l.fn("same-instant"))
	s.At(ms(3), l.fn("c"))
	if s.Stopped() {
		t.Fatalf("Stopped() before Stop = true, want false")
	}
	s.Run()
	checkLog(t, l.got, []firing{{"a", ms(1)}, {"stopper", ms(2)}})
	if !s.Stopped() {
		t.Errorf("Stopped() = false, want true")
	}
	if got, want := s.Now(), ms(2); got != want {
		t.Errorf("Now() = %v, want %v", got, want)
	}
	if got, want := s.Pending(), 2; got != want {
		t.Errorf("Pending() = %d, want %d", got, want)
	}
	if s.Step() {
		t.Errorf("Step() after Stop = true, want false")
	}
	s.RunUntil(ms(10))
	if got, want := s.Now(), ms(2); got != want {
		t.Errorf("Now() after RunUntil on a stopped scheduler = %v, want %v", got, want)
	}
	s.Run()
	checkLog(t, l.got, []firing{{"a", ms(1)}, {"stopper", ms(2)}})
	if got, want := s.Events(), uint64(2); got != want {
		t.Errorf("Events() = %d, want %d", got, want)
	}

	// Stop inside RunUntil.
	s2 := sim.New(1)
	l2 := &logger{s: s2}
	s2.At(ms(1), func() { l2.fn("stopper")(); s2.Stop() })
	s2.At(ms(2), l2.fn("b"))
	s2.RunUntil(ms(5))
	checkLog(t, l2.got, []firing{{"stopper", ms(1)}})
	if got, want := s2.Now(), ms(1); got != want {
		t.Errorf("RunUntil stopped at 1ms: Now() = %v, want %v", got, want)
	}
}

// TestEventsCounter checks that Events counts every callback that ran, one
// per one-shot event and one per timer firing, and nothing for a stopped
// timer, a reset that replaced an earlier deadline, or events still queued.
func TestEventsCounter(t *testing.T) {
	s := sim.New(1)
	if got := s.Events(); got != 0 {
		t.Fatalf("new scheduler: Events() = %d, want 0", got)
	}
	var seen []uint64
	record := func() { seen = append(seen, s.Events()) }
	s.At(ms(1), record)
	s.At(ms(1), record)
	s.Defer(record)
	stopped := s.NewTimer(record)
	stopped.ResetAt(ms(2))
	stopped.Stop()
	moved := s.NewTimer(record)
	moved.ResetAt(ms(2))
	moved.ResetAt(ms(3)) // one firing, not two
	s.At(ms(100), record)

	if s.Step() != true {
		t.Fatalf("Step() = false, want true")
	}
	if got, want := s.Events(), uint64(1); got != want {
		t.Fatalf("after one Step: Events() = %d, want %d", got, want)
	}
	s.RunUntil(ms(50))
	if got, want := s.Events(), uint64(4); got != want {
		t.Fatalf("after RunUntil(50ms): Events() = %d, want %d", got, want)
	}
	// Inside a callback the counter already includes the running event.
	if want := []uint64{1, 2, 3, 4}; !slices.Equal(seen, want) {
		t.Fatalf("Events() seen in callbacks = %v, want %v", seen, want)
	}
	s.Run()
	if got, want := s.Events(), uint64(5); got != want {
		t.Fatalf("after Run: Events() = %d, want %d", got, want)
	}
	if s.Step() {
		t.Fatalf("Step() on an empty queue = true, want false")
	}
	if got, want := s.Events(), uint64(5); got != want {
		t.Fatalf("after Step on an empty queue: Events() = %d, want %d", got, want)
	}
}

// TestStreamsIndependent checks the random-stream contract: a stream's
// draws do not change when another stream is created and drawn from in
// between; the same seed and name give the same sequence (from Stream and
// NewStream alike); and a different seed or name gives a different one.
func TestStreamsIndependent(t *testing.T) {
	const n = 64
	draw := func(next func() uint64) []uint64 {
		out := make([]uint64, n)
		for i := range out {
			out[i] = next()
		}
		return out
	}
	alone := draw(sim.New(7).Stream("a").Uint64)

	t.Run("creating and using b does not shift a", func(t *testing.T) {
		s := sim.New(7)
		a := s.Stream("a")
		got := make([]uint64, n)
		for i := range got {
			if i == n/2 {
				b := s.Stream("b")
				for range 1000 {
					b.Uint64()
				}
			}
			got[i] = a.Uint64()
		}
		if !slices.Equal(got, alone) {
			t.Fatalf("draws of a with b in between:\n got %v\nwant %v", got, alone)
		}
	})
	t.Run("same name and seed give the same sequence", func(t *testing.T) {
		s := sim.New(7)
		first := draw(s.Stream("a").Uint64)
		second := draw(s.Stream("a").Uint64)
		fromNew := draw(sim.NewStream(7, "a").Uint64)
		if !slices.Equal(first, alone) {
			t.Errorf("second scheduler with seed 7:\n got %v\nwant %v", first, alone)
		}
		if !slices.Equal(second, alone) {
			t.Errorf("second Stream(\"a\") on one scheduler:\n got %v\nwant %v", second, alone)
		}
		if !slices.Equal(fromNew, alone) {
			t.Errorf("NewStream(7, \"a\"):\n got %v\nwant %v", fromNew, alone)
		}
	})
	differ := []struct {
		name string
		seed uint64
		str  string
	}{
		{"different seed", 8, "a"},
		{"seed 0", 0, "a"},
		{"different name", 7, "b"},
		{"empty name", 7, ""},
		{"name with prefix", 7, "aa"},
	}
	for _, tc := range differ {
		t.Run(tc.name+" differs", func(t *testing.T) {
			got := draw(sim.New(tc.seed).Stream(tc.str).Uint64)
			same := 0
			for i := range got {
				if got[i] == alone[i] {
					same++
				}
			}
			if same > 0 {
				t.Fatalf("seed %d name %q: %d of %d draws equal seed 7 name \"a\", want 0", tc.seed, tc.str, same, n)
			}
		})
	}
	t.Run("Seed", func(t *testing.T) {
		if got, want := sim.New(7).Seed(), uint64(7); got != want {
			t.Fatalf("Seed() = %d, want %d", got, want)
		}
	})
}

// TestTimeString checks the fixed trace format of Time (seconds with nine
// decimals, a leading minus for negative times) and the conversions.
func TestTimeString(t *testing.T) {
	tests := []struct {
		t    sim.Time
		want string
	}{
		{0, "0.000000000s"},
		{1, "0.000000001s"},
		{sim.Time(time.Millisecond), "0.001000000s"},
		{sim.Time(1250 * time.Millisecond), "1.250000000s"},
		{sim.Time(time.Second), "1.000000000s"},
		{sim.Time(61*time.Second + 5), "61.000000005s"},
		{-1, "-0.000000001s"},
		{sim.Time(-1500 * time.Millisecond), "-1.500000000s"},
		{math.MaxInt64, "9223372036.854775807s"},
		{math.MinInt64, "-9223372036.854775808s"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.t.String(); got != tc.want {
				t.Errorf("Time(%d).String() = %q, want %q", int64(tc.t), got, tc.want)
			}
			if got := fmt.Sprint(tc.t); got != tc.want {
				t.Errorf("fmt.Sprint(Time(%d)) = %q, want %q", int64(tc.t), got, tc.want)
			}
		})
	}

	t.Run("conversions", func(t *testing.T) {
		x := sim.Time(1500 * time.Millisecond)
		if got, want := x.Add(250*time.Millisecond), sim.Time(1750*time.Millisecond); got != want {
			t.Errorf("Add = %v, want %v", got, want)
		}
		if got, want := x.Sub(sim.Time(time.Second)), 500*time.Millisecond; got != want {
			t.Errorf("Sub = %v, want %v", got, want)
		}
		if got, want := x.Milliseconds(), 1500.0; got != want {
			t.Errorf("Milliseconds = %v, want %v", got, want)
		}
		if got, want := x.Seconds(), 1.5; got != want {
			t.Errorf("Seconds = %v, want %v", got, want)
		}
	})
}

// TestSteadyStateAllocatesNothing checks the claim in the package doc: once
// the free list is warm, scheduling and running one-shot events and
// re-arming timers allocates nothing.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	s := sim.New(1)
	nop := func() {}
	tm := s.NewTimer(nop)
	for i := range 64 {
		s.After(time.Duration(i), nop)
	}
	s.Run()
	allocs := testing.AllocsPerRun(100, func() {
		for i := range 32 {
			s.After(time.Duration(i%4), nop)
		}
		tm.Reset(time.Millisecond)
		tm.Reset(2 * time.Millisecond)
		tm.Stop()
		tm.Reset(0)
		s.Run()
	})
	if allocs != 0 {
		t.Fatalf("allocs per round = %v, want 0", allocs)
	}
}

// TestManyTiesScrambledByCancels schedules many events at a few far-off
// instants, interleaved with timers that are stopped and re-armed at the
// same instants. Cancelling reorders the queue's buckets internally, so
// when an instant's events are gathered they must be put back into
// scheduling order, however many there are.
func TestManyTiesScrambledByCancels(t *testing.T) {
	for _, tc := range []struct {
		name    string
		oneShot int
		timers  int
		instant []sim.Time
	}{
		{"few ties", 5, 3, []sim.Time{1 << 20}},
		{"many ties", 300, 40, []sim.Time{1 << 20}},
		{"many ties at three instants", 300, 40, []sim.Time{1 << 20, 1<<20 + 1, 1 << 40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.New(1)
			rng := rand.New(rand.NewPCG(7, 8))
			var got []string
			// want[instant] lists labels in the order of their last
			// scheduling call: the order they must run in at that instant.
			want := map[sim.Time][]string{}
			scheduled := func(at sim.Time, label string) {
				l := want[at]
				if i := slices.Index(l, label); i >= 0 {
					l = slices.Delete(l, i, i+1)
				}
				want[at] = append(l, label)
			}
			timers := make([]*sim.Timer, tc.timers)
			timerAt := make([]sim.Time, tc.timers)
			for i := range timers {
				label := fmt.Sprintf("t%d", i)
				timers[i] = s.NewTimer(func() { got = append(got, label) })
			}
			for i := range tc.oneShot {
				at := tc.instant[rng.IntN(len(tc.instant))]
				event := fmt.Sprintf("e%d", i)
				s.At(at, func() { got = append(got, event) })
				scheduled(at, event)
				k := rng.IntN(tc.timers)
				label := fmt.Sprintf("t%d", k)
				if timers[k].Pending() {
					l := want[timerAt[k]]
					want[timerAt[k]] = slices.Delete(l, slices.Index(l, label), slices.Index(l, label)+1)
				}
				if rng.IntN(3) == 0 {
					timers[k].Stop()
					continue
				}
				timerAt[k] = tc.instant[rng.IntN(len(tc.instant))]
				timers[k].ResetAt(timerAt[k])
				scheduled(timerAt[k], label)
			}
			s.Run()
			var wantAll []string
			instants := slices.Clone(tc.instant)
			slices.Sort(instants)
			for _, at := range instants {
				wantAll = append(wantAll, want[at]...)
			}
			if !slices.Equal(got, wantAll) {
				t.Fatalf("ran %d events in the wrong order:\n got %v\nwant %v", len(got), got, wantAll)
			}
		})
	}
}
