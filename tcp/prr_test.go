package tcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// prrStep is one scripted ACK and the segments PRR lets the sender send
// in answer.
type prrStep struct {
	when   sim.Time
	ack    int64
	tsecr  sim.Time
	blocks []link.SackBlock
	sent   []int64 // sequence numbers
}

func runPRRSteps(t *testing.T, r *senderRig, steps []prrStep) {
	t.Helper()
	for i, st := range steps {
		var got []int64
		for _, p := range r.ack(st.when, st.ack, st.tsecr, st.blocks...) {
			got = append(got, p.Seq)
		}
		if fmt.Sprint(got) != fmt.Sprint(st.sent) {
			t.Errorf("ACK %d at %v: sent %v, want %v (in flight now %d, cwnd %d segments, prr_delivered %d, prr_out %d)",
				i+1, st.when, got, st.sent, r.c.sb.inFlight(), r.c.cc.Window()/r.mss, r.c.rec.prrDelivered, r.c.rec.prrOut)
		}
	}
}

// TestPRRProportional: segment 1 of a flight of 10 (senderRig, IW 10,
// NewReno: ssthresh = 5, RecoverFS = prior_cwnd = 10) is lost, and ACKs
// SACK the segments after it one at a time, 0.1 ms apart. RFC 6937 with
// the slow-start reduction bound, as Linux's tcp_cwnd_reduction: while
// pipe > ssthresh, sndcnt = ceil(ssthresh * prr_delivered / RecoverFS) -
// prr_out; once pipe <= ssthresh, sndcnt = min(ssthresh - pipe,
// max(prr_delivered - prr_out, delivered) (+1 when snd_una advanced and
// nothing was newly lost)); at least one on entry (the fast retransmit).
//
//	ACK  SACKed  pipe  prr_delivered  sndcnt              sent
//	1    2-4     6     3              ceil(15/10)-0 = 2   1 (resent), 11
//	2    2-5     7     4              ceil(20/10)-2 = 0   -
//	3    2-6     6     5              ceil(25/10)-2 = 1   12
//	4    2-7     6     6              ceil(30/10)-3 = 0   -
//	5    2-8     5     7              min(0, ...)   = 0   -
//	6    2-9     4     8              min(1, 5)     = 1   13
//
// Mutations caught: the proportional part without the ceiling (ACK 1
// sends 1); the proportional part using ssthresh - prr_out without
// prr_delivered/RecoverFS (ACK 1 sends 5).
func TestPRRProportional(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 40*1448)
	seq := func(k int) int64 { s, _ := r.seg(k); return s }
	steps := []prrStep{
		{ms(250), 1, r.t0, []link.SackBlock{r.block(2, 4)}, []int64{seq(1), seq(11)}},
		{ms(250.1), 1, r.t0, []link.SackBlock{r.block(2, 5)}, nil},
		{ms(250.2), 1, r.t0, []link.SackBlock{r.block(2, 6)}, []int64{seq(12)}},
		{ms(250.3), 1, r.t0, []link.SackBlock{r.block(2, 7)}, nil},
		{ms(250.4), 1, r.t0, []link.SackBlock{r.block(2, 8)}, nil},
		{ms(250.5), 1, r.t0, []link.SackBlock{r.block(2, 9)}, []int64{seq(13)}},
	}
	runPRRSteps(t, r, steps)
	if r.c.CongState() != Recovery {
		t.Errorf("state %v after the SACKs, want recovery", r.c.CongState())
	}
}

// exitSpy is NewReno recording the window right after each end of fast
// recovery.
type exitSpy struct {
	*Reno
	atExit []Bytes
}

func (e *exitSpy) OnRecoveryExit(now sim.Time) {
	e.Reno.OnRecoveryExit(now)
	e.atExit = append(e.atExit, e.Window())
}

// TestPRREndOfRecovery: a flight of exactly 10 segments (nothing more to
// send) loses segment 1; at 250 ms an ACK SACKs 2-4: recovery, segment 1
// resent, and PRR's proportional part leaves cwnd = pipe 6 + 2 = 8
// segments, above ssthresh (5). At 350 ms one ACK covers everything
// (segment 1's resend arrived, and 5-10 before it): snd_una reaches
// high_seq, recovery ends and cwnd = ssthresh = 5 segments (RFC 6937
// "cwnd = ssthresh" at the end of recovery; Linux tcp_end_cwnd_reduction),
// seen by the congestion control at the transition. The same ACK then
// runs congestion avoidance, as Linux's tcp_cong_control does once the
// state is Open: it delivered 7 segments (1 and 5-10), at least cwnd, so
// tcp_cong_avoid_ai adds one: the cwnd trace ends at 350 ms with cwnd 6,
// ssthresh 5 segments.
//
// Mutation caught: endCwndReduction not calling OnRecoveryExit (no exit
// seen; cwnd left at 8 segments); Reno.OnRecoveryExit a no-op (cwnd 8
// at the exit).
func TestPRREndOfRecovery(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TraceCwnd = true
	var spy *exitSpy
	cfg.NewCC = func(c CCConfig) CongestionControl { spy = &exitSpy{Reno: NewReno(c)}; return spy }
	r := newSenderRig(t, cfg, 100*time.Millisecond, 10*1448)
	r.ack(ms(250), 1, r.t0, r.block(2, 4))
	if r.c.CongState() != Recovery || r.c.cc.Window() != 8*r.mss {
		t.Fatalf("after SACK 2-4: state %v, cwnd %d segments; want recovery, 8", r.c.CongState(), r.c.cc.Window()/r.mss)
	}
	_, e10 := r.seg(10)
	r.ack(ms(350), e10, ms(250))
	if r.c.CongState() != Open {
		t.Errorf("state %v after snd_una reached high_seq, want open", r.c.CongState())
	}
	if fmt.Sprint(spy.atExit) != fmt.Sprint([]Bytes{5 * r.mss}) {
		t.Errorf("cwnd at the ends of recovery %v, want [%d] (ssthresh, 5 segments)", spy.atExit, 5*r.mss)
	}
	st := r.c.Stats()
	last := st.Cwnd[len(st.Cwnd)-1]
	if last.At != ms(350) || last.Cwnd != 6*r.mss || last.SSThresh != 5*r.mss {
		t.Errorf("last cwnd sample %+v; want at 350 ms cwnd %d (6 segments), ssthresh %d (5)", last, 6*r.mss, 5*r.mss)
	}
}

// TestPRRReductionBound: segment 1 is lost (ACK 1 at 250 ms SACKs 2-4:
// recovery, segment 1 and new segment 11 sent, prr_delivered 3, prr_out
// 2). Then an ACK SACKs segment 10: RACK marks 5-9 lost at once (they
// were sent before 10), so pipe falls to 11 - 4 SACKed - 6 lost + 1
// resent = 2, below ssthresh 5. The slow-start reduction bound (RFC 6937
// 3.1; Linux tcp_cwnd_reduction) lets the sender catch up what PRR held
// back: sndcnt = min(ssthresh - pipe = 3, max(prr_delivered - prr_out =
// 4 - 2 = 2, delivered = 1)) = 2 (no +1: snd_una did not advance), so
// segments 5 and 6 are resent together.
//
// Mutation caught: the bound computed from prr_out - prr_delivered
// (sends one).
func TestPRRReductionBound(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 40*1448)
	seq := func(k int) int64 { s, _ := r.seg(k); return s }
	steps := []prrStep{
		{ms(250), 1, r.t0, []link.SackBlock{r.block(2, 4)}, []int64{seq(1), seq(11)}},
		{ms(250.1), 1, r.t0, []link.SackBlock{r.block(10, 10), r.block(2, 4)}, []int64{seq(5), seq(6)}},
	}
	for i, st := range steps {
		var got []int64
		for _, p := range r.ack(st.when, st.ack, st.tsecr, st.blocks...) {
			got = append(got, p.Seq)
		}
		if fmt.Sprint(got) != fmt.Sprint(st.sent) {
			t.Errorf("ACK %d at %v: sent %v, want %v", i+1, st.when, got, st.sent)
		}
	}
}

// TestLostRetransmissionIsNewlyLost: a retransmission that RACK finds
// lost again counts as a new loss for PRR, as Linux's tcp_mark_skb_lost
// adds it to tp->lost (tcp_notify_skb_loss_event) like a first loss:
// tcp_cwnd_reduction then withholds the extra segment it gives an ACK
// that advances snd_una with no new loss. Segment 1 of ten is lost and
// resent at 250 ms (RTT 100 ms; SACKs of 2-4); marking it lost again, as
// RACK does once the resend is overdue, counts one new loss (newlyLost
// 1), and clears the resend's mark so that it is sent once more.
//
// Mutation caught: the lost retransmission not counted (newlyLost 0).
func TestLostRetransmissionIsNewlyLost(t *testing.T) {
	r := newSenderRig(t, DefaultConfig(), 100*time.Millisecond, 10*1448)
	s1, _ := r.seg(1)
	out := r.ack(ms(250), s1, r.t0, r.block(2, 4))
	if len(out) == 0 || out[0].Seq != s1 || !out[0].Retransmit {
		t.Fatalf("at 250 ms sent %v, want segment 1 again", out)
	}
	var a ackInfo
	a.init(r.c, &link.Packet{TSecr: -1})
	seg := r.c.sb.segs.Front()
	if !seg.has(segLost) || !seg.has(segRetrans) {
		t.Fatalf("segment 1 not marked lost and resent after the fast retransmit")
	}
	r.c.markLost(seg, &a)
	if a.newlyLost != 1 || !a.lostRetrans || seg.has(segRetrans) {
		t.Errorf("after its resend was found lost: newlyLost %d, lostRetrans %v, resent mark %v; want 1, true, cleared",
			a.newlyLost, a.lostRetrans, seg.has(segRetrans))
	}
}
