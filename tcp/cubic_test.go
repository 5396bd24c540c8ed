package tcp

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// The controllers in this file pin RFC 9438's curve and textbook slow
// start, so they run with HyStart off: NewCubic with a CCConfig that
// leaves HyStart at its zero value (off), and cubicConn with
// Config.HyStart = false. HyStart has tests of its own (hystart_test.go).

// lossAt puts a CUBIC controller at a window of w segments and reports a
// congestion event there (recovery ends at once).
func lossAt(c *Cubic, h *ccHarness, w float64) {
	c.cwnd = Bytes(w * testMSS)
	h.loss()
}

// TestCubicFastConvergence checks W_max over a series of congestion
// events (RFC 9438 4.7): "if cwnd < W_max and fast convergence enabled,
// further reduce W_max: W_max = cwnd*(1+beta)/2; otherwise W_max = cwnd",
// where W_max is the value the previous event left, fast convergence
// included (Linux compares with last_max_cwnd, the same figure). The first
// row is the audit's: losses at 100, 95 and 90 segments give W_max = 100,
// then 95*0.85 = 80.75 (95 < 100), then 90 (90 >= 80.75); comparing with
// the previous unreduced window (95) would give 76.5 instead. ssthresh
// is 0.7 cwnd each time and K = cbrt(W_max*(1-beta)/C).
func TestCubicFastConvergence(t *testing.T) {
	tests := []struct {
		losses []float64 // cwnd in segments at each congestion event
		wmax   []float64 // W_max after each
	}{
		{[]float64{100, 95, 90}, []float64{100, 80.75, 90}},
		{[]float64{100, 80, 78}, []float64{100, 68, 78}},
		{[]float64{100, 90, 70}, []float64{100, 76.5, 59.5}},
		{[]float64{100, 110, 120}, []float64{100, 110, 120}},
		{[]float64{100, 100}, []float64{100, 100}}, // not below: no fast convergence
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.losses), func(t *testing.T) {
			c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 10 * testMSS})
			h := newHarness(c, testMSS, 100*time.Millisecond)
			for i, w := range tt.losses {
				lossAt(c, h, w)
				if got, want := c.WMax(), tt.wmax[i]; math.Abs(got-want) > 1e-9 {
					t.Errorf("loss %d at %g segments: W_max = %g, want %g", i+1, w, got, want)
				}
				if got, want := float64(c.SSThresh()), w*testMSS*0.7; math.Abs(got-want) > 1 {
					t.Errorf("loss %d at %g segments: ssthresh = %g, want %g", i+1, w, got, want)
				}
				if got, want := c.K(), math.Cbrt(tt.wmax[i]*0.3/0.4); math.Abs(got-want) > 1e-12 {
					t.Errorf("loss %d: K = %g, want %g", i+1, got, want)
				}
				h.round(testMSS) // start the epoch between losses
			}
		})
	}
}

// TestCubicRenoFriendlyAlpha checks the Reno-friendly estimate's growth
// (RFC 9438 4.3): W_est starts at the window at the start of the epoch
// and grows by alpha_cubic = 3(1-beta)/(1+beta) = 0.529 segments per
// window of acknowledged segments until it reaches cwnd_prior, the window
// at the time ssthresh was last set; from then on the sender SHOULD use
// alpha = 1, Reno's rate ("Once W_est has grown to reach the cwnd at the
// time of most recently setting ssthresh -- that is, W_est >= cwnd_prior").
// With fast convergence W_max is below cwnd_prior, and the switch still
// waits for cwnd_prior (the RFC's threshold, chosen so that fast
// convergence does not speed the flow up).
//
// The RTT is 10 ms, short enough that the cubic curve stays below W_est
// and the window follows the estimate. Each round acknowledges a window
// of W segments while cwnd grows from W, so W_est grows by alpha*W/cwnd
// per round: alpha, less up to 1/W for the growth inside the round. The
// window tracks W_est within a segment or two.
func TestCubicRenoFriendlyAlpha(t *testing.T) {
	const alpha = 3 * 0.3 / 1.7
	tests := []struct {
		name   string
		losses []float64
		prior  float64 // cwnd_prior: the window at the last loss
	}{
		{"loss at 20", []float64{20}, 20},
		{"fast convergence 100 then 40", []float64{100, 40}, 40}, // W_max = 34
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 10 * testMSS})
			h := newHarness(c, testMSS, 10*time.Millisecond)
			for _, w := range tt.losses {
				lossAt(c, h, w)
			}
			h.round(testMSS) // the epoch starts: W_est = cwnd
			slow, fast := 0, 0
			for r := 0; r < 100; r++ {
				before, w := c.wEst, float64(c.Window())/testMSS
				h.round(testMSS)
				d := c.wEst - before
				want := alpha
				if before >= tt.prior {
					want = 1
					fast++
				} else {
					slow++
				}
				// A round that crosses cwnd_prior mixes the two rates.
				if before < tt.prior && c.wEst > tt.prior {
					continue
				}
				if d > want+1e-9 || d < want*(1-1/w)-1e-9 {
					t.Errorf("round %d: W_est %.3f -> %.3f (+%.4f), want +%.4f (alpha %s cwnd_prior %g)", r, before, c.wEst, d, want, map[bool]string{true: "=1 at or above", false: "=0.529 below"}[want == 1], tt.prior)
				}
				if got := float64(c.Window()) / testMSS; got > c.wEst+1 || got < c.wEst-2.5 {
					t.Errorf("round %d: cwnd %.2f segments, want within [-2.5, +1] of W_est %.2f", r, got, c.wEst)
				}
			}
			if slow < 5 || fast < 5 {
				t.Fatalf("%d rounds below cwnd_prior and %d above: the test needs both", slow, fast)
			}
		})
	}
}

// TestCubicIdleResumesCurve: a sender that is window-limited up to a
// quiet period resumes on the cubic curve where it left off (Linux
// bictcp_cwnd_event on CA_EVENT_TX_START: epoch_start moves on by the
// time since data was last sent, not past now). Two controllers leave the
// same loss at W_max = 100 segments together and grow for 2 s; then B is
// quiet for 15 s and reports the quiet time on its next send (OnTxStart),
// while A goes on at once. Every later round of B must give exactly A's
// window at the same round: 15 s of silence count for nothing. Without
// the shift B's first ACKs would aim at W(17 s), some 700 segments
// (checked, so that the test can tell), and its window would jump by half
// each round. A quiet time longer than the epoch puts the epoch at now.
func TestCubicIdleResumesCurve(t *testing.T) {
	rtt := 100 * time.Millisecond
	mk := func() (*Cubic, *ccHarness) {
		c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 100 * testMSS})
		h := newHarness(c, testMSS, rtt)
		h.loss()
		for range 20 {
			h.round(testMSS)
		}
		return c, h
	}
	a, ha := mk()
	b, hb := mk()
	const idle = 15 * time.Second
	if jump := b.Target(hb.now.Sub(b.Epoch())+idle) / testMSS; jump < 500 {
		t.Fatalf("the curve %v after the quiet period starts is %d segments; the test needs a jump", idle, jump)
	}
	atIdle := b.Window()
	epoch := b.Epoch()
	hb.now = hb.now.Add(idle)
	b.OnTxStart(hb.now, idle)
	if got, want := b.Epoch(), epoch.Add(idle); got != want {
		t.Fatalf("epoch after OnTxStart(%v) = %v, want %v", idle, got, want)
	}
	for k := 1; k <= 40; k++ {
		ha.round(testMSS)
		hb.round(testMSS)
		if a.Window() != b.Window() {
			t.Fatalf("round %d after the quiet period: cwnd %d, want %d (as without the pause)", k, b.Window(), a.Window())
		}
		if k == 5 {
			if got := b.Window(); got > atIdle*11/10 {
				t.Errorf("cwnd 5 RTTs after the quiet period = %d segments, want within 10%% of %d", got/testMSS, atIdle/testMSS)
			}
		}
	}
	// A quiet time longer than the epoch's age: the epoch starts now.
	b.OnTxStart(hb.now, time.Hour)
	if got := b.Epoch(); got != hb.now {
		t.Errorf("epoch after an hour's quiet = %v, want now (%v)", got, hb.now)
	}
	// NewReno ignores the event.
	r := NewReno(CCConfig{MSS: testMSS, InitialWindow: 10 * testMSS})
	r.OnTxStart(hb.now, idle)
	if r.Window() != 10*testMSS || r.SSThresh() != InfiniteSSThresh {
		t.Errorf("NewReno after OnTxStart: cwnd %d, ssthresh %d; want unchanged", r.Window(), r.SSThresh())
	}
}

// cubicConn runs a CUBIC connection on an infinitely fast path with a
// 100 ms RTT and no queue limit, so that the only loss is the scripted one:
// the first transmission of data segment drop. The client asks for
// responses of the sizes given (in segments), each after the previous one
// was delivered and, if gap > 0, gap after the server's last data segment.
// It returns the server's connection, its controller and the start of
// each exchange.
func cubicConn(t *testing.T, drop int, gap time.Duration, responses ...Bytes) (*Conn, *Cubic, []sim.Time) {
	t.Helper()
	cfg := TextbookConfig()
	cfg.CC = "cubic"
	// Textbook slow start up to the scripted loss, so that W_max is the
	// window there: HyStart off (on this constant-RTT path it would not
	// fire anyway, but the tests should not depend on that).
	cfg.HyStart = false
	cfg.TraceCwnd = true
	cfg.SlowStartAfterIdle = false
	p := newPath(pathConfig{rtt: 100 * time.Millisecond})
	p.down.SetLoss(dropSegments(cfg.MSS, drop))
	x := newRR(t, p, cfg, cfg)
	var starts []sim.Time
	for i, n := range responses {
		if i > 0 && gap > 0 {
			// The request takes half an RTT to reach the server.
			p.s.RunUntil(x.srv.lastDataSent.Add(gap - 50*time.Millisecond))
		}
		starts = append(starts, p.s.Now())
		x.exchange(t, 100, n*cfg.MSS)
	}
	p.s.RunUntil(p.s.Now().Add(time.Second))
	return x.srv, x.srv.CC().(*Cubic), starts
}

// TestCubicConnectionFollowsCurve runs a real connection (see cubicConn)
// through one scripted drop, at segment 300 of a 50000-segment response,
// and compares the server's cwnd trace in congestion avoidance with RFC
// 9438's curve W(t) = C(t-K)^3 + W_max, t measured from the epoch's start
// (the controller's Epoch; nothing resets it, the sender being
// window-limited throughout), bounded below by the Reno-friendly estimate.
// W_max is the window at the third duplicate ACK (the trace sample before
// the cut) and K = cbrt(W_max(1-beta)/C). The window aims each ACK at
// W(t+RTT), so it runs a little ahead of W(t): within 4% at every sample
// from 1 s after the epoch until 14 s (the response lasts about 15 s),
// through the concave region, the plateau at K = 6.1 s and the convex
// region. The cut itself must be to 0.7 W_max.
func TestCubicConnectionFollowsCurve(t *testing.T) {
	srv, c, _ := cubicConn(t, 300, 0, 50000)
	st := srv.Stats()
	var cut int
	for i := 1; i < len(st.Cwnd); i++ {
		if st.Cwnd[i].SSThresh < InfiniteSSThresh {
			cut = i
			break
		}
	}
	if cut == 0 {
		t.Fatalf("no congestion event in the trace")
	}
	wmax := float64(st.Cwnd[cut-1].Cwnd) / testMSS
	if got, want := float64(st.Cwnd[cut].SSThresh)/testMSS, 0.7*wmax; math.Abs(got-want) > 1.0/testMSS {
		t.Errorf("ssthresh after the loss at %.0f segments = %.3f, want %.3f", wmax, got, want)
	}
	if srv.Stats().Timeouts != 0 || srv.Stats().FastRetransmits != 1 {
		t.Fatalf("timeouts %d, fast retransmits %d; want 0 and 1", srv.Stats().Timeouts, srv.Stats().FastRetransmits)
	}
	if c.WMax() != wmax {
		t.Errorf("W_max = %g, want the window at the loss, %g", c.WMax(), wmax)
	}
	k := math.Cbrt(wmax * 0.3 / 0.4)
	epoch := c.Epoch()
	if epoch < st.Cwnd[cut].At {
		t.Fatalf("epoch %v before the loss at %v", epoch, st.Cwnd[cut].At)
	}
	checked := 0
	var worst float64
	for _, s := range st.Cwnd[cut:] {
		ts := s.At.Sub(epoch).Seconds()
		if ts < 1 || ts > 14 {
			continue
		}
		want := max(cubicW(ts, k, wmax), renoEst(ts/0.1, wmax))
		got := float64(s.Cwnd) / testMSS
		e := (got - want) / want
		worst = max(worst, math.Abs(e))
		if math.Abs(e) > 0.04 {
			t.Errorf("t = %.3f s after the epoch: cwnd %.1f segments, want W(t) = %.1f (within 4%%)", ts, got, want)
		}
		checked++
	}
	if checked < 100 {
		t.Errorf("checked %d trace samples, want at least 100", checked)
	}
	t.Logf("W_max %.0f segments, K %.2f s, %d samples within %.2f%%", wmax, k, checked, 100*worst)
}

// TestCubicIdleNoJump is the audit's scenario on a real connection: a
// CUBIC sender (restart after idle off) loses a segment during a long
// response, goes on in congestion avoidance to the end of it, is idle for
// 15 s, then sends another long response. Its window must resume where it
// was when the first response ended and grow along the cubic curve: after
// the idle time, the epoch has moved on by the time since the last data
// segment, so the first RTTs of the second response grow the window by at
// most a few segments each (here, a few percent in total over 5 RTTs),
// instead of jumping to the curve's value 15 s on (the audit saw 145 ->
// 342 -> 617 -> 1017 segments in 0.5 s). Every sample of the second
// response's first 6 s is compared with W(t) for t on the shifted epoch,
// within 4%.
func TestCubicIdleNoJump(t *testing.T) {
	srv, c, starts := cubicConn(t, 150, 15*time.Second, 3000, 20000)
	st := srv.Stats()
	var before, first CwndSample
	found := false
	for _, s := range st.Cwnd {
		if s.At < starts[1] {
			before = s
			continue
		}
		first, found = s, true
		break
	}
	if !found || before.SSThresh == InfiniteSSThresh {
		t.Fatalf("no loss before the idle period, or no growth after it")
	}
	w0 := float64(before.Cwnd) / testMSS
	// 5 RTTs into the second response.
	var w5 float64
	for _, s := range st.Cwnd {
		if s.At <= starts[1].Add(550*time.Millisecond) {
			w5 = float64(s.Cwnd) / testMSS
		}
	}
	if w5 > 1.1*w0 || w5 < w0 {
		t.Errorf("cwnd 5 RTTs after the idle period = %.0f segments, want in [%.0f, %.0f] (resumed at %.0f, no jump)", w5, w0, 1.1*w0, w0)
	}
	// Against the curve, on the shifted epoch (nothing reset it since).
	k, wmax, epoch := c.K(), c.Origin(), c.Epoch()
	// The epoch began about 0.7 s into the run; moved on by the 15 s of
	// idle time it is now less than 3 s (the first response's length)
	// before the second response.
	if epoch < starts[1].Add(-3*time.Second) || epoch > starts[1] {
		t.Fatalf("epoch %v: not moved on by the idle time (second response at %v)", epoch, starts[1])
	}
	checked := 0
	for _, s := range st.Cwnd {
		if s.At < first.At || s.At > starts[1].Add(6*time.Second) {
			continue
		}
		ts := s.At.Sub(epoch).Seconds()
		want := cubicW(ts, k, wmax)
		if got := float64(s.Cwnd) / testMSS; math.Abs(got-want) > 0.04*want {
			t.Errorf("t = %.3f s on the shifted epoch: cwnd %.1f segments, want W(t) = %.1f (within 4%%)", ts, got, want)
		}
		checked++
	}
	if checked < 15 {
		t.Errorf("checked %d samples, want at least 15", checked)
	}
	t.Logf("cwnd before the idle period %.0f, 5 RTTs after %.0f; W_max %.1f, K %.2f s; %d samples", w0, w5, wmax, k, checked)
}

// TestCubicSlowStartCarriesIntoCA: where an ACK takes the window past
// ssthresh, CUBIC and Reno both stop slow start at ssthresh and count
// the rest of the ACK towards congestion avoidance, as Linux's
// tcp_slow_start returns it to cubictcp_cong_avoid and
// tcp_reno_cong_avoid; CUBIC's congestion-avoidance epoch starts there.
func TestCubicSlowStartCarriesIntoCA(t *testing.T) {
	for _, packets := range []bool{true, false} {
		cfg := CCConfig{MSS: testMSS, InitialWindow: 10 * testMSS, Packets: packets}
		c, r := NewCubic(cfg), NewReno(cfg)
		c.ssthresh, r.ssthresh = 11*testMSS, 11*testMSS
		a := Ack{Now: sim.Time(time.Second), Acked: 2 * testMSS, WindowLimited: true, SRTT: 50 * time.Millisecond}
		c.OnAck(a)
		r.OnAck(a)
		if c.Window() != 11*testMSS || r.Window() != 11*testMSS {
			t.Fatalf("packets=%v: cwnd cubic %d, reno %d; want 11 MSS both", packets, c.Window()/testMSS, r.Window()/testMSS)
		}
		if c.ackedBytes != testMSS || r.acked != testMSS {
			t.Errorf("packets=%v: carried into CA: cubic %d, reno %d bytes; want %d both", packets, c.ackedBytes, r.acked, testMSS)
		}
		if c.epoch != a.Now {
			t.Errorf("packets=%v: CUBIC's epoch %v, want it started by the carried part at %v", packets, c.epoch, a.Now)
		}
	}
}

// TestCubicForgetsCurveAfterRTO: a retransmission timeout takes ssthresh
// from the window (100 segments: 70) and then forgets the curve, as
// Linux does: tcp_enter_loss enters TCP_CA_Loss, where cubictcp_state
// calls bictcp_reset (last_max_cwnd and delay_min zeroed). So W_max and K
// are 0 after the timeout and after an undo of it (tcp_reno_undo_cwnd
// restores cwnd, not the curve), and once slow start reaches ssthresh the
// epoch starts at the window it finds with no W_max: bictcp_update's
// "cnt <= 20 while last_max_cwnd is 0" grows it 5 % per round trip: from
// 72 segments (the round that crossed ssthresh added 2) to about
// 72 * 1.05^10 = 117 ten round trips later at a 20 ms RTT.
// Keeping W_max = 100 would put the plateau K = cbrt(30/0.4) = 4.2 s
// away, and the window would crawl to about 75.
func TestCubicForgetsCurveAfterRTO(t *testing.T) {
	c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 100 * testMSS, Packets: true})
	h := newHarness(c, testMSS, 20*time.Millisecond)
	c.OnRTO(h.now, 100*testMSS)
	if c.SSThresh() != 70*testMSS || c.Window() != testMSS {
		t.Fatalf("after the timeout cwnd, ssthresh = %d, %d segments; want 1, 70", c.Window()/testMSS, c.SSThresh()/testMSS)
	}
	if c.WMax() != 0 || c.K() != 0 || c.Epoch() >= 0 {
		t.Errorf("after the timeout W_max %g, K %g, epoch %v; want 0, 0 and none", c.WMax(), c.K(), c.Epoch())
	}
	for c.InSlowStart() {
		h.round(testMSS)
	}
	// The round that crosses ssthresh carries its last ACKs into
	// congestion avoidance, which starts the epoch at 70.
	if w := c.Window() / testMSS; w < 70 || w > 75 {
		t.Fatalf("slow start ended at %d segments, want ssthresh, 70, and a little more", w)
	}
	for range 10 {
		h.round(testMSS)
	}
	if c.Origin() != 70 || c.WMax() != 0 {
		t.Errorf("epoch plateau %g segments, W_max %g; want the window the epoch found, 70, and no W_max", c.Origin(), c.WMax())
	}
	if got := float64(c.Window()) / testMSS; got < 110 || got > 122 {
		t.Errorf("ten round trips after slow start: %.0f segments, want about 5 %% growth per round trip (110..122)", got)
	}
	// An undo of the timeout restores the window, not the curve.
	c2 := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 100 * testMSS, Packets: true})
	c2.OnRTO(h.now, 100*testMSS)
	c2.Undo(h.now, 100*testMSS, InfiniteSSThresh)
	if c2.Window() != 100*testMSS || c2.WMax() != 0 {
		t.Errorf("after an undo of the timeout: cwnd %d segments, W_max %g; want 100 and 0", c2.Window()/testMSS, c2.WMax())
	}
}

// TestCubicCurveUsesMinRTT: the curve is read one round trip ahead, and
// that round trip is CUBIC's delay_min, its smallest RTT sample (Linux
// bictcp_update: t += usecs_to_jiffies(ca->delay_min)), not the smoothed
// RTT RFC 9438 4.4 names: a queue that inflates SRTT does not pull the
// window up the curve faster. Two controllers cut from 100 segments get
// the same ACKs with 20 ms samples, one reporting SRTT 220 ms, the other
// 20 ms: their windows must stay equal through 30 round trips of 20 ms.
//
// Mutation caught: SRTT as the look-ahead (the 220 ms one grows faster).
func TestCubicCurveUsesMinRTT(t *testing.T) {
	mk := func() *Cubic {
		c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 100 * testMSS, Packets: true})
		c.OnCongestionEvent(at(time.Second), 100*testMSS)
		c.OnRecoveryExit(at(time.Second))
		return c
	}
	a, b := mk(), mk()
	now := at(time.Second)
	for round := 0; round < 30; round++ {
		for _, c := range []struct {
			cc   *Cubic
			srtt time.Duration
		}{{a, 220 * time.Millisecond}, {b, 20 * time.Millisecond}} {
			w := c.cc.Window()
			for acked := Bytes(0); acked < w; acked += testMSS {
				deliverAck(c.cc, Ack{Now: now, Acked: testMSS, PriorInFlight: w - acked, MaxInFlight: w, WindowLimited: true,
					RTT: 20 * time.Millisecond, MinRTT: 20 * time.Millisecond, SRTT: c.srtt})
			}
		}
		if a.Window() != b.Window() {
			t.Fatalf("round %d: cwnd %d segments with SRTT 220 ms, %d with 20 ms; want equal (min RTT 20 ms both)",
				round, a.Window()/testMSS, b.Window()/testMSS)
		}
		now = now.Add(20 * time.Millisecond)
	}
	if a.Window() <= 70*testMSS {
		t.Errorf("no growth in 30 round trips: %d segments", a.Window()/testMSS)
	}
}

// TestCubicLinuxFriendlinessAlpha: counting packets, as Linux, the
// Reno-friendly estimate grows by Linux's 8/15 of a segment per window
// acknowledged (bictcp_update: one segment of tcp_cwnd per cwnd*15/8
// ACKed) and keeps that rate past cwnd_prior: Linux has no switch to
// RFC 9438's alpha = 1. After a loss at 20 segments (RTT 10 ms, so the
// cubic curve stays below the estimate and the window follows it), every
// round of 100 adds 8/15 less up to 1/W for the growth inside the round,
// and the window after 100 rounds is 14 + 100*8/15 = 67 segments or a
// little less, where switching to 1 past 20 would give about 100.
//
// Mutation caught: the RFC's switch to alpha = 1 kept in packets mode.
func TestCubicLinuxFriendlinessAlpha(t *testing.T) {
	c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 10 * testMSS, Packets: true})
	h := newHarness(c, testMSS, 10*time.Millisecond)
	lossAt(c, h, 20)
	h.round(testMSS) // the epoch starts: W_est = cwnd
	for r := 0; r < 100; r++ {
		before, w := c.wEst, float64(c.Window())/testMSS
		h.round(testMSS)
		if d := c.wEst - before; d > 8.0/15+1e-9 || d < 8.0/15-1/w-1e-9 {
			t.Fatalf("round %d: W_est %.3f -> %.3f (+%.4f), want +8/15 = %.4f less at most 1/W", r, before, c.wEst, d, 8.0/15)
		}
	}
	if got := c.Window() / testMSS; got < 60 || got > 68 {
		t.Errorf("after 100 rounds: %d segments, want about 14 + 100*8/15 = 67", got)
	}
}

// TestCubicForgetsCurveOnRepeatRTO: every timeout enters TCP_CA_Loss, and
// Linux's cubictcp_state runs bictcp_reset each time, also when
// tcp_enter_loss keeps ssthresh (a timeout during fast recovery, or a
// backed-off repeat): OnRepeatRTO must forget W_max and the epoch as
// OnRTO does.
//   - in fast recovery: the congestion event at 100 segments set W_max
//     100 and ssthresh 70; the timeout keeps ssthresh 70, forgets W_max,
//     and once slow start is back at 70 the window grows about 5 % per
//     round trip (110..122 segments ten round trips later, as in
//     TestCubicForgetsCurveAfterRTO), not towards a plateau at 100 4.2 s
//     away (about 76);
//   - a repeat after congestion avoidance began: the epoch started by the
//     first timeout's slow start must not survive the second timeout.
//
// Mutations caught: OnRepeatRTO leaving the curve (W_max 100, slow
// growth), or leaving the epoch.
func TestCubicForgetsCurveOnRepeatRTO(t *testing.T) {
	t.Run("in-recovery", func(t *testing.T) {
		c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 100 * testMSS, Packets: true})
		h := newHarness(c, testMSS, 20*time.Millisecond)
		c.OnCongestionEvent(h.now, 100*testMSS)
		if c.WMax() != 100 {
			t.Fatalf("W_max after the congestion event = %g, want 100", c.WMax())
		}
		c.OnRepeatRTO(h.now)
		if c.Window() != testMSS || c.SSThresh() != 70*testMSS {
			t.Fatalf("after the timeout cwnd, ssthresh = %d, %d segments; want 1, 70 (kept)", c.Window()/testMSS, c.SSThresh()/testMSS)
		}
		if c.WMax() != 0 || c.K() != 0 || c.Epoch() >= 0 {
			t.Errorf("after the timeout W_max %g, K %g, epoch %v; want 0, 0 and none", c.WMax(), c.K(), c.Epoch())
		}
		for c.InSlowStart() {
			h.round(testMSS)
		}
		for range 10 {
			h.round(testMSS)
		}
		if got := float64(c.Window()) / testMSS; got < 110 || got > 122 {
			t.Errorf("ten round trips after slow start: %.0f segments, want about 5 %% growth per round trip (110..122)", got)
		}
	})
	t.Run("repeat-after-ca", func(t *testing.T) {
		c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 100 * testMSS, Packets: true})
		h := newHarness(c, testMSS, 20*time.Millisecond)
		c.OnRTO(h.now, 100*testMSS)
		for c.InSlowStart() {
			h.round(testMSS)
		}
		h.round(testMSS)
		if c.Epoch() < 0 {
			t.Fatalf("no congestion-avoidance epoch after slow start")
		}
		c.OnRepeatRTO(h.now)
		if c.WMax() != 0 || c.K() != 0 || c.Epoch() >= 0 || c.Window() != testMSS {
			t.Errorf("after the repeated timeout W_max %g, K %g, epoch %v, cwnd %d; want 0, 0, none, 1 segment",
				c.WMax(), c.K(), c.Epoch(), c.Window()/testMSS)
		}
	})
}

// TestCubicCurveLooksAheadOneMinRTT: the curve is read one minimum RTT
// ahead of the time since the epoch began (Linux bictcp_update: t +=
// delay_min). Cut from 100 segments to 70 at a 200 ms RTT, K =
// cbrt(30/0.4) = 4.217 s, so at the epoch's start the curve is at 70 but
// one RTT ahead it is 100 - 0.4*(4.017)^3 = 74.07 segments: a round of
// ACKs all at the epoch's start grows the window towards 74 (to 72, the
// need growing as the window closes the gap), where reading the curve at
// t itself leaves it at its plateau, 70 (the Reno-friendly estimate adds
// only 8/15 of a segment).
//
// Mutation caught: no look-ahead (t = now - epoch; the window stays 70).
func TestCubicCurveLooksAheadOneMinRTT(t *testing.T) {
	c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 100 * testMSS, Packets: true})
	h := newHarness(c, testMSS, 200*time.Millisecond)
	h.loss()
	if c.Window() != 70*testMSS {
		t.Fatalf("after the cut: %d segments, want 70", c.Window()/testMSS)
	}
	h.round(testMSS)
	if w := c.Window() / testMSS; w < 71 || w > 74 {
		t.Errorf("after the first round of congestion avoidance: %d segments, want 71..74 (the curve 200 ms ahead is 74.07)", w)
	}
}

// TestCubicDelayMinKeptWithoutHyStart: CUBIC keeps its delay_min, the
// curve's look-ahead, from every RTT sample whether HyStart is on or off
// (Linux cubictcp_acked updates it before asking whether HyStart runs),
// and a timeout clears it with the rest of the curve (bictcp_reset).
//
// Mutation caught: delay_min fed only with HyStart on (0 here: the curve
// would be read with no look-ahead).
func TestCubicDelayMinKeptWithoutHyStart(t *testing.T) {
	c := NewCubic(CCConfig{MSS: testMSS, InitialWindow: 10 * testMSS, Packets: true})
	now := at(time.Second)
	for _, rtt := range []time.Duration{30, 25, 40} {
		deliverAck(c, Ack{Now: now, Acked: testMSS, PriorInFlight: 10 * testMSS, MaxInFlight: 10 * testMSS, WindowLimited: true,
			RTT: rtt * time.Millisecond, MinRTT: 25 * time.Millisecond, SRTT: 30 * time.Millisecond})
	}
	if c.hy.delayMin != 25*time.Millisecond {
		t.Errorf("delay_min %v with HyStart off, want the smallest sample, 25ms", c.hy.delayMin)
	}
	c.OnRTO(now, 11*testMSS)
	if c.hy.delayMin != 0 {
		t.Errorf("delay_min %v after a timeout, want 0 (bictcp_reset)", c.hy.delayMin)
	}
}
