package sim

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
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

// event is one scheduled callback. One-shot events are owned by the
// scheduler; a Timer embeds its own.
//
// at is the event's key in the queue. A Timer moved later while queued
// keeps its key and records the new deadline in due (see Timer.ResetAt):
// when the key comes up, next queues it again at due instead of running
// it. For every other event due equals at.
type event struct {
	at    Time
	due   Time // when the event runs: at, or later for a Timer moved on
	seq   uint64
	fn    func()
	id    int32 // slot in Scheduler.queued, -1 when it has none (see leave)
	owned bool  // embedded in a Timer: never recycled
	// queued: an entry for the event is in a bucket. running: the
	// event's callback is running (a Timer keeps its slot meanwhile).
	queued, running bool
}

// entry is a queued event's place in a bucket: its key, copied from the
// event so that finding a bucket's minimum and redistributing it read no
// event, its slot, and whether it is a Timer's. Entries hold no pointers:
// the garbage collector neither scans the buckets nor puts a write
// barrier on moving an entry, and a stale entry left in a bucket's array
// keeps nothing alive.
type entry struct {
	at    Time
	id    int32
	timer bool
}

// shortEntry is a queued event's place in the short queue (see
// Scheduler): its key, time and sequence number, and its slot.
type shortEntry struct {
	at  Time
	seq uint64
	id  int32
}

// shortCap is how many events the short queue holds: a simulation of one
// or a few connections has a handful queued (BenchmarkBulkTransfer at most
// 5), and inserting into a sorted array of up to 16 moves at most 384
// bytes.
const shortCap = 16

// place is where a queued Timer's entry is: bucket and index, for Stop and
// ResetAt. Only Timers are ever taken out of the queue early, so one-shot
// events' places are not kept.
type place struct{ bucket, pos int32 }

// numBuckets is one bucket per bit position of a non-negative Time, plus
// bucket 0 for events at exactly the radix base.
const numBuckets = 64

// Scheduler runs events in (time, sequence) order.
//
// A short queue, of up to shortCap events, is an array sorted by time and
// sequence number, latest first (why: see the package documentation);
// when it is full the next event moves them all into the radix heap,
// which holds the queue until it is empty again. For a handful of events
// spread over a few milliseconds the sorted array costs about half what
// the radix heap does (the small-queue special case of calendar and
// ladder queues, which sort the few events near now).
//
// The queue is otherwise a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990), which
// relies on virtual time never going backwards: every queued event is at or
// after base, the time of the last event taken out, and bucket k > 0 holds
// the events whose time first differs from base in bit k-1. Scheduling is
// O(1) (one bits.Len64), cancelling is O(1) (swap with the bucket's last
// element), and taking the earliest event is O(1) while bucket 0 has
// events; when it is empty, the lowest non-empty bucket is emptied into
// lower ones around its minimum. An event only ever moves to a lower
// bucket, at most 63 times, and in practice a few.
type Scheduler struct {
	now    Time
	base   Time // radix base: no queued event is before it
	seq    uint64
	short  [shortCap]shortEntry // the short queue: short[:nshort], latest first
	nshort int32
	radix  bool // the radix heap holds the queue, not short
	// buckets[k][:blen[k]] are bucket k's entries. buckets[0] holds the
	// events at exactly base, in sequence order, from head0 on; other
	// buckets are unordered.
	buckets  [numBuckets][]entry
	blen     [numBuckets]int32
	head0    int32
	nonEmpty uint64 // bit k set when buckets[k] (k > 0) has events
	pending  int
	// The queued events by slot (an entry's id), the only pointers the
	// queue holds: a Timer's is stored when it is queued and cleared
	// when it leaves, however often its entry moves; a one-shot event
	// keeps its slot from its first use on (see leave). places are
	// the entries' places; freeIDs the slots not in use.
	queued  []*event
	places  []place
	freeIDs []int32
	free    []*event
	events  uint64
	stopped bool
	seed    uint64
	// interrupt, when set, is read every interruptEvery events; once it
	// is true the scheduler stops and interrupted is set.
	interrupt   *atomic.Bool
	interrupted bool
}

// interruptEvery is how often, in events, Step reads the interrupt flag:
// one atomic load per 1024 events costs nothing measurable, and 1024
// events take microseconds, so a stop request is seen at once.
const interruptEvery = 1024

// New returns a scheduler at time 0 whose random streams derive from seed.
func New(seed uint64) *Scheduler {
	if s, ok := released.Get().(*Scheduler); ok {
		s.seed = seed
		return s
	}
	s := &Scheduler{seed: seed}
	// Room for the slots of a small run's events, which would otherwise
	// grow from one by doubling.
	s.queued = make([]*event, 0, initialSlots)
	s.places = make([]place, 0, initialSlots)
	s.freeIDs = make([]int32, 0, initialSlots)
	return s
}

// initialSlots is the starting capacity of the slot tables.
const initialSlots = 32

// released holds schedulers handed back by Release, for New to reuse:
// a sweep of many short runs otherwise allocates a queue (about 4 KB) and
// its events afresh for each run, and the garbage collector spends as much
// time on them as the runs spend on their events.
var released sync.Pool

// Release hands the scheduler back for a later New to reuse, with the
// capacity its queue grew to and its spare events. Call it once the run
// is over and nothing will touch the scheduler or its timers again: the
// next New may return it, reset, to another run. Events still queued are
// dropped. A reused scheduler behaves exactly as a new one (the queue's
// order depends only on times and sequence numbers, which restart).
func (s *Scheduler) Release() {
	// Drop the queued events and their callbacks: the buckets hold no
	// pointers, the slots do. The spare events lose their slots.
	clear(s.queued)
	for _, e := range s.free {
		e.id = -1
	}
	r := Scheduler{buckets: s.buckets, free: s.free}
	r.queued, r.places, r.freeIDs = s.queued[:0], s.places[:0], s.freeIDs[:0]
	*s = r
	released.Put(s)
}

// initialBucketCap is the starting capacity of each bucket.
const initialBucketCap = 2

// Now returns the current virtual time.
func (s *Scheduler) Now() Time { return s.now }

// Seed returns the seed the scheduler was created with.
func (s *Scheduler) Seed() uint64 { return s.seed }

// Events returns how many events have run.
func (s *Scheduler) Events() uint64 { return s.events }

// Pending returns how many events are queued.
func (s *Scheduler) Pending() int { return s.pending }

// At schedules fn to run at time t. It panics if t is before Now: an event
// in the past is a programming error.
func (s *Scheduler) At(t Time, fn func()) {
	if t < s.now {
		panic(fmt.Sprintf("sim: At(%v) before Now(%v)", t, s.now))
	}
	var e *event
	if n := len(s.free); n > 0 {
		e = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		e = &event{id: -1}
	}
	e.at, e.due, e.fn = t, t, fn
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
	if s.stopped || s.interrupt != nil && s.checkInterrupt() {
		return false
	}
	e := s.next(maxTime)
	if e == nil {
		return false
	}
	s.run(e)
	return true
}

// maxTime is the latest Time.
const maxTime = Time(1<<63 - 1)

// next takes the earliest event out of the queue if it is at or before
// limit, and returns nil otherwise. When the earliest event is after limit
// the base stays where it is, so that events may still be scheduled between
// Now and that event. A Timer whose key comes up before its deadline (it
// was moved later while queued) goes back into the queue at its deadline,
// with the sequence number of its last ResetAt, and does not run: the
// events run in exactly the order, and number, they would have if the
// Timer had been moved at once.
func (s *Scheduler) next(limit Time) *event {
	for {
		e := s.earliest(limit)
		if e == nil {
			return nil
		}
		if e.due == e.at {
			e.queued = false
			return e
		}
		e.at = e.due
		s.insert(e)
	}
}

// earliest takes the entry with the lowest key out of the queue if its key
// is at or before limit and returns its event, which keeps its slot (see
// run), and returns nil otherwise (see next).
func (s *Scheduler) earliest(limit Time) *event {
	if !s.radix {
		n := s.nshort - 1
		if n < 0 || s.short[n].at > limit {
			return nil
		}
		s.nshort = n
		s.pending--
		return s.queued[s.short[n].id]
	}
	if s.head0 < s.blen[0] {
		if s.base > limit {
			return nil
		}
		return s.take()
	}
	if s.pending == 0 {
		return nil
	}
	k := bits.TrailingZeros64(s.nonEmpty &^ 1)
	if s.blen[k] == 1 {
		// The common case of a short queue: the lowest bucket holds one
		// event, the earliest. Take it without moving it through bucket 0.
		en := &s.buckets[k][0]
		if en.at > limit {
			return nil
		}
		s.blen[k] = 0
		s.nonEmpty &^= 1 << k
		s.base = en.at
		s.pending--
		return s.queued[en.id]
	}
	min := s.minIn(k)
	if min > limit {
		return nil
	}
	s.refill(k, min)
	return s.take()
}

// run runs one event taken from the queue. A Timer keeps its slot while
// its callback runs and gives it up afterwards if the callback did not
// arm it again: the link's timers, armed again as they fire for the next
// packet, then never give their slots up and take them back.
func (s *Scheduler) run(e *event) {
	s.now = e.at
	s.events++
	fn := e.fn
	if !e.owned {
		e.fn = nil
		s.free = append(s.free, e)
		fn()
		return
	}
	e.running = true
	fn()
	e.running = false
	if !e.queued {
		s.leave(e)
	}
}

// Run runs events until the queue is empty or Stop is called.
func (s *Scheduler) Run() {
	for s.Step() {
	}
}

// RunUntil runs every event at or before t, then sets Now to t (if the
// scheduler was not stopped earlier).
func (s *Scheduler) RunUntil(t Time) {
	for !s.stopped && (s.interrupt == nil || !s.checkInterrupt()) {
		e := s.next(t)
		if e == nil {
			break
		}
		s.run(e)
	}
	if !s.stopped && t > s.now {
		s.now = t
	}
}

// Stop makes Run and Step return; queued events stay queued.
func (s *Scheduler) Stop() { s.stopped = true }

// Stopped reports whether Stop was called (or an interrupt stopped the
// scheduler).
func (s *Scheduler) Stopped() bool { return s.stopped }

// SetInterrupt makes the scheduler read flag between events (every
// interruptEvery events, and before the first) and stop, as Stop does,
// once it is true. The flag is the one thing another goroutine may touch:
// a signal handler sets it to end a long run early. Where a run stops
// then depends on the wall clock, so a run that Interrupted reports is
// not a result; runs that finish are unaffected, and a nil flag (the
// default) is never read.
func (s *Scheduler) SetInterrupt(flag *atomic.Bool) { s.interrupt = flag }

// Interrupted reports whether the interrupt flag stopped the scheduler.
func (s *Scheduler) Interrupted() bool { return s.interrupted }

// checkInterrupt reads the interrupt flag every interruptEvery events and
// stops the scheduler when it is set.
func (s *Scheduler) checkInterrupt() bool {
	if s.events%interruptEvery != 0 || !s.interrupt.Load() {
		return false
	}
	s.stopped, s.interrupted = true, true
	return true
}

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
	ev event
}

// NewTimer returns a stopped timer that runs fn when it fires.
func (s *Scheduler) NewTimer(fn func()) *Timer {
	t := &Timer{}
	s.InitTimer(t, fn)
	return t
}

// InitTimer makes t, a Timer held by value in a larger struct, a stopped
// timer that runs fn when it fires: NewTimer without the allocation. The
// zero Timer is not ready for use.
func (s *Scheduler) InitTimer(t *Timer, fn func()) {
	*t = Timer{s: s, ev: event{id: -1, fn: fn, owned: true}}
}

// ResetAt arms the timer to fire at at, replacing any earlier deadline. The
// timer takes a new sequence number, as a fresh event would.
//
// A queued timer moved later (a retransmission timer pushed on by every
// ACK) stays where it is in the queue: only its deadline and sequence
// number change, and next queues it again at the deadline when its old
// key comes up, as Linux's and quic-go's timers check a moved deadline
// when they fire. A timer moved earlier, or to the same instant in bucket
// 0 (which is kept in sequence order) or in the short queue (whose
// entries hold their sequence numbers), is moved at once.
func (t *Timer) ResetAt(at Time) {
	s := t.s
	if at < s.now {
		panic(fmt.Sprintf("sim: Timer.ResetAt(%v) before Now(%v)", at, s.now))
	}
	e := &t.ev
	if e.queued {
		if at > e.at || (at == e.at && s.radix && s.places[e.id].bucket > 0) {
			s.seq++
			e.due, e.seq = at, s.seq
			return
		}
		s.remove(e)
	}
	e.at, e.due = at, at
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
	if !t.ev.queued {
		return false
	}
	t.s.remove(&t.ev)
	return true
}

// Pending reports whether the timer is armed.
func (t *Timer) Pending() bool { return t.ev.queued }

// When returns the deadline of an armed timer.
func (t *Timer) When() Time { return t.ev.due }

// Radix heap operations.

// bucketOf returns the bucket of an event at time at: 0 when at equals the
// base, else one more than the highest bit in which they differ. Both are
// non-negative, so the result is below 64.
func (s *Scheduler) bucketOf(at Time) int {
	return bits.Len64(uint64(at ^ s.base))
}

// push queues e with a new sequence number. An event at the base goes to
// the end of bucket 0, whose order is sequence order: its sequence number
// is the highest yet.
func (s *Scheduler) push(e *event) {
	s.seq++
	e.seq = s.seq
	if e.id < 0 {
		s.enter(e)
	}
	s.insert(e)
}

// enter gives e, which has none, a slot.
func (s *Scheduler) enter(e *event) {
	if n := len(s.freeIDs); n > 0 {
		e.id = s.freeIDs[n-1]
		s.freeIDs = s.freeIDs[:n-1]
		s.queued[e.id] = e
		return
	}
	e.id = int32(len(s.queued))
	s.queued = append(s.queued, e)
	s.places = append(s.places, place{})
}

// leave frees the slot of e, which has left the queue, if e is a
// Timer's: a slot must not keep a Timer (and all its callback reaches)
// alive once it is not queued. A one-shot event keeps its slot for
// good, as the free list keeps the event.
func (s *Scheduler) leave(e *event) {
	if !e.owned {
		return
	}
	s.queued[e.id] = nil
	s.freeIDs = append(s.freeIDs, e.id)
	e.id = -1
}

// insert queues e, which has a slot, at e.at with the sequence number it
// has: push's, or for a Timer taken out before its deadline (see next),
// that of its last ResetAt; its deadline is after the base, so it never
// goes to bucket 0, whose order a late sequence number would break. An
// empty queue starts short again.
func (s *Scheduler) insert(e *event) {
	if s.pending == 0 {
		s.radix = false
	}
	e.queued = true
	s.pending++
	if !s.radix {
		if s.nshort < shortCap {
			s.insertShort(e)
			return
		}
		s.toRadix()
	}
	s.insertRadix(e)
}

// insertShort puts e into the short queue, which has room, after every
// entry later than it (in time, then sequence number).
func (s *Scheduler) insertShort(e *event) {
	b := &s.short
	j := s.nshort
	for ; j > 0; j-- {
		if p := &b[j-1]; p.at > e.at || (p.at == e.at && p.seq > e.seq) {
			break
		}
		b[j] = b[j-1]
	}
	b[j] = shortEntry{at: e.at, seq: e.seq, id: e.id}
	s.nshort++
}

// toRadix moves the full short queue into the radix heap, with the base at
// Now (no event may be scheduled before it). The entries go in in order,
// so those at the base reach bucket 0 in sequence order.
func (s *Scheduler) toRadix() {
	if s.buckets[0] == nil {
		s.makeBuckets()
	}
	s.radix = true
	s.base = s.now
	for i := s.nshort - 1; i >= 0; i-- {
		s.insertRadix(s.queued[s.short[i].id])
	}
	s.nshort = 0
}

// makeBuckets gives every bucket room for a few events, carved out of one
// array: one allocation instead of one per bucket as a run warms up. A
// full bucket grows into an array of its own (growBucket). A run whose
// queue stays short (a sweep of one-connection runs, each on a new
// scheduler) never allocates them.
func (s *Scheduler) makeBuckets() {
	backing := make([]entry, numBuckets*initialBucketCap)
	for k := range s.buckets {
		lo := k * initialBucketCap
		s.buckets[k] = backing[lo : lo+initialBucketCap : lo+initialBucketCap]
	}
}

// insertRadix appends e's entry to its bucket.
func (s *Scheduler) insertRadix(e *event) {
	k := s.bucketOf(e.at)
	n := s.blen[k]
	b := s.buckets[k]
	if int(n) == len(b) {
		b = s.growBucket(k)
	}
	b[n] = entry{at: e.at, id: e.id, timer: e.owned}
	if e.owned {
		s.places[e.id] = place{int32(k), n}
	}
	s.blen[k] = n + 1
	s.nonEmpty |= 1 << k
}

// growBucket doubles bucket k's array.
func (s *Scheduler) growBucket(k int) []entry {
	old := s.buckets[k]
	b := make([]entry, max(2*len(old), initialBucketCap))
	copy(b, old)
	s.buckets[k] = b
	return b
}

// take removes the first entry of bucket 0, which must have one, and
// returns its event.
func (s *Scheduler) take() *event {
	id := s.buckets[0][s.head0].id
	s.head0++
	if s.head0 == s.blen[0] {
		s.blen[0], s.head0 = 0, 0
	}
	s.pending--
	return s.queued[id]
}

// minIn returns the earliest time in bucket k, which must have events.
func (s *Scheduler) minIn(k int) Time {
	b := s.buckets[k][:s.blen[k]]
	min := b[0].at
	for _, en := range b[1:] {
		if en.at < min {
			min = en.at
		}
	}
	return min
}

// refill moves the base to min, the earliest time in bucket k, and
// redistributes bucket k: every entry in it goes to a lower bucket, those
// at min to bucket 0, which is then sorted by sequence number.
func (s *Scheduler) refill(k int, min Time) {
	s.base = min
	b := s.buckets[k][:s.blen[k]]
	s.blen[k] = 0
	s.nonEmpty &^= 1 << k
	for _, en := range b {
		// insert's append, written out: this loop is the queue's
		// hottest.
		j := bits.Len64(uint64(en.at ^ min))
		n := s.blen[j]
		d := s.buckets[j]
		if int(n) == len(d) {
			d = s.growBucket(j)
		}
		d[n] = en
		if en.timer {
			s.places[en.id] = place{int32(j), n}
		}
		s.blen[j] = n + 1
		s.nonEmpty |= 1 << j
	}
	if n := s.blen[0]; n > 1 {
		s.sortBySeq(s.buckets[0][:n])
	}
}

// sortBySeq sorts the entries of bucket 0, events at one instant, into
// sequence order: by insertion when there are a few, as there usually
// are, else with slices.SortFunc (sequence numbers are unique, so an
// unstable sort is exact).
func (s *Scheduler) sortBySeq(b []entry) {
	seq := func(en entry) uint64 { return s.queued[en.id].seq }
	if len(b) > 12 {
		slices.SortFunc(b, func(x, y entry) int { return cmp.Compare(seq(x), seq(y)) })
	} else {
		for i := 1; i < len(b); i++ {
			en := b[i]
			q := seq(en)
			j := i
			for ; j > 0 && seq(b[j-1]) > q; j-- {
				b[j] = b[j-1]
			}
			b[j] = en
		}
	}
	for i, en := range b {
		if en.timer {
			s.places[en.id].pos = int32(i)
		}
	}
}

// remove takes a queued event out of its bucket and frees its slot, unless
// its callback is running (see run).
func (s *Scheduler) remove(e *event) {
	if s.radix {
		s.removeRadix(e)
	} else {
		s.removeShort(e)
	}
	s.pending--
	e.queued = false
	if !e.running {
		s.leave(e)
	}
}

// removeShort takes e's entry out of the short queue, found by its slot.
func (s *Scheduler) removeShort(e *event) {
	n := s.nshort
	i := int32(0)
	for s.short[i].id != e.id {
		i++
	}
	copy(s.short[i:n-1], s.short[i+1:n])
	s.nshort = n - 1
}

// removeRadix takes e's entry out of its bucket.
func (s *Scheduler) removeRadix(e *event) {
	pl := s.places[e.id]
	k, i := int(pl.bucket), pl.pos
	b := s.buckets[k]
	last := s.blen[k] - 1
	if k == 0 {
		// Bucket 0 keeps its order: close the gap.
		copy(b[i:last], b[i+1:last+1])
		for j := i; j < last; j++ {
			s.places[b[j].id].pos = j
		}
	} else if i != last {
		b[i] = b[last]
		s.places[b[i].id].pos = i
	}
	s.blen[k] = last
	if k == 0 {
		if s.head0 == last {
			s.blen[0], s.head0 = 0, 0
		}
	} else if last == 0 {
		s.nonEmpty &^= 1 << k
	}
}
