package tcp

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
)

// bulkPath is the reference bulk-transfer path: 10 Mbit/s, 50 ms RTT, a
// drop-tail queue of one bandwidth-delay product (10e6 * 0.05 / 8 = 62500
// bytes, about 41.7 full packets).
func bulkPath() *path {
	return newPath(pathConfig{rate: 10 * link.Mbps, rtt: 50 * time.Millisecond, queue: 62500})
}

// TestBulkThroughput runs an endless transfer on the reference path and
// measures goodput (payload bytes delivered in order) between t = 5 s and
// t = 25 s, after the start-up transient.
//
// Theory: with a buffer of one BDP, a window halved (NewReno) or cut to
// 0.7 (CUBIC) at the peak still covers the BDP, so the bottleneck never
// idles and the link carries 10 Mbit/s of packets, of which 1460/1500 is
// payload: 9.733 Mbit/s is the ceiling, and no flow can exceed it (up to
// the bytes in flight at the start of the interval). The
// test wants at least 95% of the link rate (9.5 Mbit/s), i.e. at least
// 97.6% utilization, and at most the ceiling.
func TestBulkThroughput(t *testing.T) {
	const rate = 10e6
	ceiling := rate * 1460 / 1500
	for _, cc := range []string{"newreno", "cubic"} {
		t.Run(cc, func(t *testing.T) {
			p := bulkPath()
			cfg := DefaultConfig()
			cfg.CC = cc
			p.transfer(cfg, 1<<40)
			p.s.RunUntil(at(5 * time.Second))
			cli := p.cep.Conns()[0]
			b0 := cli.Stats().BytesDelivered
			p.s.RunUntil(at(25 * time.Second))
			b1 := cli.Stats().BytesDelivered
			goodput := float64(b1-b0) * 8 / 20
			// Bytes delivered in the interval may include up to one
			// window (BDP + queue = 125000 bytes) that was on the wire or
			// waiting behind a hole at t = 5 s.
			if max := ceiling + 125000*8/20.0; goodput < 0.95*rate || goodput > max {
				t.Errorf("goodput = %.4g bit/s, want in [%.4g, %.4g]", goodput, 0.95*rate, max)
			}
			t.Logf("goodput %.4g bit/s (%.1f%% of the link rate)", goodput, 100*goodput/rate)
		})
	}
}

// TestRenoSawtooth checks the shape of NewReno's window in steady state on
// the reference path (cwnd trace, Config.TraceCwnd), from t = 5 s to 25 s.
//
// Theory:
//   - Each loss episode is a single fast retransmit (no timeout) that sets
//     ssthresh = cwnd = flight/2 (RFC 5681 eq. 4); the flight at that point
//     is the window, so the cut lands at half the peak. The peak is about
//     BDP + queue = 125000 wire bytes = 83.3 packets, so the window moves
//     between about 42 and 84 segments.
//   - Between cuts, congestion avoidance adds exactly one MSS per window of
//     acknowledged bytes (RFC 5681 3.1, integer byte counting), so every
//     step of the trace is +1 MSS.
//   - Once the window exceeds the pipe (base RTT 50 ms + tx(1500) + tx(40)
//     = 51.232 ms, i.e. 42.7 packets at 1.2 ms each), the queue never
//     empties and ACKs return at the bottleneck rate: acknowledging a window
//     of n segments takes n*1500*8/rate = n*1.2 ms, which is also the RTT at
//     that moment (base RTT plus queueing). So the step from n to n+1
//     segments comes n*1.2 ms after the previous one: linear growth of one
//     MSS per RTT. Delayed ACKs acknowledge two segments at once, so a step
//     can come up to one ACK (2 segments, 2.4 ms) late or early; the
//     tolerance is 2 packet times. Just above the trough (n < 45) the queue
//     can still run dry for a moment (the window is within two packets of
//     the pipe, and an odd segment waits for its delayed ACK), so those
//     steps are only checked to be +1 MSS.
//   - The period is then about 1.2 ms * (42 + ... + 83) = 3.2 s plus a
//     recovery RTT: at least 5 cuts in 20 s.
func TestRenoSawtooth(t *testing.T) {
	p := bulkPath()
	cfg := TextbookConfig()
	cfg.TraceCwnd = true
	_, _, sconn := p.transfer(cfg, 1<<40)
	p.s.RunUntil(at(5 * time.Second))
	st0 := (*sconn).Stats()
	p.s.RunUntil(at(25 * time.Second))
	st := (*sconn).Stats()
	if d := st.Timeouts - st0.Timeouts; d != 0 {
		t.Errorf("%d retransmission timeouts in steady state, want 0", d)
	}
	mss := cfg.MSS
	pkt := link.Bandwidth(10 * link.Mbps).TxTime(mss + 40) // 1.2 ms
	var tr []CwndSample
	for _, s := range st.Cwnd {
		if s.At >= at(5*time.Second) {
			tr = append(tr, s)
		}
	}
	cuts, timed := 0, 0
	phaseStart := -1 // index of the first sample after the latest cut
	for i := 1; i < len(tr); i++ {
		prev, cur := tr[i-1], tr[i]
		if cur.Cwnd < prev.Cwnd {
			cuts++
			ratio := float64(cur.Cwnd) / float64(prev.Cwnd)
			if ratio < 0.45 || ratio > 0.55 {
				t.Errorf("cut at %v from %d to %d bytes: ratio %.3f, want about 1/2", cur.At, prev.Cwnd, cur.Cwnd, ratio)
			}
			if cur.SSThresh != cur.Cwnd {
				t.Errorf("cut at %v: ssthresh %d, want cwnd %d", cur.At, cur.SSThresh, cur.Cwnd)
			}
			if peak := prev.Cwnd / mss; peak < 80 || peak > 88 {
				t.Errorf("peak before the cut at %v = %d segments, want about 84", cur.At, peak)
			}
			phaseStart = i
			continue
		}
		if phaseStart < 0 {
			continue // before the first cut in the window: not a full phase
		}
		if step := cur.Cwnd - prev.Cwnd; step != mss {
			t.Errorf("step at %v: %d bytes, want one MSS (%d)", cur.At, step, mss)
			continue
		}
		n := prev.Cwnd / mss
		if i-1 == phaseStart || n < 45 {
			// The first increase after a cut includes the recovery;
			// near the trough the queue can run empty (see above).
			continue
		}
		want := time.Duration(n) * pkt
		timed++
		if got := cur.At.Sub(prev.At); got < want-2*pkt || got > want+2*pkt {
			t.Errorf("step from %d to %d segments took %v, want %v +- %v", n, n+1, got, want, 2*pkt)
		}
	}
	if cuts < 5 {
		t.Errorf("%d window cuts between 5 s and 25 s, want at least 5", cuts)
	}
	if timed < 100 {
		t.Errorf("%d growth steps timed, want at least 100", timed)
	}
}
