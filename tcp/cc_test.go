package tcp

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// ccHarness drives a congestion controller without a Conn, the way
// quic-go's congestion tests do: the sender fills its window, the
// receiver acknowledges all of it, one round trip per round.
type ccHarness struct {
	cc       CongestionControl
	mss      Bytes
	now      sim.Time
	rtt      time.Duration
	inFlight Bytes
}

// deliverAck hands a to cc as a Conn does: the RTT sample first to a
// controller that takes every one (AckSampler), then the growth (OnAck).
func deliverAck(cc CongestionControl, a Ack) {
	if s, ok := cc.(AckSampler); ok && a.RTT > 0 {
		s.OnAckSample(a)
	}
	cc.OnAck(a)
}

func newHarness(cc CongestionControl, mss Bytes, rtt time.Duration) *ccHarness {
	return &ccHarness{cc: cc, mss: mss, rtt: rtt, now: at(time.Second)}
}

// round sends a full window and acknowledges it in ACKs of perAck bytes
// (the last one smaller if the window is not a multiple), all at the
// current time, then advances the clock by one RTT. Every ACK reports the
// whole window as the window's largest flight, and the window as found
// full: the sender was window-limited.
func (h *ccHarness) round(perAck Bytes) {
	h.inFlight = h.cc.Window()
	sent := h.inFlight
	for h.inFlight > 0 {
		a := min(perAck, h.inFlight)
		prior := h.inFlight
		h.inFlight -= a
		deliverAck(h.cc, Ack{Now: h.now, Acked: a, PriorInFlight: prior, MaxInFlight: sent, WindowLimited: true,
			RTT: h.rtt, MinRTT: h.rtt, SRTT: h.rtt})
	}
	h.now = h.now.Add(h.rtt)
}

// appLimitedRound acknowledges n bytes sent while the window was barely
// used (n in flight at most), then advances the clock by one RTT.
func (h *ccHarness) appLimitedRound(n Bytes) {
	deliverAck(h.cc, Ack{Now: h.now, Acked: n, PriorInFlight: n, MaxInFlight: n,
		RTT: h.rtt, MinRTT: h.rtt, SRTT: h.rtt})
	h.now = h.now.Add(h.rtt)
}

// loss reports a congestion event with the window in flight and ends the
// recovery at once: the controller is left in congestion avoidance.
func (h *ccHarness) loss() {
	h.cc.OnCongestionEvent(h.now, h.cc.Window())
	h.cc.OnRecoveryExit(h.now)
}

const testMSS = 1460

func newCCs(iw int) map[string]CongestionControl {
	cfg := CCConfig{MSS: testMSS, InitialWindow: Bytes(iw) * testMSS}
	return map[string]CongestionControl{"newreno": NewReno(cfg), "cubic": NewCubic(cfg)}
}

// TestRenoSlowStartDoublesPerRTT: in slow start every acknowledged byte
// adds a byte to cwnd (RFC 5681 3.1 with byte counting, RFC 3465, L = 2
// MSS, which ACKs of one or two segments never exceed), so a window that
// is fully used and fully acknowledged doubles each round: cwnd after k
// rounds = IW * 2^k, exactly, in both NewReno and CUBIC (whose slow start
// is the same).
func TestRenoSlowStartDoublesPerRTT(t *testing.T) {
	for _, iw := range []int{1, 2, 4, 10} {
		for _, perAck := range []Bytes{testMSS, 2 * testMSS} {
			for _, name := range []string{"newreno", "cubic"} {
				t.Run(fmt.Sprintf("%s/iw=%d/ack=%d", name, iw, perAck), func(t *testing.T) {
					h := newHarness(newCCs(iw)[name], testMSS, 50*time.Millisecond)
					for k := 1; k <= 6; k++ {
						h.round(perAck)
						want := Bytes(iw) * testMSS << k
						if got := h.cc.Window(); got != want {
							t.Fatalf("cwnd after %d rounds = %d, want IW*2^%d = %d", k, got, k, want)
						}
						if !h.cc.InSlowStart() {
							t.Fatalf("left slow start after %d rounds with infinite ssthresh", k)
						}
					}
				})
			}
		}
	}
}

// TestRenoSlowStartByteCountingLimit: one ACK covering many segments (a
// stretch ACK, e.g. after a hole is filled) adds at most L = 2 MSS in slow
// start (RFC 3465 2.2).
func TestRenoSlowStartByteCountingLimit(t *testing.T) {
	tests := []struct{ acked, want Bytes }{
		{100, 10*testMSS + 100},
		{testMSS, 11 * testMSS},
		{2 * testMSS, 12 * testMSS},
		{5 * testMSS, 12 * testMSS},
	}
	for _, tt := range tests {
		r := NewReno(CCConfig{MSS: testMSS, InitialWindow: 10 * testMSS})
		r.OnAck(Ack{Acked: tt.acked, PriorInFlight: 10 * testMSS})
		if got := r.Window(); got != tt.want {
			t.Errorf("cwnd after an ACK for %d bytes = %d, want %d", tt.acked, got, tt.want)
		}
	}
}

// TestRenoCAAddsOneMSSPerRTT: in congestion avoidance NewReno counts
// acknowledged bytes and adds one MSS per cwnd's worth (RFC 5681 3.1, the
// integer form quic-go uses), so a fully used window that is fully
// acknowledged grows by exactly one MSS per round, whatever the ACK size:
// each round acknowledges exactly cwnd bytes.
func TestRenoCAAddsOneMSSPerRTT(t *testing.T) {
	for _, w := range []int{10, 11, 50, 101} {
		for _, perAck := range []Bytes{testMSS, 2 * testMSS, 3 * testMSS} {
			t.Run(fmt.Sprintf("w=%d/ack=%d", w, perAck), func(t *testing.T) {
				// A loss with 2w segments in flight leaves cwnd = w MSS.
				r := NewReno(CCConfig{MSS: testMSS, InitialWindow: Bytes(2*w) * testMSS})
				h := newHarness(r, testMSS, 50*time.Millisecond)
				h.loss()
				if got := r.Window(); got != Bytes(w)*testMSS || r.InSlowStart() {
					t.Fatalf("after the loss cwnd = %d, slow start %v; want %d, false", got, r.InSlowStart(), w*testMSS)
				}
				for k := 1; k <= 20; k++ {
					h.round(perAck)
					if got, want := r.Window(), Bytes(w+k)*testMSS; got != want {
						t.Fatalf("cwnd after %d rounds = %d, want (w+%d)*MSS = %d", k, got, k, want)
					}
				}
			})
		}
	}
}

// TestRenoHalvesOnCongestionEvent: fast retransmit sets ssthresh to half
// the flight size, at least two segments (RFC 5681 equation 4), and cwnd
// to ssthresh (the Conn adds the 3-segment inflation itself).
func TestRenoHalvesOnCongestionEvent(t *testing.T) {
	tests := []struct{ flight, want Bytes }{
		{100 * testMSS, 50 * testMSS},
		{11 * testMSS, 11 * testMSS / 2},
		{64000, 32000},
		{4 * testMSS, 2 * testMSS},
		{3 * testMSS, 2 * testMSS},
		{testMSS, 2 * testMSS},
	}
	for _, tt := range tests {
		r := NewReno(CCConfig{MSS: testMSS, InitialWindow: 100 * testMSS})
		r.OnCongestionEvent(0, tt.flight)
		if r.SSThresh() != tt.want || r.Window() != tt.want {
			t.Errorf("flight %d: ssthresh, cwnd = %d, %d; want %d, %d", tt.flight, r.SSThresh(), r.Window(), tt.want, tt.want)
		}
		if got := ssthreshAfterLoss(tt.flight, testMSS, false); got != tt.want {
			t.Errorf("ssthreshAfterLoss(%d) = %d, want %d", tt.flight, got, tt.want)
		}
		// Counting packets, Linux halves a whole number of segments.
		if got, want := ssthreshAfterLoss(tt.flight, testMSS, true), max(tt.flight/testMSS/2, 2)*testMSS; got != want {
			t.Errorf("ssthreshAfterLoss(%d, packets) = %d, want %d", tt.flight, got, want)
		}
	}
	r := NewReno(CCConfig{MSS: testMSS, InitialWindow: 11 * testMSS, Packets: true})
	r.OnCongestionEvent(0, 11*testMSS)
	if r.SSThresh() != 5*testMSS {
		t.Errorf("packets: 11 segments halve to %d bytes, want 5 segments", r.SSThresh())
	}
	c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 11 * testMSS, Packets: true})
	c.OnCongestionEvent(0, 11*testMSS)
	if c.SSThresh() != 7*testMSS {
		t.Errorf("packets: CUBIC cuts 11 segments to %d bytes, want 7 segments (0.7 * 11 = 7.7, floored)", c.SSThresh())
	}
}

// TestRTOCollapsesToLossWindow: a retransmission timeout sets cwnd to the
// loss window, one segment (RFC 5681 3.1), and ssthresh as a loss does:
// max(flight/2, 2 MSS) for NewReno, cwnd*0.7 for CUBIC (RFC 9438 4.8).
// A repeated timeout of the same episode (OnRepeatRTO) collapses the
// window again but keeps ssthresh. Afterwards slow start doubles from one
// segment (1, 2, 4), or, with ssthresh at 2 MSS, reaches it after one round
// and adds one MSS in the next (1, 2, 3).
func TestRTOCollapsesToLossWindow(t *testing.T) {
	tests := []struct {
		name         string
		cwnd, flight Bytes
		wantSS       Bytes
		want2        Bytes // cwnd two rounds later
	}{
		{"newreno", 40 * testMSS, 40 * testMSS, 20 * testMSS, 4 * testMSS},
		// ssthresh = 2 MSS: slow start ends after one round, then +1 MSS.
		{"newreno", 40 * testMSS, 3 * testMSS, 2 * testMSS, 3 * testMSS},
		{"cubic", 40 * testMSS, 40 * testMSS, 28 * testMSS, 4 * testMSS},
		{"cubic", 40 * testMSS, 3 * testMSS, 28 * testMSS, 4 * testMSS}, // CUBIC reduces cwnd, not the flight
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/flight=%d", tt.name, tt.flight), func(t *testing.T) {
			cc := newCCs(int(tt.cwnd / testMSS))[tt.name]
			cc.OnRTO(0, tt.flight)
			if cc.Window() != testMSS || cc.SSThresh() != tt.wantSS {
				t.Fatalf("after OnRTO cwnd, ssthresh = %d, %d; want %d, %d", cc.Window(), cc.SSThresh(), testMSS, tt.wantSS)
			}
			h := newHarness(cc, testMSS, 50*time.Millisecond)
			h.round(testMSS)
			h.round(testMSS)
			if got := cc.Window(); got != tt.want2 {
				t.Errorf("cwnd two rounds after the timeout = %d, want %d", got, tt.want2)
			}
			cc.OnRepeatRTO(h.now)
			if cc.Window() != testMSS || cc.SSThresh() != tt.wantSS {
				t.Errorf("after OnRepeatRTO cwnd, ssthresh = %d, %d; want %d, %d (kept)", cc.Window(), cc.SSThresh(), testMSS, tt.wantSS)
			}
		})
	}
}

// TestCwndLimited is the growth rule's table: growth is earned when the
// window the acknowledged data belongs to was full or within one MSS of
// full, or, in slow start, more than half used (Linux tcp_is_cwnd_limited:
// cwnd < 2*max_packets_out).
func TestCwndLimited(t *testing.T) {
	const w = 20 * testMSS
	tests := []struct {
		used      Bytes
		slowStart bool
		want      bool
	}{
		{w, false, true},
		{w + testMSS, false, true},
		{w - testMSS, false, true},
		{w - testMSS - 1, false, false},
		{w / 2, false, false},
		{w/2 + 1, true, true},
		{w / 2, true, false},
		{0, true, false},
	}
	for _, tt := range tests {
		if got := cwndLimited(w, tt.used, testMSS, tt.slowStart); got != tt.want {
			t.Errorf("cwndLimited(cwnd %d, used %d, slow start %v) = %v, want %v", w, tt.used, tt.slowStart, got, tt.want)
		}
	}
	// Through OnAck: the largest flight of the window counts, not the
	// flight left when the ACK arrives.
	r := NewReno(CCConfig{MSS: testMSS, InitialWindow: 10 * testMSS})
	r.OnAck(Ack{Acked: testMSS, PriorInFlight: testMSS, MaxInFlight: 10 * testMSS})
	if got := r.Window(); got != 11*testMSS {
		t.Errorf("cwnd after the last ACK of a full window = %d, want 11 MSS", got)
	}
	r.OnAck(Ack{Acked: testMSS, PriorInFlight: testMSS, MaxInFlight: 2 * testMSS})
	if got := r.Window(); got != 11*testMSS {
		t.Errorf("cwnd after an ACK of an application-limited window = %d, want 11 MSS (no growth)", got)
	}
}

// cubicW is RFC 9438 equation 1, in segments, with t in seconds.
func cubicW(t, k, wmax float64) float64 { return 0.4*(t-k)*(t-k)*(t-k) + wmax }

// renoEst is CUBIC's Reno-friendly estimate W_est (RFC 9438 4.3) in
// segments, rounds RTTs after a loss at wmax (= cwnd_prior, no fast
// convergence): 0.7*wmax plus alpha = 3*0.3/1.7 segments per RTT until it
// reaches wmax, then 1 segment per RTT.
func renoEst(rounds, wmax float64) float64 {
	const alpha = 3 * 0.3 / 1.7
	toMax := 0.3 * wmax / alpha // rounds to climb from 0.7 wmax to wmax
	if rounds <= toMax {
		return 0.7*wmax + alpha*rounds
	}
	return wmax + (rounds - toMax)
}

// TestCubicKMatchesRFC: after a loss at a window of W segments, CUBIC's
// window restarts at beta*W and the epoch's K, the time to climb back to
// W_max, is cbrt(W_max*(1-beta)/C) with beta = 0.7, C = 0.4 (RFC 9438
// equation 2; K is computed at the epoch's first ACK from the actual
// window, K = cbrt((W_max - cwnd)/C), which is the same number when
// beta*W is a whole number of bytes, as in these rows). With fast
// convergence (RFC 9438 4.7), a second loss below the previous W_max
// lowers W_max to W*(1+beta)/2, and then K = cbrt(W*((1+beta)/2 - beta)/C).
// Floating point: the two forms agree to rounding (relative 1e-12).
func TestCubicKMatchesRFC(t *testing.T) {
	for _, w := range []int{10, 20, 50, 100, 200} {
		t.Run(fmt.Sprint("W=", w), func(t *testing.T) {
			c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: Bytes(w) * testMSS})
			h := newHarness(c, testMSS, 100*time.Millisecond)
			h.loss()
			if got, want := c.Window(), Bytes(w)*testMSS*7/10; got != want {
				t.Fatalf("cwnd after the loss = %d, want %d", got, want)
			}
			h.round(testMSS)
			want := math.Cbrt(float64(w) * (1 - 0.7) / 0.4)
			if got := c.K(); math.Abs(got-want) > 1e-12*want {
				t.Errorf("K = %.15g s, want %.15g s", got, want)
			}
			if got := c.WMax(); got != float64(w) {
				t.Errorf("W_max = %g, want %d", got, w)
			}
			// Fast convergence: the next loss comes below W_max.
			w2 := float64(c.Window()) / testMSS
			h.loss()
			h.round(testMSS)
			wantMax := w2 * (1 + 0.7) / 2
			if got := c.WMax(); math.Abs(got-wantMax) > 1e-12*wantMax {
				t.Errorf("W_max after a second loss at %g segments = %g, want %g", w2, got, wantMax)
			}
			cw := float64(int64(w2*testMSS*0.7)) / testMSS // the window after the cut, truncated to bytes
			wantK := math.Cbrt((wantMax - cw) / 0.4)
			if got := c.K(); math.Abs(got-wantK) > 1e-12*wantK {
				t.Errorf("K after the second loss = %.15g, want %.15g", got, wantK)
			}
		})
	}
}

// TestCubicFollowsCurve drives CUBIC after a loss at W_max = 100 segments
// with a full window acknowledged every RTT (100 ms), and compares cwnd at
// the start of each round with W(t) = C*(t-K)^3 + W_max (RFC 9438 eq. 1),
// t the time since the epoch began. The controller aims each ACK at
// W(t+RTT) and spreads the growth over the round's ACKs (RFC 9438 4.4),
// so at the start of the round at t it has reached W(t), up to whole
// segments and the 1.5x-per-RTT cap: within 3%. The window is bounded
// below by the Reno-friendly estimate (RFC 9438 4.3), which starts at
// 0.7*W_max = 70 and grows by alpha = 0.529 segments per RTT until it
// reaches cwnd_prior = 100 (56.7 RTTs, t = 5.67 s), then by 1 segment per
// RTT: it stays below the curve until then, and is above it after (at
// 6.5 s, 108.3 against 104.8), so the expectation is the larger of the
// two. The points span the concave region, the plateau at K = 4.22 s and
// the convex region beyond.
func TestCubicFollowsCurve(t *testing.T) {
	const wmax = 100
	rtt := 100 * time.Millisecond
	c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: wmax * testMSS})
	h := newHarness(c, testMSS, rtt)
	h.loss()
	k := math.Cbrt(wmax * 0.3 / 0.4)
	start := h.now
	checked := 0
	for i := 0; i <= 70; i++ { // 7 s
		tsec := h.now.Sub(start).Seconds()
		if i > 0 && i%5 == 0 {
			want := max(cubicW(tsec, k, wmax), renoEst(tsec/rtt.Seconds(), wmax))
			got := float64(c.Window()) / testMSS
			if math.Abs(got-want) > 0.03*want {
				t.Errorf("t = %.1f s: cwnd = %.1f segments, want W(t) = %.1f (within 3%%)", tsec, got, want)
			}
			checked++
		}
		h.round(testMSS)
	}
	if checked != 14 {
		t.Fatalf("checked %d points, want 14", checked)
	}
}

// TestCubicFreezesWhenAppLimited: when the sender stops using its window
// (application-limited), CUBIC's epoch is reset, so the time spent idle
// does not count on the curve and the window does not jump when the
// sender becomes window-limited again (quic-go's "reset epoch on
// quiescence"; RFC 9438 5.8). Two controllers leave the same loss at the
// same moment: A is window-limited at once; B first spends 10 s
// application-limited (one small ACK per RTT, no growth), then is
// window-limited. B's epoch then starts from the same window as A's did,
// so round k after the quiet period gives B exactly A's window at round k.
// Without the reset, B's first window-limited ACK would aim at W(10 s),
// far above (checked too, so the test can tell the difference).
func TestCubicFreezesWhenAppLimited(t *testing.T) {
	rtt := 100 * time.Millisecond
	mk := func() (*Cubic, *ccHarness) {
		c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 100 * testMSS})
		h := newHarness(c, testMSS, rtt)
		h.loss()
		return c, h
	}
	a, ha := mk()
	b, hb := mk()
	before := b.Window()
	for range 100 {
		hb.appLimitedRound(2 * testMSS)
	}
	if got := b.Window(); got != before {
		t.Fatalf("cwnd after 10 s application-limited = %d, want unchanged %d", got, before)
	}
	if b.Epoch() >= 0 {
		t.Errorf("epoch = %v after an application-limited period, want reset (-1)", b.Epoch())
	}
	if jump := b.Target(10*time.Second) / testMSS; jump < 150 {
		t.Fatalf("the curve 10 s into the old epoch is %d segments; the test needs it far above W_max", jump)
	}
	for k := 1; k <= 40; k++ {
		ha.round(testMSS)
		hb.round(testMSS)
		if a.Window() != b.Window() {
			t.Fatalf("round %d after the quiet period: cwnd %d, want %d (as without the pause)", k, b.Window(), a.Window())
		}
	}
}
