// Package sim is a single-threaded discrete-event scheduler with virtual
// time: the engine under every connsim run.
//
// # Time
//
// [Time] is an integer count of nanoseconds since the start of a run. It is
// never read from the wall clock: nothing in sim, sim/link, tcp or httpmodel
// calls time.Now. Spans are ordinary [time.Duration] values.
//
// # Determinism
//
// Events run in (time, sequence) order, where the sequence number is a
// per-scheduler counter incremented on every scheduling call. Two events at
// the same instant therefore run in the order they were scheduled (ns-3
// keys its events the same way), and nothing depends on heap layout or map
// order. A Scheduler is not safe for concurrent use; each run owns one, and
// parallelism lives only across runs (package experiments).
//
// One run is a pure function of its inputs and seed: the same program and
// seed give the same sequence of events, byte for byte, on any machine.
//
// # Timers
//
// A [Timer] is a re-armable event with its storage embedded, made for the
// TCP retransmission and delayed-ACK timers that are re-armed on almost
// every packet. [Timer.Reset] moves the event inside the heap in O(log n)
// and allocates nothing; each reset takes a new sequence number, so a reset
// timer ties with other events as if it had been scheduled anew.
//
// One-shot events scheduled with [Scheduler.At] and [Scheduler.After] come
// from a free list and are recycled after they run, so the steady state of
// a run allocates nothing per event (the callbacks themselves aside).
//
// # Random streams
//
// [Scheduler.Stream] returns an independent PCG generator for a name, seeded
// from (run seed, FNV-1a hash of the name). Components draw only from their
// own named stream, so adding a random consumer never shifts another's
// draws, and two runs that differ only in the model under test see the same
// random losses (common random numbers).
//
// # Cost
//
// The queue is a binary heap of pointers ordered by (time, sequence):
// O(log n) to schedule, cancel or pop. On the 2-core reference machine the
// hold-model benchmark (BenchmarkSchedulerHold, 10,000 pending events) runs
// about 9.5 million events per second with zero allocations per event;
// most of that time is the heap's sift-down, within 1.5x of a bare int64
// heap doing the same work. Alternatives were measured with benchstat:
// entries stored by value in the heap (32 bytes: +6.7% on the hold model,
// -8.7% packets/s on BenchmarkBulkTransfer; 24 bytes: +7.9% on the hold
// model, -4.5% on BenchmarkBulkTransfer and -6.7% on BenchmarkPageLoad,
// whose queues are short and mostly timers), a 4-ary heap (-8.8% on the
// hold model), Floyd's bottom-up pop and hand-inlined comparisons (no
// gain). The pointer heap stays: the simulations people run are faster
// with it. A run's queue is
// usually far smaller than 10,000 (a page load keeps tens of events
// pending), where each event costs less.
package sim
