package link

import "sync"

// A pipe's queue and its packets in flight are FIFOs of fixed-size blocks
// drawn from a pool that all the pipes of a network share. A ring that
// doubles would stay at the largest size its pipe ever needed (and hold
// both arrays while it copies): a bottleneck whose queue once held half a
// million packets kept 120 MB for the rest of the run, and each of 10,000
// idle access links 8 KB. Blocks go back to the pool as a FIFO drains,
// and an empty FIFO holds none, so a network holds about what is queued
// and in flight at its busiest instant, and handing a block from one pipe
// to another allocates nothing.

// blockLen is the number of entries in a block: a pipe with a few packets
// on it holds one block (about 2 KB).
const blockLen = 16

type block[T any] struct {
	next *block[T] // first: the GC scans a block's pointer words only
	v    [blockLen]T
}

// pool is a free list of blocks. Entries hold no pointers, so a block
// goes back as it is.
//
// A network's pools also hand spare blocks on to later networks, through
// a process-wide sync.Pool (shared): when no FIFO holds a block of the
// kind any more, the free blocks past the first go there (spill), and a
// pool that runs dry takes a chain from there before allocating. A sweep
// of short runs, each building its network afresh and dropping it without
// Release, then reuses the blocks of the runs before it (about 15 KB a
// run, half of what a short transfer allocated), as slab caches pass
// freed objects between CPUs through a shared layer. The first block
// stays, so that a network that goes idle after every packet (a
// request-response exchange) never touches the shared pool. A block's
// entries are overwritten whole before they are read (pushSlot), so what
// a former network left in it does not matter.
type pool[T any] struct {
	free   *block[T]
	out    int        // blocks held by FIFOs
	shared *sync.Pool // chains of spare blocks (*block[T]); nil: none
}

func (p *pool[T]) get() *block[T] {
	b := p.free
	if b == nil {
		b = p.refill()
	}
	p.free, b.next = b.next, nil
	p.out++
	return b
}

// refill returns a chain of spare blocks from the shared pool, or a new
// block.
func (p *pool[T]) refill() *block[T] {
	if p.shared != nil {
		if b, ok := p.shared.Get().(*block[T]); ok {
			return b
		}
	}
	return new(block[T])
}

func (p *pool[T]) put(b *block[T]) {
	b.next = p.free
	p.free = b
	p.out--
	if p.out == 0 && b.next != nil && p.shared != nil {
		p.spill()
	}
}

// spill hands the free blocks past the first (at most maxReleasedBlocks)
// on to the shared pool.
func (p *pool[T]) spill() {
	first := p.free
	p.free, first.next = first.next, nil
	p.shared.Put(p.take(maxReleasedBlocks))
	p.free = first
}

// take empties the pool, returning its first max blocks as a chain (nil
// if it has none); the others are left to the garbage collector.
func (p *pool[T]) take(max int) *block[T] {
	first := p.free
	p.free = nil
	b := first
	for i := 1; b != nil && i < max; i++ {
		b = b.next
	}
	if b != nil {
		b.next = nil
	}
	return first
}

// fifo is a queue of blocks: entries are pushed at tail[ti] and taken
// from head[hi].
type fifo[T any] struct {
	head, tail *block[T]
	hi, ti     int
	n          int
}

func (q *fifo[T]) Len() int { return q.n }

func (q *fifo[T]) push(pl *pool[T], v T) { *q.pushSlot(pl) = v }

// pushSlot adds an entry at the back and returns it for the caller to
// fill in place (it holds whatever a former entry left there).
func (q *fifo[T]) pushSlot(pl *pool[T]) *T {
	switch {
	case q.tail == nil:
		b := pl.get()
		q.head, q.tail, q.hi, q.ti = b, b, 0, 0
	case q.ti == blockLen:
		b := pl.get()
		q.tail.next = b
		q.tail, q.ti = b, 0
	}
	v := &q.tail.v[q.ti]
	q.ti++
	q.n++
	return v
}

// cursor is a place in a fifo: a block and an index in it.
type cursor[T any] struct {
	b *block[T]
	i int
}

// get returns the entry at c.
func (c cursor[T]) get() *T { return &c.b.v[c.i] }

// next moves c to the following entry, which must exist.
func (c *cursor[T]) next() {
	c.i++
	if c.i == blockLen {
		c.b, c.i = c.b.next, 0
	}
}

// first returns a cursor at the first entry; Len must be at least 1.
func (q *fifo[T]) first() cursor[T] { return cursor[T]{q.head, q.hi} }

// last returns a cursor at the last entry; Len must be at least 1.
func (q *fifo[T]) last() cursor[T] { return cursor[T]{q.tail, q.ti - 1} }

// front returns the first entry, which stays valid until discard.
func (q *fifo[T]) front() *T { return &q.head.v[q.hi] }

// discard drops the first entry, returning blocks it empties to pl.
func (q *fifo[T]) discard(pl *pool[T]) {
	q.hi++
	q.n--
	if q.n == 0 {
		pl.put(q.head)
		q.head, q.tail = nil, nil
		return
	}
	if q.hi == blockLen {
		b := q.head
		q.head, q.hi = b.next, 0
		pl.put(b)
	}
}
