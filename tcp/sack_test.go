package tcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// receiverRig is an established connection whose client end receives
// data segments written by the test; the ACKs it sends are captured
// (and dropped on the wire, so the server never sees them).
type receiverRig struct {
	t   *testing.T
	p   *path
	c   *Conn // the client: the receiver under test
	log *pktLog
}

func newReceiverRig(t *testing.T, cfg Config) *receiverRig {
	t.Helper()
	p := newPath(pathConfig{rtt: 10 * time.Millisecond})
	log := &pktLog{}
	p.net.SetTracer(log)
	p.sep.Listen(80, cfg, func(c *Conn) Handler { return newRecorder(p.s) })
	c := p.cep.Dial(p.server.ID, 80, cfg, newRecorder(p.s))
	p.s.RunUntil(at(time.Second))
	if c.State() != Established {
		t.Fatalf("rig: client not established")
	}
	p.up.SetLoss(link.DropFunc(func(sim.Time, *link.Packet) bool { return true }))
	return &receiverRig{t: t, p: p, c: c, log: log}
}

// segment hands the receiver the data segment [seq, end) stamped with
// TSval ts and returns the ACKs it sends in answer, at once.
func (r *receiverRig) segment(seq, end int64, ts sim.Time) []link.Packet {
	p := link.Packet{Flags: link.ACK, Seq: seq, Ack: r.c.sndMax, Len: int32(end - seq), Wnd: 4 << 20,
		SentAt: ts, TSecr: -1}
	before := len(r.log.events)
	r.c.receive(&p)
	var acks []link.Packet
	for _, e := range r.log.events[before:] {
		if e.ev == link.Sent && e.pipe == r.p.up {
			acks = append(acks, e.p)
		}
	}
	return acks
}

// data hands the receiver the data segment [seq, end), stamped now, and
// returns the one ACK it sends in answer.
func (r *receiverRig) data(seq, end int64) link.Packet {
	r.t.Helper()
	acks := r.segment(seq, end, r.p.s.Now())
	if len(acks) != 1 {
		r.t.Fatalf("segment [%d,%d): %d ACKs sent, want 1", seq, end, len(acks))
	}
	return acks[0]
}

func fmtSack(p *link.Packet) string {
	s := fmt.Sprint("ack ", p.Ack)
	for i := range int(p.NSack) {
		b := p.SackBlock(i)
		s += fmt.Sprintf(" [%d,%d)", b.Start, b.End)
	}
	return s
}

// TestSACKBlocks hands a receiver (DelayedAck off, so every segment is
// answered at once) a scripted sequence of segments of 1000 bytes and
// checks each ACK's cumulative point and SACK blocks, in order:
//
//   - the block holding the most recent arrival comes first, then the
//     blocks of earlier arrivals, most recent first (RFC 2018 4; Linux
//     tcp_sack_new_ofo_skb); at most 3 blocks (with the timestamp
//     option), the oldest left out;
//   - a segment that joins or extends spans reports the merged span, and
//     that span moves to the front;
//   - once the cumulative ACK covers a span, its block is gone (Linux
//     tcp_sack_remove);
//   - a duplicate below rcv_nxt is reported in a D-SACK first block
//     (RFC 2883 4.1.1), once: the next ACK has none;
//   - a duplicate of data held out of order is reported in a D-SACK first
//     block followed by the block of the span that holds it (RFC 2883
//     4.1.2: "the second block ... the SACK block containing the
//     duplicate").
//
// Every ACK's size on the wire is 40 + 12 (timestamps) + the SACK option,
// 2 + 8n bytes padded to a multiple of 4 (RFC 2018 3, and Linux's two
// NOPs): 52, 64, 72, 80 for n = 0..3; without timestamps 40, 52, 60, 68.
//
// Mutations caught: blocks in scoreboard order instead of most recent
// first (sackBlocks skipping the recent list); the receiver not noting a
// duplicate (noteDuplicate a no-op: no D-SACK); mergeOOO leaving a span
// that the cumulative ACK covers (a stale block after 7); the SACK option
// not padded ((2+8n) without rounding up).
func TestSACKBlocks(t *testing.T) {
	for _, ts := range []bool{true, false} {
		t.Run(fmt.Sprint("timestamps=", ts), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.DelayedAck = false
			cfg.Timestamps = ts
			r := newReceiverRig(t, cfg)
			// Step 4 holds four spans. With timestamps three blocks
			// fit; without, Linux sends four (see
			// TestSACKFourBlocksWithoutTimestamps): this table
			// leaves that step's fourth block out of the check.
			steps := []struct {
				seq, end int64
				want     string
			}{
				{1001, 2001, "ack 1 [1001,2001)"},
				{3001, 4001, "ack 1 [3001,4001) [1001,2001)"},
				{5001, 6001, "ack 1 [5001,6001) [3001,4001) [1001,2001)"},
				{7001, 8001, "ack 1 [7001,8001) [5001,6001) [3001,4001)"},
				{2001, 3001, "ack 1 [1001,4001) [7001,8001) [5001,6001)"},
				{6001, 7001, "ack 1 [5001,8001) [1001,4001)"},
				{1, 1001, "ack 4001 [5001,8001)"},
				{1, 1001, "ack 4001 [1,1001) [5001,8001)"},
				{9001, 10001, "ack 4001 [9001,10001) [5001,8001)"},
				{6001, 7001, "ack 4001 [6001,7001) [5001,8001) [9001,10001)"},
				{4001, 5001, "ack 8001 [9001,10001)"},
				{8001, 9001, "ack 10001"},
			}
			base := Bytes(40)
			if ts {
				base += 12
			}
			pad := []Bytes{0, 12, 20, 28}
			for i, st := range steps {
				p := r.data(st.seq, st.end)
				if i == 3 && p.NSack == 4 {
					p.NSack = 3
				}
				if got := fmtSack(&p); got != st.want {
					t.Errorf("step %d, segment [%d,%d): %s; want %s", i+1, st.seq, st.end, got, st.want)
				}
				if want := base + pad[min(int(p.NSack), 3)]; (i != 3 || ts) && Bytes(p.Size) != want {
					t.Errorf("step %d: ACK with %d SACK blocks is %d bytes on the wire, want %d", i+1, p.NSack, p.Size, want)
				}
			}
		})
	}
}

// TestSACKOffTextbook: with NewReno recovery (no SACK negotiated) the
// receiver sends no SACK blocks, and its ACKs stay 40 bytes.
//
// Mutation caught: sackBlocks ignoring the recovery mode.
func TestSACKOffTextbook(t *testing.T) {
	cfg := TextbookConfig()
	cfg.DelayedAck = false
	r := newReceiverRig(t, cfg)
	for _, seq := range []int64{1001, 3001, 1} {
		p := r.data(seq, seq+1000)
		if p.NSack != 0 || p.Size != 40 {
			t.Errorf("segment at %d: %s, %d bytes; want no SACK blocks, 40 bytes", seq, fmtSack(&p), p.Size)
		}
	}
}

// TestSACKFourBlocksWithoutTimestamps: without the timestamp option the
// 40 option bytes hold four SACK blocks (RFC 2018 3: "a SACK option that
// specifies n blocks will have a length of 8*n+2 bytes, so the 40 bytes
// available for TCP options can specify a maximum of 4 blocks"). Linux
// sends as many as fit (tcp_established_options: (40 - 4) / 8 = 4 blocks
// without timestamps, TCP_NUM_SACKS = 4 kept). With four out-of-order
// spans the ACK carries all four, most recent first, and is 40 + 36 = 76
// bytes on the wire.
func TestSACKFourBlocksWithoutTimestamps(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DelayedAck = false
	cfg.Timestamps = false
	r := newReceiverRig(t, cfg)
	var p link.Packet
	for _, seq := range []int64{1001, 3001, 5001, 7001} {
		p = r.data(seq, seq+1000)
	}
	const want = "ack 1 [7001,8001) [5001,6001) [3001,4001) [1001,2001)"
	if got := fmtSack(&p); got != want || p.Size != 76 {
		t.Errorf("%s, %d bytes; want %s, 76 bytes", got, p.Size, want)
	}
}

// TestDuplicateEchoesItsTimestamp: the server sends 1,000 bytes over a 50
// ms path; the client's ACK of them is lost, so the server's loss probe
// (2 SRTT + the minimum RTO with one segment out) resends the segment the
// client already has. The client's answer echoes the probe's timestamp,
// as Linux's tcp_replace_ts_recent stores the TSval of any acceptable
// segment at or before the last byte acknowledged (RFC 7323 4.3): the
// server's RTT sample is then about one RTT, and the repair is found
// spurious by its D-SACK. Echoing the original's timestamp instead gives
// a sample of the probe's whole wait, about 300 ms, which would raise
// the server's SRTT six-fold for a lost ACK.
//
// Mutation caught: the duplicate case leaving TS.Recent alone (the echo
// is the original's, 250 ms older than the probe).
func TestDuplicateEchoesItsTimestamp(t *testing.T) {
	p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 50 * time.Millisecond})
	log := &pktLog{}
	p.net.SetTracer(log)
	dropped := false
	p.up.SetLoss(link.DropFunc(func(_ sim.Time, q *link.Packet) bool {
		if !dropped && q.Len == 0 && q.Ack == 1001 && q.Flags&link.SYN == 0 {
			dropped = true
			return true
		}
		return false
	}))
	srv := newRecorder(p.s)
	var sc *Conn
	srv.onConnected = func(c *Conn) { sc = c; c.Send(1000, "m1") }
	p.sep.Listen(80, DefaultConfig(), func(*Conn) Handler { return srv })
	p.cep.Dial(p.server.ID, 80, DefaultConfig(), newRecorder(p.s))
	p.s.RunUntil(sim.Time(3 * time.Second))
	if !dropped || sc == nil {
		t.Fatalf("the scenario did not run: ACK dropped %v", dropped)
	}
	var probe *pktEvent
	for i, e := range log.events {
		if e.ev == link.Sent && e.pipe == p.down && e.p.Len == 1000 && e.p.Retransmit {
			probe = &log.events[i]
			break
		}
	}
	if probe == nil {
		t.Fatal("no repair of the 1,000 bytes was sent")
	}
	var echo sim.Time = -1
	for _, e := range log.events {
		if e.ev == link.Sent && e.pipe == p.up && e.at > probe.at && e.p.Ack == 1001 {
			echo = e.p.TSecr
			break
		}
	}
	if echo != probe.p.SentAt {
		t.Errorf("the ACK of the repair echoes %v, want the repair's timestamp %v", echo, probe.p.SentAt)
	}
	if st := sc.Stats(); st.SRTT > 60*time.Millisecond {
		t.Errorf("server SRTT %v after a lost ACK, want about the 50 ms RTT", st.SRTT)
	}
}

// TestDuplicateEchoRespectsRcvWup: the receiver takes TS.Recent from a
// duplicate only if it starts at or before the last byte it acknowledged
// (RCV.WUP) and its TSval is not older than TS.Recent (Linux
// tcp_replace_ts_recent: !after(seq, rcv_wup) and tcp_paws_check(.., 0);
// RFC 7323 4.3). QuickAck off, so two small segments [1,501) at TSval T
// and [501,901) at T+1ms wait for a delayed ACK (RCV.WUP stays 1) and
// TS.Recent is T, the earliest unacknowledged segment's. Then a duplicate
// arrives, answered at once:
//   - of the second segment (starts at 501, after RCV.WUP) with TSval
//     T+5ms: the ACK still echoes T;
//   - of the first (starts at 1, at RCV.WUP) with TSval T+5ms: the ACK
//     echoes T+5ms;
//   - of the first, after the delayed ACK of both was sent (RCV.WUP
//     901, TS.Recent still T), with TSval T-5ms, older than TS.Recent:
//     the ACK echoes T (TS.Recent never moves back; Linux's PAWS would
//     even drop the segment and answer with a duplicate ACK echoing T).
//
// Mutations caught: the RCV.WUP test dropped (first row echoes T+5ms);
// made strict (second row echoes T); the ordering test dropped (third
// row echoes T-5ms).
func TestDuplicateEchoRespectsRcvWup(t *testing.T) {
	const ms = time.Millisecond
	cfg := DefaultConfig()
	cfg.QuickAck = false
	tests := []struct {
		name    string
		ackedAt bool // an ACK of both segments is sent before the duplicate
		dupSeq  int64
		dupEnd  int64
		dupTS   time.Duration // TSval of the duplicate, from T
		want    time.Duration // the echo, from T
	}{
		{"after-wup", false, 501, 901, 5 * ms, 0},
		{"at-wup", false, 1, 501, 5 * ms, 5 * ms},
		{"older-tsval", true, 1, 501, -5 * ms, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiverRig(t, cfg)
			T := r.p.s.Now()
			send := r.segment
			if acks := send(1, 501, T); len(acks) != 0 {
				t.Fatalf("the first 500 bytes were acknowledged at once; want a delayed ACK")
			}
			if acks := send(501, 901, T.Add(ms)); len(acks) != 0 {
				t.Fatalf("900 bytes, under one MSS, were acknowledged at once; want a delayed ACK")
			}
			want := T.Add(tt.want)
			if tt.ackedAt {
				r.p.s.RunUntil(T.Add(cfg.DelayedAckTimeout + ms)) // the delayed ACK leaves
				var last link.Packet
				n := 0
				for _, e := range r.log.events {
					if e.ev == link.Sent && e.pipe == r.p.up && e.at > T {
						last, n = e.p, n+1
					}
				}
				if n != 1 || last.Ack != 901 || last.TSecr != T {
					t.Fatalf("delayed ACK: %d sent, last ack %d echoing %v; want one, ack 901, echoing %v", n, last.Ack, last.TSecr, T)
				}
			}
			acks := send(tt.dupSeq, tt.dupEnd, T.Add(tt.dupTS))
			if len(acks) != 1 {
				t.Fatalf("the duplicate drew %d ACKs, want 1 at once", len(acks))
			}
			if acks[0].TSecr != want {
				t.Errorf("the ACK of the duplicate [%d,%d) echoes %v, want %v", tt.dupSeq, tt.dupEnd, acks[0].TSecr, want)
			}
		})
	}
}

// TestSACKBlocksWalkedInSequenceOrder: an ACK's SACK blocks are walked
// lowest first, as Linux sorts them (tcp_sacktag_write_queue), whatever
// their order on the wire (the most recent block first). RTT 100 ms, 30
// segments: IW 10 at t0 = 150 ms; an ACK of segments 1-2 at 250 ms
// releases segments 11-14 then. Segment 3 is lost, and at 300 ms one ACK
// newly SACKs segments 11-12 (sent at 250 ms), listed first, and 4-5
// (sent at 150 ms). The SACK RTT, from the first segment walked, is
// segment 4's, 150 ms (SRTT 100 -> 106.25 ms); the minimum RTT takes the
// last one walked, segment 12's, 50 ms (Linux's ca_rtt_us from
// last_sackt, which tcp_update_rtt_min reads); and no reordering is seen:
// 4-5 lie below what was SACKed before this ACK, not below 11-12 of the
// same ACK.
//
// Mutations caught: the blocks walked in wire order (a 50 ms sample: SRTT
// 93.75 ms, the minimum from segment 5, 100 ms, and reordering falsely
// seen, which would widen RACK's window); the minimum RTT taken from the
// first segment (100 ms).
func TestSACKBlocksWalkedInSequenceOrder(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 30*1448)
	_, e2 := r.seg(2)
	if out := r.ack(ms(250), e2, r.t0); len(out) != 4 {
		t.Fatalf("at 250 ms sent %d segments, want 4 (11-14)", len(out))
	}
	s3, _ := r.seg(3)
	r.ack(ms(300), s3, ms(250), r.block(11, 12), r.block(4, 5))
	if st := r.c.Stats(); st.MinRTT != 50*time.Millisecond || r.c.est.srtt != 106250*time.Microsecond {
		t.Errorf("min RTT %v, SRTT %v; want 50ms (segment 12's sample) and 106.25ms (a sample from segment 4, 150 ms)", st.MinRTT, r.c.est.srtt)
	}
	if r.c.rec.reordSeen {
		t.Errorf("reordering seen: segments 4-5 were taken as below segments 11-12 of the same ACK")
	}
}

// TestNoSampleFromAckOfRepair: an ACK that covers a resent segment gives
// no RTT sample from the segments it acknowledges, since it may have
// waited for the repair; the echoed timestamp gives it instead (Linux
// tcp_clean_rtx_queue: no seq_rtt_us with FLAG_RETRANS_DATA_ACKED; the
// timestamp in tcp_ack_update_rtt). RTT 50 ms, 10 segments at t0 = 75
// ms; segments 1-5 are acknowledged at 125 ms, the ACKs of 6-10 are lost,
// and the loss probe resends segment 10 at 229 ms. Its ACK at 279 ms
// covers everything and echoes the probe's timestamp: a 50 ms sample,
// SRTT stays 50 ms. Segment 6's 204 ms would raise it to 69.25 ms.
//
// Mutation caught: the sample taken from the never-resent segments of
// the ACK (SRTT 69.25 ms).
func TestNoSampleFromAckOfRepair(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 50*time.Millisecond, 10*1448)
	_, e5 := r.seg(5)
	r.ack(ms(125), e5, r.t0)
	r.runUntil(ms(260))
	ev := r.dataSent(ms(125), ms(260))
	if len(ev) != 1 || !ev[0].p.Retransmit || ev[0].at != ms(229) {
		t.Fatalf("after 125 ms sent %d segments; want the loss probe (segment 10 again) at 229 ms", len(ev))
	}
	_, e10 := r.seg(10)
	r.ack(ms(279), e10, ms(229))
	if r.c.est.srtt != 50*time.Millisecond {
		t.Errorf("SRTT %v after the ACK of the repair, want 50ms (the timestamp's sample)", r.c.est.srtt)
	}
}

// TestMinRTTFromNewestSegment: the minimum RTT takes the RTT of the
// newest segment an ACK covers (Linux tcp_update_rtt_min reads ca_rtt_us),
// the smoothed RTT that of the oldest (seq_rtt_us); when the ACK SACKs
// never-resent data, the newest SACKed segment's RTT is ca_rtt_us, even if
// the cumulative part covers newer data. RTT 100 ms, IW 10 at t0 = 150
// ms; the ACK of segments 1-2 at 250 ms releases 11-14 then (min RTT
// 100 ms). At 330 ms:
//   - cumulative: an ACK of segments 3-12 samples segment 3 (180 ms:
//     SRTT 100 -> 110 ms) and segment 12 (80 ms): the minimum is 80 ms;
//   - SACK: an ACK of segments 3-5 that SACKs 11 samples segment 3 for
//     the SRTT and segment 11 (80 ms) for the minimum, not segment 5
//     (180 ms).
//
// Mutations caught: the minimum from the oldest segment (100 ms in both);
// the cumulative part's newest segment preferred to the SACKed one (100
// ms in the SACK case).
func TestMinRTTFromNewestSegment(t *testing.T) {
	for _, sack := range []bool{false, true} {
		r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 30*1448)
		_, e2 := r.seg(2)
		r.ack(ms(250), e2, r.t0)
		if got := r.c.Stats().MinRTT; got != 100*time.Millisecond {
			t.Fatalf("min RTT %v after the first ACK, want 100ms", got)
		}
		if sack {
			_, e5 := r.seg(5)
			r.ack(ms(330), e5, r.t0, r.block(11, 11))
		} else {
			_, e12 := r.seg(12)
			r.ack(ms(330), e12, r.t0)
		}
		if got, srtt := r.c.Stats().MinRTT, r.c.est.srtt; got != 80*time.Millisecond || srtt != 110*time.Millisecond {
			t.Errorf("sack=%v: min RTT %v, SRTT %v; want 80ms (the newest segment's) and 110ms (the oldest's 180 ms sample)", sack, got, srtt)
		}
	}
}
