package tcp

import (
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"

	"github.com/connsim/connsim/sim/link"
)

// TestPortSetMatchesModel drives a portSet with random marks and frees,
// growing past the short list into the bitmap and back down, and checks
// every answer against a map.
func TestPortSetMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s portSet
	model := map[uint16]bool{}
	for i := range 20_000 {
		// Mostly marks early on, mostly frees later, within a narrow
		// range so that ports collide.
		port := uint16(firstEphemeral + rng.IntN(200))
		if model[port] != s.has(port) {
			t.Fatalf("step %d: has(%d) = %v, want %v", i, port, s.has(port), model[port])
		}
		markBias := 3
		if i > 10_000 {
			markBias = 1
		}
		if !model[port] && rng.IntN(4) < markBias {
			s.set(port, true)
			model[port] = true
		} else if model[port] && rng.IntN(4) >= markBias {
			s.set(port, false)
			delete(model, port)
		}
		if s.n != len(model) {
			t.Fatalf("step %d: n = %d, want %d", i, s.n, len(model))
		}
	}
}

// TestFewPortsAreSmall checks that an endpoint dialling a few connections
// to one destination holds a few bytes of port bookkeeping, not a bitmap
// of the whole ephemeral range.
func TestFewPortsAreSmall(t *testing.T) {
	p := newPath(pathConfig{rate: link.Gbps, rtt: time.Millisecond})
	p.sep.Listen(80, DefaultConfig(), func(*Conn) Handler { return newRecorder(p.s) })
	for range 6 {
		p.cep.Dial(p.server.ID, 80, DefaultConfig(), newRecorder(p.s))
	}
	if len(p.cep.ports) != 1 || p.cep.ports[0].bits != nil || p.cep.ports[0].n != 6 {
		t.Fatalf("port sets: %d, first with bitmap %v and %d ports; want 1, a list of 6", len(p.cep.ports), p.cep.ports[0].bits != nil, p.cep.ports[0].n)
	}
	if size := unsafe.Sizeof(portSet{}) + uintptr(cap(p.cep.ports[0].small))*2; size > 128 {
		t.Errorf("port set of 6 ports takes %d bytes, want at most 128", size)
	}
	p.s.Run()
}

// TestManyDestinations dials more destinations than an endpoint scans
// (scanDests), so that it builds its index, and checks that each
// destination's ports are its own.
func TestManyDestinations(t *testing.T) {
	p := newPath(pathConfig{rate: link.Gbps, rtt: time.Millisecond})
	for port := uint16(1); port <= 2*scanDests; port++ {
		// Nobody listens: each connection is reset; its port is held
		// until then.
		a := p.cep.Dial(p.server.ID, port, DefaultConfig(), newRecorder(p.s))
		b := p.cep.Dial(p.server.ID, port, DefaultConfig(), newRecorder(p.s))
		if a.LocalPort() == b.LocalPort() {
			t.Fatalf("two connections to port %d share local port %d", port, a.LocalPort())
		}
		if ps := p.cep.portsTo(dest{p.server.ID, port}); ps == nil || ps.n != 2 {
			t.Fatalf("destination port %d: port set %+v, want 2 ports", port, ps)
		}
	}
	if p.cep.portIdx == nil {
		t.Errorf("no index with %d destinations", len(p.cep.ports))
	}
	p.s.Run()
	for _, ps := range p.cep.ports {
		if ps.n != 0 {
			t.Errorf("destination %v holds %d ports after every connection ended, want 0", ps.to, ps.n)
		}
	}
}
