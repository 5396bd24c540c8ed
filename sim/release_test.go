package sim_test

import (
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/connsim/connsim/sim"
)

// owner stands for what a timer's callback reaches (a TCP connection and
// its application): it must become garbage when its owner drops it, once
// the timer has fired or been stopped, however the scheduler's queue
// moved the timer's event around.
type owner struct {
	t   *sim.Timer
	buf [1 << 10]byte
}

// TestFiredTimersAreNotKept arms many timers at spread-out times (so the
// radix heap moves them through several buckets, both by a refill and by
// the single-event path), lets some fire and stops the others, drops
// every reference, and checks that the scheduler holds none of them.
func TestFiredTimersAreNotKept(t *testing.T) {
	s := sim.New(1)
	const n = 2000
	refs := make([]weak.Pointer[owner], n)
	for i := range n {
		o := &owner{}
		o.t = s.NewTimer(func() { o.buf[0]++ })
		o.t.Reset(time.Duration(i%97+1) * time.Millisecond * time.Duration(1+i%7))
		refs[i] = weak.Make(o)
		if i%3 == 0 {
			// A lone far event, taken without a refill.
			s.After(time.Duration(i+1)*time.Hour, func() {})
		}
	}
	s.RunUntil(sim.Time(300 * time.Millisecond))
	for i := range n {
		if o := refs[i].Value(); o != nil {
			o.t.Stop()
		}
	}
	s.Run()
	runtime.GC()
	runtime.GC()
	kept := 0
	for _, r := range refs {
		if r.Value() != nil {
			kept++
		}
	}
	if kept != 0 {
		t.Errorf("%d of %d timers' owners still reachable from the scheduler, want 0", kept, n)
	}
	runtime.KeepAlive(s)
}
