package tcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// TestHandshakeTiming dials on an idle path of round-trip time R (each
// direction R/2 of propagation) and rate r, and checks the three-way
// handshake to the nanosecond.
//
// Derivation: the SYN (40 bytes, header only) is serialized in
// tx = 40*8/r and propagates for R/2; the server answers at once with a
// SYN-ACK of the same size, which takes tx + R/2 back. So the client is
// established, and may send its first byte, at
//
//	R + 2*tx(40)
//
// after the SYN. The client's ACK (40 bytes) leaves at that instant and
// reaches the server tx(40) + R/2 later, so the server is established at
// 1.5R + 3*tx(40). Data the client wrote before the handshake completed
// leaves at R + 2*tx(40) too, and carries the ACK (no separate pure ACK).
// Every term is an integer number of nanoseconds (TxTime truncates), so
// the check is exact.
func TestHandshakeTiming(t *testing.T) {
	rtts := []time.Duration{time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond}
	rates := []link.Bandwidth{0, 56 * link.Kbps, 10 * link.Mbps, link.Gbps}
	for _, rtt := range rtts {
		for _, rate := range rates {
			for _, early := range []bool{false, true} {
				name := fmt.Sprintf("rtt=%v/rate=%v/early=%v", rtt, rate, early)
				t.Run(name, func(t *testing.T) {
					p := newPath(pathConfig{rate: rate, rtt: rtt})
					log := &pktLog{}
					p.net.SetTracer(log)
					srv := newRecorder(p.s)
					p.sep.Listen(80, TextbookConfig(), func(*Conn) Handler { return srv })
					start := at(10 * time.Millisecond) // not at 0, so that offsets matter
					p.s.RunUntil(start)
					cli := newRecorder(p.s)
					cli.onConnected = func(c *Conn) {
						if !early {
							c.Send(100, "req")
						}
					}
					c := p.cep.Dial(p.server.ID, 80, TextbookConfig(), cli)
					if early {
						c.Send(100, "req")
					}
					p.s.Run()

					hdr := tx(rate, 40)
					wantCli := start.Add(rtt + 2*hdr)
					wantSrv := start.Add(rtt + rtt/2 + 3*hdr)
					if cli.connectedAt != wantCli {
						t.Errorf("client Connected at %v, want %v", cli.connectedAt, wantCli)
					}
					if got := c.Stats().Established; got != wantCli {
						t.Errorf("client Stats.Established = %v, want %v", got, wantCli)
					}
					data := log.sent(p.up, func(p *link.Packet) bool { return p.Len > 0 })
					if len(data) != 1 {
						t.Fatalf("client sent %d data packets, want 1", len(data))
					}
					if data[0].at != wantCli {
						t.Errorf("first data byte sent at %v, want %v", data[0].at, wantCli)
					}
					if !early && srv.connectedAt != wantSrv {
						t.Errorf("server Connected at %v, want %v", srv.connectedAt, wantSrv)
					}
					// The client's packets up to its first data: SYN, then
					// either a pure ACK and the data, or the data alone.
					pkts := log.sent(p.up, func(*link.Packet) bool { return true })
					wantPkts := 3
					if early {
						wantPkts = 2
					}
					n := 0
					for _, e := range pkts {
						n++
						if e.p.Len > 0 {
							break
						}
					}
					if n != wantPkts {
						t.Errorf("client packets up to its first data = %d, want %d", n, wantPkts)
					}
				})
			}
		}
	}
}

// dropFirst returns a loss model that drops the first n packets with
// exactly the flags f, and records when every packet with those flags was
// serialized.
func dropFirst(n int, f link.Flags, times *[]sim.Time) link.DropFunc {
	seen := 0
	return func(now sim.Time, p *link.Packet) bool {
		if p.Flags != f {
			return false
		}
		*times = append(*times, now)
		seen++
		return seen <= n
	}
}

// TestSYNRetransmission drops the first SYN (and, in the second row, the
// first two) on an otherwise idle 50 ms path with an infinitely fast link.
//
// Derivation (RFC 6298 2.1 and 5.5): the SYN is sent at 0 with the initial
// RTO of 1 s. When the timer expires the SYN goes again and the RTO doubles
// (backoff): retransmissions at 1 s and then 1 s + 2 s = 3 s. The
// handshake then completes one RTT after the SYN that got through. No RTT
// sample is taken from a retransmitted SYN (Karn), so the data RTO that
// starts the transfer is 3 s (RFC 6298 5.7: after a SYN timeout the RTO is
// re-initialized to 3 s when data transmission begins).
func TestSYNRetransmission(t *testing.T) {
	const rtt = 50 * time.Millisecond
	tests := []struct {
		drops     int
		wantSYNs  []time.Duration
		wantEstab time.Duration
	}{
		{0, []time.Duration{0}, rtt},
		{1, []time.Duration{0, time.Second}, time.Second + rtt},
		{2, []time.Duration{0, time.Second, 3 * time.Second}, 3*time.Second + rtt},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("drops=%d", tt.drops), func(t *testing.T) {
			p := newPath(pathConfig{rtt: rtt})
			var syns []sim.Time
			p.up.SetLoss(dropFirst(tt.drops, link.SYN, &syns))
			srv := newRecorder(p.s)
			p.sep.Listen(80, TextbookConfig(), func(*Conn) Handler { return srv })
			cli := newRecorder(p.s)
			c := p.cep.Dial(p.server.ID, 80, TextbookConfig(), cli)
			p.s.Run()
			if len(syns) != len(tt.wantSYNs) {
				t.Fatalf("SYNs sent at %v, want %d of them at %v", syns, len(tt.wantSYNs), tt.wantSYNs)
			}
			for i, w := range tt.wantSYNs {
				if syns[i] != at(w) {
					t.Errorf("SYN %d sent at %v, want %v", i, syns[i], at(w))
				}
			}
			if cli.connectedAt != at(tt.wantEstab) {
				t.Errorf("Connected at %v, want %v", cli.connectedAt, at(tt.wantEstab))
			}
			st := c.Stats()
			if st.Retransmits != int64(tt.drops) || st.Timeouts != int64(tt.drops) {
				t.Errorf("Retransmits, Timeouts = %d, %d; want %d, %d", st.Retransmits, st.Timeouts, tt.drops, tt.drops)
			}
			// First sample R: SRTT = R, RTTVAR = R/2, RTO = max(MinRTO, R + 4*R/2).
			wantRTO := max(200*time.Millisecond, 3*rtt)
			if tt.drops > 0 {
				wantRTO = 3 * time.Second
			}
			if st.RTO != wantRTO {
				t.Errorf("RTO after the handshake = %v, want %v", st.RTO, wantRTO)
			}
		})
	}
}
