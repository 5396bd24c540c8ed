package tcp

import (
	"fmt"
	"testing"
	"time"
)

// TestSSRounds checks the helper that the slow-start tests take their
// expected round counts from, against ceil(log2(d/w + 1)) worked by hand
// for a few values (e.g. d = 31, w = 10: log2(4.1) = 2.04, so 3 rounds:
// 10 + 20 < 31 <= 10 + 20 + 40).
func TestSSRounds(t *testing.T) {
	tests := []struct{ d, w, want int }{
		{1, 10, 1}, {10, 10, 1}, {11, 10, 2}, {30, 10, 2}, {31, 10, 3},
		{70, 10, 3}, {71, 10, 4}, {1, 1, 1}, {3, 1, 2}, {4, 1, 3}, {100, 4, 5},
	}
	for _, tt := range tests {
		if got := ssRounds(tt.d, tt.w); got != tt.want {
			t.Errorf("ssRounds(%d, %d) = %d, want %d", tt.d, tt.w, got, tt.want)
		}
	}
}

// TestSlowStartRounds times one request/response exchange on a fresh
// connection over an infinitely fast link (rate 0: no serialization), for
// a response of d full segments and an initial window of w segments.
//
// Derivation, immediate ACKs: the request (100 bytes) reaches the server
// R/2 after it is sent. In slow start every acknowledged segment adds one
// MSS to cwnd (byte counting, RFC 3465) and frees its own slot, so each
// ACK releases two new segments: round j carries w*2^(j-1) segments, and
// after k rounds w*(2^k - 1) have been sent. The last byte thus leaves the
// server in round k = ceil(log2(d/w + 1)), (k-1)*R after the first, and
// arrives R/2 later: the exchange takes exactly k*R.
//
// Delayed ACKs (the default: an ACK for every second full segment, or
// after 40 ms) were checked over the same table, with these findings:
//
//   - w even: exactly k*R. Every round but the last has an even number of
//     segments, so every segment is acknowledged at once by the ACK of its
//     pair, and an ACK for two segments adds 2 MSS (L = 2), the same growth
//     as two ACKs. The last round's odd segment waits for the timer, but
//     only after its data was delivered.
//   - w = 1, d > 1: exactly k*R + 40 ms. The first round is one lone
//     segment, acknowledged by the timer 40 ms after it arrives; cwnd then
//     becomes 2 and every later round is even, so the rest of the schedule
//     shifts by one timeout. (d = 1 is a single round: k*R.)
//   - w = 3 (odd): a lone segment per round waits for its partner from the
//     next round or for the timer, and the rounds smear; only the lower
//     bound k*R is checked (the table shows +0 to +10 ms).
func TestSlowStartRounds(t *testing.T) {
	const delAckTimeout = 40 * time.Millisecond
	type row struct {
		d, w   int
		rtt    time.Duration
		delack bool
	}
	var rows []row
	for _, rtt := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond} {
		for _, w := range []int{1, 2, 3, 4, 10} {
			for _, d := range []int{1, 2, 5, 10, 11, 29, 30, 31, 70, 100, 300} {
				rows = append(rows, row{d, w, rtt, false}, row{d, w, rtt, true})
			}
		}
	}
	for _, tt := range rows {
		name := fmt.Sprintf("rtt=%v/w=%d/d=%d/delack=%v", tt.rtt, tt.w, tt.d, tt.delack)
		t.Run(name, func(t *testing.T) {
			cfg := TextbookConfig()
			cfg.InitialWindow = tt.w
			cfg.DelayedAck = tt.delack
			p := newPath(pathConfig{rtt: tt.rtt})
			x := newRR(t, p, cfg, cfg)
			got := x.exchange(t, 100, Bytes(tt.d)*cfg.MSS)
			k := ssRounds(tt.d, tt.w)
			want := time.Duration(k) * tt.rtt
			switch {
			case !tt.delack || tt.w%2 == 0 || tt.d == 1:
				if got != want {
					t.Errorf("exchange took %v, want %d rounds = %v", got, k, want)
				}
			case tt.w == 1:
				if want += delAckTimeout; got != want {
					t.Errorf("exchange took %v, want %d rounds + 40ms = %v", got, k, want)
				}
			default:
				if got < want {
					t.Errorf("exchange took %v, want at least %d rounds = %v", got, k, want)
				}
			}
		})
	}
}

// TestWarmConnection repeats the exchange of TestSlowStartRounds on a
// connection that has just carried a cold 100-segment response (w = 10,
// delayed ACKs), over an infinitely fast link.
//
// Derivation: after the cold response, cwnd is some W (read from the
// controller; see TestWindowAfterResponse for its value). A response of
// d <= W/MSS segments then leaves the server in one burst on the request's
// arrival and is delivered R/2 later: the exchange takes exactly R. The
// server was idle for less than its RTO, so no restart applies.
func TestWarmConnection(t *testing.T) {
	for _, rtt := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 80 * time.Millisecond} {
		for _, frac := range []int{1, 2} { // d = W and d = W/2
			t.Run(fmt.Sprintf("rtt=%v/d=W/%d", rtt, frac), func(t *testing.T) {
				cfg := TextbookConfig()
				p := newPath(pathConfig{rtt: rtt})
				x := newRR(t, p, cfg, cfg)
				if got, want := x.exchange(t, 100, 100*cfg.MSS), 4*rtt; got != want {
					t.Fatalf("cold exchange took %v, want %v", got, want)
				}
				p.s.RunUntil(p.s.Now().Add(rtt)) // let the last ACKs arrive
				w := x.srv.CC().Window()
				d := w / cfg.MSS / Bytes(frac)
				if got := x.exchange(t, 100, d*cfg.MSS); got != rtt {
					t.Errorf("warm exchange of %d segments (cwnd %d) took %v, want one RTT = %v", d, w, got, rtt)
				}
				if got := x.srv.Stats().IdleRestarts; got != 0 {
					t.Errorf("IdleRestarts = %d, want 0", got)
				}
			})
		}
	}
}

// TestWindowAfterResponse checks the window a cold response leaves behind
// (w = 10, immediate ACKs, infinitely fast link), which is what a
// persistent connection's next response starts from.
//
// Derivation: growth is earned while the sender is using its window
// (Linux tcp_is_cwnd_limited): in slow start, while cwnd < 2 * the largest
// flight of the window being acknowledged, where a send that finds the
// window full (or leaves it exactly full) marks the window as used and
// later sends in it do not raise the figure (Linux tcp_cwnd_validate).
// With immediate ACKs each ACK adds one MSS and releases two segments.
//   - d = 10: one full window of 10; all 10 ACKs count: cwnd = 20.
//   - d = 20: the i-th ACK of round 1 leaves cwnd 10+i and, releasing two
//     segments, flight 10+i: full. The 5th sends the last two segments
//     (flight 15 = cwnd 15, full). The largest flight is 15, so ACKs count
//     while cwnd < 30: cwnd = 30.
//   - d = 100: rounds of 10 and 20 fill the window; in round 3 the i-th ACK
//     leaves cwnd 40+i and flight 40+i, until the data runs out at i = 15
//     (flight 55 = cwnd 55), so ACKs count while cwnd < 110: cwnd = 110.
//
// The previous rule looked at the flight when each ACK arrived and gave
// 14, 20 and 74: a sender that had just pushed 100 segments could not
// send 100 again in one round.
func TestWindowAfterResponse(t *testing.T) {
	tests := []struct {
		d    Bytes
		want Bytes // segments
	}{
		{10, 20},
		{20, 30},
		{100, 110},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("d=", tt.d), func(t *testing.T) {
			cfg := TextbookConfig()
			cfg.DelayedAck = false
			p := newPath(pathConfig{rtt: 50 * time.Millisecond})
			x := newRR(t, p, cfg, cfg)
			x.exchange(t, 100, tt.d*cfg.MSS)
			p.s.RunUntil(p.s.Now().Add(50 * time.Millisecond))
			if got := x.srv.CC().Window(); got != tt.want*cfg.MSS {
				t.Errorf("cwnd after a %d-segment response = %d (%d MSS), want %d MSS", tt.d, got, got/cfg.MSS, tt.want)
			}
		})
	}
}

// TestIdleRestart lets a warm connection (cwnd W = 110 MSS after a cold
// 100-segment response, see TestWindowAfterResponse) sit idle, then asks
// for 100 segments again, over an infinitely fast 50 ms path with
// immediate ACKs. The idle time is measured as the model and Linux measure
// it: from the server's last data segment to the response's first, and
// set to a multiple of the server's RTO at that moment.
//
// Derivation (RFC 5681 4.1; Linux tcp_cwnd_restart):
//   - disabled (SlowStartAfterIdle off), or idle <= RTO: cwnd stays W; the
//     100 segments leave in one burst: one round, R.
//   - rfc5681: cwnd = min(W, IW) = 10 MSS; slow start from 10 needs
//     ceil(log2(100/10 + 1)) = 4 rounds.
//   - linux: cwnd is halved once for every whole RTO the idle time exceeds
//     RTO by (the kernel's loop `while ((delta -= rto) > 0) cwnd >>= 1`),
//     not below min(W, IW). 1.5 RTO and exactly 2 RTO: one halving, 55 MSS,
//     2 rounds (55 + 110 >= 100); 2.5 RTO: 27.5 MSS (cwnd is in bytes),
//     3 rounds (27.5 + 55 < 100); 10 RTO: 110 -> 55 -> 27.5 -> 13.75 ->
//     6.875, then up to IW = 10 MSS, 4 rounds. ssthresh (infinite: no loss
//     yet) stays.
func TestIdleRestart(t *testing.T) {
	const rtt = 50 * time.Millisecond
	const mss = 1460
	type row struct {
		mode     string
		idle     float64 // in RTOs
		cwnd     Bytes   // bytes after the restart (at the response's first segment)
		rounds   int
		restarts int64
	}
	tests := []row{
		{"disabled", 0.5, 110 * mss, 1, 0},
		{"disabled", 2.5, 110 * mss, 1, 0},
		{"disabled", 10, 110 * mss, 1, 0},
		{"rfc5681", 0.5, 110 * mss, 1, 0},
		{"rfc5681", 1.5, 10 * mss, 4, 1},
		{"rfc5681", 10, 10 * mss, 4, 1},
		{"linux", 0.5, 110 * mss, 1, 0},
		{"linux", 1.5, 55 * mss, 2, 1},
		{"linux", 2, 55 * mss, 2, 1},
		{"linux", 2.5, 110 * mss / 4, 3, 1},
		{"linux", 10, 10 * mss, 4, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/idle=%gRTO", tt.mode, tt.idle), func(t *testing.T) {
			cfg := TextbookConfig()
			cfg.DelayedAck = false
			cfg.TraceCwnd = true
			switch tt.mode {
			case "disabled":
				cfg.SlowStartAfterIdle = false
			case "linux":
				cfg.IdleRestart = RestartLinux
			}
			p := newPath(pathConfig{rtt: rtt})
			x := newRR(t, p, cfg, cfg)
			x.exchange(t, 100, 100*cfg.MSS)
			p.s.RunUntil(p.s.Now().Add(rtt))
			if got, want := x.srv.CC().Window(), 110*cfg.MSS; got != want {
				t.Fatalf("cwnd before the idle period = %d, want %d", got, want)
			}
			rto := x.srv.Stats().RTO
			idle := time.Duration(tt.idle * float64(rto))
			// The request reaches the server R/2 after it is sent, and
			// the server answers at once.
			p.s.RunUntil(x.srv.lastDataSent.Add(idle - rtt/2))
			before := len(x.srv.Stats().Cwnd)
			got := x.exchange(t, 100, 100*cfg.MSS)
			if want := time.Duration(tt.rounds) * rtt; got != want {
				t.Errorf("exchange after idle took %v, want %d rounds = %v", got, tt.rounds, want)
			}
			st := x.srv.Stats()
			if st.IdleRestarts != tt.restarts {
				t.Errorf("IdleRestarts = %d, want %d", st.IdleRestarts, tt.restarts)
			}
			// The window the response started from: the first trace
			// sample of the exchange if a restart changed it.
			start := 110 * cfg.MSS
			if tr := st.Cwnd[before:]; tt.restarts > 0 && len(tr) > 0 {
				start = tr[0].Cwnd
				if tr[0].SSThresh != InfiniteSSThresh {
					t.Errorf("ssthresh after restart = %d, want unchanged (infinite)", tr[0].SSThresh)
				}
			}
			if start != tt.cwnd {
				t.Errorf("cwnd after the idle period = %d (%.3f MSS), want %d (%.3f MSS)", start, float64(start)/mss, tt.cwnd, float64(tt.cwnd)/mss)
			}
		})
	}
}
