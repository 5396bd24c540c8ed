package tcp

import (
	"testing"

	"github.com/connsim/connsim/sim"
)

// TestSentSegAcrossOrdinalWrap checks RACK's lookup of a transmission's
// segment by ordinal (sentSeg) against the search by start it replaced,
// while the ordinals wrap past 2^32: transmissions recorded before the
// wrap (ordinals near 2^32) and after it (small ordinals) must find their
// segments, and those of segments gone from the front must find none. A
// lookup that subtracts the ordinals as plain integers instead of modulo
// 2^32 loses every segment on one side of the wrap.
func TestSentSegAcrossOrdinalWrap(t *testing.T) {
	var b scoreboard
	b.first = 1<<32 - 5 // five segments before the ordinals wrap
	seq := int64(1000)
	type tx struct {
		e     sentEntry
		start int64
	}
	var txs []tx
	push := func() {
		s := txSeg{start: seq, end: seq + 100, sentAt: sim.Time(seq)}
		b.noteSent(&s, b.segs.Len())
		b.segs.Push(s)
		txs = append(txs, tx{*b.sent.Back(), s.start})
		seq += 100
	}
	// at is the search by start that sentSeg replaced.
	at := func(start int64) *txSeg {
		i := b.index(start)
		if i >= b.segs.Len() {
			return nil
		}
		if s := b.segs.At(i); s.start == start {
			return s
		}
		return nil
	}
	check := func(when string) {
		t.Helper()
		for _, x := range txs {
			got, want := b.sentSeg(&x.e), at(x.start)
			if got != want {
				t.Fatalf("%s: first %d, transmission ord %d (start %d): sentSeg = %v, want %v",
					when, b.first, x.e.ord, x.start, got, want)
			}
		}
	}
	for range 12 {
		push()
	}
	check("12 segments, ordinals wrapped")
	if txs[0].e.ord != 1<<32-5 || txs[11].e.ord != 6 {
		t.Fatalf("ordinals %d..%d, want %d..6", txs[0].e.ord, txs[11].e.ord, uint32(1<<32-5))
	}
	b.dropFront(3) // still before the wrap
	check("3 dropped")
	b.dropFront(4) // the front is now past the wrap
	check("7 dropped")
	for range 3 {
		push()
	}
	check("3 more pushed")
	// A resent segment is recorded at its index on the scoreboard.
	s := b.segs.At(2)
	s.sentAt = sim.Time(1 << 40)
	b.noteSent(s, 2)
	txs = append(txs, tx{*b.sent.Back(), s.start})
	check("one resent")
	for _, x := range txs[7:] {
		if b.sentSeg(&x.e) == nil {
			t.Fatalf("transmission of the segment at %d, still on the scoreboard, not found", x.start)
		}
	}
}
