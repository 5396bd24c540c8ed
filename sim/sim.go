package sim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// Time is virtual time: nanoseconds since the start of a run.
type Time int64

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Sub returns the span t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Milliseconds returns t in milliseconds as a float, for output.
func (t Time) Milliseconds() float64 { return float64(t) / 1e6 }

// Seconds returns t in seconds as a float, for output.
func (t Time) Seconds() float64 { return float64(t) / 1e9 }

// String formats t in seconds with nanosecond precision, a fixed format so
// that traces are stable.
func (t Time) String() string {
	sign := ""
	v := uint64(t)
	if t < 0 {
		sign = "-"
		v = -v // in uint64, so that -MinInt64 does not overflow
	}
	return fmt.Sprintf("%s%d.%09ds", sign, v/1e9, v%1e9)
}

// Event is one scheduled callback. One-shot events are owned by the
// scheduler; a Timer embeds its own.
type Event struct {
	at    Time
	seq   uint64
	idx   int // position in the heap, -1 when not queued
	fn    func()
	owned bool // embedded in a Timer: never recycled
}

// Scheduler runs events in (time, sequence) order.
type Scheduler struct {
	now     Time
	seq     uint64
	heap    []*Event
	free    []*Event
	events  uint64
	stopped bool
	seed    uint64
}

// New returns a scheduler at time 0 whose random streams derive from seed.
func New(seed uint64) *Scheduler {
	return &Scheduler{seed: seed}
}

// Now returns the current virtual time.
func (s *Scheduler) Now() Time { return s.now }

// Seed returns the seed the scheduler was created with.
func (s *Scheduler) Seed() uint64 { return s.seed }

// Events returns how many events have run.
func (s *Scheduler) Events() uint64 { return s.events }

// Pending returns how many events are queued.
func (s *Scheduler) Pending() int { return len(s.heap) }

// At schedules fn to run at time t. It panics if t is before Now: an event
// in the past is a programming error.
func (s *Scheduler) At(t Time, fn func()) {
	if t < s.now {
		panic(fmt.Sprintf("sim: At(%v) before Now(%v)", t, s.now))
	}
	var e *Event
	if n := len(s.free); n > 0 {
		e = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		e = &Event{}
	}
	e.at, e.fn = t, fn
	s.push(e)
}

// After schedules fn to run d from now. It panics if d is negative.
func (s *Scheduler) After(d time.Duration, fn func()) {
	if d < 0 {
		panic(fmt.Sprintf("sim: After(%v): negative delay", d))
	}
	s.At(s.now.Add(d), fn)
}

// Defer schedules fn at the current instant, after every event already
// queued for this instant. Callbacks into applications go through Defer so
// that no application code runs inside a protocol state update.
func (s *Scheduler) Defer(fn func()) { s.At(s.now, fn) }

// Step runs the earliest event. It returns false when there is none or the
// scheduler was stopped.
func (s *Scheduler) Step() bool {
	if s.stopped || len(s.heap) == 0 {
		return false
	}
	e := s.pop()
	s.now = e.at
	s.events++
	fn := e.fn
	if !e.owned {
		e.fn = nil
		s.free = append(s.free, e)
	}
	fn()
	return true
}

// Run runs events until the queue is empty or Stop is called.
func (s *Scheduler) Run() {
	for s.Step() {
	}
}

// RunUntil runs every event at or before t, then sets Now to t (if the
// scheduler was not stopped earlier).
func (s *Scheduler) RunUntil(t Time) {
	for !s.stopped && len(s.heap) > 0 && s.heap[0].at <= t {
		s.Step()
	}
	if !s.stopped && t > s.now {
		s.now = t
	}
}

// Stop makes Run and Step return; queued events stay queued.
func (s *Scheduler) Stop() { s.stopped = true }

// Stopped reports whether Stop was called.
func (s *Scheduler) Stopped() bool { return s.stopped }

// Stream returns a random generator for the named stream, seeded from the
// scheduler's seed and the FNV-1a hash of name. Calling it twice with the
// same name returns two generators with the same sequence.
func (s *Scheduler) Stream(name string) *rand.Rand {
	return NewStream(s.seed, name)
}

// NewStream returns the generator that Scheduler.Stream returns for seed and
// name.
func NewStream(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// Timer is a re-armable event, for timeouts that move often (RTO, delayed
// ACK, idle). Its event is embedded: Reset and Stop never allocate.
type Timer struct {
	s  *Scheduler
	ev Event
}

// NewTimer returns a stopped timer that runs fn when it fires.
func (s *Scheduler) NewTimer(fn func()) *Timer {
	t := &Timer{s: s}
	t.ev = Event{idx: -1, fn: fn, owned: true}
	return t
}

// ResetAt arms the timer to fire at at, replacing any earlier deadline. The
// timer takes a new sequence number, as a fresh event would.
func (t *Timer) ResetAt(at Time) {
	s := t.s
	if at < s.now {
		panic(fmt.Sprintf("sim: Timer.ResetAt(%v) before Now(%v)", at, s.now))
	}
	e := &t.ev
	e.at = at
	if e.idx >= 0 {
		s.seq++
		e.seq = s.seq
		s.fix(e.idx)
		return
	}
	s.push(e)
}

// Reset arms the timer to fire d from now.
func (t *Timer) Reset(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("sim: Timer.Reset(%v): negative delay", d))
	}
	t.ResetAt(t.s.now.Add(d))
}

// Stop disarms the timer. It reports whether the timer was armed.
func (t *Timer) Stop() bool {
	if t.ev.idx < 0 {
		return false
	}
	t.s.remove(t.ev.idx)
	return true
}

// Pending reports whether the timer is armed.
func (t *Timer) Pending() bool { return t.ev.idx >= 0 }

// When returns the deadline of an armed timer.
func (t *Timer) When() Time { return t.ev.at }

// heap operations on s.heap, ordered by (at, seq).

func less(a, b *Event) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (s *Scheduler) push(e *Event) {
	s.seq++
	e.seq = s.seq
	e.idx = len(s.heap)
	s.heap = append(s.heap, e)
	s.up(e.idx)
}

func (s *Scheduler) pop() *Event {
	h := s.heap
	e := h[0]
	n := len(h) - 1
	if n > 0 {
		h[0] = h[n]
		h[0].idx = 0
	}
	h[n] = nil
	s.heap = h[:n]
	if n > 1 {
		s.down(0)
	}
	e.idx = -1
	return e
}

func (s *Scheduler) remove(i int) {
	h := s.heap
	e := h[i]
	n := len(h) - 1
	if i != n {
		h[i] = h[n]
		h[i].idx = i
	}
	h[n] = nil
	s.heap = h[:n]
	if i != n {
		s.fix(i)
	}
	e.idx = -1
}

func (s *Scheduler) fix(i int) {
	if !s.down(i) {
		s.up(i)
	}
}

func (s *Scheduler) up(i int) {
	h := s.heap
	e := h[i]
	for i > 0 {
		p := (i - 1) / 2
		if !less(e, h[p]) {
			break
		}
		h[i] = h[p]
		h[i].idx = i
		i = p
	}
	h[i] = e
	e.idx = i
}

// down sifts h[i] toward the leaves; it reports whether it moved.
func (s *Scheduler) down(i0 int) bool {
	h := s.heap
	n := len(h)
	i := i0
	e := h[i]
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		c := l
		if r := l + 1; r < n && less(h[r], h[l]) {
			c = r
		}
		if !less(h[c], e) {
			break
		}
		h[i] = h[c]
		h[i].idx = i
		i = c
	}
	h[i] = e
	e.idx = i
	return i > i0
}
