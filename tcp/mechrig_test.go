package tcp

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// The mechanism tests (sack_test.go, scoreboard_test.go, rack_test.go,
// tlp_test.go, prr_test.go, undo_test.go, rto_test.go) each name, in
// their comments, the mutations of the model they were seen to fail
// under: the mutation made by hand, `go test ./tcp` run, the file
// restored with git checkout.

// senderRig is a sender under test whose ACKs are written by the test. A
// client dials a server over a path of rate 0 (no serialization) and RTT
// rtt; once established (at 1.5 RTT) the server writes size bytes. Every
// data segment the server sends is dropped on the wire, so the client
// never answers: the test hands the server the ACKs it wants, with ack,
// at the instants it chooses. The handshake gave the server one RTT
// sample of exactly rtt (SRTT = min RTT = rtt).
type senderRig struct {
	t   *testing.T
	p   *path
	c   *Conn // the server: the sender under test
	log *pktLog
	mss Bytes
	t0  sim.Time // when the first flight left
}

func newSenderRig(t *testing.T, cfg Config, rtt time.Duration, size Bytes) *senderRig {
	t.Helper()
	p := newPath(pathConfig{rtt: rtt})
	p.down.SetLoss(link.DropFunc(func(_ sim.Time, pk *link.Packet) bool {
		return pk.Len > 0 || pk.Flags&link.FIN != 0
	}))
	log := &pktLog{}
	p.net.SetTracer(log)
	_, _, sconn := p.transfer(cfg, size)
	t0 := at(rtt * 3 / 2)
	p.s.RunUntil(t0)
	c := *sconn
	if c == nil || c.State() != Established || c.sndMax <= 1 {
		t.Fatalf("rig: server not established and sending at %v", t0)
	}
	return &senderRig{t: t, p: p, c: c, log: log, mss: c.SMSS(), t0: t0}
}

// seg returns the sequence range of data segment k (from 1).
func (r *senderRig) seg(k int) (start, end int64) {
	return 1 + int64(k-1)*r.mss, 1 + int64(k)*r.mss
}

// block is the SACK block covering segments from..to (inclusive).
func (r *senderRig) block(from, to int) link.SackBlock {
	s, _ := r.seg(from)
	_, e := r.seg(to)
	return link.SackBlock{Start: s, End: e}
}

// runUntil advances the simulation to t.
func (r *senderRig) runUntil(t sim.Time) { r.p.s.RunUntil(t) }

// ack runs the simulation to t and hands the sender an ACK of ackSeq
// echoing tsecr, with the given SACK blocks (first block first). It
// returns the data segments the sender sent in answer, at t.
func (r *senderRig) ack(t sim.Time, ackSeq int64, tsecr sim.Time, blocks ...link.SackBlock) []link.Packet {
	r.t.Helper()
	r.runUntil(t)
	if len(blocks) > link.MaxSackBlocks {
		r.t.Fatalf("rig: %d SACK blocks, at most %d", len(blocks), link.MaxSackBlocks)
	}
	p := link.Packet{Flags: link.ACK, Seq: r.c.rcv.nxt, Ack: ackSeq, Wnd: 4 << 20,
		SentAt: t, TSecr: tsecr}
	for _, b := range blocks {
		if !p.AddSackBlock(b) {
			r.t.Fatalf("rig: SACK block %v does not fit", b)
		}
	}
	before := len(r.log.events)
	r.c.receive(&p)
	var out []link.Packet
	for _, e := range r.log.events[before:] {
		if e.ev == link.Sent && e.pipe == r.p.down && e.p.Len > 0 {
			out = append(out, e.p)
		}
	}
	return out
}

// dataSent returns the data segments the sender put on the wire in
// (from, to], with their times.
func (r *senderRig) dataSent(from, to sim.Time) []pktEvent {
	var out []pktEvent
	for _, e := range r.log.sent(r.p.down, func(p *link.Packet) bool { return p.Len > 0 }) {
		if e.at > from && e.at <= to {
			out = append(out, e)
		}
	}
	return out
}

// checkScoreboard recomputes the scoreboard's counters from the marks on
// its segments and checks them, in segments and in bytes, together with
// the in-flight figures: packets_out - (sacked_out + lost_out) +
// retrans_out (Linux tcp_packets_in_flight), and its byte form, the
// outstanding bytes less those SACKed and lost plus those resent.
// Segments must be contiguous from snd_una to snd_max, and a segment is
// never both SACKed and lost. (A segment may stay marked resent after its
// lost mark is cleared, by an undo, as in Linux; it then counts twice in
// flight, the original and the resend, as tcp_packets_in_flight counts
// it.)
func checkScoreboard(t *testing.T, c *Conn) {
	t.Helper()
	b := &c.sb
	var sacked, lost, retrans int
	var sackedB, lostB, retransB Bytes
	next := c.sndUna
	var inflightB Bytes
	for i := 0; i < b.segs.Len(); i++ {
		s := b.segs.At(i)
		if s.start != next {
			t.Fatalf("scoreboard segment %d starts at %d, want %d (contiguous from snd_una %d)", i, s.start, next, c.sndUna)
		}
		next = s.end
		if s.has(segSacked) && s.has(segLost) {
			t.Errorf("segment [%d,%d) both SACKed and lost", s.start, s.end)
		}
		if s.has(segSacked) {
			sacked++
			sackedB += s.bytes()
		}
		if s.has(segLost) {
			lost++
			lostB += s.bytes()
		}
		if s.has(segRetrans) {
			retrans++
			retransB += s.bytes()
		}
		// Per segment, packets_out - sacked - lost + retrans.
		n := Bytes(1)
		if s.has(segSacked) {
			n--
		}
		if s.has(segLost) {
			n--
		}
		if s.has(segRetrans) {
			n++
		}
		inflightB += n * s.bytes()
	}
	if b.segs.Len() > 0 && next != c.sndMax {
		t.Fatalf("scoreboard ends at %d, want snd_max %d", next, c.sndMax)
	}
	if b.sackedOut != sacked || b.lostOut != lost || b.retransOut != retrans {
		t.Errorf("counters sacked, lost, retrans = %d, %d, %d; marks say %d, %d, %d",
			b.sackedOut, b.lostOut, b.retransOut, sacked, lost, retrans)
	}
	if b.sackedBytes != sackedB || b.lostBytes != lostB || b.retransBytes != retransB {
		t.Errorf("byte counters sacked, lost, retrans = %d, %d, %d; marks say %d, %d, %d",
			b.sackedBytes, b.lostBytes, b.retransBytes, sackedB, lostB, retransB)
	}
	if got, want := b.inFlight(), b.packetsOut()-sacked-lost+retrans; got != want {
		t.Errorf("inFlight = %d, want packets_out %d - sacked %d - lost %d + retrans %d = %d",
			got, b.packetsOut(), sacked, lost, retrans, want)
	}
	if got := c.InFlight(); got != inflightB {
		t.Errorf("InFlight = %d bytes, the segments in flight hold %d", got, inflightB)
	}
}
