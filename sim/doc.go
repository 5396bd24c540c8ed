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
// keys its events the same way), and nothing depends on queue layout or map
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
// every packet. [Timer.Reset] and [Timer.Stop] cost O(1) and allocate
// nothing; each reset takes a new sequence number, so a reset timer ties
// with other events as if it had been scheduled anew.
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
// # The queue
//
// The queue is a radix heap (R. K. Ahuja, K. Mehlhorn, J. B. Orlin and
// R. E. Tarjan, "Faster algorithms for the shortest path problem", J. ACM
// 37(2), 1990). It is a monotone priority queue: it needs every new key to
// be at or after the last key taken out, which virtual time guarantees,
// since nothing may be scheduled before Now. The base is the time of the
// last event taken out; bucket 0 holds the events at exactly the base, in
// sequence order, and bucket k (1 to 63) the events whose time first
// differs from the base in bit k-1. Scheduling is one bits.Len64 and an
// append; cancelling swaps the event with its bucket's last; a queued timer
// moved later (a retransmission timer pushed back by each ACK) keeps its
// place and only records its new deadline, and when its old key comes up
// it is queued again at that deadline, with the sequence number of its
// last reset, without running. The earliest event is the head of bucket
// 0; when that is empty, the lowest non-empty bucket is emptied into lower
// ones around its minimum, which becomes the base. An event only moves
// down, so at most 63 times, and in practice a few times.
//
// A short queue (up to 16 events, as in a run of one or a few
// connections) is not a radix heap but an array sorted by time and
// sequence number, latest first: the earliest event is its last entry,
// and a new one is inserted as in insertion sort. A radix heap takes its
// earliest event cheaply only while one time fills its lowest bucket; a
// handful of events spread over a few milliseconds (a link's transmit and
// arrival timers, a connection's timers) made most takes a scan and a
// refill. When the array is full the next event moves its entries into
// the radix heap, which holds the queue until it is empty again (the
// heap's buckets are allocated then, the first time).
//
// The buckets hold entries (key and slot) rather than pointers to
// events; a table of slots holds the queued events, a Timer's slot taken
// when it is queued and given up once it is neither queued nor running.
// Moving entries between buckets stores no pointer, so a running garbage
// collector puts no write barrier on it, and no emptied bucket slot keeps
// a fired timer, and all its callback reaches, alive.
//
// # Cost
//
// Measured with benchstat (8 interleaved runs of each test binary) against
// the binary heap of pointers that the radix heap replaced, which kept the
// same (time, sequence) order, so every output file is unchanged. On the
// 2-core reference machine the hold model (BenchmarkSchedulerHold, 10,000
// pending events) runs 17.9 million events per second instead of 8.1
// million (+122%), and re-arming a timer (BenchmarkTimerReset) takes 10 ns
// instead of 36. The simulations people run change less, as their queues
// hold a handful of events: BenchmarkBulkTransfer and
// BenchmarkShortTransfers show no significant difference, BenchmarkPageLoad
// +9% (p=0.065), and the built-in connection-models sweep +12% with two
// workers. Zero allocations per event either way; a new scheduler
// allocates 2 KiB more, for its buckets' first slots.
//
// Since then (issue 9) buckets hold pointer-free entries and a table of
// slots holds the events, and a Timer moved later keeps its place until
// its old key comes up. Against the queue before that (commit 552b5c6),
// 8 interleaved runs: the hold model takes 73 ns an event instead of 69
// (+6%, p=0.015; fastest 70.9 against 66.7), re-arming a timer 4.5 ns
// instead of 15 (-71%). The TCP benchmarks, which also measure the
// transport (now Linux's SACK, RACK and TLP sender, 9% fewer packets in
// BenchmarkBulkTransfer) and the links, 12 interleaved runs, median:
// BenchmarkBulkTransfer 2.85 ms against 2.19 (+30%, p<0.001),
// BenchmarkShortTransfers fresh 41.6 us against 32.2 (+29%) and reused
// 34.2 us against 28.1 (+22%, p=0.01); the machine is noisy (each
// figure +-6 to 20%). A short run allocates less than before (16.5 KiB
// against 24.0 fresh, 3.2 against 5.4 reused): a network's idle queue
// blocks pass on to the next network (link's shared pools).
//
// Alternatives measured before, on the binary heap: entries stored by value
// (+7% on the hold model, but -5 to -9% on BenchmarkBulkTransfer and -7% on
// BenchmarkPageLoad), a 4-ary heap (-9% on the hold model), a branch-free
// child selection in sift-down (-12% on the hold model: it serialises the
// loads that branch prediction overlaps), Floyd's bottom-up pop and
// hand-inlined comparisons (no gain).
package sim
