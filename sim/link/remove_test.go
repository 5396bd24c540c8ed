package link

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

type dropCounter struct{ n int }

func (d *dropCounter) Dropped(*Packet) { d.n++ }

// TestRemoveNodeDrains removes a leaf node (a client behind a router)
// while packets are on its links both ways: every one still arrives, the
// links go only once idle, their counters stay in Stats, routes to the
// node are gone (a later packet for it is dropped, counted and observed,
// not sent down the router's default route), and IDs are not reused.
func TestRemoveNodeDrains(t *testing.T) {
	s := sim.New(1)
	n := New(s)
	srv, r := n.AddNode("server"), n.AddNode("router")
	cfg := Config{Rate: 10 * Mbps, Delay: 5 * time.Millisecond}
	n.Connect(r, srv, cfg, cfg)
	var cls [3]*Node
	var sinks [3]*sink
	for i := range cls {
		cls[i] = n.AddNode("client")
		n.Connect(cls[i], r, cfg, cfg)
		sinks[i] = &sink{s: s}
		cls[i].SetReceiver(sinks[i])
	}
	srvSink := &sink{s: s}
	srv.SetReceiver(srvSink)
	obs := &dropCounter{}
	n.SetDropObserver(obs)
	before := len(n.Pipes())
	for i := range 4 {
		srv.Send(Packet{Dst: cls[1].ID, Seq: int64(i), Size: 1500})
	}
	// The server's packets reach the router from 6.2 ms to 9.8 ms; at
	// 10 ms they are all on the router's pipe to the client, and the
	// client's, sent at 8 ms, on its pipe to the router.
	s.RunUntil(sim.Time(8 * time.Millisecond))
	for i := range 4 {
		cls[1].Send(Packet{Dst: srv.ID, Seq: int64(i), Size: 1500})
	}
	s.RunUntil(sim.Time(10 * time.Millisecond))
	n.RemoveNode(cls[1])
	if got := len(n.Pipes()); got != before {
		t.Fatalf("pipes right after RemoveNode = %d, want %d (they still carry packets)", got, before)
	}
	s.Run()
	if len(srvSink.got) != 4 || len(sinks[1].got) != 0 {
		t.Errorf("server got %d packets, removed client %d; want 4 and 0 (its receiver is gone)", len(srvSink.got), len(sinks[1].got))
	}
	if got := len(n.Pipes()); got != before-2 {
		t.Errorf("pipes after draining = %d, want %d", got, before-2)
	}
	st := n.Stats()
	// 4 packets up (2 hops) and 4 down (2 hops, the last one delivered
	// to a node without a receiver).
	if st.Packets != 16 || st.Delivered != 16 {
		t.Errorf("stats %+v, want 16 packets sent and delivered", st)
	}
	if got := n.Nodes(); len(got) != 4 || got[2] != cls[0] || got[3] != cls[2] {
		t.Errorf("nodes after removal: %d, want server, router and the two other clients", len(got))
	}
	srv.Send(Packet{Dst: cls[1].ID, Size: 40})
	s.Run()
	if n.Unrouted() != 1 || obs.n != 1 || len(sinks[0].got)+len(sinks[2].got) != 0 {
		t.Errorf("a packet for the removed node: unrouted %d, observed %d, others got %d; want 1, 1, 0",
			n.Unrouted(), obs.n, len(sinks[0].got)+len(sinks[2].got))
	}
	if nd := n.AddNode("late"); nd.ID != 5 {
		t.Errorf("new node got ID %d, want 5 (IDs are not reused)", nd.ID)
	}
	// The other clients are untouched.
	srv.Send(Packet{Dst: cls[2].ID, Size: 40})
	cls[0].Send(Packet{Dst: srv.ID, Size: 40})
	s.Run()
	if len(sinks[2].got) != 1 || len(srvSink.got) != 5 {
		t.Errorf("after the removal: client 2 got %d, server %d; want 1 and 5", len(sinks[2].got), len(srvSink.got))
	}
}

// TestRemoveManyNodes removes most of many clients: the network's pipe
// list closes its gaps, in creation order, and Stats keeps every count.
func TestRemoveManyNodes(t *testing.T) {
	s := sim.New(1)
	n := New(s)
	srv, r := n.AddNode("server"), n.AddNode("router")
	n.Connect(r, srv, Config{}, Config{})
	var cls []*Node
	for range 100 {
		c := n.AddNode("client")
		n.Connect(c, r, Config{}, Config{})
		c.Send(Packet{Dst: srv.ID, Size: 100})
		cls = append(cls, c)
	}
	s.Run()
	for i, c := range cls {
		if i%10 != 0 {
			n.RemoveNode(c)
		}
	}
	ps := n.Pipes()
	if len(ps) != 2+20 || len(n.pipes) > 2*len(ps) {
		t.Fatalf("pipes %d (table %d), want 22 (table at most 44)", len(ps), len(n.pipes))
	}
	for i, p := range ps {
		if i > 0 && p.from.ID < ps[i-1].from.ID && p.from != r && ps[i-1].from != r {
			t.Errorf("pipes out of creation order at %d", i)
		}
		if p.at != i && n.removedPipes == 0 {
			t.Errorf("pipe %d has index %d", i, p.at)
		}
	}
	if st := n.Stats(); st.Packets != 200 || st.Bytes != 20_000 {
		t.Errorf("stats %+v, want 200 packets, 20000 bytes", st)
	}
	if len(r.out) != 1+10 {
		t.Errorf("router has %d pipes out, want 11", len(r.out))
	}
}
