package tcp

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// TestReceiveWindowLimitsThroughput: the sender never has more than the
// peer's advertised window in flight (the send window is min(cwnd,
// rwnd), RFC 9293 3.8.6 and RFC 5681 2), so on a path much faster than
// the window, throughput is the window per round trip. The client
// advertises W bytes; the server sends without end over a 1 Gbit/s, 100 ms
// path with no queue limit (cwnd would otherwise grow far beyond W). The
// flight is whole segments: floor(W/MSS) of them, e.g. 44 segments =
// 64240 bytes for W = 64 KiB. One round trip is the propagation delay
// plus one data and one ACK serialization (100.01232 ms), and the burst
// of a window takes floor(W/MSS) serializations of 12 us, which overlap
// the round trip (the window is sent as the ACKs come back). So between
// t = 2 s and 12 s the client receives floor(W/MSS)*MSS bytes per round
// trip, within 1%; and never more than W per round trip of the bare
// propagation delay. With delayed ACKs an even number of segments per
// window is acknowledged in pairs, so the 64 KiB row (44 segments) holds
// with them too.
func TestReceiveWindowLimitsThroughput(t *testing.T) {
	const rate = link.Gbps
	const rtt = 100 * time.Millisecond
	tests := []struct {
		rwnd       Bytes
		delayedAck bool
	}{
		{16 << 10, false},
		{64 << 10, false},
		{64 << 10, true},
		{256 << 10, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rwnd=%dKiB/delack=%v", tt.rwnd>>10, tt.delayedAck), func(t *testing.T) {
			p := newPath(pathConfig{rate: rate, rtt: rtt})
			scfg := TextbookConfig()
			ccfg := TextbookConfig()
			ccfg.ReceiveWindow = tt.rwnd
			ccfg.DelayedAck = tt.delayedAck
			p.sep.Listen(80, scfg, func(c *Conn) Handler {
				r := newRecorder(p.s)
				r.onConnected = func(c *Conn) { c.Send(1<<40, "endless") }
				return r
			})
			cli := p.cep.Dial(p.server.ID, 80, ccfg, newRecorder(p.s))
			p.s.RunUntil(at(2 * time.Second))
			b0 := cli.Stats().BytesDelivered
			p.s.RunUntil(at(12 * time.Second))
			got := float64(cli.Stats().BytesDelivered - b0)
			mss := scfg.MSS
			round := rtt + tx(rate, mss+40) + tx(rate, 40)
			want := float64(tt.rwnd/mss*mss) * float64(10*time.Second) / float64(round)
			if got < 0.99*want || got > 1.01*want {
				t.Errorf("delivered %.0f bytes in 10 s, want %.0f (floor(rwnd/MSS)*MSS per %v) within 1%%", got, want, round)
			}
			if ceiling := float64(tt.rwnd) * 100; got > ceiling {
				t.Errorf("delivered %.0f bytes in 10 s, more than the window per bare RTT allows (%.0f)", got, ceiling)
			}
		})
	}
}

// TestRTTEstimator checks the RFC 6298 estimator (section 2) over
// sequences of samples: the first sample R sets SRTT = R, RTTVAR = R/2;
// each later one sets RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R| (with the old
// SRTT) and then SRTT = 7/8 SRTT + 1/8 R; RTO = SRTT + max(G, 4 RTTVAR)
// with G = 1 ms, clamped to [MinRTO, MaxRTO]. Integer nanoseconds,
// truncated. The expected values are worked by hand (see the comments).
func TestRTTEstimator(t *testing.T) {
	type step struct {
		sample            time.Duration
		srtt, rttvar, rto time.Duration
	}
	ms := time.Millisecond
	tests := []struct {
		name   string
		minRTO time.Duration
		steps  []step
	}{
		{"weights", time.Nanosecond, []step{
			{100 * ms, 100 * ms, 50 * ms, 300 * ms}, // 100 + 4*50
			// |100-200| = 100: RTTVAR (3*50+100)/4 = 62.5; SRTT (7*100+200)/8 = 112.5; RTO 112.5+250
			{200 * ms, 112500 * time.Microsecond, 62500 * time.Microsecond, 362500 * time.Microsecond},
			// |112.5-40| = 72.5: RTTVAR (187.5+72.5)/4 = 65; SRTT (787.5+40)/8 = 103.4375; RTO +260
			{40 * ms, 103437500, 65 * ms, 363437500},
			// |103.4375-100| = 3.4375: RTTVAR (195+3.4375)/4 = 49.609375;
			// SRTT (724.0625+100)/8 = 103.0078125, truncated to the ns; RTO + 198.4375
			{100 * ms, 103007812, 49609375, 301445312},
		}},
		// Constant 10 ms samples: RTTVAR decays by 3/4 a sample (5 ms,
		// 3.75, 2.8125, ..., truncated to the ns); 4 RTTVAR falls below
		// G = 1 ms at the 12th sample (RTTVAR 211175 ns), and RTO =
		// SRTT + G = 11 ms.
		{"granularity", time.Nanosecond, []step{
			{10 * ms, 10 * ms, 5 * ms, 30 * ms},
			{10 * ms, 10 * ms, 3750 * time.Microsecond, 25 * ms},
			{10 * ms, 10 * ms, 2812500, 21250 * time.Microsecond},
			{10 * ms, 10 * ms, 2109375, 18437500},
			{10 * ms, 10 * ms, 1582031, 16328124},
			{10 * ms, 10 * ms, 1186523, 14746092},
			{10 * ms, 10 * ms, 889892, 13559568},
			{10 * ms, 10 * ms, 667419, 12669676},
			{10 * ms, 10 * ms, 500564, 12002256},
			{10 * ms, 10 * ms, 375423, 11501692},
			{10 * ms, 10 * ms, 281567, 11126268},
			{10 * ms, 10 * ms, 211175, 11 * ms},
		}},
		// The 200 ms minimum is a clamp, not added (RFC 6298 2.4).
		{"min", 200 * ms, []step{
			{10 * ms, 10 * ms, 5 * ms, 200 * ms},
			{10 * ms, 10 * ms, 3750 * time.Microsecond, 200 * ms},
			{100 * ms, 21250 * time.Microsecond, 25312500, 200 * ms}, // |10-100| = 90: (11.25+90)/4
			{500 * ms, 81093750, 138671875, 635781250},               // |21.25-500|: (75.9375+478.75)/4; (148.75+500)/8
		}},
		// And the 120 s maximum (RFC 6298 2.5 allows one of at least 60 s).
		{"max", 200 * ms, []step{
			{100 * time.Second, 100 * time.Second, 50 * time.Second, 120 * time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := TextbookConfig()
			cfg.MinRTO = tt.minRTO
			c := &Conn{cfg: cfg.withDefaults(), rtoInit: time.Second, rto: time.Second}
			for i, s := range tt.steps {
				c.updateRTT(s.sample, s.sample)
				if c.est.srtt != s.srtt || c.est.rttvar != s.rttvar || c.rto != s.rto {
					t.Errorf("sample %d (%v): SRTT, RTTVAR, RTO = %d, %d, %d ns; want %d, %d, %d ns",
						i+1, s.sample, c.est.srtt, c.est.rttvar, c.rto, s.srtt, s.rttvar, s.rto)
				}
				if c.stats.RTTSamples != int64(i+1) {
					t.Errorf("RTTSamples = %d after %d samples", c.stats.RTTSamples, i+1)
				}
			}
		})
	}
}

// idleRR sets up the restart-after-idle scene of TestIdleRestart: a
// persistent connection over an infinitely fast 50 ms path with immediate
// ACKs, whose server has answered a cold 100-segment request (cwnd 110
// MSS) and whose RTO is the 200 ms minimum.
func idleRR(t *testing.T, cfg Config) (*path, *rr, *pktLog) {
	t.Helper()
	cfg.DelayedAck = false
	cfg.TraceCwnd = true
	p := newPath(pathConfig{rtt: 50 * time.Millisecond})
	log := &pktLog{}
	p.net.SetTracer(log)
	x := newRR(t, p, cfg, cfg)
	x.exchange(t, 100, 100*cfg.MSS)
	p.s.RunUntil(p.s.Now().Add(50 * time.Millisecond))
	if got := x.srv.Stats().RTO; got != 200*time.Millisecond {
		t.Fatalf("server RTO = %v, want the 200ms minimum", got)
	}
	return p, x, log
}

// TestIdleKeyedOnDataSent: restart after idle counts the idle time from
// the last data segment the sender *sent* (RFC 5681 4.1: "has not sent
// data in an interval exceeding the retransmission timeout"; Linux
// tcp_cwnd_restart, from lsndtime), not from the last ACK it received,
// nor from the last packet of any kind it sent. The last ACK of the cold
// response reaches the server one RTT (50 ms) after its last data
// segment, so an idle time of RTO + 25 ms since the last data is RTO - 25
// ms since that ACK: only the rule on data sent restarts (cwnd = IW).
// RTO - 25 ms since the last data restarts under no rule. A small message
// from the client in between (which the server acknowledges with a pure
// ACK) does not count as data sent.
func TestIdleKeyedOnDataSent(t *testing.T) {
	const rto = 200 * time.Millisecond
	tests := []struct {
		name    string
		idle    time.Duration // from the server's last data segment to its response
		ping    bool          // the client sends a small message 100 ms into the idle time
		restart bool
	}{
		{"idle RTO+25ms", rto + 25*time.Millisecond, false, true},
		{"idle RTO-25ms", rto - 25*time.Millisecond, false, false},
		{"idle RTO+25ms with a ping", rto + 25*time.Millisecond, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := TextbookConfig()
			p, x, log := idleRR(t, cfg)
			// The server's last data segment, from the packet log.
			data := log.sent(p.down, func(q *link.Packet) bool { return q.Len > 0 })
			last := data[len(data)-1].at
			// The last ACK the server received before the idle period.
			var lastAck sim.Time
			for _, e := range log.events {
				if e.ev == link.Delivered && e.pipe == p.up && e.at <= p.s.Now() {
					lastAck = e.at
				}
			}
			if got := lastAck.Sub(last); got != 50*time.Millisecond {
				t.Fatalf("last ACK %v after the last data segment, want one RTT (50ms)", got)
			}
			if tt.ping {
				p.s.RunUntil(last.Add(100*time.Millisecond - 25*time.Millisecond))
				x.cli.Send(10, "ping")
			}
			p.s.RunUntil(last.Add(tt.idle - 25*time.Millisecond))
			before := len(x.srv.Stats().Cwnd)
			x.exchange(t, 100, 100*cfg.MSS)
			st := x.srv.Stats()
			if tt.ping {
				// The server acknowledged the ping during the idle time.
				pure := log.sent(p.down, func(q *link.Packet) bool { return q.Len == 0 && q.Flags == link.ACK })
				if !slices.ContainsFunc(pure, func(e pktEvent) bool { return e.at > last && e.at < last.Add(tt.idle) }) {
					t.Fatalf("no pure ACK from the server during the idle time")
				}
			}
			want := int64(0)
			if tt.restart {
				want = 1
			}
			if st.IdleRestarts != want {
				t.Errorf("IdleRestarts = %d, want %d (idle %v since the last data sent, %v since the last ACK)",
					st.IdleRestarts, want, tt.idle, tt.idle-50*time.Millisecond)
			}
			if tt.restart {
				if tr := st.Cwnd[before:]; len(tr) == 0 || tr[0].Cwnd != cfg.InitialWindowBytes() {
					t.Errorf("cwnd after the idle period: trace %v, want a restart to IW = %d", tr[:min(1, len(tr))], cfg.InitialWindowBytes())
				}
			}
		})
	}
}

// TestIdleRestartWindow pins both restart modes on a sender whose window
// and ssthresh are set by hand (cwnd and ssthresh below in MSS; IW = 10
// MSS; RTO 200 ms; idle in RTOs since the last data segment):
//   - rfc5681: cwnd = min(cwnd, IW) (RFC 5681 4.1: "no more than RW"),
//     ssthresh unchanged; a window already at or below IW is left alone
//     and no restart is counted.
//   - linux (tcp_cwnd_restart): first ssthresh = max(ssthresh, 3/4 cwnd)
//     (tcp_current_ssthresh, from the window before any halving), then
//     cwnd halves once per whole RTO the idle time exceeds the RTO by,
//     not below min(cwnd, IW). A restart that changes only ssthresh still
//     counts.
func TestIdleRestartWindow(t *testing.T) {
	tests := []struct {
		mode           IdleRestart
		cwnd, ssthresh float64 // MSS
		idle           float64 // RTOs
		wantCwnd       float64
		wantSS         float64
		restarts       int64
	}{
		{RestartRFC5681, 40, 20, 1.5, 10, 20, 1},
		{RestartRFC5681, 40, 20, 10, 10, 20, 1},
		{RestartRFC5681, 6, 3, 1.5, 6, 3, 0},
		{RestartRFC5681, 40, 20, 0.9, 40, 20, 0},
		{RestartLinux, 40, 20, 1.5, 20, 30, 1},
		{RestartLinux, 40, 35, 1.5, 20, 35, 1},
		{RestartLinux, 40, 20, 2.5, 10, 30, 1},
		{RestartLinux, 40, 20, 10, 10, 30, 1},
		{RestartLinux, 41, 20, 1.5, 20.5, 30.75, 1},
		{RestartLinux, 6, 3, 1.5, 6, 4.5, 1},
		{RestartLinux, 6, 5, 1.5, 6, 5, 0},
		{RestartLinux, 40, 20, 0.9, 40, 20, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/cwnd=%g/ssthresh=%g/idle=%gRTO", tt.mode, tt.cwnd, tt.ssthresh, tt.idle), func(t *testing.T) {
			cfg := TextbookConfig()
			cfg.IdleRestart = tt.mode
			mss := float64(cfg.MSS)
			p, x, _ := idleRR(t, cfg)
			r := x.srv.CC().(*Reno)
			r.cwnd, r.ssthresh = Bytes(tt.cwnd*mss), Bytes(tt.ssthresh*mss)
			x.srv.traceCwnd()
			rto := x.srv.Stats().RTO
			idle := time.Duration(tt.idle * float64(rto))
			p.s.RunUntil(x.srv.lastDataSent.Add(idle - 25*time.Millisecond))
			restarts := x.srv.Stats().IdleRestarts
			x.exchange(t, 100, 1)
			st := x.srv.Stats()
			if got := st.IdleRestarts - restarts; got != tt.restarts {
				t.Errorf("IdleRestarts +%d, want +%d", got, tt.restarts)
			}
			// The window the response was sent with: the trace sample
			// at the request's arrival, if the restart changed anything.
			cw, ss := Bytes(tt.cwnd*mss), Bytes(tt.ssthresh*mss)
			arrival := x.srv.lastDataSent
			for _, s := range st.Cwnd {
				if s.At == arrival {
					cw, ss = s.Cwnd, s.SSThresh
				}
			}
			if cw != Bytes(tt.wantCwnd*mss) || ss != Bytes(tt.wantSS*mss) {
				t.Errorf("after the idle period cwnd, ssthresh = %g, %g MSS; want %g, %g",
					float64(cw)/mss, float64(ss)/mss, tt.wantCwnd, tt.wantSS)
			}
		})
	}
}

// TestConnCounters pins the per-connection counters on a scripted
// exchange over an infinitely fast 50 ms path: the server sends one
// message of 10 full segments (14600 bytes) as soon as the connection is
// up, and the first transmission of segment 5 is lost.
//
// Derivation. Server: SYN-ACK (40 bytes), 10 data segments (1500 bytes on
// the wire each; the lost one was sent too), and one fast retransmission
// of segment 5 when the third duplicate ACK arrives: 12 packets, 40 +
// 11*1500 = 16540 wire bytes, 11 data packets, 11*1460 payload bytes, 1
// retransmission (fast), no timeout; RTT samples: the handshake's ACK
// (by send time), every ACK that advances the window (timestamp echo),
// none from duplicate ACKs. Client: SYN, the handshake's ACK, then
//   - with delayed ACKs: an ACK after segments 2 and 4 (every second full
//     segment), an immediate duplicate ACK for each of segments 6-10 (out
//     of order), and one for the retransmission that fills the hole: 10
//     packets; the server takes 1 + 2 + 1 = 4 RTT samples;
//   - with immediate ACKs: 4 ACKs, 5 duplicates, 1: 12 packets; the server
//     takes 1 + 4 + 1 = 6 samples.
//
// The client's only sample is the SYN's. All client packets are 40 bytes.
// The client delivers 14600 bytes, 5 segments out of order, none twice.
// The down pipe's counters agree with the server's: 12 packets, 16540
// bytes, 1 loss.
func TestConnCounters(t *testing.T) {
	tests := []struct {
		delayedAck          bool
		cliPackets, srvRTTs int64
	}{
		{true, 10, 4},
		{false, 12, 6},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("delack=", tt.delayedAck), func(t *testing.T) {
			cfg := TextbookConfig()
			cfg.DelayedAck = tt.delayedAck
			p := newPath(pathConfig{rtt: 50 * time.Millisecond})
			p.down.SetLoss(dropSegments(cfg.MSS, 5))
			cli, _, sconn := p.transfer(cfg, 10*cfg.MSS)
			p.s.RunUntil(at(5 * time.Second))
			if len(cli.delivered) != 1 {
				t.Fatalf("delivered %d messages, want 1", len(cli.delivered))
			}
			s := (*sconn).Stats()
			c := p.cep.Conns()[0].Stats()
			type counters struct {
				Packets, Wire, DataPackets, Payload, Retransmits, Fast, Timeouts, RTTs int64
			}
			gotS := counters{s.PacketsSent, s.WireBytesSent, s.DataPacketsSent, s.PayloadBytesSent, s.Retransmits, s.FastRetransmits, s.Timeouts, s.RTTSamples}
			wantS := counters{12, 40 + 11*1500, 11, 11 * 1460, 1, 1, 0, tt.srvRTTs}
			if gotS != wantS {
				t.Errorf("server counters %+v, want %+v", gotS, wantS)
			}
			gotC := counters{c.PacketsSent, c.WireBytesSent, c.DataPacketsSent, c.PayloadBytesSent, c.Retransmits, c.FastRetransmits, c.Timeouts, c.RTTSamples}
			wantC := counters{tt.cliPackets, 40 * tt.cliPackets, 0, 0, 0, 0, 0, 1}
			if gotC != wantC {
				t.Errorf("client counters %+v, want %+v", gotC, wantC)
			}
			if c.BytesDelivered != 14600 || c.OutOfOrder != 5 || c.DupBytesReceived != 0 {
				t.Errorf("client received %d bytes, %d out of order, %d again; want 14600, 5, 0", c.BytesDelivered, c.OutOfOrder, c.DupBytesReceived)
			}
			if d := p.down.Stats(); d.Packets != 12 || d.Bytes != 16540 || d.LossDrops != 1 {
				t.Errorf("down pipe: %d packets, %d bytes, %d lost; want 12, 16540, 1", d.Packets, d.Bytes, d.LossDrops)
			}
			if u := p.up.Stats(); u.Packets != tt.cliPackets || u.Bytes != 40*tt.cliPackets {
				t.Errorf("up pipe: %d packets, %d bytes; want %d, %d", u.Packets, u.Bytes, tt.cliPackets, 40*tt.cliPackets)
			}
		})
	}
}

// TestDelayedAckTimer: the delayed-ACK timer starts at the first
// unacknowledged segment and is not pushed back by later ones (RFC 1122
// 4.2.3.2: an ACK must not be delayed more than 500 ms, here 40 ms, after
// the data it acknowledges arrived; Linux arms it once). The client
// sends two 100-byte messages gap apart over a 50 ms path (Nagle off);
// the server's ACKs are sent 40 ms after the first segment's arrival
// (covering both if the second came within the 40 ms), and, for a second
// segment that came later, 40 ms after its own arrival.
func TestDelayedAckTimer(t *testing.T) {
	const delay = 40 * time.Millisecond
	tests := []struct {
		gap  time.Duration
		acks []time.Duration // after the first segment's arrival
		ackd []int64         // bytes acknowledged by each
	}{
		{0, []time.Duration{delay}, []int64{200}},
		{10 * time.Millisecond, []time.Duration{delay}, []int64{200}},
		{30 * time.Millisecond, []time.Duration{delay}, []int64{200}},
		{39 * time.Millisecond, []time.Duration{delay}, []int64{200}},
		{50 * time.Millisecond, []time.Duration{delay, 50*time.Millisecond + delay}, []int64{100, 200}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("gap=", tt.gap), func(t *testing.T) {
			cfg := TextbookConfig()
			p := newPath(pathConfig{rtt: 50 * time.Millisecond})
			log := &pktLog{}
			p.net.SetTracer(log)
			x := newRR(t, p, cfg, cfg)
			p.s.RunUntil(p.s.Now().Add(time.Second))
			t0 := p.s.Now()
			x.cli.Send(100, reqTag{n: 1})
			p.s.RunUntil(t0.Add(tt.gap))
			x.cli.Send(100, reqTag{n: 2})
			p.s.RunUntil(t0.Add(time.Second))
			arrival := t0.Add(25 * time.Millisecond)
			acks := log.sent(p.down, func(q *link.Packet) bool { return q.Len == 0 && q.Flags == link.ACK })
			var got []string
			for _, e := range acks {
				if e.at >= t0 {
					got = append(got, fmt.Sprintf("%v acks %d", e.at.Sub(arrival), e.p.Ack-1))
				}
			}
			var want []string
			for i, d := range tt.acks {
				want = append(want, fmt.Sprintf("%v acks %d", d, tt.ackd[i]))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("server ACKs %v, want %v", got, want)
			}
		})
	}
}
