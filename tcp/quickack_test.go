package tcp

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// TestQuickAckOutlastsGrowth: Linux's receiver keeps the quick-ACK
// count it started with while its window grows (tcp_grow_window sets
// icsk_ack.quick |= 1 for every full segment, and each ACK takes one
// off), so a short last segment of a first response, too small to grow
// the window, is still acknowledged at once. The server sends 20 full
// segments and 100 bytes as one message over a 20 ms path; the client's
// ACK of the 100 bytes leaves as they arrive, not 40 ms later on the
// delayed-ACK timer.
//
// Mutation caught: quick = max(quick, 1) on growth (the count falls to
// one after 16 ACKs and to 0 between segments: the last ACK waits 40 ms).
func TestQuickAckOutlastsGrowth(t *testing.T) {
	const size = 20*1448 + 100
	p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 20 * time.Millisecond})
	log := &pktLog{}
	p.net.SetTracer(log)
	srv := newRecorder(p.s)
	srv.onConnected = func(c *Conn) { c.Send(size, "body") }
	p.sep.Listen(80, DefaultConfig(), func(*Conn) Handler { return srv })
	p.cep.Dial(p.server.ID, 80, DefaultConfig(), newRecorder(p.s))
	p.s.RunUntil(sim.Time(2 * time.Second))
	var tailArrived sim.Time = -1
	for _, e := range log.events {
		if e.ev == link.Delivered && e.pipe == p.down && e.p.Len == 100 {
			tailArrived = e.at
		}
	}
	if tailArrived < 0 {
		t.Fatal("the 100-byte tail never arrived")
	}
	for _, e := range log.events {
		if e.ev == link.Sent && e.pipe == p.up && e.p.Ack == 1+size {
			if e.at != tailArrived {
				t.Errorf("the tail arrived at %v, its ACK left at %v; want at once", tailArrived, e.at)
			}
			return
		}
	}
	t.Fatal("the tail was never acknowledged")
}
