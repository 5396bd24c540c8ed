package ring

import "testing"

// TestQueueFIFOAcrossGrowth pushes and pops in an interleaved pattern that
// wraps the ring and forces growth, checking first-in first-out order.
func TestQueueFIFOAcrossGrowth(t *testing.T) {
	var q Queue[int]
	next, want := 0, 0
	for round := 0; round < 50; round++ {
		for i := 0; i < round%7+3; i++ {
			q.Push(next)
			next++
		}
		for i := 0; i < round%5+1 && q.Len() > 0; i++ {
			if got := *q.Front(); got != want {
				t.Fatalf("Front = %d, want %d", got, want)
			}
			if got := q.Pop(); got != want {
				t.Fatalf("Pop = %d, want %d", got, want)
			}
			want++
		}
		if q.Len() != next-want {
			t.Fatalf("Len = %d, want %d", q.Len(), next-want)
		}
		if q.Len() > 0 {
			if got := *q.Back(); got != next-1 {
				t.Fatalf("Back = %d, want %d", got, next-1)
			}
			if got := *q.At(0); got != want {
				t.Fatalf("At(0) = %d, want %d", got, want)
			}
		}
	}
	q.Clear()
	if q.Len() != 0 {
		t.Fatalf("Len after Clear = %d, want 0", q.Len())
	}
}

// TestQueueSteadyStateAllocatesNothing checks that a queue at its working
// size reuses its storage.
func TestQueueSteadyStateAllocatesNothing(t *testing.T) {
	var q Queue[[4]int64]
	for i := 0; i < 64; i++ {
		q.Push([4]int64{int64(i)})
	}
	allocs := testing.AllocsPerRun(100, func() {
		q.Push([4]int64{1})
		q.Pop()
	})
	if allocs != 0 {
		t.Fatalf("allocs per push/pop = %v, want 0", allocs)
	}
}

// TestQueueStorageReuse moves a grown queue's storage to another queue:
// the first is left empty and without storage, the second keeps FIFO
// order in its new array (wrapping it) and grows past it, and UseStorage
// refuses a queue that has storage or an array whose length is not a
// power of two.
func TestQueueStorageReuse(t *testing.T) {
	var a, b Queue[int]
	for i := range 20 {
		a.Push(i)
	}
	buf := a.TakeStorage()
	if a.Len() != 0 || a.buf != nil || len(buf) != 32 {
		t.Fatalf("after TakeStorage: Len %d, storage %d, returned %d; want 0, nil, 32", a.Len(), len(a.buf), len(buf))
	}
	b.UseStorage(buf)
	for i := range 30 {
		b.Push(i)
	}
	for want := range 20 { // the head moves to 20: the next pushes wrap
		if got := b.Pop(); got != want {
			t.Fatalf("Pop = %d, want %d", got, want)
		}
	}
	for i := 30; i < 70; i++ { // 50 queued at the end: grown to 64
		b.Push(i)
	}
	if len(b.buf) != 64 {
		t.Fatalf("storage %d after growth, want 64", len(b.buf))
	}
	for want := 20; want < 70; want++ {
		if got := b.Pop(); got != want {
			t.Fatalf("Pop = %d, want %d", got, want)
		}
	}
	for _, bad := range []func(){
		func() { b.UseStorage(make([]int, 8)) },
		func() { var c Queue[int]; c.UseStorage(make([]int, 12)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("UseStorage did not panic")
				}
			}()
			bad()
		}()
	}
}

// TestQueueSlices checks that Slices returns the items in order, split
// where they wrap around the end of the storage and whole where they do
// not.
func TestQueueSlices(t *testing.T) {
	var q Queue[int]
	next, want, wrapped := 0, 0, 0
	for round := range 40 {
		for range round%6 + 2 {
			q.Push(next)
			next++
		}
		for range round % 4 {
			q.Pop()
			want++
		}
		a, b := q.Slices()
		if len(b) > 0 {
			wrapped++
		}
		if len(b) > 0 && len(a)+q.head != len(q.buf) {
			t.Fatalf("round %d: split at %d, but the items only wrap at %d", round, len(a), len(q.buf)-q.head)
		}
		got := append(append([]int{}, a...), b...)
		if len(got) != q.Len() {
			t.Fatalf("round %d: %d items in the slices, Len %d", round, len(got), q.Len())
		}
		for i, v := range got {
			if v != want+i {
				t.Fatalf("round %d: item %d is %d, want %d", round, i, v, want+i)
			}
		}
	}
	if wrapped == 0 {
		t.Fatal("the items never wrapped: the test does not reach the split case")
	}
}

// TestQueueDiscardN drops runs of items from the front, across the end
// of the storage, and checks what is left; it panics beyond Len.
func TestQueueDiscardN(t *testing.T) {
	var q Queue[int]
	next, want := 0, 0
	for round := range 30 {
		for range round%5 + 3 {
			q.Push(next)
			next++
		}
		n := round % 4
		q.DiscardN(n)
		want += n
		if q.Len() != next-want || *q.Front() != want {
			t.Fatalf("round %d: Len %d, front %d; want %d, %d", round, q.Len(), *q.Front(), next-want, want)
		}
	}
	q.DiscardN(0)
	q.DiscardN(q.Len())
	if q.Len() != 0 {
		t.Fatalf("Len %d after discarding all, want 0", q.Len())
	}
	defer func() {
		if recover() == nil {
			t.Error("DiscardN beyond Len did not panic")
		}
	}()
	q.Push(1)
	q.DiscardN(2)
}
