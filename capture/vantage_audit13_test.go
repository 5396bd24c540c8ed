package capture

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// event is one packet event a vantage point should see.
type event struct {
	id uint16
	at sim.Time
}

// expect records, independently of the Recorder, the packet events each
// vantage point sees in the single client's world: the client's own
// packets as they leave it and those delivered to it; the same for the
// server; and both directions as they enter the bottleneck.
type expect struct {
	tw  httpmodel.TapWorld
	got map[Vantage][]event
}

func (e *expect) PacketEvent(now sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	srv := e.tw.Server
	switch {
	case ev == link.Sent && pipe.From() != srv && pipe.From().ID == p.Src, ev == link.Delivered && pipe.To() != srv && pipe.To().ID == p.Dst:
		e.got[Client] = append(e.got[Client], event{uint16(p.ID), now})
	case ev == link.Sent && pipe.From() == srv, ev == link.Delivered && pipe.To() == srv:
		e.got[Server] = append(e.got[Server], event{uint16(p.ID), now})
	}
	if ev == link.Sent && (pipe == e.tw.Up || pipe == e.tw.Down) {
		e.got[Bottleneck] = append(e.got[Bottleneck], event{uint16(p.ID), now})
	}
}

// TestVantageFramesAndTimes checks, for each vantage point of a lossy
// pipelined load (so that the bottleneck drops packets the server never
// sees), that the file holds exactly the packets that vantage point sees,
// in order, each stamped with the epoch plus the virtual time it was
// seen (not a millisecond off), and that every segment that ends an HTTP
// request carries PSH (Linux sets it on the last segment of a write).
func TestVantageFramesAndTimes(t *testing.T) {
	cfg := httpmodel.DefaultConfig()
	cfg.Network = httpmodel.Network{RTT: 50 * time.Millisecond, Bandwidth: 5 * link.Mbps, QueueBytes: 30_000, Loss: 0.01}
	cfg.Model = httpmodel.Model{Kind: httpmodel.Pipelined}
	cfg.Page.HTML = 20_000
	for range 10 {
		cfg.Page.Objects = append(cfg.Page.Objects, httpmodel.Object{Size: 30_000})
	}
	vs := []Vantage{Client, Server, Bottleneck}
	bufs := make([]bytes.Buffer, len(vs))
	var recs []*Recorder
	for i, v := range vs {
		recs = append(recs, New(&bufs[i], Options{Vantage: v}))
	}
	exp := &expect{got: map[Vantage][]event{}}
	cfg.Tap = func(tw httpmodel.TapWorld) link.Tracer {
		exp.tw = tw
		return multi{recs[0].Tap(tw), recs[1].Tap(tw), recs[2].Tap(tw), exp}
	}
	res := httpmodel.Run(cfg, 2)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Metrics.Retransmits == 0 {
		t.Fatal("no loss: pick another seed")
	}
	if len(exp.got[Client]) == len(exp.got[Server]) {
		t.Fatal("client and server see as many packets: no drop between them, the test cannot tell them apart")
	}
	for i, v := range vs {
		if err := recs[i].Close(); err != nil {
			t.Fatal(err)
		}
		fr := frames(t, bufs[i].Bytes(), PCAPNG)
		want := exp.got[v]
		if len(fr) != len(want) {
			t.Errorf("%s: %d frames, want %d", v, len(fr), len(want))
			continue
		}
		pushed := 0
		for j, p := range fr {
			ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			tc := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			at := p.Metadata().Timestamp
			if ip.Id != want[j].id || !at.Equal(DefaultEpoch().Add(time.Duration(want[j].at))) {
				t.Fatalf("%s frame %d: IP id %d at %v, want %d at %v", v, j+1, ip.Id, at, want[j].id, DefaultEpoch().Add(time.Duration(want[j].at)))
			}
			if bytes.HasPrefix(tc.Payload, []byte("GET ")) && bytes.HasSuffix(tc.Payload, []byte("\r\n\r\n")) {
				pushed++
				if !tc.PSH {
					t.Errorf("%s frame %d: a segment that ends a request without PSH", v, j+1)
				}
			}
		}
		if pushed == 0 && v == Client {
			t.Errorf("%s: no segment holding a whole request", v)
		}
	}
}
