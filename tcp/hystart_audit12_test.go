package tcp

import (
	"math"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// Audit 12 of b7d7ce2 (HyStart's ACK-train allowance, Linux's
// hystart_ack_delay): the tests of that commit check the allowance's
// arithmetic and that CUBIC passes one, but only where the allowance is
// its 1 ms cap, so CUBIC could pass any inputs that reach the cap. These
// check the inputs below the cap, and the ratio's boundary.

// TestHyStartAckDelayRatioBoundary: Linux's tcp_update_pacing_rate uses
// the slow-start ratio (200 %) while cwnd < ssthresh/2, strictly: at
// cwnd = ssthresh/2 the ratio is already 120 %. 500 segments against
// an ssthresh of 1,000, SRTT 1 ms: 4 * 65,215 B at 1.2 * 500 * 1,448 B
// per ms is 300,253 ns (at 200 %, 180,151 ns).
//
// Mutation caught: `window <= ssthresh/2` for the 200 % ratio.
func TestHyStartAckDelayRatioBoundary(t *testing.T) {
	const seg = 1448
	if got, want := hystartAckDelay(500*seg, 500*seg, 1000*seg, time.Millisecond), time.Duration(300253); got != want {
		t.Errorf("window at half of ssthresh: %v, want %v (120 %%)", got, want)
	}
	if got, want := hystartAckDelay(499*seg, 499*seg, 1000*seg, time.Millisecond), time.Duration(180512); got != want {
		t.Errorf("window one segment below half of ssthresh: %v, want %v (200 %%)", got, want)
	}
}

// TestCubicHyStartAckDelayInputs: CUBIC computes the allowance as Linux
// reads it in hystart_update, from the pacing rate tcp_update_pacing_rate
// set at the end of the ACK before: ratio% of max(cwnd, packets out) per
// SRTT, with the cwnd before this ACK's growth, the SRTT (not this ACK's
// sample), the flight, and ssthresh for the ratio. A window of 200
// segments and an RTT of 1 ms put the allowance below its cap (about
// 0.45 ms at 200 %), so each input shows.
//
// Each case gives a fresh controller two ACKs, both with an RTT sample of
// 1 ms (delay_min): the first starts HyStart's round, the window then
// being W (201 segments); the second comes x later. The ACK train fires
// when x > (delay_min + allowance)/2, the allowance being
// min(1 ms, 4 * 65,536 B / (ratio/100 * max(W, flight) / SRTT)), worked
// out here in floating point: 500 ns before that the train must not
// fire, 500 ns after it must, setting ssthresh to W.
//
// Mutations caught (none by the tests before): this ACK's RTT sample in
// place of SRTT; the flight left out; ssthresh left out (200 % always);
// the window after this ACK's growth.
func TestCubicHyStartAckDelayInputs(t *testing.T) {
	const mss = 1448
	tests := []struct {
		name     string
		srtt     time.Duration
		flight   Bytes // the flight before each ACK; 0: the window
		ssthresh Bytes // 0: none (infinite)
	}{
		{"slow start", time.Millisecond, 0, 0},
		{"SRTT above the sample", 1500 * time.Microsecond, 0, 0},
		{"flight above the window", time.Millisecond, 400 * mss, 0},
		{"window past half of ssthresh", time.Millisecond, 0, 300 * mss},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wantAllowance time.Duration
			for _, early := range []bool{true, false} {
				c := NewCubic(CCConfig{MSS: mss, InitialWindow: 200 * mss, HyStart: true})
				if tt.ssthresh > 0 {
					c.ssthresh = tt.ssthresh
				}
				t1 := sim.Time(time.Second)
				ack := func(now sim.Time, una int64) {
					flight := tt.flight
					if flight == 0 {
						flight = c.Window()
					}
					deliverAck(c, Ack{Now: now, Acked: mss, PriorInFlight: flight, MaxInFlight: flight, WindowLimited: true,
						RTT: time.Millisecond, MinRTT: time.Millisecond, SRTT: tt.srtt, SndUna: una, SndNxt: 1 << 40})
				}
				ack(t1, 1+mss)
				w := c.Window()
				if w != 201*mss || c.HyStart() != HyStartNone {
					t.Fatalf("after the first ACK: window %d, HyStart %v; want 201 segments, none", w/mss, c.HyStart())
				}
				ratio := 2.0
				if tt.ssthresh > 0 && w >= tt.ssthresh/2 {
					ratio = 1.2
				}
				rate := ratio * float64(max(w, tt.flight)) / tt.srtt.Seconds() // bytes per second
				allowance := math.Min(1e-3, 4*hystartGSOMaxSize/rate)          // seconds
				wantAllowance = time.Duration(allowance * 1e9)
				x := time.Duration((1e-3 + allowance) / 2 * 1e9)
				if early {
					x -= 500 * time.Nanosecond
				} else {
					x += 500 * time.Nanosecond
				}
				ack(t1.Add(x), 1+2*mss)
				fired := c.HyStart() == HyStartAckTrain
				if fired == early || (fired && c.SSThresh() != w) {
					t.Errorf("second ACK %v after the first (allowance %v): HyStart %v, ssthresh %d; want %v",
						x, wantAllowance, c.HyStart(), c.SSThresh(), map[bool]string{true: "none", false: "ack-train, ssthresh the window before it"}[early])
				}
			}
			t.Logf("allowance %v", wantAllowance)
		})
	}
}
