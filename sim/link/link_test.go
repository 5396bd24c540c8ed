package link

import (
	"fmt"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/connsim/connsim/sim"
)

type sink struct {
	s    *sim.Scheduler
	got  []Packet
	when []sim.Time
}

func (k *sink) Receive(p *Packet) {
	k.got = append(k.got, *p)
	k.when = append(k.when, k.s.Now())
}

func twoNodes(cfg Config) (*sim.Scheduler, *Node, *Node, *Pipe, *sink) {
	s := sim.New(1)
	n := New(s)
	a, b := n.AddNode("a"), n.AddNode("b")
	ab, _ := n.Connect(a, b, cfg, cfg)
	k := &sink{s: s}
	b.SetReceiver(k)
	return s, a, b, ab, k
}

// TestTxTime checks serialization delay: size*8/rate, in integer
// nanoseconds, truncated; a zero rate is infinitely fast.
func TestTxTime(t *testing.T) {
	for _, c := range []struct {
		rate Bandwidth
		size int64
		want time.Duration
	}{
		{10 * Mbps, 1500, 1200 * time.Microsecond},
		{1 * Gbps, 1500, 12 * time.Microsecond},
		{28800, 1500, 416666666}, // 12000/28800 s, truncated
		{0, 1500, 0},
	} {
		if got := c.rate.TxTime(c.size); got != c.want {
			t.Errorf("%v.TxTime(%d) = %v, want %v", c.rate, c.size, got, c.want)
		}
	}
}

// TestArrivalTimes sends three back-to-back packets on an idle pipe: the
// k-th arrives at k serialization times plus the propagation delay, in
// order.
func TestArrivalTimes(t *testing.T) {
	s, a, b, _, k := twoNodes(Config{Rate: 10 * Mbps, Delay: 20 * time.Millisecond})
	for i := range 3 {
		a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 1500})
	}
	s.Run()
	if len(k.got) != 3 {
		t.Fatalf("delivered %d packets, want 3", len(k.got))
	}
	tx := (10 * Mbps).TxTime(1500)
	for i := range 3 {
		want := sim.Time(0).Add(time.Duration(i+1)*tx + 20*time.Millisecond)
		if k.when[i] != want || k.got[i].Seq != int64(i) {
			t.Errorf("packet %d: seq %d at %v, want seq %d at %v", i, k.got[i].Seq, k.when[i], i, want)
		}
	}
}

// TestDropTail fills a queue limited in bytes and one limited in packets:
// the packet in service does not count, the queue holds its capacity, and
// the rest are tail-dropped and counted.
func TestDropTail(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want int // packets delivered of 10 sent at once
	}{
		{"bytes", Config{Rate: Mbps, QueueBytes: 4500}, 1 + 3},
		{"packets", Config{Rate: Mbps, QueuePackets: 5}, 1 + 5},
		{"unlimited", Config{Rate: Mbps}, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, a, b, ab, k := twoNodes(c.cfg)
			for i := range 10 {
				a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 1500})
			}
			s.Run()
			st := ab.Stats()
			if len(k.got) != c.want || st.QueueDrops != int64(10-c.want) {
				t.Errorf("delivered %d, queue drops %d; want %d and %d", len(k.got), st.QueueDrops, c.want, 10-c.want)
			}
			if st.MaxQueuePackets != c.want-1 {
				t.Errorf("queue high-water mark %d packets, want %d", st.MaxQueuePackets, c.want-1)
			}
			for i, p := range k.got {
				if p.Seq != int64(i) {
					t.Errorf("delivered seq %d in position %d: want FIFO", p.Seq, i)
				}
			}
		})
	}
}

// TestLossModels checks the scripted, outage and Bernoulli loss models:
// exactly the chosen packets vanish, after using the link.
func TestLossModels(t *testing.T) {
	s, a, b, ab, k := twoNodes(Config{Rate: 10 * Mbps})
	ab.SetLoss(DropFunc(func(_ sim.Time, p *Packet) bool { return p.Seq%3 == 0 }))
	for i := range 9 {
		a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 100})
	}
	s.Run()
	if len(k.got) != 6 || ab.Stats().LossDrops != 3 || ab.Stats().Packets != 9 {
		t.Errorf("scripted: delivered %d, loss drops %d, serialized %d; want 6, 3, 9", len(k.got), ab.Stats().LossDrops, ab.Stats().Packets)
	}

	s, a, b, ab, k = twoNodes(Config{Rate: 0, Delay: time.Millisecond})
	ab.SetLoss(Outage{From: sim.Time(10 * time.Millisecond), To: sim.Time(20 * time.Millisecond)})
	for i := range 30 {
		s.At(sim.Time(time.Duration(i)*time.Millisecond), func() { a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 100}) })
	}
	s.Run()
	if len(k.got) != 20 {
		t.Errorf("outage of 10ms over 30 packets 1ms apart: delivered %d, want 20", len(k.got))
	}

	const n, p = 20000, 0.1
	s, a, b, ab, k = twoNodes(Config{Rate: 0})
	ab.SetLoss(&Bernoulli{P: p, Rand: s.Stream("loss")})
	for i := range n {
		a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 100})
	}
	s.Run()
	lost := float64(n-len(k.got)) / n
	if lost < 0.09 || lost > 0.11 { // 0.1 +- 5 standard deviations (0.0021)
		t.Errorf("Bernoulli(0.1) lost %.4f of %d packets", lost, n)
	}
}

// TestLossAmongPacketsInFlight drops, on a busy pipe, the first packet,
// runs of packets in the middle, a whole block's worth (the pipe's FIFO
// has 16 entries a block) and the last: a lost packet stays in the
// pipe's line behind those in flight until they arrive. Every other
// packet arrives in order at its serialization time plus the delay, the
// pipe is idle afterwards with every block back in the pool, and a
// second burst after it behaves the same.
func TestLossAmongPacketsInFlight(t *testing.T) {
	const n = 60
	drop := func(seq int64) bool {
		i := seq % 100
		return i == 0 || i == 5 || i == 6 || i == 7 || (i >= 15 && i < 33) || i == n-1
	}
	s, a, b, ab, k := twoNodes(Config{Rate: 10 * Mbps, Delay: 20 * time.Millisecond})
	ab.SetLoss(DropFunc(func(_ sim.Time, p *Packet) bool { return drop(p.Seq) }))
	tx := (10 * Mbps).TxTime(1500)
	for burst := range 2 {
		start := s.Now()
		k.got, k.when = nil, nil
		for i := range n {
			a.Send(Packet{Dst: b.ID, Seq: int64(100*burst + i), Size: 1500})
		}
		s.Run()
		var want []int
		for i := range n {
			if !drop(int64(i)) {
				want = append(want, i)
			}
		}
		if len(k.got) != len(want) {
			t.Fatalf("burst %d: delivered %d packets, want %d", burst, len(k.got), len(want))
		}
		for j, i := range want {
			at := start.Add(time.Duration(i+1)*tx + 20*time.Millisecond)
			if k.got[j].Seq != int64(100*burst+i) || k.when[j] != at {
				t.Errorf("burst %d: arrival %d is seq %d at %v, want seq %d at %v",
					burst, j, k.got[j].Seq, k.when[j], 100*burst+i, at)
			}
		}
		if !ab.idle() || ab.inFlight() != 0 || ab.net.flying.out != 0 {
			t.Fatalf("burst %d: pipe not idle after the run: %d in its line, %d blocks out",
				burst, ab.line.Len(), ab.net.flying.out)
		}
	}
	if st := ab.Stats(); st.LossDrops != 2*23 || st.Packets != 2*n || st.Delivered != 2*(n-23) {
		t.Errorf("loss drops %d, serialized %d, delivered %d; want %d, %d, %d",
			st.LossDrops, st.Packets, st.Delivered, 2*23, 2*n, 2*(n-23))
	}
}

// TestRouting sends through a router in the middle: packets for a node
// with no direct link follow the static routes, and the tracer sees each
// hop.
func TestRouting(t *testing.T) {
	s := sim.New(1)
	n := New(s)
	a, r, b := n.AddNode("a"), n.AddNode("router"), n.AddNode("b")
	cfg := Config{Rate: 100 * Mbps, Delay: 5 * time.Millisecond}
	ar, _ := n.Connect(a, r, cfg, cfg)
	rb, _ := n.Connect(r, b, cfg, cfg)
	a.Route(b.ID, ar)
	r.Route(b.ID, rb)
	k := &sink{s: s}
	b.SetReceiver(k)
	var events []TraceEvent
	n.SetTracer(tracerFunc(func(_ sim.Time, ev TraceEvent, _ *Pipe, _ *Packet) { events = append(events, ev) }))
	a.Send(Packet{Dst: b.ID, Size: 1000})
	s.Run()
	if len(k.got) != 1 || k.got[0].Src != a.ID {
		t.Fatalf("delivered %d packets (src %v), want 1 from a", len(k.got), k.got)
	}
	want := []TraceEvent{Sent, Delivered, Sent, Delivered}
	if len(events) != len(want) {
		t.Fatalf("trace %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("trace %v, want %v", events, want)
		}
	}
	hop := (100 * Mbps).TxTime(1000) + 5*time.Millisecond
	if got, want := k.when[0], sim.Time(2*hop); got != want {
		t.Errorf("arrival after two hops at %v, want %v", got, want)
	}
}

type tracerFunc func(sim.Time, TraceEvent, *Pipe, *Packet)

func (f tracerFunc) PacketEvent(now sim.Time, ev TraceEvent, p *Pipe, pk *Packet) { f(now, ev, p, pk) }

// TestTraceSentBeforeDrop pins the order TraceEvent's doc gives: every
// packet handed to a pipe is traced as Sent, a tail-dropped one too, and
// its QueueDrop follows (httpmodel's tracer marks a dropped segment by
// finding its Sent record).
func TestTraceSentBeforeDrop(t *testing.T) {
	s, a, b, ab, _ := twoNodes(Config{Rate: Mbps, QueuePackets: 1})
	var got []string
	ab.net.SetTracer(tracerFunc(func(_ sim.Time, ev TraceEvent, _ *Pipe, p *Packet) {
		got = append(got, fmt.Sprintf("%v#%d", ev, p.Seq))
	}))
	for i := range 3 {
		a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 1500})
	}
	s.Run()
	want := []string{"sent#0", "sent#1", "sent#2", "queue-drop#2", "delivered#0", "delivered#1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("trace %v, want %v", got, want)
	}
}

// TestPacketSize guards the size of a Packet, which every queue and
// flight block copies: the message ends fit in what was padding.
func TestPacketSize(t *testing.T) {
	if got, want := unsafe.Sizeof(Packet{}), uintptr(120); got != want {
		t.Fatalf("Packet is %d bytes, want %d", got, want)
	}
}

// inFlight brings p's queue up to now and returns the packets on its line
// past the queue: the one being serialized and those in flight.
func (p *Pipe) inFlight() int {
	p.advance()
	return p.line.Len() - p.nwait
}

// traceLog records tracer events as "time:event:seq".
type traceLog struct{ evs []string }

func (l *traceLog) PacketEvent(now sim.Time, ev TraceEvent, _ *Pipe, p *Packet) {
	l.evs = append(l.evs, fmt.Sprintf("%d:%s:%d", int64(now), ev, p.Seq))
}

// TestLossAnnouncedBeforeSameInstantArrival: with no propagation delay, a
// packet of no bytes queued behind a lost one ends its serialization, and
// arrives, at the instant the lost one's drop is due. The arrival's timer
// was armed when the packet joined the queue, before the drop's timer was
// re-armed for that instant, so it runs first: the pipe must announce the
// drop before it delivers, and must not deliver the lost packet.
func TestLossAnnouncedBeforeSameInstantArrival(t *testing.T) {
	cfg := Config{Rate: 8 * Mbps, Loss: DropFunc(func(_ sim.Time, p *Packet) bool { return p.Seq < 2 })}
	s, a, b, ab, k := twoNodes(cfg)
	l := &traceLog{}
	ab.net.SetTracer(l)
	a.Send(Packet{Dst: b.ID, Seq: 0, Size: 1000}) // lost, ends at 1 ms
	a.Send(Packet{Dst: b.ID, Seq: 1, Size: 1000}) // lost, ends at 2 ms
	a.Send(Packet{Dst: b.ID, Seq: 2, Size: 0})    // kept, ends (and arrives) at 2 ms
	s.Run()
	want := []string{"0:sent:0", "0:sent:1", "0:sent:2", "1000000:loss-drop:0", "2000000:loss-drop:1", "2000000:delivered:2"}
	if !slices.Equal(l.evs, want) {
		t.Errorf("trace\n got %v\nwant %v", l.evs, want)
	}
	if len(k.got) != 1 || k.got[0].Seq != 2 {
		t.Errorf("received %v, want packet 2 only", k.got)
	}
}

// TestStatsCountSerializationsStarted: the counters read mid-run count
// the packets whose serialization has started, though no event marks a
// start: five 1,000-byte packets at 8 Mbit/s start at 0, 1, 2, 3 and 4 ms.
func TestStatsCountSerializationsStarted(t *testing.T) {
	s, a, b, ab, _ := twoNodes(Config{Rate: 8 * Mbps, Delay: 10 * time.Millisecond})
	for i := range 5 {
		a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 1000})
	}
	for _, c := range []struct {
		at      time.Duration
		started int64
		queued  int
	}{{500 * time.Microsecond, 1, 4}, {time.Millisecond, 2, 3}, {3500 * time.Microsecond, 4, 1}, {20 * time.Millisecond, 5, 0}} {
		s.RunUntil(sim.Time(c.at))
		if st := ab.Stats(); st.Packets != c.started || st.Bytes != 1000*c.started {
			t.Errorf("at %v: pipe counts %d packets, %d bytes; want %d started", c.at, st.Packets, st.Bytes, c.started)
		}
		if st := ab.net.Stats(); st.Packets != c.started {
			t.Errorf("at %v: network counts %d packets, want %d", c.at, st.Packets, c.started)
		}
		if _, n := ab.QueueLen(); n != c.queued {
			t.Errorf("at %v: %d queued, want %d", c.at, n, c.queued)
		}
	}
}
