package sim_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// Operations decoded from fuzz input, one opcode byte (taken modulo
// numOps) followed by its argument bytes. A missing argument byte reads
// as 0.
const (
	opAt             = iota // delta: one-shot event at Now+delta
	opAtChild               // delta, childDelta: one-shot that schedules a one-shot at its Now+childDelta
	opDefer                 // one-shot at Now
	opNewTimer              // arg: new timer; odd arg makes it re-arm itself (arg/2)%16 ns later, up to maxFires firings
	opReset                 // timer, delta: Timer.Reset(delta)
	opResetAt               // timer, delta: Timer.ResetAt(Now+delta)
	opStop                  // timer: Timer.Stop
	opStep                  // Step
	opRunUntil              // delta, sign: RunUntil(Now+delta), or Now-delta when sign is odd
	opNewActingTimer        // arg, act: as opNewTimer, and its callback then acts on a timer (see timerSpec)
	numOps
)

const (
	maxTimers = 8
	maxFires  = 3 // a self-re-arming timer stops re-arming after this many firings
	maxOps    = 1000
)

// fuzzFiring is one callback run: a one-shot (timer < 0, id set) or a timer
// (timer >= 0), and the time it ran.
type fuzzFiring struct {
	id    int
	timer int
	at    sim.Time
}

func (f fuzzFiring) String() string {
	if f.timer >= 0 {
		return fmt.Sprintf("timer%d@%d", f.timer, int64(f.at))
	}
	return fmt.Sprintf("ev%d@%d", f.id, int64(f.at))
}

// fuzzInput decodes bytes. Reading past the end yields 0.
type fuzzInput struct {
	b []byte
	i int
}

func (in *fuzzInput) more() bool { return in.i < len(in.b) }

func (in *fuzzInput) next() byte {
	if in.i >= len(in.b) {
		return 0
	}
	c := in.b[in.i]
	in.i++
	return c
}

// delta decodes a span in nanoseconds: mostly 0..15, so that many events
// tie, sometimes up to about 9 µs, and now and then up to minutes, so that
// events spread over many of the scheduler's radix buckets.
func (in *fuzzInput) delta() sim.Time {
	c := in.next()
	switch {
	case c < 224:
		return sim.Time(c % 16)
	case c < 240:
		return sim.Time(c) * 37
	default:
		return sim.Time(c) << (2 * (c - 240)) // up to 255 << 30 ns
	}
}

// timerSpec is how a timer behaves when it fires: it re-arms itself
// (rearm, every), then does act to timer other (if it exists by then):
// actNone, actStop (Stop), actReset (ResetAt(Now+d)), or actRearmStop
// (other is itself: ResetAt(Now+every), then Stop, inside its own
// callback); it acts in its first maxFires firings only, so that two
// timers re-arming each other end.
type timerSpec struct {
	rearm bool
	every sim.Time
	act   int
	other int
	d     sim.Time
}

const (
	actNone = iota
	actStop
	actReset
	actRearmStop
	numActs
)

// actingSpec decodes opNewActingTimer's act byte for timer k.
func actingSpec(sp timerSpec, k int, b byte) timerSpec {
	sp.act = int(b) % numActs
	sp.other = int(b/numActs) % maxTimers
	sp.d = sim.Time(b/(numActs*maxTimers)) % 8
	if sp.act == actRearmStop {
		sp.other = k
	}
	return sp
}

// modelEntry is one queued event in the reference model.
type modelEntry struct {
	at       sim.Time
	seq      uint64
	id       int // one-shot id; -1 for a timer
	timer    int // timer index; -1 for a one-shot
	hasChild bool
	child    sim.Time
}

// model is the naive reference scheduler: a slice kept stably sorted by
// (at, seq), where every schedule and every timer re-arm takes the next
// sequence number.
type model struct {
	now    sim.Time
	seq    uint64
	q      []modelEntry
	nextID int
	timers []timerSpec
	fires  []int // firings per timer
	log    []fuzzFiring
}

// insert gives e the next sequence number and puts it where a stable sort
// by (at, seq) would: before the first entry that sorts after it.
func (m *model) insert(e modelEntry) {
	m.seq++
	e.seq = m.seq
	i := slices.IndexFunc(m.q, func(x modelEntry) bool { return compareEntries(x, e) > 0 })
	if i < 0 {
		i = len(m.q)
	}
	m.q = slices.Insert(m.q, i, e)
}

func compareEntries(a, b modelEntry) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

func (m *model) at(t sim.Time, hasChild bool, child sim.Time) {
	m.insert(modelEntry{at: t, id: m.nextID, timer: -1, hasChild: hasChild, child: child})
	m.nextID++
}

// timerIndex returns the position of timer k in the queue, or -1.
func (m *model) timerIndex(k int) int {
	return slices.IndexFunc(m.q, func(e modelEntry) bool { return e.timer == k })
}

func (m *model) stop(k int) bool {
	i := m.timerIndex(k)
	if i < 0 {
		return false
	}
	m.q = slices.Delete(m.q, i, i+1)
	return true
}

func (m *model) resetAt(k int, t sim.Time) {
	m.stop(k)
	m.insert(modelEntry{at: t, id: -1, timer: k})
}

func (m *model) step() bool {
	if len(m.q) == 0 {
		return false
	}
	e := m.q[0]
	m.q = slices.Delete(m.q, 0, 1)
	m.now = e.at
	m.log = append(m.log, fuzzFiring{id: e.id, timer: e.timer, at: m.now})
	switch {
	case e.timer >= 0:
		m.fires[e.timer]++
		sp := m.timers[e.timer]
		if sp.rearm && m.fires[e.timer] < maxFires {
			m.resetAt(e.timer, m.now+sp.every)
		}
		if sp.other < len(m.timers) && m.fires[e.timer] <= maxFires {
			switch sp.act {
			case actStop:
				m.stop(sp.other)
			case actReset:
				m.resetAt(sp.other, m.now+sp.d)
			case actRearmStop:
				m.resetAt(sp.other, m.now+sp.every)
				m.stop(sp.other)
			}
		}
	case e.hasChild:
		m.at(m.now+e.child, false, 0)
	}
	return true
}

func (m *model) runUntil(t sim.Time) {
	for len(m.q) > 0 && m.q[0].at <= t {
		m.step()
	}
	if t > m.now {
		m.now = t
	}
}

// subject wraps a Scheduler with callbacks that log like the model.
type subject struct {
	s      *sim.Scheduler
	nextID int
	timers []*sim.Timer
	specs  []timerSpec
	fires  []int
	log    []fuzzFiring
}

func (r *subject) at(t sim.Time, hasChild bool, child sim.Time) {
	id := r.nextID
	r.nextID++
	r.s.At(t, func() {
		r.log = append(r.log, fuzzFiring{id: id, timer: -1, at: r.s.Now()})
		if hasChild {
			r.at(r.s.Now()+child, false, 0)
		}
	})
}

func (r *subject) newTimer(sp timerSpec) {
	k := len(r.timers)
	r.specs = append(r.specs, sp)
	r.fires = append(r.fires, 0)
	r.timers = append(r.timers, r.s.NewTimer(func() {
		r.log = append(r.log, fuzzFiring{id: -1, timer: k, at: r.s.Now()})
		r.fires[k]++
		if sp.rearm && r.fires[k] < maxFires {
			r.timers[k].ResetAt(r.s.Now() + sp.every)
		}
		if sp.other < len(r.timers) && r.fires[k] <= maxFires {
			switch o := r.timers[sp.other]; sp.act {
			case actStop:
				o.Stop()
			case actReset:
				o.ResetAt(r.s.Now() + sp.d)
			case actRearmStop:
				o.ResetAt(r.s.Now() + sp.every)
				o.Stop()
			}
		}
	}))
}

// FuzzSchedulerMatchesModel decodes a sequence of operations (one-shot
// events, some of which schedule another from their callback; Defer;
// timers, some re-arming themselves; Reset, ResetAt and Stop of timers;
// Step; RunUntil, also into the past) and runs it against the Scheduler and
// against a naive reference model, a slice stably sorted by (time, seq).
// After every operation both must agree on the firing order, Now, the
// number of queued events, Step's and Stop's results and each timer's
// Pending and When; at the end both are drained and compared again.
func FuzzSchedulerMatchesModel(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{opAt, 5, opAt, 5, opAt, 0, opStep, opStep, opStep, opStep})
	f.Add([]byte{opNewTimer, 0, opReset, 0, 3, opAt, 3, opReset, 0, 3, opRunUntil, 10, 0})
	f.Add([]byte{opNewTimer, 1, opNewTimer, 7, opResetAt, 0, 2, opResetAt, 1, 2, opDefer, opStop, 0, opStep, opResetAt, 0, 0, opStep})
	f.Add([]byte{opAtChild, 4, 0, opAtChild, 4, 2, opAt, 4, opDefer, opRunUntil, 4, 0, opRunUntil, 3, 1, opStep})
	f.Add([]byte{opNewTimer, 3, opAt, 250, opReset, 0, 250, opAt, 1, opStep, opStop, 0, opReset, 0, 0, opRunUntil, 255, 0})
	// Far-apart times, a timer pushed later within its radix bucket and
	// across buckets, and RunUntil stopping short of a far event.
	f.Add([]byte{opNewTimer, 0, opReset, 0, 250, opReset, 0, 251, opAt, 255, opAt, 245, opAt, 245, opRunUntil, 250, 0, opResetAt, 0, 252, opStep, opStep, opAt, 3, opRunUntil, 255, 0, opStep})
	f.Add([]byte("\x03\x05\x03\x02\x04\x00\x09\x04\x01\x09\x00\x00\x00\x07\x06\x01\x07\x05\x00\x07\x08\x10\x00"))
	// More events than the scheduler's short queue holds (16), with ties
	// and timers moved later and earlier: the queue moves into the radix
	// heap with them and, once drained, starts short again.
	grow := []byte{opNewTimer, 1, opNewTimer, 0, opReset, 1, 7}
	for i := range 24 {
		grow = append(grow, opAt, byte(i*5%16), opResetAt, byte(i%2), byte(i%3+8))
	}
	grow = append(grow, opStep, opStep, opStop, 0, opRunUntil, 9, 0)
	for i := range 40 {
		grow = append(grow, opStep, opAt, byte(i%4))
	}
	f.Add(append(grow, opRunUntil, 255, 0, opAt, 3, opStep))
	// Timers acting inside callbacks: one re-arms itself and stops
	// itself in its own callback; one stops another due at the same
	// instant; one moves another (a timer 0 and 1 pair, both ways).
	f.Add([]byte{opNewActingTimer, 3, actRearmStop, opReset, 0, 2, opStep, opStep, opReset, 0, 1, opRunUntil, 9, 0})
	f.Add([]byte{opNewTimer, 0, opNewActingTimer, 0, actStop, opReset, 0, 4, opReset, 1, 4, opStep, opStep,
		opNewActingTimer, 5, actReset + numActs*1 + numActs*maxTimers*3, opReset, 2, 1, opReset, 1, 6, opRunUntil, 20, 0})

	f.Fuzz(func(t *testing.T, data []byte) {
		in := &fuzzInput{b: data}
		r := &subject{s: sim.New(1)}
		m := &model{}

		// check compares the observable state after an operation. The logs
		// only grow, so it compares the entries added since the last check.
		checked := 0
		check := func(op int, desc string) {
			t.Helper()
			if len(r.log) != len(m.log) || !slices.Equal(r.log[checked:], m.log[checked:]) {
				t.Fatalf("op %d (%s): firing order differs\nscheduler %v\n    model %v", op, desc, r.log, m.log)
			}
			checked = len(r.log)
			if !slices.IsSortedFunc(m.q, compareEntries) {
				t.Fatalf("op %d (%s): model queue not sorted: %v", op, desc, m.q)
			}
			if got, want := r.s.Now(), m.now; got != want {
				t.Fatalf("op %d (%s): Now() = %d, want %d", op, desc, got, want)
			}
			if got, want := r.s.Pending(), len(m.q); got != want {
				t.Fatalf("op %d (%s): Pending() = %d, want %d", op, desc, got, want)
			}
			if got, want := r.s.Events(), uint64(len(m.log)); got != want {
				t.Fatalf("op %d (%s): Events() = %d, want %d", op, desc, got, want)
			}
			for k, tm := range r.timers {
				i := m.timerIndex(k)
				if got, want := tm.Pending(), i >= 0; got != want {
					t.Fatalf("op %d (%s): timer %d Pending() = %v, want %v", op, desc, k, got, want)
				}
				if i >= 0 {
					if got, want := tm.When(), m.q[i].at; got != want {
						t.Fatalf("op %d (%s): timer %d When() = %d, want %d", op, desc, k, got, want)
					}
				}
			}
		}

		for op := 0; in.more() && op < maxOps; op++ {
			var desc string
			switch code := int(in.next()) % numOps; code {
			case opAt:
				at := r.s.Now() + in.delta()
				desc = fmt.Sprintf("At(%d)", at)
				r.at(at, false, 0)
				m.at(at, false, 0)
			case opAtChild:
				at := r.s.Now() + in.delta()
				child := in.delta()
				desc = fmt.Sprintf("At(%d) with child +%d", at, child)
				r.at(at, true, child)
				m.at(at, true, child)
			case opDefer:
				desc = "Defer"
				id := r.nextID
				r.nextID++
				r.s.Defer(func() { r.log = append(r.log, fuzzFiring{id: id, timer: -1, at: r.s.Now()}) })
				m.at(m.now, false, 0)
			case opNewTimer, opNewActingTimer:
				arg := in.next()
				var act byte
				if code == opNewActingTimer {
					act = in.next()
				}
				if len(r.timers) >= maxTimers {
					desc = "NewTimer (limit reached, skipped)"
					break
				}
				sp := timerSpec{rearm: arg%2 == 1, every: sim.Time(arg/2) % 16}
				if code == opNewActingTimer {
					sp = actingSpec(sp, len(r.timers), act)
				}
				desc = fmt.Sprintf("NewTimer(%+v)", sp)
				r.newTimer(sp)
				m.timers = append(m.timers, sp)
				m.fires = append(m.fires, 0)
			case opReset, opResetAt, opStop:
				kb := in.next()
				var d sim.Time
				if code != opStop {
					d = in.delta()
				}
				if len(r.timers) == 0 {
					desc = "timer op with no timers, skipped"
					break
				}
				k := int(kb) % len(r.timers)
				switch code {
				case opReset:
					desc = fmt.Sprintf("timer %d Reset(%d)", k, d)
					r.timers[k].Reset(time.Duration(d))
					m.resetAt(k, m.now+d)
				case opResetAt:
					desc = fmt.Sprintf("timer %d ResetAt(%d)", k, r.s.Now()+d)
					r.timers[k].ResetAt(r.s.Now() + d)
					m.resetAt(k, m.now+d)
				case opStop:
					desc = fmt.Sprintf("timer %d Stop", k)
					if got, want := r.timers[k].Stop(), m.stop(k); got != want {
						t.Fatalf("op %d (%s): Stop() = %v, want %v", op, desc, got, want)
					}
				}
			case opStep:
				desc = "Step"
				if got, want := r.s.Step(), m.step(); got != want {
					t.Fatalf("op %d (%s): Step() = %v, want %v", op, desc, got, want)
				}
			case opRunUntil:
				d := in.delta()
				until := r.s.Now() + d
				if in.next()%2 == 1 {
					until = r.s.Now() - d
				}
				desc = fmt.Sprintf("RunUntil(%d)", until)
				r.s.RunUntil(until)
				m.runUntil(until)
			}
			check(op, desc)
		}

		r.s.Run()
		for m.step() {
		}
		check(-1, "final Run")
		if r.s.Pending() != 0 {
			t.Fatalf("Pending() after Run = %d, want 0", r.s.Pending())
		}
	})
}
