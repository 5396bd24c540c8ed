package tcp

import (
	"testing"

	"github.com/connsim/connsim/sim/link"
)

// TestAckFastPathTakesOnlyEmptyAcks pins which ACKs onAck's fast path
// (ackChangesNothing) may take: only one that acknowledges nothing new,
// carries no SACK block, is no duplicate ACK, and arrives in Open with no
// loss probe out. A duplicate ACK (no data, nothing but ACK, data
// outstanding) must reach fastRetransAlert, which runs RACK and may move
// to Disorder; any state but Open must reach the state machine (exit
// conditions, PRR); an outstanding probe must reach processTLPAck. No
// simulation in the suite sends a SACK-less duplicate ACK or a data
// segment without SACK to a sender out of Open, so without this test a
// fast path that took them would go unnoticed.
func TestAckFastPathTakesOnlyEmptyAcks(t *testing.T) {
	mk := func(outstanding bool) *Conn {
		c := &Conn{rec: newRecovery()}
		c.sndUna, c.sndMax = 1001, 1001
		if outstanding {
			c.sb.segs.Push(txSeg{start: 1001, end: 2001})
			c.sndMax = 2001
		}
		return c
	}
	pure := link.Packet{Flags: link.ACK, Ack: 1001}
	data := link.Packet{Flags: link.ACK, Ack: 1001, Len: 100}
	fin := link.Packet{Flags: link.ACK | link.FIN, Ack: 1001}
	old := link.Packet{Flags: link.ACK, Ack: 901}
	newData := link.Packet{Flags: link.ACK, Ack: 1501}
	sacked := data
	sacked.AddSackBlock(link.SackBlock{Start: 1501, End: 2001})
	for _, tc := range []struct {
		name        string
		outstanding bool
		state       CongState
		tlp         int64
		p           link.Packet
		want        bool
	}{
		{"data, Open", true, Open, 0, data, true},
		{"FIN, Open", true, Open, 0, fin, true},
		{"pure ACK, nothing outstanding", false, Open, 0, pure, true},
		{"duplicate ACK", true, Open, 0, pure, false},
		{"old duplicate ACK", true, Open, 0, old, false},
		{"new data acknowledged", true, Open, 0, newData, false},
		{"SACK block", true, Open, 0, sacked, false},
		{"data, Disorder", true, Disorder, 0, data, false},
		{"data, Recovery", true, Recovery, 0, data, false},
		{"data, Loss", true, Loss, 0, data, false},
		{"nothing outstanding, Loss", false, Loss, 0, pure, false},
		{"data, probe out", true, Open, 1001, data, false},
	} {
		c := mk(tc.outstanding)
		c.rec.state, c.rec.tlpHighSeq = tc.state, tc.tlp
		if got := c.ackChangesNothing(&tc.p); got != tc.want {
			t.Errorf("%s: ackChangesNothing = %v, want %v", tc.name, got, tc.want)
		}
	}
}
