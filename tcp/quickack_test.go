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

// TestTinySegmentsDoNotGrowWindow: Linux's tcp_event_data_recv calls
// tcp_grow_window only for a segment of at least 128 bytes, so tiny
// segments neither raise rcv_ssthresh nor renew the quick-ACK count
// (icsk_ack.quick |= 1): the 16 quick ACKs given at the first data are
// spent on the first 16 segments of 100 bytes, each answered at once,
// and the window the receiver grows towards stays at 64 KiB. 24 such
// segments are handed to the receiver at once (no silence to restart
// quick-ACK mode). (How Linux acknowledges the tiny segments after that
// depends on its rcv_mss estimate, which the model does not have, so it
// is not checked.)
//
// Mutation caught: the 128-byte threshold dropped (every tiny segment
// renews the count and grows rcv_ssthresh by two segments).
func TestTinySegmentsDoNotGrowWindow(t *testing.T) {
	cfg := DefaultConfig()
	r := newReceiverRig(t, cfg)
	seq := int64(1)
	immediate := 0
	for range 24 {
		p := link.Packet{Flags: link.ACK, Seq: seq, Ack: r.c.sndMax, Len: 100, Wnd: 4 << 20,
			SentAt: r.p.s.Now(), TSecr: -1}
		before := len(r.log.events)
		r.c.receive(&p)
		for _, e := range r.log.events[before:] {
			if e.ev == link.Sent && e.pipe == r.p.up {
				immediate++
			}
		}
		seq += 100
	}
	if immediate < maxQuickAcks || r.c.rcv.quick != 0 {
		t.Errorf("%d of 24 tiny segments acknowledged at once, quick-ACK count left %d; want at least %d and 0 (spent, not renewed)",
			immediate, r.c.rcv.quick, maxQuickAcks)
	}
	if got, want := r.c.rcv.rcvSsthresh, Bytes(initialRcvSsthresh); got != want {
		t.Errorf("rcv_ssthresh %d after tiny segments, want %d (not grown)", got, want)
	}
}
