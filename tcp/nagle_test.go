package tcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// TestNagleDelayedAckStall runs ten request/response exchanges on one
// persistent connection. Each request is one 400-byte Send; the server
// answers each with two Sends, a 300-byte header and then a body of b
// bytes (b < MSS), the write-write pattern that meets the receiver's
// delayed ACK. Both ends use the default delayed ACKs (40 ms), and Nagle
// is on or off on both.
//
// Derivation, with tx(n) the serialization time of an n-byte packet (40
// header bytes added to each payload) and one-way delay R/2:
//   - Nagle off: the header and the body leave together when the request
//     arrives; the exchange takes
//     tx(440) + R/2 + tx(340) + tx(b+40) + R/2 = R + tx(440) + tx(340) + tx(b+40).
//   - Nagle on (RFC 896): the header goes at once (nothing is
//     unacknowledged: the request acknowledged the previous body), but the
//     body is small and the header is unacknowledged, so it waits. The
//     client has 300 bytes, less than a full segment, so it delays its
//     ACK for 40 ms. That ACK (40 bytes) releases the body:
//     R + tx(440) + tx(340) + 40ms + tx(40) + R/2 + tx(b+40) + R/2
//     = 2R + 40ms + tx(440) + tx(340) + tx(40) + tx(b+40).
//     The stall costs R + 40 ms + tx(40) per exchange: about one
//     delayed-ACK timeout on a LAN.
//
// The client's next request piggybacks its ACK of the body, so every
// exchange is the same, and all terms are integer nanoseconds: exact. Only
// the first request, written in Connected, queues behind the handshake's
// pure ACK (sent at the same instant): it takes tx(40) longer.
func TestNagleDelayedAckStall(t *testing.T) {
	const n = 10
	for _, rtt := range []time.Duration{2 * time.Millisecond, 20 * time.Millisecond} {
		for _, rate := range []link.Bandwidth{0, 100 * link.Mbps} {
			for _, body := range []Bytes{100, 1000} {
				for _, nagle := range []bool{false, true} {
					name := fmt.Sprintf("rtt=%v/rate=%v/body=%d/nagle=%v", rtt, rate, body, nagle)
					t.Run(name, func(t *testing.T) {
						cfg := TextbookConfig()
						cfg.Nagle = nagle
						p := newPath(pathConfig{rate: rate, rtt: rtt})
						srv := newRecorder(p.s)
						srv.onDelivered = func(c *Conn, tag any) {
							c.Send(300, "header")
							c.Send(body, tag)
						}
						p.sep.Listen(80, cfg, func(*Conn) Handler { return srv })
						cli := newRecorder(p.s)
						var sentAt []sim.Time
						send := func(c *Conn) {
							sentAt = append(sentAt, p.s.Now())
							c.Send(400, len(sentAt))
						}
						cli.onConnected = send
						cli.onDelivered = func(c *Conn, tag any) {
							if tag != "header" && len(sentAt) < n {
								send(c)
							}
						}
						p.cep.Dial(p.server.ID, 80, cfg, cli)
						p.s.RunUntil(at(10 * time.Second))

						want := rtt + tx(rate, 440) + tx(rate, 340) + tx(rate, body+40)
						if nagle {
							want += rtt + 40*time.Millisecond + tx(rate, 40)
						}
						var done []sim.Time
						for i, tag := range cli.delivered {
							if tag != "header" {
								done = append(done, cli.deliveredAt[i])
							}
						}
						if len(done) != n {
							t.Fatalf("%d responses delivered, want %d", len(done), n)
						}
						for i := range done {
							want := want
							if i == 0 {
								want += tx(rate, 40)
							}
							if got := done[i].Sub(sentAt[i]); got != want {
								t.Errorf("exchange %d took %v, want %v", i+1, got, want)
							}
						}
					})
				}
			}
		}
	}
}

// TestNagleRetransmitsSmallSegment: with Nagle on, a lone small segment
// (500 bytes) is lost. Nagle holds back small segments of new data while
// data is unacknowledged, but never a retransmission: the timeout resends
// it. Timeline (R = 50 ms, infinitely fast link): written at R = 50 ms
// when the client is connected; the RTO is 200 ms (first sample 50 ms:
// max(200 ms, 50 + 4*25 ms)); the retransmission leaves at 250 ms and is
// delivered at 275 ms.
func TestNagleRetransmitsSmallSegment(t *testing.T) {
	const ms = time.Millisecond
	cfg := TextbookConfig()
	cfg.Nagle = true
	p := newPath(pathConfig{rtt: 50 * ms})
	p.up.SetLoss(dropSegments(1460, 1))
	srv := newRecorder(p.s)
	p.sep.Listen(80, cfg, func(*Conn) Handler { return srv })
	cli := newRecorder(p.s)
	cli.onConnected = func(c *Conn) { c.Send(500, "small") }
	c := p.cep.Dial(p.server.ID, 80, cfg, cli)
	p.s.RunUntil(at(time.Minute))
	if len(srv.delivered) != 1 || srv.deliveredAt[0] != at(275*ms) {
		t.Fatalf("server got %v at %v, want [small] at 275ms", srv.delivered, srv.deliveredAt)
	}
	if st := c.Stats(); st.Timeouts != 1 || st.Retransmits != 1 {
		t.Errorf("Timeouts, Retransmits = %d, %d; want 1, 1", st.Timeouts, st.Retransmits)
	}
}
