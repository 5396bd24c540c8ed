// Package ring is a growable first-in first-out queue backed by a ring
// buffer. It reuses its storage, so a queue that has reached its working
// size allocates nothing more: the per-packet paths of sim/link and tcp
// rely on that.
package ring

// Queue is a FIFO of T. The zero value is an empty queue.
type Queue[T any] struct {
	buf  []T
	head int
	n    int
}

// Len returns the number of queued items.
func (q *Queue[T]) Len() int { return q.n }

// Push appends v at the back.
func (q *Queue[T]) Push(v T) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = v
	q.n++
}

// Front returns a pointer to the front item; the queue must not be empty.
// The pointer is valid until the next Push or Pop.
func (q *Queue[T]) Front() *T {
	if q.n == 0 {
		panic("ring: Front of empty queue")
	}
	return &q.buf[q.head]
}

// At returns a pointer to the i-th item from the front (0 is the front).
func (q *Queue[T]) At(i int) *T {
	if i < 0 || i >= q.n {
		panic("ring: index out of range")
	}
	return &q.buf[(q.head+i)&(len(q.buf)-1)]
}

// Back returns a pointer to the back item; the queue must not be empty.
func (q *Queue[T]) Back() *T { return q.At(q.n - 1) }

// Slices returns the items, front first, as two slices of the queue's
// storage: the first up to the end of the array, the second the rest
// (empty unless the items wrap). They are valid until the next Push or
// Pop; a loop over them (a binary search) needs no index arithmetic.
func (q *Queue[T]) Slices() (a, b []T) {
	if end := q.head + q.n; end <= len(q.buf) {
		return q.buf[q.head:end], nil
	}
	return q.buf[q.head:], q.buf[:q.head+q.n-len(q.buf)]
}

// Pop removes and returns the front item; the queue must not be empty.
func (q *Queue[T]) Pop() T {
	if q.n == 0 {
		panic("ring: Pop of empty queue")
	}
	var zero T
	v := q.buf[q.head]
	q.buf[q.head] = zero
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return v
}

// Discard removes the front item without returning it or clearing its
// slot: for element types that hold no pointers, where Pop's copy and
// zeroing are wasted work. The queue must not be empty.
func (q *Queue[T]) Discard() {
	if q.n == 0 {
		panic("ring: Discard of empty queue")
	}
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
}

// DiscardN removes the n front items as Discard does; n must not exceed
// Len.
func (q *Queue[T]) DiscardN(n int) {
	if n < 0 || n > q.n {
		panic("ring: DiscardN beyond the queue")
	}
	if n > 0 {
		q.head = (q.head + n) & (len(q.buf) - 1)
		q.n -= n
	}
}

// DropBack removes the back item without clearing its slot (for element
// types that hold no pointers). The queue must not be empty.
func (q *Queue[T]) DropBack() {
	if q.n == 0 {
		panic("ring: DropBack of empty queue")
	}
	q.n--
}

// Clear removes every item, keeping the storage.
func (q *Queue[T]) Clear() {
	var zero T
	for i := 0; i < q.n; i++ {
		q.buf[(q.head+i)&(len(q.buf)-1)] = zero
	}
	q.head, q.n = 0, 0
}

// TakeStorage empties the queue and returns its storage (nil if it has
// none), leaving it the zero queue, for another queue's UseStorage: a
// program that makes and drops many queues of similar sizes can reuse
// their arrays instead of growing new ones. The items are not cleared:
// for element types that hold no pointers, or after Clear.
func (q *Queue[T]) TakeStorage() []T {
	buf := q.buf
	*q = Queue[T]{}
	return buf
}

// UseStorage gives the queue, which must be empty and hold no storage
// (the zero queue), buf as its storage. The length of buf must be a
// power of two, as TakeStorage returns.
func (q *Queue[T]) UseStorage(buf []T) {
	if q.n != 0 || q.buf != nil || len(buf)&(len(buf)-1) != 0 {
		panic("ring: UseStorage on a queue with storage, or of a length not a power of two")
	}
	q.buf, q.head = buf, 0
}

func (q *Queue[T]) grow() {
	size := 2 * len(q.buf)
	if size == 0 {
		size = 8
	}
	buf := make([]T, size)
	for i := 0; i < q.n; i++ {
		buf[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
	}
	q.buf, q.head = buf, 0
}
