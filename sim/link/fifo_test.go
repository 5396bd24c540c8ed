package link

import (
	"math/rand/v2"
	"testing"
)

// TestFIFOMatchesSlice pushes and discards at random across many block
// boundaries, checking front, the entry a cursor steps to after it, the
// last entry and Len against a slice, and that an emptied FIFO gives
// every block back to the pool.
func TestFIFOMatchesSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var pl pool[int]
	var q fifo[int]
	var model []int
	next := 0
	for step := range 50_000 {
		// Grow for a while, then drain, now and then.
		grow := (step/3000)%2 == 0
		if len(model) == 0 || rng.IntN(10) < 6 == grow {
			q.push(&pl, next)
			model = append(model, next)
			next++
		} else {
			q.discard(&pl)
			model = model[1:]
		}
		if q.Len() != len(model) {
			t.Fatalf("step %d: Len %d, want %d", step, q.Len(), len(model))
		}
		if len(model) > 0 && *q.front() != model[0] {
			t.Fatalf("step %d: front %d, want %d", step, *q.front(), model[0])
		}
		if len(model) > 1 {
			c := q.first()
			c.next()
			if *c.get() != model[1] {
				t.Fatalf("step %d: second %d, want %d", step, *c.get(), model[1])
			}
			if *q.last().get() != model[len(model)-1] {
				t.Fatalf("step %d: last %d, want %d", step, *q.last().get(), model[len(model)-1])
			}
		}
	}
	for q.Len() > 0 {
		q.discard(&pl)
	}
	if q.head != nil || q.tail != nil {
		t.Error("an empty FIFO holds a block")
	}
	free := 0
	for b := pl.free; b != nil; b = b.next {
		free++
	}
	if free == 0 {
		t.Error("no block went back to the pool")
	}
}
