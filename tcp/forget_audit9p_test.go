package tcp

import "testing"

// TestForgetDropsEveryCountedMark: a segment leaving the scoreboard
// takes each of its counted marks (SACKed, lost, retransmitted) out of
// the counters, whichever of them it has alone. A segment can carry the
// retransmitted mark alone: undoCwndReduction(true) clears the lost marks
// of resent segments and leaves their retransmissions counted until they
// are acknowledged. forget's early return for a segment with no counted
// mark must test all three, or retransOut (and with it the flight) would
// stay raised for good.
func TestForgetDropsEveryCountedMark(t *testing.T) {
	for _, f := range []segFlags{0, segSacked, segLost, segRetrans, segLost | segRetrans, segSacked | segRetrans, segEverRetrans, segFin} {
		var b scoreboard
		b.segs.Push(txSeg{start: 1, end: 101})
		s := b.segs.At(0)
		for _, m := range []segFlags{segSacked, segLost, segRetrans} {
			b.set(s, f&m)
		}
		s.flags |= f &^ (segSacked | segLost | segRetrans)
		b.forget(s)
		if b.sackedOut != 0 || b.lostOut != 0 || b.retransOut != 0 {
			t.Errorf("flags %b: after forget sacked, lost, retrans = %d, %d, %d; want 0, 0, 0", f, b.sackedOut, b.lostOut, b.retransOut)
		}
	}
}
