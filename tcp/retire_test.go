package tcp

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// TestRetireAfterLastConnection retires a client endpoint while its
// connections are still exchanging data and closing: done runs only
// once it holds none (every packet for it has arrived), after every
// Closed; its counters stay in the stack's totals; the node's packets no
// longer reach it, and it refuses to dial.
func TestRetireAfterLastConnection(t *testing.T) {
	p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 20 * time.Millisecond})
	p.sep.Listen(80, DefaultConfig(), func(*Conn) Handler {
		r := newRecorder(p.s)
		r.onDelivered = func(c *Conn, _ any) { c.Send(50_000, "response") }
		return r
	})
	closed := 0
	for range 3 {
		r := newRecorder(p.s)
		r.onConnected = func(c *Conn) { c.Send(300, "request") }
		r.onDelivered = func(c *Conn, _ any) { c.Close() }
		r.onClosed = func(*Conn, CloseReason) { closed++ }
		p.cep.Dial(p.server.ID, 80, DefaultConfig(), r)
	}
	var doneAt sim.Time = -1
	p.s.RunUntil(sim.Time(30 * time.Millisecond))
	p.cep.Retire(func() {
		doneAt = p.s.Now()
		if p.cep.Held() != 0 || closed != 3 {
			t.Errorf("retired holding %d connections, %d closed; want 0 and 3", p.cep.Held(), closed)
		}
	})
	if doneAt >= 0 {
		t.Fatal("retired at once with connections open")
	}
	p.s.Run()
	if doneAt < 0 {
		t.Fatal("never retired")
	}
	if p.stack.endpoints[p.client.ID] != nil {
		t.Error("the stack still holds the retired endpoint")
	}
	tot := p.stack.Totals()
	if tot.BytesDelivered != 3*50_000+3*300 {
		t.Errorf("stack totals deliver %d bytes, want %d", tot.BytesDelivered, 3*50_000+3*300)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Dial after Retire did not panic")
			}
		}()
		p.cep.Dial(p.server.ID, 80, DefaultConfig(), newRecorder(p.s))
	}()
}

// TestRetireIdle retires an endpoint that holds nothing: done runs at
// the current instant, through the scheduler.
func TestRetireIdle(t *testing.T) {
	p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 20 * time.Millisecond})
	ran := false
	p.cep.Retire(func() { ran = true })
	if ran {
		t.Fatal("done ran inside Retire")
	}
	p.s.Run()
	if !ran || p.s.Now() != 0 {
		t.Errorf("done ran %v at %v; want true at 0", ran, p.s.Now())
	}
}
