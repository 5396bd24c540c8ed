package tcp

import (
	"fmt"
	"hash/fnv"
	"reflect"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// forgetRun runs a busy scenario of short connections on a lossy path
// with a small buffer and an outage, so that SYNs, SYN-ACKs, FINs and
// their ACKs are lost and repeated, packets reach connections after they
// closed, some requests are refused (by the listener, or for want of
// one) and some connections are aborted: every way a packet can reach a
// closed connection. With keepAll the endpoints never forget a
// connection. Connections left half-open (a reset was lost) are aborted
// at the end. It returns the packet-event hash, the scheduler's event
// count, both endpoints' totals and how many connections they still hold
// at the end.
func forgetRun(seed uint64, keepAll bool) (uint64, uint64, [2]Stats, [2]int) {
	p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 30 * time.Millisecond, queue: 12000, seed: seed})
	p.stack.keepAll = keepAll
	p.up.SetLoss(&link.Bernoulli{P: 0.05, Rand: p.s.Stream("loss:up")})
	down := &link.Bernoulli{P: 0.05, Rand: p.s.Stream("loss:down")}
	outage := link.Outage{From: at(2 * time.Second), To: at(4 * time.Second)}
	p.down.SetLoss(link.DropFunc(func(now sim.Time, pk *link.Packet) bool {
		return outage.Drop(now, pk) || down.Drop(now, pk)
	}))
	ht := &hashTracer{h: fnv.New64a(), pipes: p.net.Pipes()}
	p.net.SetTracer(ht)
	rnd := p.s.Stream("scenario")
	accepted := 0
	p.sep.Listen(80, DefaultConfig(), func(c *Conn) Handler {
		accepted++
		if accepted%7 == 0 {
			return nil // refused
		}
		r := newRecorder(p.s)
		r.onDelivered = func(c *Conn, tag any) {
			switch rnd.IntN(8) {
			case 0:
				c.Abort()
			case 1, 2:
				c.Send(1+rnd.Int64N(30_000), tag)
				c.Close() // the server closes first
			default:
				c.Send(1+rnd.Int64N(30_000), tag)
			}
		}
		return r
	})
	for i := range 300 {
		cfg := DefaultConfig()
		if i%3 == 1 {
			cfg = TextbookConfig()
		}
		port := uint16(80)
		if i%23 == 0 {
			port = 81 // nobody listening
		}
		r := newRecorder(p.s)
		r.onConnected = func(c *Conn) { c.Send(1+rnd.Int64N(2000), i) }
		r.onDelivered = func(c *Conn, tag any) {
			if rnd.IntN(10) == 0 {
				c.Send(1+rnd.Int64N(2000), i) // data after the server may have closed: a reset
			}
			c.Close()
		}
		p.s.At(at(time.Duration(rnd.Int64N(int64(6*time.Second)))), func() {
			p.cep.Dial(p.server.ID, port, cfg, r)
		})
	}
	p.s.Run()
	// A reset lost on the way leaves its peer open for good (half-open):
	// abort what is still open, and let the resets settle.
	for _, ep := range []*Endpoint{p.cep, p.sep} {
		for _, c := range ep.Conns() {
			c.Abort()
		}
	}
	p.s.Run()
	return ht.h.Sum64(), p.s.Events(), [2]Stats{p.cep.Totals(), p.sep.Totals()}, [2]int{p.cep.Held(), p.sep.Held()}
}

// TestForgetChangesNothing runs forgetRun with and without forgetting:
// the packet traces, event counts and counters must be identical (an
// endpoint forgets a connection only when no packet can reach it), and
// once the run is quiet every connection must have been forgotten.
func TestForgetChangesNothing(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			h1, e1, t1, held1 := forgetRun(seed, true)
			h2, e2, t2, held2 := forgetRun(seed, false)
			if h1 != h2 || e1 != e2 || !reflect.DeepEqual(t1, t2) {
				t.Errorf("forgetting changed the run: hash %x/%x, events %d/%d\ntotals kept    %+v\ntotals forgot  %+v", h1, h2, e1, e2, t1, t2)
			}
			if held2 != [2]int{} {
				t.Errorf("connections held at the end = %v, want none (kept: %v)", held2, held1)
			}
			if t1[0].Retransmits == 0 || t1[1].Timeouts == 0 {
				t.Errorf("the scenario lost nothing: %+v", t1)
			}
		})
	}
}

// TestManySequentialConnections opens 70,000 short connections one after
// the other from one client (more than the 16,384 ephemeral ports): each
// sends a request, gets a response and closes. Every one must complete;
// no two connections held at once may share a local port; and the
// endpoints must hold only the few connections not yet quiet, their
// tables trimmed, not one entry per connection ever made.
func TestManySequentialConnections(t *testing.T) {
	n := 70_000
	if testing.Short() {
		n = 20_000
	}
	p := newPath(pathConfig{rate: link.Gbps, rtt: time.Millisecond})
	p.sep.Listen(80, DefaultConfig(), func(*Conn) Handler {
		r := newRecorder(p.s)
		r.onDelivered = func(c *Conn, _ any) { c.Send(2000, "response") }
		return r
	})
	done, maxHeld, maxTable := 0, 0, 0
	var dial func()
	dial = func() {
		r := newRecorder(p.s)
		r.onConnected = func(c *Conn) { c.Send(300, "request") }
		r.onDelivered = func(c *Conn, _ any) { c.Close() }
		r.onClosed = func(c *Conn, reason CloseReason) {
			if reason != ClosedLocally {
				t.Fatalf("connection %d: closed with %v", c.ID(), reason)
			}
			if done++; done < n {
				dial()
			}
		}
		c := p.cep.Dial(p.server.ID, 80, DefaultConfig(), r)
		seen := map[uint16]int{}
		for _, h := range p.cep.Conns() {
			if other, dup := seen[h.LocalPort()]; dup {
				t.Fatalf("connections %d and %d both hold port %d", other, h.ID(), h.LocalPort())
			}
			seen[h.LocalPort()] = h.ID()
		}
		if c.ID() >= 1<<14 && c.LocalPort() != uint16(firstEphemeral+c.ID()%(1<<14)) {
			t.Fatalf("connection %d has port %d, want the rotor's %d", c.ID(), c.LocalPort(), firstEphemeral+c.ID()%(1<<14))
		}
		maxHeld = max(maxHeld, p.cep.Held(), p.sep.Held())
		maxTable = max(maxTable, len(p.cep.conns), len(p.sep.conns))
	}
	dial()
	p.s.Run()
	if done != n {
		t.Fatalf("%d connections completed, want %d", done, n)
	}
	if maxHeld > 4 || maxTable > 8 {
		t.Errorf("endpoints held up to %d connections in tables of up to %d entries; want a handful", maxHeld, maxTable)
	}
	if got := p.cep.Totals().BytesDelivered; got != int64(n)*2000 {
		t.Errorf("client BytesDelivered = %d, want %d", got, n*2000)
	}
	t.Logf("%d connections, at most %d held, tables of at most %d", n, maxHeld, maxTable)
}
