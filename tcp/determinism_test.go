package tcp

import (
	"encoding/binary"
	"hash"
	"hash/fnv"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// hashTracer folds every packet event, with all header fields and the
// simulation metadata, into a 64-bit FNV-1a hash.
type hashTracer struct {
	h     hash.Hash64
	pipes []*link.Pipe
	n     int
	buf   []byte
}

func (h *hashTracer) PacketEvent(now sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	idx := -1
	for i, q := range h.pipes {
		if q == pipe {
			idx = i
		}
	}
	b := h.buf[:0]
	for _, v := range []int64{int64(now), int64(ev), int64(idx), int64(p.ID), int64(p.Src), int64(p.Dst),
		int64(p.SrcPort), int64(p.DstPort), int64(p.Flags), p.Seq, p.Ack, p.Wnd, int64(p.Len), int64(p.Size),
		int64(p.DstConn), int64(p.SrcConn), int64(p.SentAt), int64(p.TSecr)} {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	if p.Retransmit {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	h.buf = b
	h.h.Write(b)
	h.n++
}

// determinismRun runs a busy scenario: four connections (NewReno and
// CUBIC, delayed ACKs on and off) exchanging messages in both directions
// over a 20 Mbit/s, 40 ms path with a small buffer and 2% random loss in
// each direction, drawn from the seed's streams. It returns the hash of
// every packet event, the number of packet events, the scheduler's event
// count and the final time.
func determinismRun(seed uint64) (uint64, int, uint64, sim.Time) {
	p := newPath(pathConfig{rate: 20 * link.Mbps, rtt: 40 * time.Millisecond, queue: 30000, seed: seed})
	p.up.SetLoss(&link.Bernoulli{P: 0.02, Rand: p.s.Stream("loss:up")})
	p.down.SetLoss(&link.Bernoulli{P: 0.02, Rand: p.s.Stream("loss:down")})
	ht := &hashTracer{h: fnv.New64a(), pipes: p.net.Pipes()}
	p.net.SetTracer(ht)
	sizes := p.s.Stream("sizes")
	p.sep.Listen(80, DefaultConfig(), func(c *Conn) Handler {
		r := newRecorder(p.s)
		r.onDelivered = func(c *Conn, tag any) {
			c.Send(1+sizes.Int64N(200_000), tag)
		}
		return r
	})
	for i := range 4 {
		cfg := DefaultConfig()
		if i%2 == 1 {
			cfg.CC = "cubic"
		}
		cfg.DelayedAck = i < 2
		r := newRecorder(p.s)
		left := 5
		r.onConnected = func(c *Conn) { c.Send(1+sizes.Int64N(20_000), left) }
		r.onDelivered = func(c *Conn, tag any) {
			if left--; left > 0 {
				c.Send(1+sizes.Int64N(20_000), left)
			} else {
				c.Close()
			}
		}
		p.s.At(at(time.Duration(i)*100*time.Millisecond), func() {
			p.cep.Dial(p.server.ID, 80, cfg, r)
		})
	}
	p.s.Run()
	return ht.h.Sum64(), ht.n, p.s.Events(), p.s.Now()
}

// firstHash remembers, across repeated runs of the test in one process
// (go test -count=N), the hash the first run computed, so that the later
// runs compare against it too.
var firstHash = map[uint64]uint64{}

// TestDeterminism runs the same scenario twice with the same seed and
// requires identical packet-event traces (hash over every event and all
// packet fields), event counts and end times; with -count=N, every
// repetition must also agree with the first. A different seed must give a
// different trace (the random streams do reach the run).
func TestDeterminism(t *testing.T) {
	for _, seed := range []uint64{1, 7} {
		h1, n1, e1, t1 := determinismRun(seed)
		h2, n2, e2, t2 := determinismRun(seed)
		if h1 != h2 || n1 != n2 || e1 != e2 || t1 != t2 {
			t.Errorf("seed %d: runs differ: hash %x/%x, packet events %d/%d, sched events %d/%d, end %v/%v",
				seed, h1, h2, n1, n2, e1, e2, t1, t2)
		}
		if n1 < 1000 {
			t.Errorf("seed %d: only %d packet events; the scenario is too small to mean much", seed, n1)
		}
		if prev, ok := firstHash[seed]; ok && prev != h1 {
			t.Errorf("seed %d: hash %x differs from the first run's %x in this process", seed, h1, prev)
		}
		firstHash[seed] = h1
		t.Logf("seed %d: hash %x, %d packet events, %d sched events, end %v", seed, h1, n1, e1, t1)
	}
	if a, _, _, _ := determinismRun(1); a == firstHash[7] {
		t.Errorf("seeds 1 and 7 gave the same trace hash %x", a)
	}
}
