package httpmodel

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// TestTLSTicketArrival checks when the client comes to hold its first
// session ticket for a host, not only that later connections resume: a
// ticket is usable once the message that carries it has been delivered,
// never earlier. On the fast path, R = 100 ms, the first connection's
// SYN at 0 (no lookup), it is established at R and its ClientHello
// reaches the server at 1.5 R:
//
//   - TLS 1.2 (RFC 5077 3.3): NewSessionTicket is in the server's last
//     flight, with its ChangeCipherSpec and Finished, sent when the
//     client's Finished arrives (2.5 R): the client holds the ticket at
//     3 R, not with the ServerHello flight at 2 R.
//   - TLS 1.3 (RFC 8446 4.6.1): NewSessionTicket after the server has
//     read the client's Finished (2.5 R): held at 3 R, not when the
//     server's first flight arrives at 2 R, and no later than the first
//     byte of the first response (sent behind it).
//
// No run-level metric shows a ticket that comes one round trip early
// (every later connection of these pages is dialled after the HTML has
// arrived, when the ticket is there either way), so the test watches the
// client's ticket store event by event.
func TestTLSTicketArrival(t *testing.T) {
	const rtt = 100 * time.Millisecond
	const slack = 5 * time.Millisecond // serialization at 1 Gbit/s is microseconds
	for _, tc := range []struct {
		name   string
		tls    TLS
		resume bool
		at     float64 // round trips from the SYN; 0 = never
	}{
		{"tls12", TLS12, true, 3},
		{"tls13", TLS13, true, 3},
		{"tls12/off", TLS12, false, 0},
		{"tls13/off", TLS13, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fastConfig(ShortLived, rtt, Page{HTML: 1000, Objects: objects(2, 1000)})
			cfg.TLS, cfg.TLSResumption = tc.tls, tc.resume
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			w := build(cfg, 1)
			w.cl.startVisit()
			host := w.cfg.Page.Host
			if host == "" {
				host = "example.com"
			}
			held := sim.Time(-1)
			for w.s.Step() {
				if held < 0 && w.cl.tickets[host] {
					held = w.s.Now()
				}
			}
			res := w.result()
			if len(res.Requests) != 3 {
				t.Fatalf("%d requests, want 3", len(res.Requests))
			}
			if tc.at == 0 {
				if held >= 0 || len(w.cl.tickets) != 0 {
					t.Errorf("resumption off: the client holds tickets %v (first at %v), want none", w.cl.tickets, held)
				}
				return
			}
			if held < 0 {
				t.Fatalf("the client never held a ticket for %s (tickets %v)", host, w.cl.tickets)
			}
			rounds(t, "first ticket held at", time.Duration(held), tc.at, rtt, slack)
			html := res.Requests[0]
			if fb := html.Start + firstByteRounds(html); time.Duration(held) > fb {
				t.Errorf("ticket held at %v, after the first response's first byte at %v: the server sends it first", time.Duration(held), fb)
			}
		})
	}
}

// TestTLSResumptionPayload checks every TLS message a resumed handshake
// puts on the wire, byte for byte, from the client's TCP counters (the
// payload it sent, and the payload it received in order): short-lived,
// the HTML and 3 objects, so 4 connections, the first full and the
// other 3 resumed, lossless; the run with resumption off is the
// reference (the same HTTP bytes, every handshake full, no tickets).
//
//	TLS 1.2 (RFC 5077 3.1, 3.3): the full handshake carries a
//	NewSessionTicket in the server's last flight; a resumed one has a
//	ClientHello with the ticket, the abbreviated server flight with a
//	new ticket, and the client's ChangeCipherSpec and Finished.
//	TLS 1.3 (RFC 8446 2.2, 4.6.1): a NewSessionTicket after every
//	handshake; a resumed one has a ClientHello with the ticket and a
//	server flight without a certificate; 0-RTT (2.3) adds
//	EndOfEarlyData (and, short-lived, brings no new ticket: below).
func TestTLSResumptionPayload(t *testing.T) {
	const n = 4 // connections, 1 full and n-1 resumed
	type bytes struct{ sent, received int64 }
	for _, tc := range []struct {
		name string
		tls  TLS
		zero bool
		want bytes // resumption on less resumption off
	}{
		{"tls12", TLS12, false, bytes{
			sent:     (n - 1) * (tlsTicket + tlsClientResumed12 - tlsClientFinish12),
			received: tlsTicket + (n-1)*(tlsServerResumed12+tlsTicket-tlsServerFlight-tlsServerFinish12),
		}},
		{"tls13", TLS13, false, bytes{
			sent:     (n - 1) * tlsTicket,
			received: n*tlsTicket + (n-1)*(tlsServerResumed13-tlsServerFlight),
		}},
		// A short-lived 0-RTT connection gets no new ticket: its request
		// went with the ClientHello, and the server has answered and
		// closed before the client's Finished reaches it, and sends
		// NewSessionTicket only after that Finished (RFC 8446 4.6.1).
		// Only the first, full handshake brings a ticket.
		{"tls13+0rtt", TLS13, true, bytes{
			sent:     (n - 1) * (tlsTicket + tlsEndOfEarlyData),
			received: tlsTicket + (n-1)*(tlsServerResumed13-tlsServerFlight),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(resume bool) bytes {
				cfg := fastConfig(ShortLived, 100*time.Millisecond, Page{HTML: 1000, Objects: objects(n-1, 1000)})
				cfg.TLS, cfg.TLSResumption, cfg.TLS0RTT = tc.tls, resume, resume && tc.zero
				if err := cfg.Validate(); err != nil {
					t.Fatal(err)
				}
				w := build(cfg, 1)
				w.cl.startVisit()
				if err := w.run(); err != nil {
					t.Fatal(err)
				}
				res := w.result()
				if res.Metrics.Connections != n || res.Metrics.Retransmits != 0 {
					t.Fatalf("%d connections, %d retransmits: want %d, 0", res.Metrics.Connections, res.Metrics.Retransmits, n)
				}
				s := w.cep.Totals()
				return bytes{s.PayloadBytesSent, s.BytesDelivered}
			}
			off, on := run(false), run(true)
			if got := (bytes{on.sent - off.sent, on.received - off.received}); got != tc.want {
				t.Errorf("resumption changes the client's payload by %+v (sent, received), want %+v", got, tc.want)
			}
		})
	}
}
