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
