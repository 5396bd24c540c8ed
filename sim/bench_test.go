package sim_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// holdPending is the queue size of the hold benchmarks: about the number of
// pending events of a run with a few hundred connections, each with its
// packets in flight and its RTO and delayed-ACK timers.
const holdPending = 10_000

// BenchmarkSchedulerHold is the classic hold model: the queue holds
// holdPending events, and each event, when it runs, schedules one more at
// now plus a random increment, so the queue size stays constant. One op is
// one event (pop, callback, push). The increments are uniform on
// [1ns, 2ms] and drawn inside the callback from a PCG generator, which does
// not allocate; the callback is one func value made once.
func BenchmarkSchedulerHold(b *testing.B) {
	s := sim.New(1)
	rng := rand.New(rand.NewPCG(1, 2))
	const maxIncrement = int64(2 * time.Millisecond)
	var hold func()
	hold = func() {
		s.After(time.Duration(1+rng.Int64N(maxIncrement)), hold)
	}
	for range holdPending {
		s.After(time.Duration(rng.Int64N(maxIncrement)), hold)
	}
	// Warm up: run each initial event about once, so the free list and the
	// buckets are at their working size and the times well mixed.
	for range holdPending {
		s.Step()
	}

	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.Step()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if got := s.Pending(); got != holdPending {
		b.Fatalf("Pending() = %d, want %d", got, holdPending)
	}
}

// BenchmarkTimerReset re-arms one of holdPending armed timers per op, to a
// random deadline up to 200 ms ahead (the RTO and delayed-ACK pattern: a
// timer moved on almost every packet). The deadlines are pre-generated.
func BenchmarkTimerReset(b *testing.B) {
	s := sim.New(1)
	rng := rand.New(rand.NewPCG(3, 4))
	nop := func() {}
	timers := make([]*sim.Timer, holdPending)
	for i := range timers {
		timers[i] = s.NewTimer(nop)
		timers[i].Reset(time.Duration(rng.Int64N(int64(200 * time.Millisecond))))
	}
	const nDelays = 1 << 12
	delays := make([]time.Duration, nDelays)
	for i := range delays {
		delays[i] = time.Duration(rng.Int64N(int64(200 * time.Millisecond)))
	}

	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		timers[i%holdPending].Reset(delays[i%nDelays])
	}
	b.StopTimer()
	if got := s.Pending(); got != holdPending {
		b.Fatalf("Pending() = %d, want %d", got, holdPending)
	}
}
